"""The intake rules: nbgrader preprocessors that take in a submitted notebook.

The intake rules (:data:`INTAKE_RULES`) run first in ``Autograde.sanitize_preprocessors``, before
nbgrader's own (which restore locked cells, points and cell types from the gradebook). Each compares
the submitted notebook with the released version (``IntakeRule.release_root``), fixes what nbgrader
cannot grade, and reports what it found: as a log warning, in ``resources["intake"]``, and as one JSON
line per finding in ``IntakeRule.findings_file`` (the report's rows).
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from pathlib import Path

import nbformat
from nbformat.v4.nbbase import random_cell_id
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..common import grade_id
from ..jobs import Problem
from ..rows import Kind
from .tampering import find_tampering


class IntakeRule(NbGraderPreprocessor):
    """Base of the intake rules: the released notebook to compare with, and the findings it reports."""

    release_root = Unicode(
        "",
        help="Folder holding <assignment>/<notebook>.ipynb as released to students: what the rules compare with.",
    ).tag(config=True)
    findings_file = Unicode(
        "",
        help="File the rules append their findings to, one JSON object per line ('' = do not write).",
    ).tag(config=True)

    def reference(self, resources):
        """The released version of the notebook being graded."""
        info = resources["nbgrader"]
        path = Path(self.release_root) / info["assignment"] / f"{info['notebook']}.ipynb"
        return nbformat.read(path, as_version=4)

    def report(self, resources, kind: Kind, detail: str, zero: bool = False) -> None:
        finding = Problem(kind, detail, zero)
        resources.setdefault("intake", []).append(asdict(finding))
        self.log.warning("%s: %s", kind, detail)
        if self.findings_file:
            with open(self.findings_file, "a", encoding="utf-8") as fh:
                fh.write(finding.to_json() + "\n")

    def preprocess_cell(self, cell, resources, index):
        return cell, resources


class NormalizeCellIds(IntakeRule):
    """nbformat 4.0-4.4 notebooks and repeated or missing cell ids: upgraded to 4.5 with unique ids."""

    def preprocess(self, nb, resources):
        if nb.nbformat_minor < 5 or any("id" not in c for c in nb.cells):
            self.report(resources, Kind.NORMALIZED,
                        f"nbformat 4.{nb.nbformat_minor} notebook without cell ids upgraded to 4.5")
            nb.nbformat_minor = 5
        seen = set()
        for c in nb.cells:
            if not c.get("id") or c["id"] in seen:
                c["id"] = random_cell_id()
            seen.add(c["id"])
            if c.cell_type == "markdown":  # stray keys of old formats that 4.5 rejects
                c.pop("outputs", None)
                c.pop("execution_count", None)
        return nb, resources


def _locked_cells(nb) -> dict:
    return {grade_id(c): c for c in nb.cells if utils.is_locked(c) and grade_id(c)}


class ReplaceForeignNotebook(IntakeRule):
    """A notebook holding at most a third of this assignment's locked cells unchanged belongs to another
    assignment: graded as the blank released version."""

    def preprocess(self, nb, resources):
        ref = self.reference(resources)
        locked = {gid: c.source for gid, c in _locked_cells(ref).items()}
        if not locked:
            return nb, resources
        got = {}
        for c in nb.cells:
            if grade_id(c) in locked:
                got.setdefault(grade_id(c), c.source)
        same = sum(1 for gid, src in locked.items() if got.get(gid) == src)
        if same <= len(locked) / 3:
            self.report(resources, Kind.OTHER_ASSIGNMENT,
                        f"{resources['nbgrader']['notebook']}.ipynb does not have this assignment's locked cells "
                        "(setup, tests); graded as blank", zero=True)
            nb.cells = copy.deepcopy(ref.cells)
        return nb, resources


def released_before(cell, ref_cell) -> bool:
    """A locked cell unchanged since an earlier release: its source is not the current release's, but matches the
    checksum nbgrader wrote into it when it was released (a student who edits a cell does not recompute it; one who
    does is only labelled otherwise: the current source is graded either way)."""
    checksum = cell.metadata.get("nbgrader", {}).get("checksum")
    return bool(checksum) and checksum != ref_cell.metadata["nbgrader"].get("checksum") and \
        checksum == utils.compute_checksum(cell)


class ReportLockedCellChanges(IntakeRule):
    """Says which locked cells were edited, retyped, moved or re-pointed. It changes nothing: nbgrader's
    ``OverwriteCells`` restores them from the gradebook."""

    def preprocess(self, nb, resources):
        ref = self.reference(resources)
        name = f"{resources['nbgrader']['notebook']}.ipynb"
        locked, known = _locked_cells(ref), {grade_id(c) for c in ref.cells if grade_id(c)}
        got = {}
        for c in nb.cells:
            if grade_id(c):
                got.setdefault(grade_id(c), c)
        edited, updated, retyped, points, sums = [], [], [], [], []
        for gid, ref_cell in locked.items():
            cell = got.get(gid)
            if cell is None:
                continue  # deleted: a deleted test scores 0 after grading, and says so
            meta, ref_meta = cell.metadata.get("nbgrader", {}), ref_cell.metadata["nbgrader"]
            if cell.cell_type != ref_cell.cell_type:
                retyped.append(gid)
            elif cell.source != ref_cell.source:
                (updated if released_before(cell, ref_cell) else edited).append(gid)
                continue  # an older release's cell: its points and checksum are that release's
            if meta.get("points") != ref_meta.get("points"):
                points.append(gid)
            if meta.get("checksum") != ref_meta.get("checksum"):
                sums.append(gid)
        order = [g for g in map(grade_id, nb.cells) if g in locked]
        if edited:
            self.report(resources, Kind.EDITED_TEST,
                        f"{name}: locked cell(s) {', '.join(edited)} were changed; graded with the original source")
        if updated:
            self.report(resources, Kind.UPDATED_TEST,
                        f"{name}: locked cell(s) {', '.join(updated)} are as an earlier release of the course had "
                        "them (the notebook predates a change to the tests); graded with the current source")
        if retyped:
            self.report(resources, Kind.RETYPED_TEST,
                        f"{name}: cell(s) {', '.join(retyped)} changed type; graded as the original code cells")
        if points:
            self.report(resources, Kind.CHANGED_POINTS,
                        f"{name}: points of {', '.join(points)} were edited; the gradebook's points count")
        if sums and not (edited or retyped):
            self.report(resources, Kind.CHANGED_CHECKSUM,
                        f"{name}: checksums of {', '.join(sums)} were edited (no effect on grading)")
        if len(order) == len(set(order)) and order != [g for g in locked if g in got]:
            self.report(resources, Kind.REORDERED,
                        f"{name}: locked cells were moved; tests run where the student put them")
        unknown = sorted(g for g in got if g not in known)
        if unknown:
            self.report(resources, Kind.UNKNOWN_GRADE_IDS,
                        f"{name}: grade ids not in the assignment: {', '.join(unknown)} "
                        "(run as ordinary cells, never scored)")
        return nb, resources


class StripUnknownGradeIds(IntakeRule):
    """Cells whose grade id the assignment does not have lose their nbgrader metadata and run as ordinary
    cells (nbgrader would drop only the id and then fail on a grade cell without one)."""

    def preprocess(self, nb, resources):
        known = {grade_id(c) for c in self.reference(resources).cells if grade_id(c)}
        for c in nb.cells:
            if "nbgrader" in c.metadata and grade_id(c) not in known:
                del c.metadata["nbgrader"]
        return nb, resources


FLAGS = ("grade", "solution", "locked", "task")


class RestoreCellFlags(IntakeRule):
    """A cell of the assignment whose nbgrader flags were edited (a grade flag or points on an answer cell, an
    answer flag on a test): its nbgrader metadata is restored from the released notebook. nbgrader's
    ``OverwriteCells`` would otherwise stop the whole notebook (``MissingEntry``) on a grade flag the
    gradebook holds differently."""

    def preprocess(self, nb, resources):
        ref = {grade_id(c): c for c in self.reference(resources).cells if grade_id(c)}
        changed = []
        for c in nb.cells:
            gid = grade_id(c)
            if gid not in ref:
                continue
            meta, ref_meta = c.metadata.get("nbgrader", {}), ref[gid].metadata["nbgrader"]
            if any(bool(meta.get(f)) != bool(ref_meta.get(f)) for f in FLAGS) or \
                    (not utils.is_locked(ref[gid]) and meta.get("points") != ref_meta.get("points")):
                c.metadata["nbgrader"] = copy.deepcopy(ref_meta)
                changed.append(gid)
        if changed:
            self.report(resources, Kind.CHANGED_CELL_FLAGS,
                        f"{resources['nbgrader']['notebook']}.ipynb: nbgrader flags or points of "
                        f"{', '.join(changed)} were edited; the released ones count")
        return nb, resources


class RemoveDuplicateIds(IntakeRule):
    """Grade ids that appear more than once: the last cell keeps its nbgrader metadata (as nbgrader's
    ``DeduplicateIds`` decides), the copies lose theirs and run as ordinary cells.

    nbgrader's ``DeduplicateIds`` would leave an empty ``nbgrader`` dict on the copies, which its own
    ``CheckCellMetadata`` then rejects as metadata schema 0 (nbgrader 0.9.6), failing the whole notebook.
    """

    def preprocess(self, nb, resources):
        seen, dups = set(), set()
        for c in reversed(nb.cells):
            if grade_id(c) and (utils.is_grade(c) or utils.is_solution(c) or utils.is_locked(c)):
                if grade_id(c) in seen:
                    dups.add(grade_id(c))
                    del c.metadata["nbgrader"]
                else:
                    seen.add(grade_id(c))
        if dups:
            self.report(resources, Kind.DUPLICATE_GRADE_IDS,
                        f"{resources['nbgrader']['notebook']}.ipynb: {', '.join(sorted(dups))} appear more than once; "
                        "the last counts, the copies run as ordinary cells")
        return nb, resources


class FlagTampering(IntakeRule):
    """Code in cells the student controls that looks like it could touch the grading machinery: a "review"
    row for the instructor, nothing else. What code looks like never costs points: honest answers use
    ``eval``, ``inspect``, ``vars()`` or ``plt.rcParams`` too. Grading is protected by what the code can
    do (the sandbox, nbgrader restoring the test cells, hidden tests, the harness's own checks)."""

    def preprocess(self, nb, resources):
        ref = self.reference(resources)
        fixed = {grade_id(c) for c in ref.cells if grade_id(c) and (utils.is_locked(c) or utils.is_grade(c))}
        reasons = [f"cell {i}: {r}" for i, c in enumerate(nb.cells)
                   if c.cell_type == "code" and grade_id(c) not in fixed for r in find_tampering(c.source)]
        if reasons:
            more = f" (and {len(reasons) - 4} more)" if len(reasons) > 4 else ""
            self.report(resources, Kind.REVIEW,
                        f"{resources['nbgrader']['notebook']}.ipynb: code worth a look "
                        f"({'; '.join(reasons[:4])}{more}); "
                        "graded as submitted, no points taken")
        return nb, resources


INTAKE_RULES = (NormalizeCellIds, ReplaceForeignNotebook, ReportLockedCellChanges, StripUnknownGradeIds,
                RestoreCellFlags, RemoveDuplicateIds, FlagTampering)


