"""nbgrader's ``Execute`` preprocessor, hardened for grading untrusted notebooks.

:class:`SandboxedExecute` is configured into nbgrader's ``Autograde.autograde_preprocessors`` in place
of ``Execute``. On top of nbgrader's behaviour (per-cell timeout with interrupt, errors recorded,
execution continues) it adds:

* every kernel runs through :mod:`reglab_autograder.sandbox` (its own uid, namespaces and limits);
* a whole-notebook time cap: cell timeouts shrink to the time left, and once it is spent the
  remaining cells are not run and carry a ``NotebookTimeCap`` error;
* a cap on the output a notebook may send (an output flood cannot exhaust the grader's memory);
* a dead kernel (``os._exit``, a segfault, a memory or CPU limit) fails the cell that killed it with
  the reason, the kernel is restarted, the cells before it that build state are replayed, and
  grading goes on;
* stray processes of the sandbox uid are killed after every cell (fork bombs);
* every such event is written to ``events_file`` for the report.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Integer, List, Unicode

from . import sandbox

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


class SandboxKernelManager(AsyncKernelManager):
    """Starts the kernel through the sandbox launcher, talking over IPC sockets in its workdir."""

    sandbox_spec: dict = {}  # set on a per-job subclass by SandboxedExecute.create_kernel_manager

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        workdir = self.sandbox_spec["workdir"]
        self.transport = "ipc"
        self.connection_file = os.path.join(workdir, "kernel.json")
        self.ip = os.path.join(workdir, "kernel-ipc")

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        spec = dict(self.sandbox_spec, connection_file=self.connection_file)
        spec_path = os.path.join(os.path.dirname(self.connection_file), ".sandbox.json")
        Path(spec_path).write_text(json.dumps(spec))
        os.chmod(spec_path, 0o600)
        return [sys.executable, "-m", "reglab_autograder.sandbox", spec_path, "--"] + cmd


class SandboxedExecute(Execute):
    """nbgrader ``Execute`` with a sandboxed kernel, a whole-notebook cap and crash recovery."""

    notebook_timeout = Integer(600, help="Seconds for the whole notebook; cells after the cap are not run.").tag(
        config=True)
    max_output_bytes = Integer(2_000_000, help="Output bytes kept per notebook; the rest is discarded.").tag(
        config=True)
    limits = Dict(dict(sandbox.DEFAULT_LIMITS),
                  help="Resource limits of the kernel (keys of sandbox.DEFAULT_LIMITS).").tag(config=True)
    uid = Integer(sandbox.UID_BASE, help="Unprivileged uid the kernel runs as (when sandboxed).").tag(config=True)
    isolate = Bool(True, help="Use namespaces and a separate uid when running as root.").tag(config=True)
    hide_paths = List(Unicode(), help="Folders the kernel must not see (hidden behind empty tmpfs).").tag(config=True)
    keep_paths = List(Unicode(), help="Paths bound back inside hidden folders (the course library).").tag(config=True)
    sandbox_root = Unicode("/tmp/rgsb", help="Parent of the kernels' private working folders.").tag(config=True)
    events_file = Unicode("", help="JSON file the execution events are written to ('' = none).").tag(config=True)

    # ---------------------------------------------------------------- events

    def _event(self, kind, cell_index, detail):
        self._events.append({"kind": kind, "cell": cell_index, "detail": detail})

    def _write_events(self):
        if self.events_file:
            Path(self.events_file).write_text(json.dumps({
                "events": self._events,
                "sandboxed": self._sandboxed,
                "sandbox_note": self._sandbox_note,
                "seconds": round(time.monotonic() - self._t0, 2),
                "startup_seconds": round(self._startup, 2),
                "slowest_cells": sorted(self._cell_seconds, key=lambda x: -x[1])[:3],
            }, indent=1))

    # ---------------------------------------------------------------- the working directory

    def _make_workdir(self, resources):
        os.makedirs(self.sandbox_root, mode=0o711, exist_ok=True)
        os.chmod(self.sandbox_root, 0o711)
        workdir = tempfile.mkdtemp(prefix="", dir=self.sandbox_root)
        src = (resources or {}).get("metadata", {}).get("path")
        if src and os.path.isdir(src):
            for name in os.listdir(src):  # the submission's own files, never its notebooks
                p = os.path.join(src, name)
                if os.path.isfile(p) and not name.endswith(".ipynb") and not name.startswith("."):
                    shutil.copy(p, os.path.join(workdir, name))
        if self._sandboxed:
            for dirpath, dirnames, filenames in os.walk(workdir):
                for n in [dirpath] + [os.path.join(dirpath, f) for f in filenames]:
                    os.chown(n, self.uid, self.uid)
        os.chmod(workdir, 0o700)
        return workdir

    def create_kernel_manager(self):
        spec = {
            "workdir": self._workdir,
            "uid": self.uid,
            "isolate": self._sandboxed,
            "limits": dict(sandbox.DEFAULT_LIMITS, **self.limits),
            "hide": list(self.hide_paths) + ["/root", "/home", "/tmp", "/var/tmp", "/dev/shm", "/run/lock",
                                             "/var/lock"],
            "keep": list(self.keep_paths) + [os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)],
        }
        # nbclient builds the manager from kernel_manager_class (resolving the kernel name from the
        # notebook); a per-job subclass carries this job's sandbox spec
        self.kernel_manager_class = type("JobSandboxKernelManager", (SandboxKernelManager,), {"sandbox_spec": spec})
        return super().create_kernel_manager()

    # ---------------------------------------------------------------- execution

    def preprocess(self, nb, resources=None, km=None):
        self._t0 = time.monotonic()
        self._events = []
        self._out_bytes = 0
        self._truncated_cells = set()
        self._cell_seconds = []
        self._startup = 0.0
        self._sandboxed = sandbox.is_root() and self.isolate
        self._sandbox_note = "" if self._sandboxed else (
            "not sandboxed: the grader is not running as root, so kernels run as the grader's user with its "
            "file and network access; only the memory, CPU-time and file-size limits apply"
            if self.isolate else "sandbox disabled by configuration")
        self._workdir = self._make_workdir(resources)
        try:
            nb, resources = super().preprocess(nb, resources, km)
        finally:
            self._cleanup()
            self._write_events()
        return nb, resources

    def _cleanup(self):
        if self._sandboxed:
            sandbox.kill_uid_processes(self.uid)
        shutil.rmtree(self._workdir, ignore_errors=True)

    def _remaining(self):
        return self.notebook_timeout - (time.monotonic() - self._t0)

    def _get_timeout(self, cell):
        t = super()._get_timeout(cell)
        left = max(1, int(self._remaining()))
        return left if t is None else min(t, left)

    def _kernel_pid(self):
        prov = getattr(self.km, "provisioner", None)
        proc = getattr(prov, "process", None)
        return getattr(proc, "pid", None), proc

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._remaining() <= 0:
            cell.outputs = [_error("NotebookTimeCap", f"not run: the notebook used up its {self.notebook_timeout} s "
                                   "time limit before reaching this cell")]
            if not any(e["kind"] == "notebook time cap" for e in self._events):
                self._event("notebook time cap", index, f"whole-notebook limit of {self.notebook_timeout} s reached")
            return cell, resources
        started = time.monotonic()
        if not self._cell_seconds and not self._startup:
            self._startup = started - self._t0  # kernel start-up, measured at the first code cell
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
            if any(o.get("ename") == "CellTimeoutError" for o in cell.outputs):
                self._event("timeout", index, f"cell interrupted after {time.monotonic() - started:.0f} s")
        except CellTimeoutError as exc:  # no reply or no IOPub output in time: fail the cell, go on
            cell.outputs.append(_error("CellTimeoutError", str(exc).splitlines()[0]))
            self._event("timeout", index, str(exc).splitlines()[0])
        except DeadKernelError:
            reason = self._death_reason()
            cell.outputs.append(_error("KernelDied", f"the kernel died while running this cell: {reason}"))
            self._event("kernel died", index, reason)
            self._restart_and_replay(index)
        self._cell_seconds.append((index, round(time.monotonic() - started, 2)))
        self._note_denials(cell, index)
        if self._sandboxed and self.km is not None:
            pid, _ = self._kernel_pid()
            n = sandbox.kill_uid_processes(self.uid, keep_pid=pid)
            if n:
                self._event("processes killed", index, f"{n} stray process(es) left by the cell were killed")
        return cell, resources

    def _note_denials(self, cell, index):
        """Turn what the sandbox stopped (seen as errors in the cell) into report events."""
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            ename, evalue = out.get("ename", ""), str(out.get("evalue", ""))
            if ename == "MemoryError":
                self._event("memory limit", index,
                            f"MemoryError: the kernel hit its {self.limits.get('memory_mb')} MB limit")
            elif ename == "SystemExit":
                self._event("exit", index, f"the cell called sys.exit({evalue}); the kernel kept running")
            elif "Network is unreachable" in evalue or "Errno 101" in evalue:
                self._event("network blocked", index, f"{ename}: {evalue}")
            elif ename in {"PermissionError", "FileNotFoundError", "IsADirectoryError", "NotADirectoryError",
                           "OSError"} \
                    and "/" in evalue and self._workdir not in evalue:
                self._event("file access blocked", index, f"{ename}: {evalue[:200]}")

    def _death_reason(self):
        _, proc = self._kernel_pid()
        code = proc.poll() if proc is not None else None
        if code is None:
            return "the kernel stopped responding"
        if code < 0:
            return SIGNAL_NAMES.get(-code, f"killed by signal {-code}")
        return f"the kernel process exited with status {code} (e.g. os._exit)"

    def _restart_and_replay(self, index):
        """Fresh kernel, then re-run the earlier state-building code cells silently.

        Only cells that are not tests and that ran cleanly the first time (no error, no grader event
        such as a timeout, killed processes or truncated output) are replayed, so a hostile cell is
        never run twice.
        """
        run_sync(self.km.restart_kernel)(now=True)
        self.wait_for_reply(self.kc.kernel_info())
        eventful = {e["cell"] for e in self._events}
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
                self._event("replay stopped", index, "the kernel died again while replaying earlier cells")
                return

    # ---------------------------------------------------------------- output cap

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(json.dumps(content.get("data", content.get("text", "")), default=str))
        if self._out_bytes + size > self.max_output_bytes:
            if cell_index not in self._truncated_cells:
                self._truncated_cells.add(cell_index)
                self._event("output truncated", cell_index,
                            f"output beyond {self.max_output_bytes // 1000} kB per notebook was discarded")
                note = f"\n[grader: output truncated after {self.max_output_bytes // 1000} kB]\n"
                outs.append(NotebookNode(output_type="stream", name="stdout", text=note))
            return None
        self._out_bytes += size
        return super().output(outs, msg, display_id, cell_index)
