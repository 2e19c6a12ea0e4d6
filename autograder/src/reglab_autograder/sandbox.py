"""Run a grading kernel in a sandbox.

When the grader runs as root, every kernel is started through this module's launcher, which

1. enters a new **network namespace** (no interface but a downed loopback: no network at all; the
   kernel talks to the grader over Unix-domain (IPC) sockets, which do not need one) and a new
   **mount namespace**, in which it hides the course sources, the solutions, the grading output
   (gradebook, other submissions), the submissions folder, ``/root``, ``/home`` and the shared
   temporary folders behind empty tmpfs mounts, and binds back only what the kernel needs: the
   Python installation, the virtual environment, the course library and the job's own working
   directory;
2. sets resource limits: address space (memory), CPU seconds, processes (per sandbox uid, so a fork
   bomb cannot starve other kernels), file size, no core dumps;
3. drops to an unprivileged uid/gid of its own (one per worker slot) with no supplementary groups,
   and execs the kernel in the private working directory with a scrubbed environment.

Without root it still applies the limits it can (memory, CPU, file size) and says so.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18

DEFAULT_LIMITS = {
    "memory_mb": 2048,  # address space of the kernel process
    "cpu_seconds": 600,  # CPU time of one kernel process
    "processes": 64,  # processes + threads of the sandbox uid
    "file_size_mb": 64,  # largest file the kernel may write
    "tmp_size_mb": 1,  # size of the empty read-only tmpfs laid over hidden folders
}
# Sandbox uids (no /etc/passwd entry needed): UID_BASE + block * MAX_WORKERS + worker slot, where the
# block comes from the grading run's process id, so concurrent runs never share (or kill) each other's
# kernels. The largest uid is below 2**31.
UID_BASE = 100_000
MAX_WORKERS = 64
UID_BLOCKS = 4_000_000


def is_root() -> bool:
    return os.geteuid() == 0


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(libc, source, target, fstype, flags, data=None):
    def enc(s):
        return None if s is None else str(s).encode()

    _check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _under(path: str, parent: str) -> bool:
    path, parent = os.path.realpath(path), os.path.realpath(parent)
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def build_namespace(hide, keep, tmp_size_mb):
    """Hide every path in ``hide`` behind an empty tmpfs, then bind every path in ``keep`` back."""
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    keep = sorted({os.path.realpath(k) for k in keep if os.path.exists(k)}, key=len)
    hide = sorted({os.path.realpath(h) for h in hide if os.path.isdir(h)}, key=len)
    stage = f"/run/reglab-stage-{os.getpid()}" if os.path.isdir("/run") else f"/mnt/reglab-stage-{os.getpid()}"
    os.makedirs(stage, mode=0o700, exist_ok=True)
    _mount(libc, "tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=1m")
    staged = []
    for i, k in enumerate(keep):
        if any(_under(k, h) for h in hide):
            s = os.path.join(stage, str(i))
            os.makedirs(s) if os.path.isdir(k) else Path(s).touch()
            _mount(libc, k, s, None, MS_BIND | MS_REC)
            staged.append((s, k))
    for h in hide:
        if any(_under(h, other) and h != other for other in hide):
            continue  # already covered by a hidden parent
        # root-owned and read-only for the kernel: writing anywhere but its workdir fails visibly
        _mount(libc, "tmpfs", h, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0755,size={int(tmp_size_mb)}m")
    for s, k in staged:
        if os.path.isdir(s):
            os.makedirs(k, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(k), exist_ok=True)
            Path(k).touch()
        _mount(libc, s, k, None, MS_BIND | MS_REC)


def set_limits(limits, root):
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_mb"] * mb,) * 2)
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if root:  # per-uid: only meaningful for the sandbox's own uid
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)


def kernel_env(workdir, extra=None):
    """The kernel's environment: nothing of the grader's but what a kernel needs."""
    venv_bin = os.path.dirname(sys.executable)
    env = {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "LANG": "C.UTF-8",
        "MPLCONFIGDIR": os.path.join(workdir, ".config", "matplotlib"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "IPYTHONDIR": os.path.join(workdir, ".ipython"),
        "JUPYTER_RUNTIME_DIR": os.path.join(workdir, ".runtime"),
        "TMPDIR": os.path.join(workdir, ".tmp"),
        "PYTHONNOUSERSITE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    # JPY_PARENT_PID lets ipykernel exit when the grader that started it dies (e.g. kill -9)
    for key in ("NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "JPY_PARENT_PID"):
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra or {})
    return env


def launch(spec_path, argv):
    """Entry point of the launcher process (runs as the grader's user, execs the kernel)."""
    spec = json.loads(Path(spec_path).read_text())
    workdir = spec["workdir"]
    root = is_root() and spec.get("isolate", True)
    # the kernel's own stdout/stderr (not the notebook's outputs) go to a log in its workdir
    log = os.open(os.path.join(workdir, ".kernel.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    if root:
        uid = gid = int(spec["uid"])
        os.fchown(log, uid, gid)
        conn = spec["connection_file"]
        os.chown(conn, uid, gid)
        build_namespace(spec["hide"], spec["keep"] + [workdir], spec["limits"]["tmp_size_mb"])
    set_limits(spec["limits"], root)
    os.dup2(log, 1)
    os.dup2(log, 2)
    if root:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    os.chdir(workdir)
    os.makedirs(os.path.join(workdir, ".tmp"), exist_ok=True)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    os.execve(argv[0], argv, kernel_env(workdir))


def kill_uid_processes(uid, keep_pid=None):
    """SIGKILL every process owned by ``uid`` (fork-bomb leftovers), except ``keep_pid``."""
    killed = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == keep_pid:
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid != uid:  # cheap owner check before reading anything
                continue
            with open(f"/proc/{entry}/status") as fh:
                status = dict(line.split(":", 1) for line in fh if ":" in line)
            if int(status["Uid"].split()[0]) == uid and not status["State"].strip().startswith("Z"):
                os.kill(int(entry), signal.SIGKILL)  # zombies are already dead: their parent reaps them
                killed += 1
        except (OSError, ValueError):
            continue
    return killed


def reap_orphans():
    """Kill sandbox processes whose grader is gone (parent is init): leftovers of a killed run."""
    killed = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                status = dict(line.split(":", 1) for line in fh if ":" in line)
            uid, ppid = int(status["Uid"].split()[0]), int(status["PPid"])
            if uid >= UID_BASE and ppid == 1 and not status["State"].strip().startswith("Z"):
                os.kill(int(entry), signal.SIGKILL)
                killed += 1
        except (OSError, ValueError, KeyError):
            continue
    return killed


if __name__ == "__main__":  # python -m reglab_autograder.sandbox SPEC -- KERNEL ARGV...
    args = sys.argv[1:]
    if len(args) < 3 or args[1] != "--":
        sys.exit("usage: python -m reglab_autograder.sandbox SPEC.json -- KERNEL_ARGV...")
    launch(args[0], args[2:])
