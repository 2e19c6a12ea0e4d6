"""Checking and normalizing one submission before nbgrader sees it.

Every problem found here becomes a row of the report. The policy, in one place:

* unreadable notebooks (empty file, not UTF-8, malformed JSON, not a notebook) and notebooks that
  belong to another assignment are graded as the blank student version: 0 points, the gradebook
  still has the submission;
* a notebook with a wrong name is graded as missing (nbgrader gives 0);
* files the assignment does not have are dropped before grading (a ``reglab.py`` or ``numpy.py``
  next to the notebook would otherwise shadow the real modules in the kernel);
* nbformat 4.0-4.4 notebooks without cell ids are upgraded to 4.5 with ids;
* code that tampers with the grading machinery (monkeypatching ``checks``, ``numpy``, ``builtins``,
  IPython's error display, ``sys.modules``, or running code built from strings) is flagged and the
  notebook is graded as blank;
* changed test cells, points, grade ids or checksums need no action here: nbgrader's
  ``OverwriteCells`` restores locked cells from the gradebook; deleted test cells score 0
  (:func:`reglab.grading.pipeline`).
"""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4.nbbase import random_cell_id

PROTECTED_NAMES = {"checks", "reglab", "np", "numpy", "builtins", "__builtins__", "sys", "math", "scipy", "plt", "matplotlib"}
SUSPICIOUS_CALLS = {"setattr", "delattr", "exec", "eval", "compile", "__import__", "get_ipython", "globals", "vars"}
SUSPICIOUS_ATTRS = {"modules", "settrace", "setprofile", "showtraceback", "excepthook", "__code__", "__globals__",
                    "__dict__", "__class__", "f_globals", "f_locals", "gi_frame", "tb_frame"}
SUSPICIOUS_IMPORTS = {"ctypes", "gc", "inspect", "importlib", "builtins", "IPython"}
# string literals that point at the grader's files (solutions, gradebook, other submissions)
PROTECTED_PATH_PARTS = ("solutions/", "gradebook", "/autograded", "/submitted", "/source/", "/release/", "/feedback",
                        ".ipynb", "nbgrader_config")


@dataclass
class Problem:
    kind: str  # malformed | empty | not utf-8 | not a notebook | other assignment | wrong name | extra files
    #            | normalized | flagged | missing | duplicate grade ids
    detail: str
    zero: bool  # does this problem cost the notebook its points?


@dataclass
class IntakeResult:
    student: str
    assignment: str
    problems: list = field(default_factory=list)
    digest: str = ""  # hash of the submitted files, to notice resubmissions on resume

    def add(self, kind, detail, zero=False):
        self.problems.append(Problem(kind, detail, zero))


def _grade_ids(nb):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")]


def digest_dir(path: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(path)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def find_tampering(source: str):
    """Reasons this code cell's source tampers with the grading machinery ([] if none)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # it cannot run either; the cell simply fails
    reasons = []

    def root_name(node):
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        return node.id if isinstance(node, ast.Name) else None

    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                if isinstance(t, (ast.Attribute, ast.Subscript)) and root_name(t) in PROTECTED_NAMES:
                    reasons.append(f"line {node.lineno}: assigns to {ast.unparse(t)}")
                elif isinstance(t, ast.Name) and t.id in {"checks", "reglab", "np", "numpy"}:
                    reasons.append(f"line {node.lineno}: rebinds the name {t.id}")
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in {"checks", "reglab", "np", "numpy"}:
            reasons.append(f"line {node.lineno}: redefines {node.name}")
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else (f.attr if isinstance(f, ast.Attribute) else None)
            if name in SUSPICIOUS_CALLS:
                reasons.append(f"line {node.lineno}: calls {name}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                any(part in node.value for part in PROTECTED_PATH_PARTS):
            reasons.append(f"line {node.lineno}: refers to grading files ({node.value[:60]!r})")
        elif isinstance(node, ast.Attribute) and node.attr in SUSPICIOUS_ATTRS:
            reasons.append(f"line {node.lineno}: uses .{node.attr}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for m in mods:
                if m.split(".")[0] in SUSPICIOUS_IMPORTS:
                    reasons.append(f"line {node.lineno}: imports {m}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reglab"):
                for a in node.names:
                    if a.asname in {"np", "numpy"}:
                        reasons.append(f"line {node.lineno}: imports under a protected name")
    return reasons


def _student_code_cells(nb, source_nb):
    """Code cells the student controls: solution cells and cells the instructor's source does not lock."""
    locked = {c.metadata["nbgrader"]["grade_id"] for c in source_nb.cells
              if c.metadata.get("nbgrader", {}).get("locked") or c.metadata.get("nbgrader", {}).get("grade")}
    for i, c in enumerate(nb.cells):
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if c.cell_type == "code" and gid not in locked:
            yield i, c


def check_submission(student, assignment, submitted_dir: Path, source_dir: Path, release_dir: Path) -> IntakeResult:
    """Validate, normalize and, where the policy says so, replace a submission's files in place."""
    res = IntakeResult(student, assignment)
    res.digest = digest_dir(submitted_dir)
    expected = sorted(p.name for p in release_dir.glob("*.ipynb"))
    allowed = {p.relative_to(source_dir).as_posix() for p in source_dir.rglob("*") if p.is_file()}
    present = sorted(p.relative_to(submitted_dir).as_posix() for p in submitted_dir.rglob("*") if p.is_file())
    notebooks = [p for p in present if p.endswith(".ipynb")]

    extra = [p for p in present if p not in allowed and not p.startswith(".")]
    wrong_names = [p for p in notebooks if p not in expected]
    for name in expected:
        if name not in notebooks:
            hint = f" (found {', '.join(wrong_names)})" if wrong_names else ""
            res.add("wrong name" if wrong_names else "missing", f"{name} was not submitted{hint}; graded as missing (0 points)", zero=True)
    if extra:
        res.add("extra files", "dropped before grading: " + ", ".join(extra))
    for p in extra:
        (submitted_dir / p).unlink()

    for name in expected:
        path = submitted_dir / name
        if not path.exists():
            shutil.copy(release_dir / name, path)  # missing: the gradebook gets a blank (0-point) submission
            continue
        source_nb = nbformat.read(source_dir / name, as_version=4)
        released_nb = nbformat.read(release_dir / name, as_version=4)
        nb = _read_checked(path, res)
        if nb is not None:
            nb = _normalize(nb, res)
            if _belongs_elsewhere(nb, released_nb):
                res.add("other assignment", f"{name} does not have this assignment's locked cells (setup, tests); "
                        "graded as blank", zero=True)
                nb = None
        if nb is not None:
            _compare_locked_cells(nb, released_nb, name, res)
            _sanitize_grade_ids(nb, released_nb, name, res)
            reasons = [f"cell {i}: {r}" for i, c in _student_code_cells(nb, source_nb) for r in find_tampering(c.source)]
            if reasons:
                res.add("flagged", f"{name}: code that tampers with grading ({'; '.join(reasons[:4])}); graded as blank",
                        zero=True)
                nb = None
        if nb is None:
            shutil.copy(release_dir / name, path)  # grade the blank student version instead
        else:
            nbformat.write(nb, path)
    return res


def _belongs_elsewhere(nb, released_nb):
    """True when at most a third of this assignment's locked cells appear unchanged in the notebook."""
    ref = {c.metadata["nbgrader"]["grade_id"]: c.source for c in released_nb.cells
           if c.metadata.get("nbgrader", {}).get("locked") and c.metadata["nbgrader"].get("grade_id")}
    if not ref:
        return False
    got = {}
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in ref and gid not in got:
            got[gid] = c.source
    same = sum(1 for gid, src in ref.items() if got.get(gid) == src)
    return same <= len(ref) / 3


def _sanitize_grade_ids(nb, released_nb, name, res: IntakeResult):
    """nbgrader aborts on grade ids it does not know and on repeated ones: make those cells ordinary."""
    known = {c.metadata["nbgrader"]["grade_id"] for c in released_nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")}
    seen, dups = set(), []
    for c in nb.cells:
        meta = c.metadata.get("nbgrader")
        if not meta:
            continue
        gid = meta.get("grade_id")
        if gid not in known or gid in seen:
            if gid in seen:
                dups.append(gid)
            del c.metadata["nbgrader"]
        else:
            seen.add(gid)
    if dups:
        res.add("duplicate grade ids", f"{name}: {', '.join(sorted(set(dups)))} appear more than once; the first counts, "
                "the copies run as ordinary cells")


def _compare_locked_cells(nb, released_nb, name, res: IntakeResult):
    """Report changes to the cells the student may not change; nbgrader restores them when grading."""
    def locked(book):
        return {c.metadata["nbgrader"]["grade_id"]: c for c in book.cells
                if c.metadata.get("nbgrader", {}).get("locked") and c.metadata["nbgrader"].get("grade_id")}

    ref, got = locked(released_nb), {}
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid:
            got.setdefault(gid, c)
    known = {c.metadata["nbgrader"]["grade_id"] for c in released_nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")}
    edited, retyped, points, sums = [], [], [], []
    for gid, ref_cell in ref.items():
        cell = got.get(gid)
        if cell is None:
            continue  # deleted: a deleted test scores 0 after grading, and says so
        if cell.cell_type != ref_cell.cell_type:
            retyped.append(gid)
        elif cell.source != ref_cell.source:
            edited.append(gid)
        m, rm = cell.metadata.get("nbgrader", {}), ref_cell.metadata["nbgrader"]
        if m.get("points") != rm.get("points"):
            points.append(gid)
        if m.get("checksum") != rm.get("checksum"):
            sums.append(gid)
    order = [g for g in (c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells) if g in ref]
    expected_order = [g for g in ref if g in got]
    if edited:
        res.add("edited test", f"{name}: locked cell(s) {', '.join(edited)} were changed; graded with the original source")
    if retyped:
        res.add("retyped test", f"{name}: cell(s) {', '.join(retyped)} changed type; graded as the original code cells")
    if points:
        res.add("changed points", f"{name}: points of {', '.join(points)} were edited; the gradebook's points count")
    if sums and not (edited or retyped):
        res.add("changed checksum", f"{name}: checksums of {', '.join(sums)} were edited (no effect on grading)")
    if len(order) == len(set(order)) and order != expected_order:
        res.add("reordered", f"{name}: locked cells were moved; tests run where the student put them")
    unknown = sorted({g for g in got if g not in known})
    if unknown:
        res.add("unknown grade ids", f"{name}: grade ids not in the assignment: {', '.join(unknown)} "
                "(run as ordinary cells, never scored)")


def _read_checked(path: Path, res: IntakeResult):
    raw = path.read_bytes()
    name = path.name
    if not raw.strip():
        res.add("empty", f"{name} is empty; graded as blank", zero=True)
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        res.add("not utf-8", f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start}); graded as blank", zero=True)
        return None
    try:
        json.loads(text)
    except ValueError as exc:
        res.add("malformed", f"{name} is not valid JSON ({exc}); graded as blank", zero=True)
        return None
    try:
        with warnings.catch_warnings():  # duplicate/missing cell ids are repaired and reported below
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
    except Exception as exc:  # nbformat raises many kinds
        res.add("not a notebook", f"{name} is JSON but not a notebook ({type(exc).__name__}: {str(exc)[:120]}); graded as blank",
                zero=True)
        return None
    return nb


def _normalize(nb, res: IntakeResult):
    if nb.nbformat_minor < 5 or any("id" not in c for c in nb.cells):
        res.add("normalized", f"nbformat 4.{nb.nbformat_minor} notebook without cell ids upgraded to 4.5")
        nb.nbformat_minor = 5
    seen = set()
    for c in nb.cells:  # missing or repeated cell ids: nbgrader needs unique ones
        if not c.get("id") or c["id"] in seen:
            c["id"] = random_cell_id()
        seen.add(c["id"])
    for c in nb.cells:  # stray keys from old formats that 4.5 rejects
        if c.cell_type == "markdown":
            c.pop("outputs", None)
            c.pop("execution_count", None)
    return nb
