"""nbgrader's ``Execute`` preprocessor, hardened for grading untrusted notebooks.

:class:`SandboxedExecute` is configured into nbgrader's ``Autograde.autograde_preprocessors`` in place
of ``Execute``. On top of nbgrader's behaviour (per-cell timeout with interrupt, errors recorded,
execution continues) it adds:

* every kernel runs through :mod:`reglab_autograder.sandbox` (bubblewrap: namespaces, an allow-listed
  file system, size-capped private folders, limits; refused when no sandbox can be set up unless
  ``isolate`` is False), forked by default from the worker's pre-imported fork server
  (:mod:`reglab_autograder.sandbox.forkserver`: namespaces, private folders, cgroups and limits of its own);
* a whole-notebook time cap: cell timeouts shrink to the time left, and once it is spent the
  remaining cells are not run and carry a ``NotebookTimeCap`` error;
* a cap on the output a notebook may send (an output flood cannot exhaust the grader's memory);
* a dead kernel (``os._exit``, a segfault, a memory or CPU limit) fails the cell that killed it with
  the reason, the kernel is restarted, the cells before it that build state are replayed, and
  grading goes on;
* a kernel whose messages cannot be read (a fork bomb's children writing into its sockets: "Invalid
  Signature") is treated like a dead kernel;
* stray processes of the sandbox are killed after every cell (fork bombs);
* figures are built but never rasterized (``render_figures``), and the client mimics no widget, so it
  never sends on the shell channel while a cell runs (the widget-comm stall of jupyter/nbclient#312);
* every such event is written to ``events_file`` for the report.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Integer, List, Unicode, default

from reglab import checks, variants

from ..execution import Event, ExecutionRecord
from ..rows import Kind
from ..sandbox import cgroups, forkserver, launch, layout, probe, processes
from ..sandbox.spec import LaunchSpec, SandboxPolicy
from ..verdicts import Checker

SIGNAL_NAMES = {
    signal.SIGKILL: "killed (SIGKILL): most likely the memory limit or the kernel was stopped",
    signal.SIGSEGV: "segmentation fault (SIGSEGV)",
    signal.SIGXCPU: "CPU time limit exceeded (SIGXCPU)",
    signal.SIGXFSZ: "file size limit exceeded (SIGXFSZ)",
    signal.SIGABRT: "aborted (SIGABRT)",
    signal.SIGBUS: "bus error (SIGBUS)",
}


def _error(ename, evalue):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


@dataclass
class NotebookRun:
    """One notebook's execution, from :meth:`SandboxedExecute.preprocess` to its events file: the sandbox it runs
    in, the job's private folder, what happened (:attr:`events`) and where the time went."""

    mode: str  # the sandbox's (layout.MODE_*)
    limits_note: list[str]  # the limits that apply (probe.Status.limits_note)
    sandbox_note: str  # why the kernels are not sandboxed ("" when they are)
    jobdir: str  # the job's private folder on the host
    workdir: str  # the kernel's working directory there when not sandboxed
    files: list[tuple[str, str]]  # the submission's own files: (host path, relative path)
    t0: float = field(default_factory=time.monotonic)
    cgroups: list[str] = field(default_factory=list)
    checker: Checker | None = None  # the notebook's trusted checker (when trusted_verdicts)
    events: list[Event] = field(default_factory=list)
    out_bytes: int = 0  # output kept so far
    truncated_cells: set[int] = field(default_factory=set)
    cell_seconds: list[tuple[int, float]] = field(default_factory=list)  # (cell index, seconds) of each code cell
    test_cells: set[int] = field(default_factory=set)  # run in the checker
    startup: float = 0.0  # seconds until the first code cell (the kernel's start-up)
    fork_server_pid: int = 0  # the fork server its kernels were forked from (0: one sandbox per kernel)
    fork_note: str = ""  # why not forked, when the fork server could not start

    def event(self, kind: Kind, cell_index: int, detail: str) -> None:
        self.events.append(Event(kind, cell_index, detail))

    def record(self) -> ExecutionRecord:
        """What the events file says."""
        seconds = self.cell_seconds
        link = self.checker.link if self.checker else None
        return ExecutionRecord(
            events=tuple(self.events),
            sandboxed=self.mode != layout.MODE_NONE,
            sandbox=self.mode,
            limits_applied=tuple(self.limits_note),
            sandbox_note=self.sandbox_note,
            seconds=round(time.monotonic() - self.t0, 2),
            startup_seconds=round(self.startup, 2),
            slowest_cells=tuple(sorted(seconds, key=lambda x: -x[1])[:3]),
            forked=bool(self.fork_server_pid),
            fork_server_pid=self.fork_server_pid or None,
            fork_server_note=self.fork_note,
            setup_cell_seconds=seconds[0][1] if seconds else 0.0,
            cells_seconds=round(sum(t for _, t in seconds), 2),
            checker_questions=link.round_trips if link else 0,
            checker_seconds=round(link.seconds, 3) if link else 0.0,
            test_cells_seconds=round(sum(t for i, t in seconds if i in self.test_cells), 2),
        )


class SandboxKernelClient(AsyncKernelClient):
    """jupyter_client's client, ready as soon as the kernel is.

    jupyter_client's ``wait_for_ready`` ends by reading IOPub until nothing came for 0.2 s, a fixed fifth of a
    second of every notebook. Here the kernel is ready when it has answered a ``kernel_info_request`` on the
    shell channel and IOPub has delivered the ``idle`` status of one of those requests (so IOPub is connected
    and holds nothing of them); nbclient reads only the messages of the cell it runs after that. A request
    whose status IOPub missed (it subscribed late: ``iopub_welcome``, or nothing within 50 ms) is sent again."""

    async def _next(self, channel, until: float):
        """The next message of ``channel`` before the monotonic time ``until``, or None."""
        try:
            return await channel.get_msg(timeout=max(0.0, until - time.monotonic()))
        except Empty:
            return None

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        sent, reply = set(), None
        while True:
            sent.add(self.kernel_info())
            until = min(deadline, time.monotonic() + 1.0)
            while reply is None and (msg := await self._next(self.shell_channel, until)) is not None:
                if msg["parent_header"].get("msg_id") in sent:
                    reply = msg
            until = min(deadline, time.monotonic() + 0.05)
            while reply is not None and (msg := await self._next(self.iopub_channel, until)) is not None:
                if msg["msg_type"] == "iopub_welcome":
                    break
                if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle" and \
                        msg["parent_header"].get("msg_id") in sent:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() >= deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


class SandboxKernelManager(AsyncKernelManager):
    """Starts the kernel through the sandbox launcher; the grader talks to it over Unix (ipc) sockets.

    Sandboxed, the sockets live inside the sandbox (a tmpfs); ``<job>/ipc`` is a symlink to that folder
    as seen through ``/proc/<pid>/root`` of the sandbox, re-pointed at every (re)start of the kernel.
    """

    sandbox_spec: LaunchSpec  # set on a per-job subclass by SandboxedExecute.create_kernel_manager

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        jobdir = self.sandbox_spec.jobdir
        self.transport = "ipc"
        self.connection_file = os.path.join(jobdir, "kernel.json")
        sandboxed = self.sandbox_spec.policy.mode != layout.MODE_NONE
        self.ip = os.path.join(jobdir, "ipc", "k") if sandboxed else os.path.join(jobdir, "k")

    @default("client_factory")
    def _client_factory_default(self):
        return SandboxKernelClient

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        """Wait for the kernel's end in 5 ms steps (jupyter_client's 0.1 s step costs every notebook 0.1 s)."""
        await super()._async_wait(pollinterval=min(pollinterval, 0.005))

    outer_pid = None  # host pid of the sandbox's first process (bwrap, or the forked kernel's first process)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        spec = replace(self.sandbox_spec, connection_file=self.connection_file)
        spec_path = os.path.join(spec.jobdir, "sandbox.json")
        spec.write(spec_path)
        if spec.zygote_socket:  # forked from the worker's pre-imported fork server
            Path(spec.jobdir, forkserver.OUTER_PID).unlink(missing_ok=True)
            return [sys.executable, "-m", "reglab_autograder.sandbox.forkserver", spec_path, "--"] + cmd
        return [sys.executable, "-m", "reglab_autograder.sandbox.launch", spec_path, "--"] + cmd

    def _wait_outer_pid(self, timeout=30.0):
        """Forked kernels: the host pid the launcher reports once the kernel's namespaces exist."""
        path = Path(self.sandbox_spec.jobdir, forkserver.OUTER_PID)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists():
                return int(path.read_text())
            if self.provisioner.process.poll() is not None:
                return None
            time.sleep(0.005)
        return None

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        if self.sandbox_spec.policy.mode == layout.MODE_NONE:
            return
        pid = self.provisioner.process.pid
        if self.sandbox_spec.zygote_socket:
            pid = await asyncio.get_running_loop().run_in_executor(None, self._wait_outer_pid)
        self.outer_pid = pid
        root = None if pid is None else \
            await asyncio.get_running_loop().run_in_executor(None, processes.sandbox_root_of, pid)
        if root is None:
            tail = layout.kernel_log_tail(self.sandbox_spec.jobdir)
            raise RuntimeError(f"the sandbox did not start: {tail or 'no message'}")
        link = os.path.join(self.sandbox_spec.jobdir, "ipc")
        tmp = link + ".new"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(root + layout.RUN, tmp)
        os.replace(tmp, link)


class SandboxedExecute(Execute):
    """nbgrader ``Execute`` with a sandboxed kernel, a whole-notebook cap and crash recovery."""

    notebook_timeout = Integer(600, help="Seconds for the whole notebook; cells after the cap are not run.").tag(
        config=True)
    max_output_bytes = Integer(2_000_000, help="Output bytes kept per notebook; the rest is discarded.").tag(
        config=True)
    limits = Dict(dict(layout.DEFAULT_LIMITS),
                  help="Resource limits of the kernel (keys of layout.DEFAULT_LIMITS).").tag(config=True)
    uid = Integer(layout.UID_BASE, help="Unprivileged uid the sandbox runs as when the grader is root.").tag(
        config=True)
    isolate = Bool(True, help="Run kernels in the bubblewrap sandbox (False: no isolation, limits only).").tag(
        config=True)
    keep_paths = List(Unicode(), help="Host folders the kernel may read besides /usr, the Python installation "
                                      "and the virtual environment (the course library).").tag(config=True)
    mask_paths = List(Unicode(), help="Folders hidden inside the allowed ones (the grader's own package).").tag(
        config=True)
    events_file = Unicode("", help="JSON file the execution events are written to ('' = none).").tag(config=True)
    fork_server = Bool(True, help="Fork kernels from a pre-imported fork server in the sandbox (one per worker "
                                  "process); False: every kernel starts its own sandbox and imports.").tag(config=True)
    trusted_verdicts = Bool(True, help="Run test cells in the grader's checker, asking the kernel only for the "
                                       "student's values (reglab_autograder.verdicts); False: nbgrader's way, test "
                                       "cells in the student's kernel.").tag(config=True)
    render_figures = Bool(False, help="Rasterize figures (PNG outputs). Off for grading: every cell still runs and "
                                      "builds its figures, nobody looks at the pixels.").tag(config=True)

    _run: NotebookRun  # the notebook being run (set by preprocess)

    @default("shutdown_kernel")
    def _shutdown_immediately(self):
        """Killed, not asked to shut down: its sandbox ends with it, nothing of it is kept (a tenth of a second
        per notebook)."""
        return "immediate"

    # ---------------------------------------------------------------- events

    def _event(self, kind: Kind, cell_index: int, detail: str) -> None:
        self._run.event(kind, cell_index, detail)

    def _write_events(self):
        if self.events_file:
            Path(self.events_file).write_text(self._run.record().to_json())

    # ---------------------------------------------------------------- the job's private folder

    def _submission_files(self, resources):
        """(host path, relative path) of the submission's own regular files: never notebooks, dot files or
        links (a link is not followed: intake reported it)."""
        src = (resources or {}).get("metadata", {}).get("path")
        out = []
        if not src or not os.path.isdir(src):
            return out
        for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
            dirnames[:] = [d for d in dirnames
                           if not d.startswith(".") and not os.path.islink(os.path.join(dirpath, d))]
            for name in filenames:
                p = os.path.join(dirpath, name)
                if name.endswith(".ipynb") or name.startswith(".") or os.path.islink(p) or not os.path.isfile(p):
                    continue
                out.append((p, os.path.relpath(p, src)))
        return out

    def _make_jobdir(self, resources, mode: str):
        jobdir = tempfile.mkdtemp(prefix="reglab-job-")  # private (0700), unpredictable, per job
        files = self._submission_files(resources)
        workdir = os.path.join(jobdir, "work")
        if mode == layout.MODE_NONE:
            os.mkdir(workdir, 0o700)
            for host, rel in files:
                os.makedirs(os.path.dirname(os.path.join(workdir, rel)), exist_ok=True)
                shutil.copyfile(host, os.path.join(workdir, rel), follow_symlinks=False)
        return jobdir, workdir, files

    def _sandbox_policy(self, mode: str) -> SandboxPolicy:
        """What every kernel of this configuration shares (and its fork server depends on)."""
        keep, masks = launch.bind_sources(
            list(self.keep_paths) + [sys.base_prefix, sys.prefix], self.mask_paths)
        return SandboxPolicy(mode=mode, uid=self.uid, limits=dict(layout.DEFAULT_LIMITS, **self.limits),
                             keep=tuple(keep), masks=tuple(masks), bwrap=probe.bwrap_path() or "bwrap",
                             render_figures=bool(self.render_figures))

    def start_fork_server(self) -> None:
        """Start the worker's fork server now, before its first notebook (a worker calls this as it starts,
        while the course is being set up); a fork server that cannot start is reported by that notebook."""
        if not (self.fork_server and self.isolate):
            return
        status = probe.probe()
        if status.ok:
            try:
                forkserver.server_for(self._sandbox_policy(status.mode))
            except forkserver.ForkServerUnavailable:
                pass

    def create_kernel_manager(self):
        run = self._run
        spec = LaunchSpec(self._sandbox_policy(run.mode), jobdir=run.jobdir, workdir=run.workdir,
                          files=tuple(run.files), cgroups=tuple(run.cgroups))
        if self.fork_server and run.mode != layout.MODE_NONE:
            try:
                server = forkserver.server_for(spec.policy)
                spec = replace(spec, zygote_socket=server.socket, zygote_pid=server.pid)
                run.fork_server_pid = server.pid
            except forkserver.ForkServerUnavailable as exc:  # grading goes on, one sandbox per kernel
                run.fork_note = str(exc)[:500]
        # nbclient builds the manager from kernel_manager_class (resolving the kernel name from the
        # notebook); a per-job subclass carries this job's sandbox spec
        self.kernel_manager_class = type("JobSandboxKernelManager", (SandboxKernelManager,), {"sandbox_spec": spec})
        return super().create_kernel_manager()

    # ---------------------------------------------------------------- execution

    def preprocess(self, nb, resources=None, km=None):
        t0 = time.monotonic()
        # whose variants: nbgrader's student id, attempt 0. The kernel computes its givens from it (the answer cells'
        # first lines); the checker derives its own from the same id, never from the kernel
        student = str(((resources or {}).get("nbgrader") or {}).get("student") or "")
        os.environ[variants.STUDENT_ENV] = student
        checks.use_student(student)
        mode, limits_note, sandbox_note = self._sandbox_mode()
        jobdir, workdir, files = self._make_jobdir(resources, mode)
        run = self._run = NotebookRun(mode, limits_note, sandbox_note, jobdir, workdir, files, t0=t0)
        if self.trusted_verdicts:
            run.checker = Checker(self, run.event)
        try:
            if mode == layout.MODE_ROOT and cgroups.cgroup_available():
                limits = dict(layout.DEFAULT_LIMITS, **self.limits)
                run.cgroups = cgroups.cgroup_create(os.path.basename(jobdir), limits)
            nb, resources = super().preprocess(nb, resources, km)
        except Exception as exc:
            tail = layout.kernel_log_tail(jobdir)
            if tail:
                raise RuntimeError(f"{exc}\nthe kernel's own log:\n{tail}") from exc
            raise
        finally:
            self._cleanup()
            self._write_events()
        return nb, resources

    def _sandbox_mode(self) -> tuple[str, list[str], str]:
        """(the sandbox's mode, the limits that apply, why not sandboxed): refused when no sandbox can be set up,
        unless ``isolate`` is False."""
        if not self.isolate:
            limits = ["memory per process (RLIMIT_AS)", "CPU seconds per process (RLIMIT_CPU)",
                      "file size (RLIMIT_FSIZE)"]
            why = ("not sandboxed (--no-sandbox): kernels ran as the grader's user, with its file and network access; "
                   "only the per-process memory, CPU-time and file-size limits applied")
            return layout.MODE_NONE, limits, why
        status = probe.probe()
        if not status.ok:
            raise layout.SandboxUnavailable(status.reason)
        return status.mode, list(status.limits_note), ""

    def _cleanup(self):
        cgroups.cgroup_remove(self._run.cgroups)
        shutil.rmtree(self._run.jobdir, ignore_errors=True)

    def _remaining(self):
        return self.notebook_timeout - (time.monotonic() - self._run.t0)

    def _get_timeout(self, cell):
        t = super()._get_timeout(cell)
        left = max(1, int(self._remaining()))
        return left if t is None else min(t, left)

    def _kernel_pid(self):
        """(host pid of the sandbox's first process, the launched process jupyter_client watches)."""
        prov = getattr(self.km, "provisioner", None)
        proc = getattr(prov, "process", None)
        return getattr(self.km, "outer_pid", None) or getattr(proc, "pid", None), proc

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        run = self._run
        if self._remaining() <= 0:
            cell.outputs = [_error("NotebookTimeCap", f"not run: the notebook used up its {self.notebook_timeout} s "
                                   "time limit before reaching this cell")]
            if not any(e.kind == Kind.NOTEBOOK_TIME_CAP for e in run.events):
                self._event(Kind.NOTEBOOK_TIME_CAP, index, f"whole-notebook limit of {self.notebook_timeout} s reached")
            return cell, resources
        started = time.monotonic()
        if not run.cell_seconds and not run.startup:
            run.startup = started - run.t0  # kernel start-up, measured at the first code cell
        try:
            if run.checker is not None and not run.cell_seconds:
                run.checker.hello(index)  # before any of the notebook's code runs
            if run.checker is not None and utils.is_grade(cell) and not utils.is_solution(cell):
                run.test_cells.add(index)
                cell.outputs = run.checker.run(self.nb, cell, index, self._get_timeout(cell))
                cell.execution_count = None
            else:
                cell, resources = super().preprocess_cell(cell, resources, index)
            if any(o.get("ename") == "CellTimeoutError" for o in cell.outputs):
                self._event(Kind.TIMEOUT, index, f"cell interrupted after {time.monotonic() - started:.0f} s")
        except CellTimeoutError as exc:  # no reply or no IOPub output in time: fail the cell, go on
            cell.outputs.append(_error("CellTimeoutError", str(exc).splitlines()[0]))
            self._event(Kind.TIMEOUT, index, str(exc).splitlines()[0])
        except DeadKernelError:
            reason = self._death_reason()
            cell.outputs.append(_error("KernelDied", f"the kernel died while running this cell: {reason}"))
            self._event(Kind.MEMORY_LIMIT if reason.startswith("memory limit") else Kind.KERNEL_DIED, index, reason)
            self._restart_and_replay(index)
        except Exception as exc:  # e.g. jupyter_client's "Invalid Signature": the kernel's messages are corrupt
            reason = f"{type(exc).__name__}: {str(exc)[:200]}"
            cell.outputs.append(_error("KernelDied", f"the kernel's messages could not be read ({reason}); the "
                                                     "kernel was restarted"))
            self._event(Kind.KERNEL_DIED, index, f"unreadable kernel messages ({reason})")
            self._kill_strays(index)
            self._restart_and_replay(index)
        run.cell_seconds.append((index, round(time.monotonic() - started, 2)))
        self._note_denials(cell, index)
        self._kill_strays(index)
        return cell, resources

    def _kill_strays(self, index):
        pid, proc = self._kernel_pid()
        if self._run.mode == layout.MODE_NONE or pid is None or proc.poll() is not None:
            return
        n = processes.kill_strays(pid)
        if n:
            self._event(Kind.PROCESSES_KILLED, index, f"{n} stray process(es) left by the cell were killed")

    def _note_denials(self, cell, index):
        """Turn what the sandbox stopped (seen as errors in the cell) into report events."""
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            ename, evalue = out.get("ename", ""), str(out.get("evalue", ""))
            if ename == "MemoryError":
                self._event(Kind.MEMORY_LIMIT, index,
                            f"MemoryError: the kernel hit its {self.limits.get('memory_mb')} MB limit")
            elif "No space left on device" in evalue or "Errno 28" in evalue or "Disk quota" in evalue:
                self._event(Kind.DISK_LIMIT, index, f"{ename}: {evalue[:200]} (the private folders are size-capped)")
            elif ename == "SystemExit":
                self._event(Kind.EXIT, index, f"the cell called sys.exit({evalue}); the kernel kept running")
            elif any(m in evalue for m in ("Network is unreachable", "Errno 101", "Connection refused", "Errno 111",
                                           "Name or service not known", "Temporary failure in name resolution")):
                self._event(Kind.NETWORK_BLOCKED, index, f"{ename}: {evalue}")
            elif ename in {"PermissionError", "FileNotFoundError", "IsADirectoryError", "NotADirectoryError",
                           "OSError"} \
                    and "/" in evalue and layout.HOME not in evalue and self._run.workdir not in evalue:
                self._event(Kind.FILE_ACCESS_BLOCKED, index, f"{ename}: {evalue[:200]}")

    def _death_reason(self):
        _, proc = self._kernel_pid()
        code = proc.poll() if proc is not None else None
        marker = Path(self._run.jobdir, processes.MEMORY_KILLED)
        if marker.exists():  # the memory watchdog (no cgroup) killed the kernel's processes
            text = marker.read_text(errors="replace").strip()
            marker.unlink()
            return f"memory limit: {text}"
        if code is None:
            return "the kernel stopped responding"
        if code > 128 and self._run.mode != layout.MODE_NONE:  # bwrap exits with 128 + the kernel's signal
            code = -(code - 128)
        if code < 0:
            return SIGNAL_NAMES.get(-code, f"killed by signal {-code}")
        return f"the kernel process exited with status {code} (e.g. os._exit)"

    def _restart_and_replay(self, index):
        """Fresh kernel, then re-run the earlier state-building code cells silently.

        Only cells that are not tests and that ran cleanly the first time (no error, no grader event
        such as a timeout, killed processes or truncated output) are replayed, so a hostile cell is
        never run twice.
        """
        try:
            run_sync(self.km.restart_kernel)(now=True)
            self.wait_for_reply(self.kc.kernel_info())
        except Exception as exc:  # noqa: BLE001 - a kernel that cannot restart leaves the rest of the cells failing
            self._event(Kind.REPLAY_STOPPED, index, f"the kernel could not be restarted ({type(exc).__name__})")
            return
        if self._run.checker is not None:
            self._run.checker.restarted(index)
        eventful = {e.cell for e in self._run.events}
        for i, cell in enumerate(self.nb.cells[:index]):
            if cell.cell_type != "code" or utils.is_grade(cell) or i in eventful or self._remaining() <= 0:
                continue
            if any(o.output_type == "error" for o in cell.get("outputs", [])):
                continue
            try:
                msg_id = self.kc.execute(cell.source, silent=True, store_history=False, allow_stdin=False)
                self.wait_for_reply(msg_id, cell)
            except DeadKernelError:
                run_sync(self.km.restart_kernel)(now=True)
                self.wait_for_reply(self.kc.kernel_info())
                self._event(Kind.REPLAY_STOPPED, index, "the kernel died again while replaying earlier cells")
                return

    # ---------------------------------------------------------------- widgets

    def on_comm_open_jupyter_widget(self, msg):
        """No client-side widget models under grading. nbclient mimics the front end's ``Output`` widget and
        answers it with ``comm_msg`` sent on the shell channel while it awaits the cell's reply on that same
        socket; such a send can swallow the socket's wake-up, and the cell then waits for a reply that has
        already arrived until its timeout (jupyter/nbclient#312). Without the mimic the client never sends on
        the shell channel during a cell: what the kernel displays into an ``Output`` widget is kept as the
        cell's own output, and the widgets' state is still recorded."""
        return None

    # ---------------------------------------------------------------- output cap

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(json.dumps(content.get("data", content.get("text", "")), default=str))
        run = self._run
        if run.out_bytes + size > self.max_output_bytes:
            if cell_index not in run.truncated_cells:
                run.truncated_cells.add(cell_index)
                self._event(Kind.OUTPUT_TRUNCATED, cell_index,
                            f"output beyond {self.max_output_bytes // 1000} kB per notebook was discarded")
                note = f"\n[grader: output truncated after {self.max_output_bytes // 1000} kB]\n"
                outs.append(NotebookNode(output_type="stream", name="stdout", text=note))
            return None
        run.out_bytes += size
        return super().output(outs, msg, display_id, cell_index)
