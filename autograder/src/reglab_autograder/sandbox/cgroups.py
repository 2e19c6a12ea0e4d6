"""cgroup (v1) ``memory`` and ``pids`` groups of a notebook's processes, created, joined and removed by a grader
running as root."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

CGROUP_V1 = Path("/sys/fs/cgroup")


CGROUP_PARENT = "reglab"


def cgroup_available() -> bool:
    """cgroup v1 memory and pids controllers writable by this process (root on this kind of machine)."""
    return all(os.access(CGROUP_V1 / c, os.W_OK) and (CGROUP_V1 / c / "cgroup.procs").exists()
               for c in ("memory", "pids"))


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
    :func:`.processes.reap_orphans`: it is then made again, with the same limits."""
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
