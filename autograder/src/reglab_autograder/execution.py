"""What running one submission's notebooks reported: the events file ``jobs/<student>__<assignment>.events.json``.

:class:`~.preprocessors.execute.SandboxedExecute` writes it (:class:`ExecutionRecord`), the worker reads it back into
the job record (its ``execution``, beside the job's ``phases`` and ``warnings``) and the report turns its
:class:`Event` s into problem rows; all of them through these types.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class Event:
    """Something that happened while a cell ran (a timeout, a dead kernel, tampering, ...): one report row."""

    kind: str  # a rows.Kind (any string read back from an older record)
    cell: int  # the cell's index in the notebook
    detail: str


@dataclass(frozen=True)
class ExecutionRecord:
    """One notebook's execution: its events, the sandbox it ran in, and where its time went (seconds)."""

    events: tuple[Event, ...] = ()
    sandboxed: bool = False
    sandbox: str = ""  # the sandbox's mode (sandbox.layout.MODE_*)
    limits_applied: tuple[str, ...] = ()
    sandbox_note: str = ""  # why the kernels were not sandboxed ("" when they were)
    seconds: float = 0.0
    startup_seconds: float = 0.0  # the kernel's start-up, until the first code cell
    slowest_cells: tuple[tuple[int, float], ...] = ()  # (cell index, seconds), the three slowest
    forked: bool = False  # kernels forked from the worker's fork server
    fork_server_pid: int | None = None  # the same for every kernel of one worker
    fork_server_note: str = ""  # why kernels were not forked, when the fork server did not start
    setup_cell_seconds: float = 0.0
    cells_seconds: float = 0.0
    checker_questions: int = 0  # the checker's questions to the kernel (round trips), test cells included
    checker_seconds: float = 0.0
    test_cells_seconds: float = 0.0

    def to_dict(self) -> dict:
        """The JSON form as plain data (lists, not tuples), as the job record holds it."""
        return json.loads(json.dumps(asdict(self)))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_dict(cls, d: dict) -> ExecutionRecord:
        """Read back from the events file or a job record's ``execution`` (its other keys, e.g. the job's ``phases``,
        are not the execution's; a job that ran nothing has ``{}``)."""
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        d["events"] = tuple(Event(**e) for e in d.get("events", ()))
        d["limits_applied"] = tuple(d.get("limits_applied", ()))
        d["slowest_cells"] = tuple((int(i), float(t)) for i, t in d.get("slowest_cells", ()))
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> ExecutionRecord:
        return cls.from_dict(json.loads(text))

    @classmethod
    def read(cls, path: Path) -> ExecutionRecord:
        return cls.from_json(Path(path).read_text())
