"""Student versions from the instructor sources, through nbgrader's own ``generate_assignment``.

``reglab release`` regenerates ``notebooks/<id>/`` from ``solutions/<id>/`` with the configuration in
``autograder/nbgrader_config.py``, and the course index ``notebooks/index.ipynb`` from the course map;
``reglab release --check`` regenerates into a temporary folder and reports any difference from the committed
student versions, and any test cell that would send an expected value to the student's kernel under grading
(:func:`kernel_bound_expected`).
"""

from __future__ import annotations

import ast
import builtins
import filecmp
import tempfile
from pathlib import Path

from . import course

CONFIG_RELATIVE = Path("autograder") / "nbgrader_config.py"


def find_course_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder above ``start`` (or cwd) holding the nbgrader config,
    falling back to the source tree this package was installed from."""
    candidates = []
    here = (start or Path.cwd()).resolve()
    candidates.extend([here, *here.parents])
    candidates.extend(Path(__file__).resolve().parents)
    for c in candidates:
        if (c / CONFIG_RELATIVE).is_file() and (c / "solutions").is_dir():
            return c
    raise FileNotFoundError(
        f"no course found: expected {CONFIG_RELATIVE} and solutions/ in {here} or a parent folder"
    )


def load_config(root: Path, release_directory: str | None = None):
    """nbgrader configuration of the course, rooted at ``root``."""
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader(CONFIG_RELATIVE.name, path=str(root / CONFIG_RELATIVE.parent)).load_config()
    cfg.CourseDirectory.root = str(root)
    if release_directory is not None:
        cfg.CourseDirectory.release_directory = release_directory
    return cfg


def available_sessions(root: Path) -> list[str]:
    """Sessions whose instructor source exists, in course order."""
    return [s.id for s in course.SESSIONS if (root / "solutions" / s.notebook).is_file()]


def _generate(root: Path, session_ids, release_directory: str | None = None):
    from nbgrader.apps import NbGraderAPI

    api = NbGraderAPI(config=load_config(root, release_directory))
    api.log.setLevel("WARNING")
    for sid in session_ids:
        result = api.generate_assignment(sid, force=True, create=True)
        if not result.get("success"):
            log = (result.get("log") or "").strip().splitlines()
            errors = "\n".join(line for line in log if "Error" in line or "error" in line.lower())
            detail = errors[-3000:] or result.get("error")
            raise RuntimeError(f"nbgrader generate_assignment failed for {sid}:\n{detail}")


def release(root: Path | None = None, session_ids=None) -> list[str]:
    """Regenerate the student versions and the course index; returns the sessions released."""
    root = root or find_course_root()
    ids = list(session_ids or available_sessions(root))
    _generate(root, ids)
    (root / "notebooks" / INDEX).write_text(index_text(), encoding="utf-8")
    return ids


def diff_release(root: Path | None = None, session_ids=None) -> list[str]:
    """Generate into a temporary folder and list the files that differ from ``notebooks/``."""
    root = root or find_course_root()
    ids = list(session_ids or available_sessions(root))
    with tempfile.TemporaryDirectory(prefix="reglab-release-") as tmp:
        target = Path(tmp) / "notebooks"
        _generate(root, ids, release_directory=str(target))  # an absolute release directory

        problems = []
        for sid in ids:
            fresh, committed = target / sid, root / "notebooks" / sid
            if not committed.is_dir():
                problems.append(f"notebooks/{sid}/ is missing")
                continue
            cmp = filecmp.dircmp(fresh, committed, ignore=["__pycache__", ".ipynb_checkpoints"])
            problems.extend(_dircmp_problems(cmp, f"notebooks/{sid}"))
        return problems + index_problems(root)


def _dircmp_problems(cmp, prefix):
    out = [f"{prefix}/{n} would be created by release" for n in cmp.left_only]
    out += [f"{prefix}/{n} is not produced by release" for n in cmp.right_only]
    for name in cmp.common_files:
        a, b = Path(cmp.left) / name, Path(cmp.right) / name
        if a.read_bytes() != b.read_bytes():
            out.append(f"{prefix}/{name} differs from what release produces now")
    for name, sub in cmp.subdirs.items():
        out.extend(_dircmp_problems(sub, f"{prefix}/{name}"))
    return out


# ----------------------------------------------------------------------------- the course index

INDEX = "index.ipynb"  # in notebooks/, beside the sessions' folders


def index_notebook():
    """The course index: every session linked, with its estimated time (``course.Session.minutes``) and what it
    builds on, and a cell printing the progress recorded so far (what ``reglab progress`` prints)."""
    import nbformat

    rows = []
    for s in course.SESSIONS:
        builds_on = ", ".join(str(course.get_session(p).number) for p in s.prerequisites) or "-"
        rows.append(f"| {s.number} | [{s.title}]({s.notebook}) | about {s.minutes} min | {builds_on} |")
    hours, minutes = divmod(sum(s.minutes for s in course.SESSIONS), 60)
    intro = "\n".join([
        "# Regularization for deep learning: the course",
        "",
        f"The course has {len(course.SESSIONS)} sessions: take them in order. Open a session, run its cells from the "
        "top, answer each practice question in its `# YOUR CODE HERE` cell and run the check cell below it; the "
        "**mastery gate** at the end of the session says whether you are ready for the next one. The times are "
        "estimates for a first pass: reading, the explorations and the practice questions.",
        "",
        "| session | title | time | builds on session |",
        "|---|---|---|---|",
        *rows,
        "",
        f"About {hours} h {minutes:02d} min in all. How to work, how to hand your notebooks in, and what to do when "
        "something goes wrong: [README.md](README.md) in this folder.",
    ])
    progress = ("## Your progress\n\nThe cell below prints which practice questions your checks have recorded, "
                "session by session (`reglab progress` in a terminal prints the same table).")
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    nb.cells = [nbformat.v4.new_markdown_cell(intro), nbformat.v4.new_markdown_cell(progress),
                nbformat.v4.new_code_cell("from reglab import checks\n\nprint(checks.progress_table())")]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"index-{i:03d}"  # stable ids: the same file on every release
    nbformat.validate(nb)
    return nb


def index_text() -> str:
    """``notebooks/index.ipynb`` as ``reglab release`` writes it."""
    import nbformat

    text = nbformat.writes(index_notebook())
    return text if text.endswith("\n") else text + "\n"


def index_problems(root: Path) -> list[str]:
    """What ``reglab release --check`` says about the committed index (empty when it is what release writes)."""
    path = root / "notebooks" / INDEX
    if not path.is_file():
        return [f"notebooks/{INDEX} is missing"]
    if path.read_text(encoding="utf-8") != index_text():
        return [f"notebooks/{INDEX} differs from what release produces now (the course map changed)"]
    return []


# ----------------------------------------------------------------------------- test cells under grading

CHECKS = ("check", "check_true", "check_choice")


def read_names(source: str) -> tuple[set, set]:
    """(names a cell reads, names it binds), every scope of the cell together: what a test cell needs from
    elsewhere is the first minus the second (the grader's checker asks the kernel for those that are the student's)."""
    tree = ast.parse(source)
    reads, binds = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (reads if isinstance(node.ctx, ast.Load) else binds).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            binds.add(node.name)
        elif isinstance(node, ast.arg):
            binds.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            binds.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            binds.add(node.name)
    return reads, binds


def kernel_bound_expected(source: str, checker_names=()) -> list[str]:
    """Where a test cell passes an expected or misconception value to the student's code.

    Under ``reglab grade`` a test cell runs in the grader's checker and every name it reads that it does not
    define (nor ``checker_names``: imports, earlier test cells' names, builtins) is the student's, asked of the
    kernel; the arguments of a call to such a name are sent there. A ``checks.check``'s expected value (its third
    argument) or a ``misconceptions=`` value must never be among them: neither the expression itself nor a name
    bound to it. Only values computed from the cell's own values are flagged: an expected value made of literals
    and library calls alone (``np.arange(1.0, 7.0)`` for an identity), or a name holding generated data (a
    misconception "returned its input" whose value is that input), is an input the kernel was given anyway.
    """
    tree = ast.parse(source)
    reads, binds = read_names(source)
    student = reads - binds - set(checker_names) - set(dir(builtins))
    expected = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CHECKS:
            if len(node.args) >= 3:
                expected.append(node.args[2])
            for kw in node.keywords:
                if kw.arg in ("expected", "correct"):
                    expected.append(kw.value)
                elif kw.arg == "misconceptions" and isinstance(kw.value, ast.Dict):
                    expected.extend(kw.value.values)
    assigned = {t.id: node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}

    def computed(expr):  # made from the cell's own values (not only literals and modules): an answer, not an input
        if isinstance(expr, ast.Name):
            expr = assigned.get(expr.id, expr)
            if isinstance(expr, ast.Name):
                return False
        return any(isinstance(n, ast.Name) and n.id in binds for n in ast.walk(expr))

    secret = {ast.dump(e) for e in expected if computed(e)}
    tainted = {e.id for e in expected if isinstance(e, ast.Name) and computed(e)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and ast.dump(node.value) in secret:
            tainted.update(t.id for t in node.targets if isinstance(t, ast.Name))
    problems = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _root(node.func) in student):
            continue
        for arg in [*node.args, *(kw.value for kw in node.keywords)]:
            for sub in ast.walk(arg):
                if ast.dump(sub) in secret or (isinstance(sub, ast.Name) and sub.id in tainted):
                    problems.append(f"line {node.lineno}: {ast.unparse(node)[:80]} passes the expected value "
                                    f"{ast.unparse(sub)[:40]} to the student's code (it would be sent to the kernel)")
                    break
    return problems


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def test_cell_problems(root: Path | None = None, session_ids=None) -> list[str]:
    """:func:`kernel_bound_expected` for every test cell of the instructor notebooks."""
    import nbformat

    root = root or find_course_root()
    problems = []
    for sid in session_ids or available_sessions(root):
        for path in sorted((root / "solutions" / sid).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            known = set()
            for cell in nb.cells:
                meta = cell.get("metadata", {}).get("nbgrader", {})
                if cell.cell_type != "code":
                    continue
                tree = ast.parse("\n".join(ln for ln in cell.source.splitlines() if not ln.lstrip().startswith("%")))
                if meta.get("locked") and not meta.get("grade"):
                    known.update((a.asname or a.name).split(".")[0] for n in ast.walk(tree)
                                 if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names)
                if meta.get("grade") and not meta.get("solution"):
                    for p in kernel_bound_expected(cell.source, known):
                        problems.append(f"solutions/{sid}/{path.name} test cell {meta.get('grade_id')}: {p}")
                    known.update(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and
                                 isinstance(n.ctx, ast.Store))
                    known.update(n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef)))
    return problems
