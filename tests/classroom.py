"""Build synthetic classes of submissions from the real course notebooks (tests and benchmarks)."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def released(aid):
    return nbformat.read(ROOT / "notebooks" / aid / f"{aid}.ipynb", as_version=4)


def source(aid):
    return nbformat.read(ROOT / "solutions" / aid / f"{aid}.ipynb", as_version=4)


def answered(aid, answer_ids=None):
    """The student version with the solution cells (all, or those whose grade ids are listed) answered."""
    nb = released(aid)
    src = {c.metadata["nbgrader"]["grade_id"]: c for c in source(aid).cells if c.metadata.get("nbgrader", {}).get("solution")}
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in src and (answer_ids is None or gid in answer_ids):
            c.source = src[gid].source  # the solution markers are plain comments
    return nb


def write(base: Path, student: str, aid: str, nb=None, raw: bytes | None = None, name: str | None = None):
    d = base / student / aid
    d.mkdir(parents=True, exist_ok=True)
    path = d / (name or f"{aid}.ipynb")
    if raw is not None:
        path.write_bytes(raw)
    else:
        nbformat.write(nb, path)
    return path


def cell_by_id(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def honest_class(base: Path, assignments=("00_overfitting", "01_l2_weight_decay"), partial=None):
    """alice answers everything, bob nothing, carol the parts listed in ``partial`` (per assignment)."""
    partial = partial or {"00_overfitting": {"a_q1", "a_q2"}, "01_l2_weight_decay": {"a_q1", "a_q2"}}
    for aid in assignments:
        write(base, "alice", aid, answered(aid))
        write(base, "bob", aid, released(aid))
        write(base, "carol", aid, answered(aid, partial.get(aid, set())))
    return base
