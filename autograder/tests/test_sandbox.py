"""The grader's sandbox and intake, piece by piece (fast; the end-to-end attacks are in test_grading.py)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import zipfile
from dataclasses import replace
from pathlib import Path
from unittest.mock import ANY

import nbformat
import pytest
from nbgrader.preprocessors import Execute
from reglab_autograder import intake
from reglab_autograder.commands.grade import grade
from reglab_autograder.execution import ExecutionRecord
from reglab_autograder.options import GradeOptions
from reglab_autograder.plugins import export
from reglab_autograder.plugins.zipcollect import SafeExtractor
from reglab_autograder.preprocessors.execute import NotebookRun, SandboxedExecute
from reglab_autograder.sandbox import launch, layout, probe, processes
from reglab_autograder.sandbox.spec import LaunchSpec, SandboxPolicy, ZygoteStart

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ secure by default


@pytest.fixture
def no_bwrap(monkeypatch):
    monkeypatch.setattr(probe, "bwrap_path", lambda: None)
    probe.probe.cache_clear()
    yield
    probe.probe.cache_clear()


def test_without_bubblewrap_grading_refuses_and_says_how_to_fix_it(no_bwrap, tmp_path):
    status = probe.probe()
    assert not status.ok and "apt-get install bubblewrap" in status.reason and "--no-sandbox" in status.reason
    (tmp_path / "subs").mkdir()
    with pytest.raises(layout.SandboxUnavailable, match="bubblewrap"):
        grade(GradeOptions(submissions=tmp_path / "subs", out=tmp_path / "out", workers=1, course_root=ROOT,
                           progress=False))
    assert not (tmp_path / "out").exists(), "nothing is written before the refusal"


def test_the_sandbox_probe_works_here_and_names_the_limits():
    probe.probe.cache_clear()
    status = probe.probe()
    assert status.ok, status.reason
    assert status.mode == (layout.MODE_ROOT if os.geteuid() == 0 else layout.MODE_USER)
    assert any("RLIMIT_AS" in n for n in status.limits_note)
    assert any("cgroup" in n for n in status.limits_note)  # applied (root) or said not to apply


def _spec(**job) -> LaunchSpec:
    policy = SandboxPolicy(mode=layout.MODE_USER, uid=layout.UID_BASE, limits=dict(layout.DEFAULT_LIMITS),
                           keep=("/opt/py", "/srv/course/lib"), masks=("/opt/py/lib/site-packages/reglab_autograder",),
                           bwrap="bwrap")
    return LaunchSpec(policy, **{"jobdir": "/tmp/reglab-job-1", "workdir": "/tmp/reglab-job-1/work", **job})


def test_bwrap_command_line_is_built_from_the_allow_list():
    spec = _spec()
    fds = {"/usr": "4", "/opt/py": "5", "/srv/course/lib": "6"}
    fds.update({f"/{n}": "7" for n in ("bin", "sbin", "lib", "lib32", "lib64", "libx32")})
    argv = launch.bwrap_argv(spec, "bwrap", ["python", "-m", "ipykernel_launcher"], fds,
                              [("8", "/home/student/d.csv")])
    line = " ".join(argv)
    for flag in ("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
                 "--remount-ro /", "--ro-bind-fd 5 /opt/py", "--ro-bind-fd 6 /srv/course/lib",
                 "--tmpfs /opt/py/lib/site-packages/reglab_autograder", "--file 8 /home/student/d.csv"):
        assert flag in line, flag
    assert "--share-net" not in line and "--bind " not in line  # nothing of the host is writable
    assert f"--size {layout.DEFAULT_LIMITS['workdir_mb'] * 2**20} --tmpfs /home/student" in line
    # the private /tmp is mounted before the allow-listed folders (a venv may live under the host's /tmp)
    assert line.index("--tmpfs /tmp") < line.index("--ro-bind-fd 5 /opt/py")


def test_the_launch_spec_crosses_into_the_sandbox_as_json_and_keys_its_fork_server():
    spec = _spec(files=(("/subs/a/d.csv", "d.csv"),), cgroups=("/sys/fs/cgroup/memory/j",), connection_file="/k.json",
                 zygote_socket="/proc/9/root/run/kernel/zygote.sock", zygote_pid=9)
    assert LaunchSpec.from_json(spec.to_json()) == spec
    server = LaunchSpec(spec.policy, jobdir="/tmp/z", workdir="/tmp/z/work", caps=("CAP_SYS_ADMIN",),
                        zygote=ZygoteStart(("numpy",), "/run/kernel/zygote.sock"))
    assert LaunchSpec.from_json(server.to_json()) == server
    # one fork server for every job of one policy, another when what its kernels share differs
    assert server.policy.fork_server_key() == _spec(jobdir="/tmp/other").policy.fork_server_key()
    for change in ({"render_figures": True}, {"uid": layout.UID_BASE + 1}, {"keep": ("/opt/py",)}, {"masks": ()},
                   {"limits": dict(spec.policy.limits, tmp_mb=1)}, {"mode": layout.MODE_ROOT}, {"bwrap": "/opt/bwrap"}):
        assert replace(spec.policy, **change).fork_server_key() != spec.policy.fork_server_key(), change


def test_bind_sources_drop_what_usr_covers_and_keep_masks_inside():
    keep, masks = launch.bind_sources(["/usr", "/usr/lib/python3", str(ROOT / "lib")],
                                       [str(ROOT / "lib" / "reglab"), "/nonexistent"])
    assert keep == [str((ROOT / "lib").resolve())]
    assert masks == [str((ROOT / "lib" / "reglab").resolve())]


# ------------------------------------------------------------------ the kernel's messages


def test_unreadable_kernel_messages_fail_the_cell_and_grading_goes_on(monkeypatch):
    def corrupt(self, cell, resources, index):
        raise ValueError("Invalid Signature: b'...'")

    monkeypatch.setattr(Execute, "preprocess_cell", corrupt)
    restarted = []
    monkeypatch.setattr(SandboxedExecute, "_restart_and_replay", lambda self, i: restarted.append(i))
    monkeypatch.setattr(SandboxedExecute, "_kill_strays", lambda self, i: None)
    ex = SandboxedExecute()
    ex._run = NotebookRun(layout.MODE_USER, [], "", jobdir="/nowhere", workdir="/nowhere", files=[], startup=1.0)
    cell = nbformat.v4.new_code_cell("import os\nwhile True: os.fork()")
    cell, _ = ex.preprocess_cell(cell, {}, 3)
    assert cell.outputs[-1].ename == "KernelDied" and "Invalid Signature" in cell.outputs[-1].evalue
    assert restarted == [3] and ex._run.events[0].kind == "kernel died"
    assert ExecutionRecord.from_json(ex._run.record().to_json()).events == (ex._run.events[0],)
    # the events file's keys, as the worker, the report, the tests and benchmarks/grading.py read them
    assert list(json.loads(ex._run.record().to_json())) == [
        "events", "sandboxed", "sandbox", "limits_applied", "sandbox_note", "seconds", "startup_seconds",
        "slowest_cells", "forked", "fork_server_pid", "fork_server_note", "setup_cell_seconds", "cells_seconds",
        "checker_questions", "checker_seconds", "test_cells_seconds"]
    assert json.loads(ex._run.record().to_json())["events"] == [{"kind": "kernel died", "cell": 3, "detail": ANY}]


# ------------------------------------------------------------------ intake: links, sizes


def test_links_are_reported_never_read_or_copied(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("solutions")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "a.ipynb").write_text("{}")
    (sub / "b.ipynb").symlink_to(secret)
    (sub / "dir").symlink_to(tmp_path)
    (sub / "loop").symlink_to(".")
    os.mkfifo(sub / "fifo")
    files, problems = intake.walk_files(sub)
    assert files == ["a.ipynb"]
    assert {p.kind for p in problems} == {"link", "special file"}
    dst = tmp_path / "dst"
    intake.copy_submission(sub, dst)
    assert sorted(p.name for p in dst.rglob("*")) == ["a.ipynb"]
    assert intake.digest_dir(sub) == intake.digest_dir(dst)


def test_too_many_files_are_not_taken(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_FILES", 3)
    for i in range(5):
        (tmp_path / f"f{i}.txt").write_text("x")
    files, problems = intake.walk_files(tmp_path)
    assert len(files) == 3 and [p.kind for p in problems] == ["too large", "too large"]


def test_deeply_nested_json_is_malformed_not_a_crash(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    problems = []
    assert intake._unreadable(path, problems) and problems[0].kind == "malformed"


# ------------------------------------------------------------------ archives


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            if mode:
                info.external_attr = mode << 16
            z.writestr(info, data)


def test_archives_refuse_unsafe_paths_links_nested_archives_and_sizes(tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w") as z:
        z.writestr("bob_00_overfitting.ipynb", "{}")
    _zip(archive / "00_overfitting.zip", [
        ("alice_00_overfitting.ipynb", "{}", 0),
        ("../escape_00_overfitting.ipynb", "{}", 0),
        ("/abs_00_overfitting.ipynb", "{}", 0),
        ("link_00_overfitting.ipynb", "/etc/passwd", stat.S_IFLNK | 0o777),
        ("inner/bob_upload.zip", nested.getvalue(), 0),
        ("big_00_overfitting.ipynb", b"0" * 3000, 0),
    ])
    (archive / "notes.txt").write_text("hi")
    ex = SafeExtractor(max_bytes=2000)
    out = tmp_path / "extracted"
    ex.extract(str(archive), str(out))
    got = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert got == ["00_overfitting/alice_00_overfitting.ipynb"]
    assert not (tmp_path / "escape_00_overfitting.ipynb").exists()
    text = " ".join(d for _, d in ex.findings)
    for reason in ("unsafe path", "link", "an archive inside the archive", "MB uncompressed", "not a zip archive"):
        assert reason in text, reason


# ------------------------------------------------------------------ spreadsheets


def test_csv_cells_are_quoted_and_formulas_neutralized(tmp_path):
    values = ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", 'a "quoted", id', 3.5, None, "alice"]
    with open(tmp_path / "t.csv", "w", newline="") as fh:
        export.writer(fh).writerow([export.neutralize(v) for v in values])
    with open(tmp_path / "t.csv", newline="") as fh:
        row = next(csv.reader(fh))
    assert row == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", 'a "quoted", id', "3.5", "", "alice"]


# ------------------------------------------------------------------ the kernel is ready when it is


class _Channel:
    """A channel that delivers scripted messages: each get_msg takes the next one, or raises Empty when the script
    says so (None) or is used up."""

    def __init__(self):
        self.script = []

    async def get_msg(self, timeout=None):
        from queue import Empty

        if not self.script or self.script[0] is None:
            self.script[:1] = []
            raise Empty
        return self.script.pop(0)


def _msg(kind, parent, **content):
    return {"msg_type": kind, "parent_header": {"msg_id": parent} if parent else {}, "content": content}


def _scripted_client(on_request, alive=True):
    """A SandboxKernelClient whose channels answer each kernel_info request as ``on_request(n, msg_id)`` says."""
    import asyncio

    from reglab_autograder.preprocessors.execute import SandboxKernelClient

    class Scripted(SandboxKernelClient):
        shell_channel = None
        iopub_channel = None

    kc = Scripted()
    kc.shell_channel, kc.iopub_channel, kc.sent, kc.ready = _Channel(), _Channel(), [], None

    def kernel_info():
        kc.sent.append(f"req{len(kc.sent)}")
        on_request(kc, len(kc.sent) - 1, kc.sent[-1])
        return kc.sent[-1]

    async def is_alive():
        return alive

    kc.kernel_info, kc._async_is_alive = kernel_info, is_alive
    kc._handle_kernel_info_reply = lambda msg: setattr(kc, "ready", msg["parent_header"]["msg_id"])
    return kc, asyncio.run


def test_kernel_client_is_ready_once_iopub_delivered_its_request_status():
    def answer(kc, n, msg_id):
        kc.shell_channel.script.append(_msg("kernel_info_reply", msg_id))
        kc.iopub_channel.script += [_msg("status", msg_id, execution_state="busy"),
                                    _msg("status", msg_id, execution_state="idle")]

    kc, run = _scripted_client(answer)
    run(kc.wait_for_ready(timeout=5))
    assert kc.sent == ["req0"] and kc.ready == "req0"


def test_kernel_client_asks_again_when_iopub_joined_late():
    """IOPub subscribed after the first request's status went out (ipykernel's welcome, then nothing): the client
    asks again at once, and is ready once IOPub delivers the status of one of its requests (a late one counts)."""
    def answer(kc, n, msg_id):
        kc.shell_channel.script.append(_msg("kernel_info_reply", msg_id))
        if n == 0:
            kc.iopub_channel.script += [_msg("iopub_welcome", None)]
        else:
            kc.iopub_channel.script += [_msg("status", "req0", execution_state="busy"),
                                        _msg("status", "req0", execution_state="idle")]

    kc, run = _scripted_client(answer)
    run(kc.wait_for_ready(timeout=5))
    assert kc.sent == ["req0", "req1"] and kc.ready == "req0"

    def silent_iopub(kc, n, msg_id):  # no status at all for the first request: asked again after 50 ms
        kc.shell_channel.script.append(_msg("kernel_info_reply", msg_id))
        kc.iopub_channel.script += [None] if n == 0 else [_msg("status", msg_id, execution_state="idle")]

    kc, run = _scripted_client(silent_iopub)
    run(kc.wait_for_ready(timeout=5))
    assert kc.sent == ["req0", "req1"] and kc.ready == "req0"


def test_kernel_client_reports_a_dead_kernel_and_a_timeout():
    def nothing(kc, n, msg_id):
        kc.shell_channel.script.append(None)

    kc, run = _scripted_client(nothing, alive=False)
    with pytest.raises(RuntimeError, match="died before replying"):
        run(kc.wait_for_ready(timeout=5))
    kc, run = _scripted_client(nothing, alive=True)
    with pytest.raises(RuntimeError, match="didn't respond in 0 seconds"):
        run(kc.wait_for_ready(timeout=0.2))


# A sandbox's shape: outer (bwrap, or the fork server's child) -> init -> kernel -> what the kernel starts. Here the
# "kernel" forks children that share 150 MB copy-on-write, then two that each write 150 MB of their own.
_TREE = """
import os, sys, time
shared = bytearray(150 * 2**20)
for _ in range(3):
    if os.fork() == 0:
        time.sleep(60); os._exit(0)
open(sys.argv[1], "w").write("shared")
time.sleep(1.5)
for _ in range(2):
    if os.fork() == 0:
        mine = bytearray(150 * 2**20); time.sleep(60); os._exit(0)
time.sleep(60)
"""


def test_the_memory_watchdog_counts_shared_pages_once_and_kills_the_kernel_over_the_limit(tmp_path):
    import signal
    import subprocess
    import sys
    import threading
    import time

    ready = tmp_path / "ready"
    script = tmp_path / "tree.py"
    script.write_text(_TREE)
    outer = subprocess.Popen(["sh", "-c", f"sh -c '{sys.executable} {script} {ready}; true'; true"])
    try:
        for _ in range(500):
            if ready.exists():
                break
            time.sleep(0.01)
        chain, others = processes.sandbox_tree(outer.pid)
        assert len(chain) == 3 and len(others) == 3, (chain, others)
        rss = sum(processes._rss(p) for p in chain + others)
        held = processes.tree_memory(chain + others, limit=0)  # over any limit: proportional sizes
        assert rss > 550 * 2**20 and held < 300 * 2**20, (rss >> 20, held >> 20)  # 4 x 150 MB resident, shared
        watch = threading.Thread(target=processes.memory_watchdog, args=(outer.pid, 400, str(tmp_path), 0.05))
        watch.start()
        time.sleep(1.0)
        assert chain[2] in processes.sandbox_tree(outer.pid)[0], "killed while under the limit (shared pages)"
        kernel = chain[2]
        for _ in range(400):  # the two children of 150 MB of their own: about 450 MB together
            if kernel not in processes.sandbox_tree(outer.pid)[0]:
                break
            time.sleep(0.02)
        assert kernel not in processes.sandbox_tree(outer.pid)[0], "the watchdog let the tree go over the limit"
        assert outer.wait(timeout=10) == 0  # the outer process and init live on: only the kernel's processes die
        watch.join(timeout=5)
        assert not watch.is_alive(), "the watchdog outlived the sandbox"
        assert "over the 400 MB limit" in (tmp_path / processes.MEMORY_KILLED).read_text()
    finally:
        for p in sum(processes.sandbox_tree(outer.pid), []):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        outer.kill()
