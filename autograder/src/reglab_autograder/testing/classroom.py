"""Build synthetic classes of submissions from the real course notebooks (tests and benchmarks).

The course is the repository the students' ``reglab`` package belongs to (:func:`reglab.release.find_course_root`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import nbformat
from nbgrader import utils

from reglab.release import find_course_root

from ..common import grade_id


@cache
def course_root() -> Path:
    return find_course_root()


def released(aid: str):
    return nbformat.read(course_root() / "notebooks" / aid / f"{aid}.ipynb", as_version=4)


def source(aid: str):
    return nbformat.read(course_root() / "solutions" / aid / f"{aid}.ipynb", as_version=4)


def solution_ids(aid: str, code_only: bool = False) -> list[str]:
    """Grade ids of the answer cells of an assignment, in order."""
    return [grade_id(c) for c in source(aid).cells
            if utils.is_solution(c) and (not code_only or c.cell_type == "code")]


def graded_cells(aid: str, kind: str | None = None) -> list:
    """The graded cells of an assignment's instructor notebook: all, or ``kind`` "auto" (test cells) or "manual"."""
    cells = [c for c in source(aid).cells if utils.is_grade(c)]
    if kind == "auto":
        return [c for c in cells if c.cell_type == "code"]
    if kind == "manual":
        return [c for c in cells if c.cell_type != "code"]
    return cells


def points(aid: str, kind: str = "auto", answer_ids=None) -> float:
    """Points of an assignment's ``kind`` of graded cells (of the tests of the listed answers, if given)."""
    cells = graded_cells(aid, kind)
    if answer_ids is not None:
        cells = [c for c in cells if any(grade_id(c).startswith(a.removeprefix("a_")) for a in answer_ids)]
    return float(sum(c.metadata["nbgrader"]["points"] for c in cells))


def answered(aid: str, answer_ids=None):
    """The student version with the solution cells (all, or those whose grade ids are listed) answered."""
    nb = released(aid)
    src = {grade_id(c): c for c in source(aid).cells if utils.is_solution(c)}
    for c in nb.cells:
        gid = grade_id(c)
        if gid in src and (answer_ids is None or gid in answer_ids):
            c.source = src[gid].source  # the solution markers are plain comments
    return nb


def write(base: Path, student: str, aid: str, nb=None, raw: bytes | None = None, name: str | None = None) -> Path:
    d = base / student / aid
    d.mkdir(parents=True, exist_ok=True)
    path = d / (name or f"{aid}.ipynb")
    if raw is not None:
        path.write_bytes(raw)
    else:
        nbformat.write(nb, path)
    return path


def cell_by_id(nb, gid: str):
    return next(c for c in nb.cells if grade_id(c) == gid)


def honest_class(base: Path, assignments=("00_overfitting", "01_l2_weight_decay"), partial=None) -> Path:
    """alice answers everything, bob nothing, carol the parts listed in ``partial`` (per assignment)."""
    partial = partial or {"00_overfitting": {"a_q1", "a_q2"}, "01_l2_weight_decay": {"a_q1", "a_q2"}}
    for aid in assignments:
        write(base, "alice", aid, answered(aid))
        write(base, "bob", aid, released(aid))
        write(base, "carol", aid, answered(aid, partial.get(aid, set())))
    return base


def nbgrader_autograde(submitted: Path, assignments, course_dir: Path) -> str:
    """The reference grading: nbgrader's own command line, serial and unsandboxed, on a standard course folder built
    in ``course_dir`` from the course's sources and the ``submitted/`` folder given; returns its gradebook's URL."""
    import os
    import shutil
    import subprocess
    import sys

    bindir = Path(sys.executable).parent
    for aid in assignments:
        shutil.copytree(course_root() / "solutions" / aid, course_dir / "source" / aid)
    shutil.copytree(submitted, course_dir / "submitted")
    (course_dir / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course_dir)!r}\nc.Execute.timeout = 120\n")
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}")
    for aid in assignments:
        for step in ("generate_assignment", "autograde"):
            subprocess.run([str(bindir / "nbgrader"), step, aid, "--force"], cwd=course_dir, env=env, check=True,
                           capture_output=True)
    return f"sqlite:///{course_dir / 'gradebook.db'}"
