"""The fork server that runs INSIDE a worker's sandbox (a "zygote"): its source is passed to ``python -c`` by
:mod:`.forkserver`, so it imports nothing of the grader (whose package is masked in the sandbox).

It imports the modules every course notebook needs (numpy, matplotlib, ipykernel, the course library) once,
never runs any student code, and for each notebook forks a child that becomes a fresh kernel:

* the child C makes new mount, PID, IPC and UTS namespaces, mounts fresh size-capped tmpfs folders on the
  working directory, ``/tmp``, the kernel's socket folder and ``/dev/shm`` (nothing written by an earlier
  notebook is reachable), writes the connection file and copies the submission's own files in, and waits
  until the grader has put it into the notebook's cgroups;
* C forks I, PID 1 of the new PID namespace: I mounts a ``/proc`` that shows only the notebook's processes
  (not I itself: I is not dumpable, and that ``/proc`` has ``hidepid=2``),
  drops every capability, sets the resource limits and forks K, the kernel, then forwards signals from the
  grader and reports K's exit status. When I ends (K exited, or the grader's end of the connection closed),
  the kernel ends every process of the notebook;
* K clears its environment and takes the notebook's, closes every inherited descriptor, reseeds the
  random generators and starts ipykernel in-process, its modules already imported.

A forked kernel holds only what the zygote imported: no global, thread, environment variable, file or
module change of another notebook can reach it (autograder/tests/test_grading_isolation.py).

Messages on the connection: a 4-byte big-endian length, then JSON; the first one carries descriptors.
"""

import ctypes
import json
import os
import select
import signal
import socket
import struct
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID = 0x00020000, 0x04000000, 0x08000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
ST_TO_MS = {1: MS_RDONLY, 2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: 1024, 2048: 2048, 4096: 1 << 21}
PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 4, 38, 47, 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data=None):
    def enc(x):
        return None if x is None else str(x).encode()

    _check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _remount_ro(path):
    """Make an existing mount read-only, keeping its locked flags (nosuid, nodev, ...)."""
    st = os.statvfs(path)
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY
    for bit, ms in ST_TO_MS.items():
        if st.f_flag & bit:
            flags |= ms
    _mount(None, path, None, flags)


def send(sock, obj, fds=()):
    data = json.dumps(obj).encode()
    payload = struct.pack(">I", len(data)) + data
    if fds:
        socket.send_fds(sock, [payload], list(fds))
    else:
        sock.sendall(payload)


def recv(sock, want_fds=0):
    """One message (and the descriptors sent with it); None at end of connection."""
    fds = []
    if want_fds:
        data, fds, _, _ = socket.recv_fds(sock, 65536, want_fds)
    else:
        data = sock.recv(65536)
    if not data:
        return None, fds
    while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
        more = sock.recv(65536)
        if not more:
            return None, fds
        data += more
    n = struct.unpack(">I", data[:4])[0]
    return json.loads(data[4:4 + n]), fds


def drop_capabilities():
    """No capability left (effective, permitted, inheritable, ambient); no new privileges ever."""
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = struct.pack("Ii", _LINUX_CAPABILITY_VERSION_3, 0)
    data = bytes(24)  # two __user_cap_data_struct, all zero
    _check(libc.capset(ctypes.c_char_p(header), ctypes.c_char_p(data)), "capset")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    for key in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        if int(status[key].strip(), 16):
            raise OSError(f"capabilities left after dropping them ({key} {status[key].strip()})")


def set_limits(limits, processes_extra):  # sandbox.set_limits's, plus the process count (no grader import here)
    import resource

    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_mb"] * mb,) * 2)
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    n = int(limits["processes"]) + processes_extra  # counted per uid in the sandbox: the zygote, C and I too
    resource.setrlimit(resource.RLIMIT_NPROC, (n, n))


KEYCTL = {"x86_64": 250, "aarch64": 219}  # keyctl's system call number (glibc has no wrapper)


def clear_keyrings():
    """Kernel keyrings belong to the (user namespace, uid) every kernel of this server shares: the user
    keyrings are emptied and the kernel gets a new session keyring."""
    nr = KEYCTL.get(os.uname().machine)
    if nr is None:
        return
    for ring in (-4, -5):  # KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING
        libc.syscall(nr, 7, ring)  # KEYCTL_CLEAR
    libc.syscall(nr, 1, None)  # KEYCTL_JOIN_SESSION_KEYRING: a new anonymous one


def prepare(request, files):
    """In C: the notebook's own namespaces and fresh private folders."""
    lim = request["limits"]
    mb = 1024 * 1024
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    socket.sethostname("grading")
    clear_keyrings()
    home, run = request["home"], request["run"]
    # allow-listed folders under /tmp (a virtual environment built there) are bound again over the fresh /tmp
    held = {k: os.open(k, os.O_PATH) for k in request["keep"] if k == "/tmp" or k.startswith("/tmp/")}
    fresh = [(home, f"mode=0700,size={lim['workdir_mb'] * mb}"), ("/tmp", f"mode=1777,size={lim['tmp_mb'] * mb}"),
             (run, f"mode=0700,size={mb}"), ("/dev/shm", f"mode=1777,size={lim['tmp_mb'] * mb}")]
    for path, opts in fresh:
        os.makedirs(path, exist_ok=True)
        _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts)
    for path, fd in held.items():
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        _remount_ro(path)
        os.close(fd)
    _remount_ro("/dev")  # the zygote's /dev: nothing an earlier notebook could write to
    for d in request["masks"]:
        _remount_ro(d)
    os.chdir(home)
    fd = os.open(os.path.join(run, "connection.json"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, json.dumps(request["connection"]).encode())
    os.close(fd)
    fds = iter(files)  # one descriptor per file sent without its text, in order
    for inside, text in request["files"]:
        os.makedirs(os.path.dirname(inside), exist_ok=True)
        with open(inside, "wb") as out:
            if text is not None:
                out.write(text.encode())
            else:
                with os.fdopen(next(fds), "rb", closefd=False) as src:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
        os.chmod(inside, 0o644)


def kernel(request, log_fd):
    """K: the kernel process, started in-process from the zygote's imports."""
    _check(libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "dumpable")  # I is not (see init); the kernel itself is
    os.setsid()
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.closerange(3, 65536)
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.clear()
    os.environ.update(request["env"])
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    sys.argv = ["ipykernel_launcher"] + request["argv"]
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()
    os._exit(0)


def init(conn, request, log_fd):
    """I: PID 1 of the notebook's PID namespace. It is not dumpable and its ``/proc`` is mounted with
    ``hidepid=2``: the kernel, which may not trace it, does not even see it in ``/proc`` (no ``cmdline``,
    ``environ``, ``cwd`` or ``root`` of it); K makes itself dumpable again, so the notebook's own processes
    stay visible to each other."""
    _check(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "not dumpable")
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    drop_capabilities()
    set_limits(request["limits"], 3)
    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)
    signal.set_wakeup_fd(wfd)
    signal.signal(signal.SIGCHLD, lambda *a: None)
    k = os.fork()
    if k == 0:
        try:
            kernel(request, log_fd)
        except BaseException:  # noqa: BLE001 - into the kernel's log (its stderr)
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
        finally:
            os._exit(1)
    os.close(log_fd)
    stand_by(conn, rfd, k)


def stand_by(conn, wakeup_fd, k):
    """I, once K runs: reap every process of the notebook, forward the grader's signals to K, and end (reporting K's
    exit status) when K ends or the grader's end of the connection closes."""
    while True:
        while True:  # reap every process of the notebook; the kernel's end is the notebook's end
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid, status = 0, 0
            if pid == 0:
                break
            if pid == k:
                try:
                    send(conn, {"exit": status})
                finally:
                    os._exit(0)
        try:
            ready, _, _ = select.select([conn, wakeup_fd], [], [])
        except InterruptedError:
            continue
        if wakeup_fd in ready:
            os.read(wakeup_fd, 512)
        if conn in ready:
            msg, _ = recv(conn)
            if msg is None:
                os._exit(1)  # the grader's end closed: the whole notebook ends
            if "signal" in msg:
                try:
                    os.kill(k, int(msg["signal"]))
                except OSError:
                    pass


def child(conn):
    """C: one notebook's kernel, from the zygote's fork to its end."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    request, fds = recv(conn, want_fds=256)  # forkserver.kernel_request's message
    log_fd, files = fds[0], fds[1:]
    try:
        prepare(request, files)
    except Exception as exc:  # noqa: BLE001 - reported to the grader, which does not start this kernel
        send(conn, {"error": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    for fd in files:
        os.close(fd)
    send(conn, {"pid": os.getpid()})
    go, _ = recv(conn)
    if not go or not go.get("go"):
        os._exit(1)
    pid = os.fork()
    if pid == 0:
        try:
            init(conn, request, log_fd)
        except BaseException as exc:  # noqa: BLE001 - the grader's launcher writes it to the kernel's log
            send(conn, {"error": f"{type(exc).__name__}: {exc}"})
        finally:
            os._exit(1)
    conn.close()
    os.close(log_fd)
    os.waitpid(pid, 0)
    os._exit(0)


def _reap(*_):
    """Wait for ended children (their CPU time then counts as the zygote's children's, as a kernel's does)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main():
    preload, sock_path = json.loads(sys.argv[1]), sys.argv[2]
    failed = []
    import importlib

    for name in preload:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a module that does not import is imported by the notebook
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    import gc
    import threading

    gc.collect()
    gc.freeze()  # the imported objects stay shared (copy-on-write) with every kernel
    if threading.active_count() != 1:
        sys.exit(f"the zygote must be single-threaded to fork kernels; threads: {threading.enumerate()}")
    signal.signal(signal.SIGCHLD, _reap)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path + ".tmp")
    srv.listen(8)
    os.rename(sock_path + ".tmp", sock_path)  # the grader waits for this name
    print(json.dumps({"ready": True, "preloaded": len(preload) - len(failed), "failed": failed}), flush=True)
    while True:
        conn, _ = srv.accept()
        pid = os.fork()
        if pid == 0:
            srv.close()
            try:
                child(conn)
            except BaseException:  # noqa: BLE001 - into the fork server's log
                import traceback

                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(1)
        conn.close()


if __name__ == "__main__":
    main()
