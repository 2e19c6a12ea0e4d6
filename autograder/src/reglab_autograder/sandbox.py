"""Run a grading kernel in a sandbox: bubblewrap (``bwrap``), as root or as an ordinary user.

Every kernel is started through this module's launcher (``python -m reglab_autograder.sandbox SPEC --
KERNEL_ARGV``), which runs outside the sandbox, in the grader's environment, and then execs ``bwrap``.
The same ``bwrap`` command line is used whoever runs the grader:

* new user, network, IPC, PID, UTS and cgroup namespaces (``--unshare-all --unshare-user``): no network
  at all (the kernel talks to the grader over Unix sockets), System V IPC objects and every process of
  the job die with it, and the kernel cannot create further user namespaces (``--disable-userns``);
* a mount namespace built from an **allow-list**: ``/usr`` read-only, the Python installation and the
  virtual environment read-only (with the grader's own package masked), the course library read-only,
  a few ``/etc`` files, fresh ``/proc`` and ``/dev``; nothing else of the host exists inside (no
  solutions, gradebook, other submissions, home folders, host ``/tmp``). Directories are passed to
  ``bwrap`` as open file descriptors (``--ro-bind-fd``), so the unprivileged sandbox user needs no
  access to their paths;
* a private working directory and ``/tmp``, each a size-capped tmpfs that disappears with the job;
  the submission's own files are copied in (``--file``), never its notebooks, never a link;
* ``PR_SET_NO_NEW_PRIVS`` and no capabilities (bwrap does both for an unprivileged caller), every
  mount ``nosuid``: a setuid program inside gains nothing;
* resource limits (setrlimit, inherited by every process of the job): memory per process, CPU seconds,
  processes, file size, no core dumps.

As **root**, before it execs ``bwrap``, the launcher also puts the job into cgroup (v1) ``memory`` and
``pids`` groups created by the grader (``memory_mb`` across all of a notebook's processes), binds the
allow-listed folders under a staging tmpfs of a private mount namespace (so that the sandbox uid can
reach a Python installed under ``/root``), and drops to a uid of its own (one per worker slot of the
run, no supplementary groups): ``bwrap`` then runs unprivileged, exactly as for an ordinary user.
As an ordinary user there is no cgroup the grader may write to: :func:`memory_watchdog`, run by the kernel's
launcher outside the sandbox, holds the kernel's processes together under ``memory_mb`` (checked every
:data:`WATCH_SECONDS`), and the processes' count is capped. :func:`probe` says which limits apply, and each job
record carries it.

By default a worker does not start one such sandbox per kernel: it starts one per worker process, whose
process (a fork server, :mod:`.forkserver` and :mod:`.zygote`) has imported the course's modules and forks
each notebook's kernel into namespaces, private folders, cgroups and limits of its own, with no capability
left; the launcher above then runs that fork server instead of a kernel.

The grader reaches the kernel's sockets, which live in a tmpfs inside the sandbox, through
``/proc/<pid>/root`` of the sandbox's first process (a symlink in the job's private folder points
there): the kernel has no writable path on the host at all.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

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
CGROUP_V1 = Path("/sys/fs/cgroup")
CGROUP_PARENT = "reglab"

MODE_ROOT = "bwrap as root (own uid, cgroup)"
MODE_USER = "bwrap as an ordinary user"
MODE_NONE = "not sandboxed"


class SandboxUnavailable(ValueError):
    """No sandbox can be set up on this machine (the message says why and how to fix it)."""


def is_root() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True)
class Status:
    """What :func:`probe` found: can kernels be sandboxed here, how, and which limits apply."""

    ok: bool
    mode: str
    reason: str = ""  # why not, and how to fix it, when not ok
    cgroup: bool = False  # a memory cap across a notebook's processes
    limits_note: list = field(default_factory=list)


def bwrap_path() -> str | None:
    return shutil.which("bwrap") or next((p for p in ("/usr/bin/bwrap", "/bin/bwrap") if os.access(p, os.X_OK)),
                                         None)


def cgroup_available() -> bool:
    """cgroup v1 memory and pids controllers writable by this process (root on this kind of machine)."""
    return all(os.access(CGROUP_V1 / c, os.W_OK) and (CGROUP_V1 / c / "cgroup.procs").exists()
               for c in ("memory", "pids"))


def _drop_to(uid: int):
    def drop():
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    return drop


@functools.cache
def probe() -> Status:
    """Try a minimal ``bwrap`` sandbox the way grading would use it; cached per process."""
    exe = bwrap_path()
    how = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install "
           "bubblewrap`)")
    if exe is None:
        return Status(False, MODE_NONE, f"bubblewrap (bwrap) is not installed: {how}; or pass --no-sandbox to grade "
                                        "WITHOUT isolation (student code could then read the solutions and rewrite "
                                        "the gradebook)")
    root = is_root()
    cmd = [exe, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
           "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
           "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--size", "1048576",
           "--tmpfs", "/tmp", "--", "/usr/bin/true"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=20,
                           preexec_fn=_drop_to(UID_BASE - 1) if root else None)
    except (OSError, subprocess.SubprocessError) as exc:
        r = subprocess.CompletedProcess(cmd, -1, "", str(exc))
    if r.returncode != 0:
        return Status(False, MODE_NONE,
                      f"bubblewrap cannot create a sandbox here ({(r.stderr or '').strip()[:300]}): enable "
                      "unprivileged user namespaces (`sysctl -w kernel.unprivileged_userns_clone=1` on Debian, "
                      "`sysctl -w user.max_user_namespaces=15000`; in a container, allow them in its security "
                      "profile), or pass --no-sandbox to grade WITHOUT isolation (student code could then read the "
                      "solutions and rewrite the gradebook)")
    cg = root and cgroup_available()
    notes = ["memory per process (RLIMIT_AS)", "CPU seconds per process (RLIMIT_CPU)",
             "processes of the job (RLIMIT_NPROC in its user namespace)", "file size (RLIMIT_FSIZE)",
             "working directory and /tmp: size-capped tmpfs"]
    if cg:
        notes += ["memory of all the notebook's processes together (cgroup memory)", "processes (cgroup pids)"]
    else:
        notes.append("no memory cap across a notebook's processes at each allocation (" + (
            "the cgroup v1 memory controller is not writable here" if root else
            "an ordinary user has no cgroup to write to") + "): a watchdog checks the memory of all the notebook's "
            f"processes together every {WATCH_SECONDS:g} s and kills the kernel over the limit")
    return Status(True, MODE_ROOT if root else MODE_USER, cgroup=cg, limits_note=notes)


# ---------------------------------------------------------------------------- cgroups (root)


def _cgroup_settings(ctrl: str, limits: dict) -> dict:
    if ctrl == "memory":
        return {"memory.limit_in_bytes": limits["memory_mb"] * 1024 * 1024, "memory.swappiness": 0}
    return {"pids.max": limits["processes"]}


def _cgroup_make(d: Path, limits: dict) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for key, value in _cgroup_settings(d.parent.parent.name, limits).items():
        try:
            (d / key).write_text(str(value))
        except OSError:
            if key != "memory.swappiness":
                raise


def cgroup_create(name: str, limits: dict) -> list[str]:
    """Create this job's memory and pids cgroups (v1) with their limits; returns their folders."""
    made = []
    for ctrl in ("memory", "pids"):
        d = CGROUP_V1 / ctrl / CGROUP_PARENT / name
        _cgroup_make(d, limits)
        made.append(str(d))
    return made


def cgroup_join(folders, pid: int, limits: dict) -> None:
    """Put ``pid`` into the job's cgroups. A cgroup still empty can be removed meanwhile by another grading run's
    :func:`reap_orphans`: it is then made again, with the same limits."""
    for d in map(Path, folders):
        for attempt in range(5):
            try:
                (d / "cgroup.procs").write_text(str(pid))
                break
            except FileNotFoundError:
                if attempt == 4:
                    raise
                _cgroup_make(d, limits)


def cgroup_remove(folders) -> None:
    """Kill what is left in the job's cgroups, then remove them."""
    for d in folders:
        procs = Path(d) / "cgroup.procs"
        for _ in range(50):
            try:
                pids = [int(p) for p in procs.read_text().split()]
            except OSError:
                break
            if not pids:
                break
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)
        try:
            os.rmdir(d)
        except OSError:
            pass


# ---------------------------------------------------------------------------- processes


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, start time) of every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                rest = fh.read().rsplit(")", 1)[1].split()
            table[int(entry)] = (int(rest[1]), int(rest[19]))
        except (OSError, IndexError, ValueError):
            continue
    return table


def _start_time(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def children_of(pid: int) -> list[int] | None:
    """The children of ``pid`` from ``/proc/<pid>/task/*/children`` (None where the kernel has no such file)."""
    out = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += [int(x) for x in fh.read().split()]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue  # the thread ended
            return None
        except OSError:
            continue
    return out


def _subtree(outer_pid: int) -> dict[int, list[int]] | None:
    """pid -> children, for ``outer_pid`` and its descendants only (a walk over their own /proc entries, not
    over every process of the machine: this runs after every cell)."""
    children, todo = {}, [outer_pid]
    while todo:
        p = todo.pop()
        kids = children_of(p)
        if kids is None:
            return None
        children[p] = kids
        todo += [k for k in kids if k not in children]
    return children


def sandbox_tree(outer_pid: int) -> tuple[list[int], list[int]]:
    """(the kernel's chain: bwrap, the sandbox's init, the kernel; every other process of the sandbox)."""
    sub = _subtree(outer_pid)
    if sub is not None:
        children = sub
        table = {p: (0, _start_time(p)) for kids in sub.values() for p in kids}
    else:
        table = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in table.items():
            children.setdefault(ppid, []).append(pid)
    chain = [outer_pid]
    init = sorted(children.get(outer_pid, []), key=lambda p: table[p][1])
    if init:
        chain.append(init[0])
        kernel = sorted(children.get(init[0], []), key=lambda p: table[p][1])
        if kernel:
            chain.append(kernel[0])
    everyone, todo = set(), [outer_pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            if c not in everyone:
                everyone.add(c)
                todo.append(c)
    return chain, sorted(everyone - set(chain))


WATCH_SECONDS = 0.1  # how often memory_watchdog measures a kernel's processes
MEMORY_KILLED = "memory-limit.txt"  # in the job folder: written when memory_watchdog killed the kernel
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _pss(pid: int) -> int:
    """Proportional set size: a page shared by n processes counts 1/n (the fork server's imports, shared with
    every kernel, are not counted once per process). The resident size where it cannot be read."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("Pss:")) * 1024
    except (OSError, StopIteration, IndexError, ValueError):
        return _rss(pid)


def tree_memory(pids, limit: int) -> int:
    """Bytes of memory the processes ``pids`` hold together: their resident sizes summed (cheap), and only when
    that sum is over ``limit``, their proportional set sizes (which never count a shared page twice)."""
    rss = sum(_rss(p) for p in pids)
    return rss if rss <= limit else sum(_pss(p) for p in pids)


def memory_watchdog(outer_pid: int, limit_mb: int, jobdir: str, period: float = WATCH_SECONDS) -> None:
    """Hold a kernel's processes together under ``limit_mb`` where no cgroup can: every ``period`` seconds,
    sum the memory of the sandbox's processes (from ``outer_pid`` down); over the limit, SIGKILL the kernel
    and every process it started (the kernel's death then fails the cell: "killed (SIGKILL): most likely the
    memory limit"), and write :data:`MEMORY_KILLED` in ``jobdir``. Returns when ``outer_pid`` has ended."""
    limit = int(limit_mb) * 1024 * 1024
    born = _start_time(outer_pid)
    while born and _start_time(outer_pid) == born:
        sub = _subtree(outer_pid)  # the cheap walk; the kernel's chain only when over the limit
        held = tree_memory(list(sub) if sub is not None else sum(sandbox_tree(outer_pid), []), limit)
        chain, others = sandbox_tree(outer_pid) if held > limit else ([], [])
        if len(chain) == 3:
            victims = chain[2:] + others
            for p in victims:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            try:
                Path(jobdir, MEMORY_KILLED).write_text(
                    f"the kernel's {len(victims)} process(es) held {held / 2**20:.0f} MB together, over the "
                    f"{limit_mb} MB limit (--memory-mb): killed\n")
            except OSError:
                pass
        time.sleep(period)


def kill_strays(outer_pid: int) -> int:
    """SIGKILL every process of the sandbox but the kernel itself (fork-bomb leftovers, daemons)."""
    _, strays = sandbox_tree(outer_pid)
    for p in strays:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    return len(strays)


def sandbox_root_of(outer_pid: int, timeout: float = 10.0) -> str | None:
    """``/proc/<pid>/root`` of the sandbox's first process, once bwrap has entered the new namespaces."""
    deadline = time.monotonic() + timeout
    mine = os.readlink("/proc/self/ns/mnt")
    while time.monotonic() < deadline:
        chain, _ = sandbox_tree(outer_pid)
        if len(chain) > 1:
            try:
                if os.readlink(f"/proc/{chain[1]}/ns/mnt") != mine:
                    return f"/proc/{chain[1]}/root"
            except OSError:
                pass
        try:
            os.kill(outer_pid, 0)
        except OSError:
            return None
        time.sleep(0.01)
    return None


def reap_orphans() -> int:
    """Kill sandbox processes (root mode's uids) whose grader is gone: leftovers of a killed run."""
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
    for ctrl in ("memory", "pids"):  # cgroups of a killed run's jobs (empty once their processes are gone)
        parent = CGROUP_V1 / ctrl / CGROUP_PARENT
        for d in parent.iterdir() if parent.is_dir() else []:
            try:
                if d.is_dir() and not (d / "cgroup.procs").read_text().split():
                    d.rmdir()
            except OSError:
                continue
    return killed


# ---------------------------------------------------------------------------- the kernel's environment


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
    for key in ("NBGRADER_EXECUTION", "NBGRADER_VALIDATING"):
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


def bind_sources(keep, masks) -> tuple[list[str], list[str]]:
    """Allow-listed folders (real paths, nested ones after their parents) and the masks inside them."""
    keep = {os.path.realpath(k) for k in keep if os.path.exists(k)}
    keep = sorted((k for k in keep if not _under(k, "/usr")), key=lambda p: (p.count("/"), p))  # /usr: always bound
    masks = sorted({os.path.realpath(m) for m in masks
                    if os.path.isdir(m) and any(_under(os.path.realpath(m), k) for k in keep + ["/usr"])})
    return keep, masks


CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_RDONLY, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 1, 4096, 16384, 1 << 18


def _mount(source, target, fstype, flags, data=None):
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]

    def enc(x):
        return None if x is None else str(x).encode()

    if libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def stage_for_uid(hosts: list[str]) -> dict[str, str]:
    """Root only: the allow-listed folders bound under a staging tmpfs in a private mount namespace of the
    launcher, so that the sandbox's uid (which bwrap runs as) can reach them even when they lie under a
    folder it may not enter (e.g. a Python installation under /root). Returns host path -> staged path."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    stage = "/mnt" if os.path.isdir("/mnt") else "/run/reglab-stage"
    os.makedirs(stage, exist_ok=True)
    _mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
    staged = {}
    for i, h in enumerate(hosts):
        dst = os.path.join(stage, str(i))
        os.mkdir(dst)
        _mount(h, dst, None, MS_BIND | MS_REC)
        staged[h] = dst
    return staged


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _inheritable(fd: int) -> str:
    os.set_inheritable(fd, True)
    return str(fd)


def bwrap_argv(spec: dict, bwrap: str, kernel_argv: list[str], path_fds: dict, file_fds: list) -> list[str]:
    """The bwrap command line (pure: file descriptors already open). ``path_fds``: host folder -> fd;
    ``file_fds``: (fd, path inside the sandbox) of files copied into the sandbox."""
    limits = spec["limits"]
    mb = 1024 * 1024
    a = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
         "--hostname", "grading", "--cap-drop", "ALL"]
    for cap in spec.get("caps", []):  # the fork server's (inside its user namespace only); never a kernel's
        a += ["--cap-add", cap]
    if os.path.isdir("/usr"):
        a += ["--ro-bind-fd", path_fds["/usr"], "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = f"/{name}"
        if os.path.islink(p):
            a += ["--symlink", os.readlink(p), p]
        elif os.path.isdir(p):
            a += ["--ro-bind-fd", path_fds[p], p]
    # the private /tmp first: allow-listed folders may lie under the host's /tmp (a venv built there)
    a += ["--proc", "/proc", "--dev", "/dev",
          "--perms", "01777", "--size", str(limits["tmp_mb"] * mb), "--tmpfs", "/tmp"]
    for host in spec["keep"]:
        a += ["--ro-bind-fd", path_fds[host], host]
    for m in spec["masks"]:
        a += ["--perms", "0555", "--tmpfs", m]
    a += ["--perms", "0700", "--size", str(limits["workdir_mb"] * mb), "--tmpfs", HOME,
          "--perms", "0700", "--size", str(mb), "--tmpfs", RUN]
    for fd, inside in file_fds:
        parent = os.path.dirname(inside)
        if parent not in (HOME, RUN, "/etc"):
            a += ["--dir", parent]
        a += ["--perms", "0644", "--file", fd, inside]
    # the sandbox's own root (where bwrap made the mount points) read-only: only the size-capped tmpfs
    # folders are writable
    a += ["--remount-ro", "/", "--chdir", HOME, "--"] + kernel_argv
    return a


def _start_watchdog(limit_mb: int, jobdir: str) -> None:
    """:func:`memory_watchdog` over this process (about to exec bwrap), in a process of its own that outlives
    the exec (a grandchild: bwrap never sees it as a child of its own)."""
    outer = os.getpid()
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.closerange(3, 65536)
            try:
                memory_watchdog(outer, limit_mb, jobdir)
            finally:
                os._exit(0)
        os._exit(0)
    os.waitpid(pid, 0)


def launch(spec_path: str, argv: list[str]) -> None:
    """Entry point of the launcher process: set up (cgroup, uid, limits, descriptors), then exec bwrap."""
    spec = json.loads(Path(spec_path).read_text())
    jobdir = os.path.dirname(spec_path)
    # the kernel's own stdout/stderr (not the notebook's outputs) go to a log in the job's private folder
    log = os.open(os.path.join(jobdir, "kernel.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    limits = spec["limits"]
    render = bool(spec.get("render_figures", False))
    if spec["mode"] == MODE_NONE:
        set_limits(limits)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(spec["workdir"])
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        env = kernel_env({"HOME": spec["workdir"], "TMPDIR": spec["workdir"], "MPLCONFIGDIR":
                          os.path.join(spec["workdir"], ".mpl"), "IPYTHONDIR": os.path.join(spec["workdir"], ".ipy"),
                          "JUPYTER_RUNTIME_DIR": os.path.join(spec["workdir"], ".rt")}, render)
        if not render:
            cfg = Path(env["IPYTHONDIR"], KERNEL_CONFIG_FILE)
            cfg.parent.mkdir(parents=True, exist_ok=True)
            cfg.write_text(GRADING_KERNEL_CONFIG)
        os.execve(argv[0], argv, env)
    cgroup_join(spec.get("cgroups", []), os.getpid(), limits)  # the job's cgroups, before anything else runs
    # descriptors of every allow-listed folder, opened with the grader's rights
    hosts = ["/usr"] + [f"/{n}" for n in ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
                        if os.path.isdir(f"/{n}") and not os.path.islink(f"/{n}")] + spec["keep"]
    hosts = list(dict.fromkeys(hosts))  # bwrap closes a descriptor once it has bound it: one per folder
    hosts = [h for h in hosts if os.path.exists(h)]
    staged = stage_for_uid(hosts) if spec["mode"] == MODE_ROOT else {h: h for h in hosts}
    path_fds = {h: _inheritable(os.open(staged[h], os.O_PATH)) for h in hosts}
    files = []
    zygote = spec.get("zygote")
    if zygote:  # the fork server (see .forkserver): its kernels get their connection files from it
        source = Path(__file__).with_name("zygote.py").read_text()  # run as a script: the package is masked inside
        argv = [sys.executable, "-c", source, json.dumps(zygote["preload"]), zygote["socket"]]
    else:
        conn = json.loads(Path(spec["connection_file"]).read_text())
        conn["ip"] = SOCKET_PREFIX
        files.append((_memfd("connection", json.dumps(conn).encode()), CONNECTION))
    uid = int(spec["uid"]) if spec["mode"] == MODE_ROOT else os.getuid()
    gid = uid if spec["mode"] == MODE_ROOT else os.getgid()
    files.append((_memfd("passwd", f"student:x:{uid}:{gid}:student:{HOME}:/bin/sh\n".encode()), "/etc/passwd"))
    files.append((_memfd("group", f"student:x:{gid}:\n".encode()), "/etc/group"))
    for name in ("ld.so.cache", "localtime"):
        p = f"/etc/{name}"
        if os.path.isfile(p):
            files.append((os.open(os.path.realpath(p), os.O_RDONLY), p))
    if not render and not zygote:
        config = (_memfd("ipython-config", GRADING_KERNEL_CONFIG.encode()), f"{HOME}/.ipython/{KERNEL_CONFIG_FILE}")
        files.append(config)
    for host, rel in spec["files"]:  # the submission's own files, never followed through a link
        files.append((os.open(host, os.O_RDONLY | os.O_NOFOLLOW), f"{HOME}/{rel}"))
    file_fds = [(_inheritable(fd), inside) for fd, inside in files]
    kernel_argv = [CONNECTION if a == spec.get("connection_file") else a for a in argv]
    nproc = dict(limits, processes=int(limits["processes"]) + 8) if zygote else limits  # + the zygote's own
    args = bwrap_argv(spec, spec["bwrap"], with_process_limit(nproc, kernel_argv), path_fds, file_fds)
    if spec["mode"] == MODE_ROOT:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if not zygote and not spec.get("cgroups"):
        _start_watchdog(limits["memory_mb"], jobdir)
    set_limits(limits)
    os.dup2(log, 1)
    os.dup2(log, 2)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    os.execve(spec["bwrap"], args, kernel_env(render_figures=render))


if __name__ == "__main__":  # python -m reglab_autograder.sandbox SPEC -- KERNEL ARGV...
    args = sys.argv[1:]
    if len(args) < 3 or args[1] != "--":
        sys.exit("usage: python -m reglab_autograder.sandbox SPEC.json -- KERNEL_ARGV...")
    launch(args[0], args[2:])
