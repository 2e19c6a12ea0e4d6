"""Three costs one submission could impose on grading, each closed and graded here as the user running the tests
(root in CI: a cgroup holds a kernel's processes) and as an ordinary user (no cgroup: the launcher's watchdog):

* a notebook of 50,000 empty code cells (each a round trip to the kernel: minutes of a worker) is refused at
  intake with a "too large" row and graded as blank, the batch going on;
* a cell that forks six children of 400 MB each cannot hold more than ``--memory-mb`` together;
* a kernel sees no other process's ``/proc`` entries (cmdline, environ, cwd, root) in its sandbox.

An honest notebook graded in the same batch keeps its full marks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from reglab_autograder import intake, jobs, sandbox
from reglab_autograder.options import GradeOptions
from reglab_autograder.pipeline import grade
from reglab_autograder.testing.classroom import answered, cell_by_id, released, write

from test_grading import UNPRIVILEGED_UID, unprivileged_venv  # noqa: F401 - a fixture, used by name

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.xdist_group("doors")  # each mode's class graded once, by one worker
A0 = "00_overfitting"
MEMORY_MB = 1536
MEMSPLIT = ("import os, time\npids = []\nfor _ in range(6):\n    pid = os.fork()\n    if pid == 0:\n"
            "        try:\n            b = bytearray(400 * 2**20); time.sleep(2); os._exit(0)\n"
            "        except BaseException:\n            os._exit(1)\n    pids.append(pid)\n"
            "ok = sum(os.waitpid(p, 0)[1] == 0 for p in pids)\nprint(f'children holding 400 MB: {ok}')")
PEEK = ("import json, os\nme, seen = os.getpid(), {}\nfor p in os.listdir('/proc'):\n"
        "    if not p.isdigit() or int(p) == me:\n        continue\n"
        "    for f in ('cmdline', 'environ'):\n        try:\n"
        "            seen[f'{p}/{f}'] = open(f'/proc/{p}/{f}', 'rb').read()[:60].decode(errors='replace')\n"
        "        except OSError:\n            pass\n"
        "    for f in ('cwd', 'root'):\n        try:\n            seen[f'{p}/{f}'] = os.readlink(f'/proc/{p}/{f}')\n"
        "        except OSError:\n            pass\n"
        "print('PEEK ' + json.dumps(seen))")
CELLS = 50_000


def _build(base: Path) -> None:
    subs = base / "submitted"
    write(subs, "honest", A0, answered(A0))
    nb = released(A0)
    nb.cells += [nbformat.v4.new_code_cell("pass", id=f"pass-{i}") for i in range(CELLS)]
    write(subs, "cells", A0, nb)
    for student, code in (("memsplit", MEMSPLIT), ("peek", PEEK)):
        nb = released(A0)
        cell_by_id(nb, "a_q1").source = code
        write(subs, student, A0, nb)


@pytest.fixture(scope="module", params=["direct", "unprivileged"])
def graded(request, tmp_path_factory):
    """(the job records by student, the graded folder, seconds the batch took) in each mode."""
    if request.param == "direct":
        top = tmp_path_factory.mktemp("doors")
    else:
        if os.geteuid() != 0:
            pytest.fail("the ordinary-user batch runs as a uid of its own: run the tests as root (as CI does)")
        top = Path(tempfile.mkdtemp(prefix="reglab-doors-"))
        top.chmod(0o755)
    base, out = top / "class", top / "graded"
    _build(base)
    out.mkdir()
    t0 = time.monotonic()
    if request.param == "direct":
        grade(GradeOptions(submissions=base, out=out, workers=2, timeout=30, notebook_timeout=120, course_root=ROOT,
                           progress=False, limits=dict(sandbox.DEFAULT_LIMITS, memory_mb=MEMORY_MB)))
    else:
        venv = request.getfixturevalue("unprivileged_venv")
        subprocess.run(["chmod", "-R", "a+rX", str(base)], check=True)
        os.chown(out, UNPRIVILEGED_UID, UNPRIVILEGED_UID)
        env = {"PATH": f"{venv}/bin:/usr/bin:/bin", "HOME": str(out), "LANG": "C.UTF-8",
               "MPLCONFIGDIR": str(out / ".mpl"), "TMPDIR": "/tmp"}
        r = subprocess.run(["setpriv", f"--reuid={UNPRIVILEGED_UID}", f"--regid={UNPRIVILEGED_UID}", "--clear-groups",
                            "--", f"{venv}/bin/reglab", "grade", str(base), "--out", str(out), "--workers", "2",
                            "--timeout", "30", "--notebook-timeout", "120", "--memory-mb", str(MEMORY_MB),
                            "--course-dir", str(ROOT), "--quiet"], env=env, capture_output=True, text=True,
                           timeout=900)
        assert r.returncode in (0, 1), r.stderr[-3000:]  # 1: the report has rows (not a grader error)
    seconds = time.monotonic() - t0
    records = {r.student: r for r in jobs.read_all(out / "jobs")}
    yield records, out, seconds
    if request.param != "direct":
        shutil.rmtree(top, ignore_errors=True)


def _outputs(out: Path, student: str) -> str:
    nb = nbformat.read(out / "autograded" / student / A0 / f"{A0}.ipynb", as_version=4)
    return "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                   for o in cell_by_id(nb, "a_q1").get("outputs", []))


def test_an_honest_notebook_keeps_its_marks(graded):
    records, _, _ = graded
    rec = records["honest"]
    assert rec.graded and rec.auto_score == rec.auto_max > 0, rec
    assert not rec.problems and not [e for e in rec.execution["events"] if e["kind"] != "processes killed"]


def test_a_notebook_of_too_many_cells_is_refused_at_intake_and_graded_blank(graded):
    records, _, seconds = graded
    rec = records["cells"]
    assert rec.graded and rec.auto_score == 0, rec
    (row,) = [p for p in rec.problems if p.kind == "too large"]
    assert row.zero and f"{CELLS + len(released(A0).cells):,} cells" in row.detail
    assert str(intake.MAX_CELLS) in row.detail.replace(",", "")
    assert seconds < 300, f"the batch took {seconds:.0f} s: the notebook of {CELLS} cells was run"


def test_a_kernels_processes_together_stay_under_the_memory_limit(graded):
    records, out, _ = graded
    rec = records["memsplit"]
    assert rec.graded and rec.auto_score == 0
    held = _outputs(out, "memsplit")
    if "children holding 400 MB:" in held:  # the limit stopped some children (each over it dies)
        assert int(held.split("children holding 400 MB:")[1].split()[0]) * 400 < MEMORY_MB, held
    else:  # the limit killed the kernel while its children held their memory
        died = [e for e in rec.execution["events"] if e["kind"] == "memory limit"]
        assert died and "memory limit" in died[0]["detail"], rec.execution["events"]
    notes = " ".join(rec.execution["limits_applied"])
    assert "memory of all the notebook's processes together" in notes, notes


def test_a_kernel_sees_no_other_process_in_proc(graded):
    records, out, _ = graded
    text = _outputs(out, "peek")
    line = next((x for x in text.splitlines() if x.startswith("PEEK ")), None)
    assert line is not None, text
    seen = json.loads(line[len("PEEK "):])
    assert seen == {}, f"the kernel read other processes' /proc entries: {seen}"
