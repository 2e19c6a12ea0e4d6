"""Pre-imported kernels: one fork server (:mod:`.zygote`) per worker process, inside a bubblewrap sandbox.

Starting a kernel and importing numpy, matplotlib, ipykernel and the course library cost about 1.5 s of
every notebook. The worker starts, once, a sandbox (the same ``bwrap`` allow-list, uid, limits and
namespaces as a kernel's, see :mod:`.launch`) whose process, the zygote, imports those modules and then
only forks: each notebook's kernel is a new process forked from it, in namespaces of its own (mount, PID,
IPC, UTS) with fresh private folders, no capability, its own cgroups and limits; no student code ever
runs in the zygote. What a notebook leaves behind — globals, modified modules, threads, environment
variables, files, processes — dies with its kernel and is never seen by the next one
(autograder/tests/test_grading_isolation.py).

The kernel manager starts, in place of the kernel, this module's small launcher (``python -m
reglab_autograder.sandbox.forkserver SPEC -- KERNEL_ARGV``): it hands the notebook's files to the zygote, puts
the new kernel into the notebook's cgroups, then stands for the kernel: it forwards signals (interrupt,
terminate), exits with the kernel's status (128 + signal, as ``bwrap`` does), and when it is killed the
kernel's PID namespace ends with it. Where the notebook has no cgroup (an ordinary user), it also runs
:func:`.processes.memory_watchdog` over the kernel's processes.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import cgroups, layout, processes
from .spec import LaunchSpec, SandboxPolicy, ZygoteStart
from .zygote import recv, send

SOCKET = f"{layout.RUN}/zygote.sock"  # inside the zygote's sandbox
OUTER_PID = "outer.pid"  # in the job folder: host pid of the kernel's first process (the sandbox's "outer")
# what every course notebook's setup cell imports, and ipykernel's own modules (its debugger: every kernel imports it)
PRELOAD = ("numpy", "matplotlib", "matplotlib.pyplot", "matplotlib_inline.backend_inline", "IPython",
           "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "ipywidgets", "reglab", "reglab.checks",
           "reglab.data", "reglab.plotting", "reglab.widgets", "reglab.overfitting", "reglab.l1", "reglab.l2",
           "reglab.mlp", "reglab.dropout", "reglab.early_stopping", "reglab.ensembles", "reglab.capstone")


class ForkServerUnavailable(RuntimeError):
    """The zygote could not be started (the message says why); kernels are then started one sandbox each."""


class ForkServer:
    """One zygote: its sandbox's launcher process, the zygote's host pid and its socket as seen from the host."""

    def __init__(self, policy: SandboxPolicy, preload=PRELOAD, timeout: float = 60.0):
        self.key = policy.fork_server_key()
        self.dir = tempfile.mkdtemp(prefix="reglab-zygote-")  # private (0700): its spec and log
        spec = LaunchSpec(policy, jobdir=self.dir, workdir=os.path.join(self.dir, "work"),
                          zygote=ZygoteStart(tuple(preload), SOCKET), caps=("CAP_SYS_ADMIN",))
        spec_path = os.path.join(self.dir, "zygote.json")
        spec.write(spec_path)
        t0 = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "reglab_autograder.sandbox.launch", spec_path, "--",
                                      "zygote"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.pid = None
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                break
            chain, _ = processes.sandbox_tree(self.proc.pid)
            if len(chain) == 3 and os.path.exists(f"/proc/{chain[2]}/root{SOCKET}"):
                self.pid = chain[2]
                break
            time.sleep(0.02)
        if self.pid is None:
            tail = self.log_tail()
            self.stop()
            raise ForkServerUnavailable(f"the kernels' fork server did not start: {tail or 'no message'}")
        self.socket = f"/proc/{self.pid}/root{SOCKET}"
        self.start_seconds = time.monotonic() - t0

    def log_tail(self) -> str:
        return layout.kernel_log_tail(self.dir)

    def alive(self) -> bool:
        return self.proc.poll() is None and os.path.exists(self.socket)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()  # bwrap --die-with-parent: the sandbox ends with its launcher
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


_SERVERS: dict[str, ForkServer] = {}  # this process's fork servers, by what they depend on
_LOCK = threading.Lock()  # jobs may run in threads of one process


def server_for(policy: SandboxPolicy) -> ForkServer:
    """This process's fork server for kernels of ``policy`` (started, or restarted, when needed)."""
    key = policy.fork_server_key()
    with _LOCK:
        current = _SERVERS.get(key)
        if current is not None and not current.alive():
            current.stop()
            current = None
        if current is None:
            _stop_at_exit()
            current = _SERVERS[key] = ForkServer(policy)
        return current


@atexit.register
def stop_servers() -> None:
    with _LOCK:
        while _SERVERS:
            _SERVERS.popitem()[1].stop()


_EXIT_HOOKED: set[int] = set()  # the processes that asked multiprocessing to stop their servers as they exit


def _stop_at_exit() -> None:
    """A process of a multiprocessing pool (fork or fork server) ends with ``os._exit``, which runs no atexit hook:
    multiprocessing's own exit finalizers stop its fork servers (and remove their folders) instead."""
    if os.getpid() not in _EXIT_HOOKED:
        _EXIT_HOOKED.add(os.getpid())
        multiprocessing.util.Finalize(None, stop_servers, exitpriority=10)


def _host_pid(zygote_pid: int, ns_pid: int, timeout: float = 10.0) -> int:
    """The host pid of the zygote's child whose pid in the zygote's namespace is ``ns_pid``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = processes.children_of(zygote_pid)
        if kids is None:
            kids = [p for p, (ppid, _) in processes._proc_table().items() if ppid == zygote_pid]
        for pid in kids:
            try:
                with open(f"/proc/{pid}/status") as fh:
                    nspid = next(line.split()[1:] for line in fh if line.startswith("NSpid:"))
            except (OSError, StopIteration):
                continue
            if nspid and int(nspid[-1]) == ns_pid:
                return pid
        time.sleep(0.005)
    raise RuntimeError(f"the forked kernel (pid {ns_pid} in its sandbox) was not found")


def kernel_request(spec: LaunchSpec, argv: list[str]) -> tuple[dict, list[str]]:
    """What the zygote needs to start this notebook's kernel: (message, host files sent as descriptors)."""
    conn = json.loads(Path(spec.connection_file).read_text())
    conn["ip"] = layout.SOCKET_PREFIX
    i = argv.index("ipykernel_launcher") + 1 if "ipykernel_launcher" in argv else 1
    kargs = [layout.CONNECTION if a == spec.connection_file else a for a in argv[i:]]
    policy = spec.policy
    files = [[f"{layout.HOME}/{rel}", None] for _, rel in spec.files]
    if not policy.render_figures:
        files.append([f"{layout.HOME}/.ipython/{layout.KERNEL_CONFIG_FILE}", layout.GRADING_KERNEL_CONFIG])
    msg = {"home": layout.HOME, "run": layout.RUN, "limits": policy.limits, "keep": list(policy.keep),
           "masks": list(policy.masks), "connection": conn, "files": files,
           "env": layout.kernel_env(render_figures=policy.render_figures), "argv": kargs}
    return msg, [host for host, _ in spec.files]


def stand_in(spec_path: str, argv: list[str]) -> int:
    """The launcher: ask the zygote for a kernel, then stand for it until it ends; returns the exit status."""
    spec = LaunchSpec.read(spec_path)
    jobdir = os.path.dirname(spec_path)
    log = layout.open_kernel_log(jobdir)
    os.dup2(log, 1)  # as the sandbox's launcher: this launcher's and the kernel's messages go to the job's log
    os.dup2(log, 2)
    msg, hosts = kernel_request(spec, argv)
    fds = [log] + [os.open(h, os.O_RDONLY | os.O_NOFOLLOW) for h in hosts]  # never through a link
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(spec.zygote_socket)
    send(s, msg, fds)
    for fd in fds:
        os.close(fd)
    reply, _ = recv(s)
    if not reply or "pid" not in reply:
        sys.stderr.write(f"the fork server could not start the kernel: {(reply or {}).get('error', 'no answer')}\n")
        return 1
    host = _host_pid(int(spec.zygote_pid), int(reply["pid"]))
    cgroups.cgroup_join(list(spec.cgroups), host, spec.policy.limits)  # before any of the notebook's code runs
    tmp = os.path.join(jobdir, OUTER_PID + ".new")
    Path(tmp).write_text(str(host))
    os.replace(tmp, os.path.join(jobdir, OUTER_PID))
    send(s, {"go": True})
    if not spec.cgroups:  # no cgroup holds the kernel's processes together: this launcher's watchdog does
        threading.Thread(target=processes.memory_watchdog, args=(host, spec.policy.limits["memory_mb"], jobdir),
                         daemon=True).start()

    def forward(signum, _frame):
        try:
            send(s, {"signal": signum})
        except OSError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, forward)
    while True:
        msg, _ = recv(s)
        if msg is None:
            sys.stderr.write("the kernel's sandbox ended without reporting its exit status\n")
            return 1
        if "error" in msg:
            sys.stderr.write(f"the fork server could not start the kernel: {msg['error']}\n")
            return 1
        if "exit" in msg:
            code = os.waitstatus_to_exitcode(int(msg["exit"]))
            return 128 - code if code < 0 else code


if __name__ == "__main__":  # python -m reglab_autograder.sandbox.forkserver SPEC -- KERNEL ARGV...
    args = sys.argv[1:]
    if len(args) < 3 or args[1] != "--":
        sys.exit("usage: python -m reglab_autograder.sandbox.forkserver SPEC.json -- KERNEL_ARGV...")
    sys.exit(stand_in(args[0], args[2:]))
