"""``reglab selftest``: is this copy of the course ready to work in?

What a student runs before writing anything: the library and every session's module import, and each notebook
of ``notebooks/`` (the course index and every session) opens and runs in a fresh kernel up to its first exercise
(its first ``# YOUR CODE HERE`` cell, nbgrader's solution cell). The student copy's ``make test`` runs it.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

from . import course
from .release import INDEX


def first_exercise(nb) -> int:
    """The position of a notebook's first exercise cell (the first nbgrader solution cell), or the number of its
    cells when it has none (the course index)."""
    for i, cell in enumerate(nb.cells):
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            return i
    return len(nb.cells)


class NotebookFailed(Exception):
    """A cell before a notebook's first exercise failed; the message names the cell and the error."""


def run_to_first_exercise(path, timeout: int = 120) -> tuple[int, float]:
    """Run a notebook's cells before its first exercise in a fresh kernel, in the notebook's folder: (code cells
    run, seconds). A cell that fails raises :class:`NotebookFailed`."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells[:first_exercise(nb)]
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    with client.setup_kernel():
        for i, cell in enumerate(cells):
            try:
                client.execute_cell(cell, i)
            except CellExecutionError as exc:
                first = (cell.source.strip().splitlines() or [""])[0][:60]
                raise NotebookFailed(f"cell {i + 1} ({first}) failed: {exc.ename}: {exc.evalue}") from None
    return sum(c.cell_type == "code" for c in cells), time.perf_counter() - t0


def notebooks_of(folder, sessions=None) -> list[Path]:
    """The notebooks a student copy holds, in course order: the index, then every session (or only the session ids
    ``sessions``)."""
    folder = Path(folder)
    if sessions is not None:
        return [folder / course.get_session(s).notebook for s in sessions]
    return [folder / INDEX] + [folder / s.notebook for s in course.SESSIONS]


def main(folder="notebooks", out=print, sessions=None) -> int:
    """Check the library and the notebooks of ``folder`` (the index and every session, or only the session ids
    ``sessions``); print one line each; 0 when all is well, else 1."""
    failures = 0
    for module in ["reglab", *(s.module for s in course.SESSIONS)]:
        try:
            importlib.import_module(module)
        except Exception as exc:  # reported, and the check goes on
            out(f"✘ {module} does not import: {type(exc).__name__}: {exc}")
            failures += 1
    if not failures:
        out(f"✔ the library imports (reglab and the {len(course.SESSIONS)} sessions' modules)")
    for path in notebooks_of(folder, sessions):
        if not path.is_file():
            out(f"✘ {path} is missing: this copy is incomplete (unpack the course again)")
            failures += 1
            continue
        try:
            cells, seconds = run_to_first_exercise(path)
        except NotebookFailed as exc:
            out(f"✘ {path}: before its first exercise, {exc}")
            failures += 1
            continue
        out(f"✔ {path}: {cells} code cell{'s' if cells != 1 else ''} run up to the first exercise ({seconds:.1f} s)")
    out("All is well: `make lab` opens the course." if not failures else
        f"{failures} problem(s) above: see Troubleshooting in README.md, or ask your instructor with this output.")
    return 1 if failures else 0
