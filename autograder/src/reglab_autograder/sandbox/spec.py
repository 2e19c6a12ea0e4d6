"""The launch spec: what the launcher of a sandbox (:mod:`.launch`) or the fork server's stand-in for a kernel
(:mod:`.forkserver`) is told, written by the grader as ``sandbox.json`` in the job's private folder.

A :class:`LaunchSpec` is a :class:`SandboxPolicy` (what every kernel of one grading configuration shares: the mode,
uid, limits, allow-list; a fork server serves the kernels of one policy, :meth:`SandboxPolicy.fork_server_key`) and
what is one job's (its private folders, files, cgroups, connection file, and the fork server to ask), or, for the
fork server's own sandbox, what starts its zygote (:class:`ZygoteStart`). Its JSON form crosses into the launcher.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class SandboxPolicy:
    """What every kernel of one configuration shares, and all its fork server depends on."""

    mode: str  # layout.MODE_*
    uid: int  # the sandbox's uid when the grader is root
    limits: dict  # layout.DEFAULT_LIMITS' keys, every one set
    keep: tuple[str, ...]  # allow-listed host folders (real paths, parents first), bound read-only
    masks: tuple[str, ...]  # folders inside them hidden by an empty tmpfs
    bwrap: str  # the bwrap program
    render_figures: bool = False

    def fork_server_key(self) -> str:
        """The key of this policy's fork server (:func:`.forkserver.server_for`): kernels of equal policies are forked
        from one server."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> SandboxPolicy:
        return cls(**dict(d, keep=tuple(d["keep"]), masks=tuple(d["masks"])))


@dataclass(frozen=True)
class ZygoteStart:
    """The fork server's own sandbox runs its zygote (:mod:`.zygote`) instead of a kernel."""

    preload: tuple[str, ...]  # the modules it imports once
    socket: str  # where it listens, inside its sandbox


@dataclass(frozen=True)
class LaunchSpec:
    """One sandbox's launch: its policy and what is the job's own."""

    policy: SandboxPolicy
    jobdir: str  # the job's private folder on the host (this spec, the kernel's log, its sockets' link)
    workdir: str  # the kernel's working directory when not sandboxed
    files: tuple[tuple[str, str], ...] = ()  # (host path, path relative to the kernel's home): copied in
    cgroups: tuple[str, ...] = ()  # the job's cgroup folders (as root)
    connection_file: str = ""  # the kernel's connection file on the host
    zygote_socket: str = ""  # forked kernels: the fork server's socket as seen from the host ...
    zygote_pid: int = 0  # ... and its zygote's host pid
    zygote: ZygoteStart | None = None  # the fork server's own sandbox
    caps: tuple[str, ...] = ()  # capabilities inside the sandbox's user namespace (the fork server's; never a kernel's)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LaunchSpec:
        d = json.loads(text)
        zygote = d.get("zygote")
        return cls(**dict(d, policy=SandboxPolicy.from_dict(d["policy"]),
                          files=tuple((host, rel) for host, rel in d.get("files", ())),
                          cgroups=tuple(d.get("cgroups", ())), caps=tuple(d.get("caps", ())),
                          zygote=None if zygote is None else ZygoteStart(tuple(zygote["preload"]), zygote["socket"])))

    def write(self, path: str) -> None:
        """Into the job's private folder, readable by the grader's user only."""
        Path(path).write_text(self.to_json())
        os.chmod(path, 0o600)

    @classmethod
    def read(cls, path: str) -> LaunchSpec:
        return cls.from_json(Path(path).read_text())
