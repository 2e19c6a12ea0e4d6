"""The launcher of a sandbox (``python -m reglab_autograder.sandbox.launch SPEC -- KERNEL_ARGV``): outside the
sandbox, in the grader's environment, it sets the job up (cgroups, the folders' descriptors, staging for the sandbox
uid as root, the files copied in, the limits) and then execs ``bwrap`` with the command line :func:`bwrap_argv`
builds. The fork server's sandbox is started the same way, its zygote's source (:mod:`.zygote`) read from this folder.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import NoReturn

from .cgroups import cgroup_join
from .layout import (
    CONNECTION,
    GRADING_KERNEL_CONFIG,
    HOME,
    KERNEL_CONFIG_FILE,
    MODE_NONE,
    MODE_ROOT,
    RUN,
    SOCKET_PREFIX,
    kernel_env,
    open_kernel_log,
    set_limits,
    with_process_limit,
)
from .processes import memory_watchdog
from .spec import LaunchSpec


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


def bwrap_argv(spec: LaunchSpec, bwrap: str, kernel_argv: list[str], path_fds: dict, file_fds: list) -> list[str]:
    """The bwrap command line (pure: file descriptors already open). ``path_fds``: host folder -> fd;
    ``file_fds``: (fd, path inside the sandbox) of files copied into the sandbox."""
    limits = spec.policy.limits
    mb = 1024 * 1024
    a = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
         "--hostname", "grading", "--cap-drop", "ALL"]
    for cap in spec.caps:  # the fork server's (inside its user namespace only); never a kernel's
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
    for host in spec.policy.keep:
        a += ["--ro-bind-fd", path_fds[host], host]
    for m in spec.policy.masks:
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
    spec = LaunchSpec.read(spec_path)
    jobdir = os.path.dirname(spec_path)
    log = open_kernel_log(jobdir)
    policy = spec.policy
    if policy.mode == MODE_NONE:
        _exec_unsandboxed(spec, argv, log)
    cgroup_join(list(spec.cgroups), os.getpid(), policy.limits)  # the job's cgroups, before anything else runs
    path_fds = _folder_fds(spec)
    if spec.zygote:  # the fork server (see .forkserver): its kernels get their connection files from it
        source = Path(__file__).with_name("zygote.py").read_text()  # run as a script: the package is masked inside
        argv = [sys.executable, "-c", source, json.dumps(list(spec.zygote.preload)), spec.zygote.socket]
    uid = int(policy.uid) if policy.mode == MODE_ROOT else os.getuid()
    file_fds = [(_inheritable(fd), inside) for fd, inside in _files_inside(spec, uid)]
    kernel_argv = [CONNECTION if a == spec.connection_file else a for a in argv]
    limits = policy.limits
    nproc = dict(limits, processes=int(limits["processes"]) + 8) if spec.zygote else limits  # + the zygote's own
    args = bwrap_argv(spec, policy.bwrap, with_process_limit(nproc, kernel_argv), path_fds, file_fds)
    if policy.mode == MODE_ROOT:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if not spec.zygote and not spec.cgroups:
        _start_watchdog(limits["memory_mb"], jobdir)
    set_limits(limits)
    os.dup2(log, 1)
    os.dup2(log, 2)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    os.execve(policy.bwrap, args, kernel_env(render_figures=policy.render_figures))


def _exec_unsandboxed(spec: LaunchSpec, argv: list[str], log: int) -> NoReturn:
    """Not sandboxed (``--no-sandbox``): the kernel runs as the grader's user in the job's working directory, under
    the per-process limits only."""
    set_limits(spec.policy.limits)
    os.dup2(log, 1)
    os.dup2(log, 2)
    workdir = spec.workdir
    os.chdir(workdir)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    render = spec.policy.render_figures
    env = kernel_env({"HOME": workdir, "TMPDIR": workdir, "MPLCONFIGDIR": os.path.join(workdir, ".mpl"),
                      "IPYTHONDIR": os.path.join(workdir, ".ipy"), "JUPYTER_RUNTIME_DIR": os.path.join(workdir, ".rt")},
                     render)
    if not render:
        cfg = Path(env["IPYTHONDIR"], KERNEL_CONFIG_FILE)
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text(GRADING_KERNEL_CONFIG)
    os.execve(argv[0], argv, env)


def _folder_fds(spec: LaunchSpec) -> dict[str, str]:
    """Descriptors of every allow-listed folder, opened with the grader's rights (as root, through the staging of
    :func:`stage_for_uid`): host folder -> inheritable descriptor."""
    hosts = ["/usr"] + [f"/{n}" for n in ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
                        if os.path.isdir(f"/{n}") and not os.path.islink(f"/{n}")] + list(spec.policy.keep)
    hosts = list(dict.fromkeys(hosts))  # bwrap closes a descriptor once it has bound it: one per folder
    hosts = [h for h in hosts if os.path.exists(h)]
    staged = stage_for_uid(hosts) if spec.policy.mode == MODE_ROOT else {h: h for h in hosts}
    return {h: _inheritable(os.open(staged[h], os.O_PATH)) for h in hosts}


def _files_inside(spec: LaunchSpec, uid: int) -> list[tuple[int, str]]:
    """(open descriptor, path inside the sandbox) of the files copied in: the kernel's connection file, the sandbox
    user's passwd and group entries, a few /etc files, the grading kernel's IPython configuration, the submission's
    own files (never followed through a link)."""
    files = []
    if not spec.zygote:
        conn = json.loads(Path(spec.connection_file).read_text())
        conn["ip"] = SOCKET_PREFIX
        files.append((_memfd("connection", json.dumps(conn).encode()), CONNECTION))
    gid = uid if spec.policy.mode == MODE_ROOT else os.getgid()
    files.append((_memfd("passwd", f"student:x:{uid}:{gid}:student:{HOME}:/bin/sh\n".encode()), "/etc/passwd"))
    files.append((_memfd("group", f"student:x:{gid}:\n".encode()), "/etc/group"))
    for name in ("ld.so.cache", "localtime"):
        p = f"/etc/{name}"
        if os.path.isfile(p):
            files.append((os.open(os.path.realpath(p), os.O_RDONLY), p))
    if not spec.policy.render_figures and not spec.zygote:
        config = (_memfd("ipython-config", GRADING_KERNEL_CONFIG.encode()), f"{HOME}/.ipython/{KERNEL_CONFIG_FILE}")
        files.append(config)
    for host, rel in spec.files:
        files.append((os.open(host, os.O_RDONLY | os.O_NOFOLLOW), f"{HOME}/{rel}"))
    return files


if __name__ == "__main__":  # python -m reglab_autograder.sandbox.launch SPEC -- KERNEL ARGV...
    args = sys.argv[1:]
    if len(args) < 3 or args[1] != "--":
        sys.exit("usage: python -m reglab_autograder.sandbox.launch SPEC.json -- KERNEL_ARGV...")
    launch(args[0], args[2:])
