"""A sandbox's process tree seen from the host: its kernel's chain and stray processes, their memory together
(the watchdog of an ordinary user's sandbox), the sandbox's root, and the reaping of a killed run's leftovers."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from .cgroups import CGROUP_PARENT, CGROUP_V1
from .layout import UID_BASE


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
