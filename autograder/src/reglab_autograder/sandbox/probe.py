"""The capability probe: can kernels be sandboxed on this machine, how (as root or as an ordinary user), and which
limits apply (each job record carries the answer)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass, field

from .cgroups import cgroup_available
from .layout import MODE_NONE, MODE_ROOT, MODE_USER, UID_BASE, is_root
from .processes import WATCH_SECONDS


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
