"""The sandbox's layout and limits: the limits' defaults, the sandbox uids, the paths inside the sandbox (the
kernel's home, its sockets and connection file), the sandbox modes, the kernel's log in the job's folder, the kernel's
environment and resource limits.
"""

from __future__ import annotations

import os
import resource
import sys

DEFAULT_LIMITS = {
    # memory of all of a kernel's processes together (as root: cgroup memory; otherwise: memory_watchdog), and
    # the address space of each of them (RLIMIT_AS)
    "memory_mb": 2048,
    "cpu_seconds": 600,  # CPU time of each process (RLIMIT_CPU)
    "processes": 64,  # processes + threads of the job (RLIMIT_NPROC; and cgroup pids.max as root)
    "file_size_mb": 64,  # largest file a process may write (RLIMIT_FSIZE)
    "workdir_mb": 256,  # size of the private working directory (tmpfs)
    "tmp_mb": 64,  # size of the private /tmp (tmpfs)
}


# Sandbox uids as root (no /etc/passwd entry needed): UID_BASE + block * MAX_WORKERS + worker slot, where
# the block comes from the grading run's process id, so concurrent runs never share (or kill) each other's
# kernels. The largest uid is below 2**31.
UID_BASE = 100_000


MAX_WORKERS = 64


UID_BLOCKS = 4_000_000


# paths inside the sandbox
HOME = "/home/student"  # the kernel's working directory


RUN = "/run/kernel"  # the kernel's sockets and its connection file


CONNECTION = f"{RUN}/connection.json"


SOCKET_PREFIX = f"{RUN}/k"  # zmq ipc sockets: k-<port>


# in the job's private folder on the host: the kernel's own stdout and stderr (not the notebook's outputs), and
# its sandbox's launcher's messages
KERNEL_LOG = "kernel.log"


def open_kernel_log(jobdir: str) -> int:
    """The job's kernel log, opened for appending (never through a link)."""
    return os.open(os.path.join(jobdir, KERNEL_LOG), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)


def kernel_log_tail(jobdir: str, chars: int = 1500) -> str:
    """The end of the job's kernel log ("" when there is none): what a failed start says."""
    path = os.path.join(jobdir, KERNEL_LOG)
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as fh:
        return fh.read()[-chars:].strip()


MODE_ROOT = "bwrap as root (own uid, cgroup)"


MODE_USER = "bwrap as an ordinary user"


MODE_NONE = "not sandboxed"


class SandboxUnavailable(ValueError):
    """No sandbox can be set up on this machine (the message says why and how to fix it)."""


def is_root() -> bool:
    return os.geteuid() == 0


# IPython configuration of a grading kernel (its profile, written into the kernel's private IPYTHONDIR):
# `%matplotlib inline` still selects the inline backend, but no figure format is enabled, so figures are
# built and closed after each cell without ever being rasterized (their output is "<Figure size ...>").
GRADING_KERNEL_CONFIG = ("c = get_config()  # noqa: F821\n"
                         "c.InlineBackend.figure_formats = set()\n"
                         "c.InlineBackend.close_figures = True\n")


KERNEL_CONFIG_FILE = "profile_default/ipython_kernel_config.py"  # inside IPYTHONDIR


def kernel_env(extra=None, render_figures: bool = False) -> dict:
    """The kernel's environment (paths as seen inside the sandbox): nothing of the grader's. Unless
    ``render_figures``, no figure is rasterized: REGLAB_RENDER_FIGURES=0 for the course's explorations
    (their computation still runs) and matplotlib's non-interactive Agg backend for a notebook that does
    not select one (the course's `%matplotlib inline` is configured by :data:`GRADING_KERNEL_CONFIG`)."""
    venv_bin = os.path.dirname(sys.executable)
    env = {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": HOME,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "MPLCONFIGDIR": f"{HOME}/.config/matplotlib",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline" if render_figures else "agg",
        "IPYTHONDIR": f"{HOME}/.ipython",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "TMPDIR": "/tmp",
        "PYTHONNOUSERSITE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    # not JPY_PARENT_PID: inside the PID namespace the kernel's parent is pid 1, which ipykernel would take
    # for "my parent died"; --die-with-parent ends the sandbox when the grader dies
    for key in ("NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "REGLAB_STUDENT"):  # (reglab.variants.STUDENT_ENV)
        if key in os.environ:
            env[key] = os.environ[key]
    if not render_figures:
        env["REGLAB_RENDER_FIGURES"] = "0"
    env.update(extra or {})
    return env


def set_limits(limits: dict) -> None:
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_mb"] * mb,) * 2)
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# RLIMIT_NPROC counts the tasks of a (user namespace, uid) pair, and a user namespace's creator's limit at
# creation caps the whole namespace's tasks counted under the creator's uid (Linux >= 5.14). Set before
# bwrap, it would count every process and thread of the grader's user; set inside the sandbox, by this
# prelude that then execs the kernel, it counts the job's own processes only.
NPROC_PRELUDE = ("import os, resource, sys; n = int(sys.argv[1]); "
                 "resource.setrlimit(resource.RLIMIT_NPROC, (n, n)); os.execv(sys.argv[2], sys.argv[2:])")


def with_process_limit(limits: dict, kernel_argv: list[str]) -> list[str]:
    return [kernel_argv[0], "-I", "-S", "-c", NPROC_PRELUDE, str(int(limits["processes"]))] + kernel_argv
