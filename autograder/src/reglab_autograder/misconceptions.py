"""Named misconceptions in failed tests: ``[misconception:<id>]`` markers in a test cell's error output.

The self-check harness names the misconception a wrong answer shows in its error message (nbgrader keeps
the message in the autograded notebook), with the marker :data:`reglab.checks.MISCONCEPTION_MARKER` reads. The
report counts, per question part, how many students hit each.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import nbformat
from nbgrader import utils

from reglab.checks import MISCONCEPTION_MARKER

from .common import grade_id


def in_text(text: str) -> list[str]:
    """The misconception ids named in ``text``, in order of first appearance, each once."""
    return list(dict.fromkeys(MISCONCEPTION_MARKER.findall(text or "")))


def in_cell(cell) -> list[str]:
    """The misconceptions a graded test cell's error outputs name."""
    if cell.cell_type != "code" or not utils.is_grade(cell):
        return []
    texts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            texts.append(str(out.get("evalue", "")))
            texts.extend(str(t) for t in out.get("traceback", []))
    return in_text("\n".join(texts))


def in_notebook(nb) -> dict[str, list[str]]:
    """{grade_id: misconception ids} of the test cells of one autograded notebook that name any."""
    out = {}
    for cell in nb.cells:
        found = in_cell(cell)
        if found:
            out[grade_id(cell)] = found
    return out


def in_submission(folder: Path) -> dict[tuple[str, str], list[str]]:
    """{(notebook, grade_id): misconception ids} of every autograded notebook in ``folder``."""
    out = {}
    for path in sorted(Path(folder).glob("*.ipynb")):
        for gid, found in in_notebook(nbformat.read(path, as_version=4)).items():
            out[(path.stem, gid)] = found
    return out


def count(records) -> dict[tuple[str, str, str], Counter]:
    """{(assignment, notebook, grade_id): Counter(misconception id -> number of students)} over job records."""
    out: dict[tuple[str, str, str], Counter] = {}
    for r in records:
        for p in r.parts:
            for m in set(p.misconceptions):
                out.setdefault((r.assignment, p.notebook, p.grade_id), Counter())[m] += 1
    return out
