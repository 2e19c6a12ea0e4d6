"""Student versions from the instructor sources, through nbgrader's own ``generate_assignment``.

``reglab release`` regenerates ``notebooks/<id>/`` from ``solutions/<id>/`` with the configuration in
``autograder/nbgrader_config.py``, and the course index ``notebooks/index.ipynb`` from the course map;
``reglab release --check`` regenerates into a temporary folder and reports any difference from the committed
student versions, and any test cell that would send an expected value to the student's kernel under grading
(:func:`kernel_bound_expected`). ``reglab release --bundle DIR`` writes what a student receives
(:func:`bundle`).
"""

from __future__ import annotations

import ast
import builtins
import filecmp
import hashlib
import re
import shutil
import tempfile
import tomllib
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


# ----------------------------------------------------------------------------- the student copy

#: the student copy's own files: source in the repository -> name in the copy
STUDENT_FILES = {"student/README.md": "README.md", "student/Makefile": "Makefile", "student/lab.mk": "lab.mk"}
#: the repository's folders no student copy holds anything of
INSTRUCTOR_PARTS = ("solutions", "autograder", "tests", "benchmarks")
SECRET_MARKERS = (("### BEGIN SOLUTION", "### END SOLUTION"), ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
                  ("=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ==="))


def split_secret(source: str) -> tuple[list[str], list[str]]:
    """A cell's lines, stripped: (those inside its solution, hidden-test and mark-scheme regions, the others)."""
    secret, public, end = [], [], None
    for line in (s.strip() for s in source.splitlines()):
        if end is not None:
            if line.startswith(end):
                end = None
            else:
                secret.append(line)
            continue
        end = next((e for b, e in SECRET_MARKERS if line.startswith(b)), None)
        if end is None:
            public.append(line)
    return secret, public


def secret_lines(root: Path) -> set[str]:
    """The lines of substance (12 characters or more) of the instructor sources' solutions, hidden
    tests and mark schemes that a student is not given anyway: a line that is also in a notebook's visible cells,
    or in the library (which implements the course's mathematics for its figures; the questions forbid calling
    it), is not counted."""
    import nbformat

    secret, public = set(), set()
    for sid in available_sessions(root):
        for path in sorted((root / "solutions" / sid).glob("*.ipynb")):
            for cell in nbformat.read(path, as_version=4).cells:
                s, p = split_secret(cell.source)
                secret.update(s)
                public.update(p)
    for path in sorted((root / "lib" / "reglab").rglob("*.py")):
        public.update(line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line for line in secret - public if len(line) >= 12}


def _file_lines(path: Path) -> set[str]:
    """A file's stripped lines; a notebook's are its cells' sources and text outputs (read as JSON, not as text)."""
    import nbformat

    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        texts = [c.source for c in nb.cells]
        texts += [str(o.get("text", "")) for c in nb.cells for o in c.get("outputs", [])]
        return {line.strip() for t in texts for line in t.splitlines()}
    return {line.strip() for line in path.read_bytes().decode("utf-8", "replace").splitlines()}


def bundle_leaks(target: Path, root: Path | None = None) -> list[str]:
    """What in a student copy comes from the instructors' side: a path under one of :data:`INSTRUCTOR_PARTS` or
    the grader's package, a file with the same bytes as one of theirs (under any name), a line of a solution,
    hidden test or mark scheme (:func:`secret_lines`). Empty when the copy can be handed out."""
    root = root or find_course_root()
    target = Path(target)
    theirs = {}
    for part in INSTRUCTOR_PARTS:
        for p in sorted((root / part).rglob("*")):
            if p.is_file() and p.stat().st_size:
                theirs.setdefault(hashlib.sha256(p.read_bytes()).hexdigest(), p.relative_to(root).as_posix())
    secrets = secret_lines(root)
    problems = []
    for path in sorted(target.rglob("*")):
        rel = path.relative_to(target)
        if rel.parts[0] in INSTRUCTOR_PARTS or "reglab_autograder" in rel.parts:
            problems.append(f"{rel.as_posix()}: instructors' material")
        if not path.is_file():
            continue
        same = theirs.get(hashlib.sha256(path.read_bytes()).hexdigest())
        if same:
            problems.append(f"{rel.as_posix()}: a copy of {same}")
        for line in sorted(_file_lines(path) & secrets):
            problems.append(f"{rel.as_posix()}: a line of a solution or hidden test: {line[:80]}")
    return problems


def runtime_pyproject(text: str) -> str:
    """``pyproject.toml`` for the student copy: without the test extras and the developers' tool settings."""
    out, keep = [], True
    for line in text.splitlines(keepends=True):
        header = re.match(r"\[([\w.-]+)\]\s*$", line)
        if header:
            name = header.group(1)
            keep = name != "project.optional-dependencies" and (not name.startswith("tool.")
                                                                 or name.startswith("tool.setuptools"))
        if keep:
            out.append(line)
    return "".join(out).rstrip() + "\n"


def runtime_pins(constraints: str, dependencies, requires=None) -> str:
    """The lines of ``constraints`` (constraints.txt) pinning ``dependencies`` (requirement strings) and what they
    require, recursively, as ``requires(name)`` (default: the installed distributions' metadata) says on this
    Python; every pin of a package is kept, those for older Pythons too. Other pins and comments are left out."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import requires as installed_requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    requires = requires or installed_requires
    needed, seen, todo = set(), set(), [Requirement(d) for d in dependencies]
    while todo:
        req = todo.pop()
        key = (canonicalize_name(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        needed.add(key[0])
        try:
            below = requires(req.name) or []
        except PackageNotFoundError:
            continue
        for r in map(Requirement, below):
            if r.marker is None or any(r.marker.evaluate({"extra": e}) for e in (req.extras or {""})):
                todo.append(r)
    kept = []
    for line in constraints.splitlines():
        pin = line.split(" #", 1)[0].strip()
        if pin and not pin.startswith("#") and canonicalize_name(Requirement(pin).name) in needed:
            kept.append(line)
    header = "# Exact versions of what the course needs to run (pip constraints: pip install -c constraints.txt ...)."
    return "\n".join([header, *kept]) + "\n"


def bundle(target, root: Path | None = None, archive: bool = False) -> Path:
    """Write the student copy into the new folder ``target``: the student notebooks as release generates them now,
    the course index, the library (``lib/reglab``) with a runtime-only ``pyproject.toml`` and ``constraints.txt``,
    and the copy's README, Makefile and ``lab.mk`` (``student/``); with ``archive``, ``target.zip`` beside it.
    Nothing of :data:`INSTRUCTOR_PARTS`: :func:`bundle_leaks` is checked before it returns. Returns ``target``."""
    root = root or find_course_root()
    target = Path(target).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} already exists and is not an empty folder: the student copy is written "
                              "into a new folder (remove it, or give another path)")
    _generate(root, available_sessions(root), release_directory=str(target / "notebooks"))
    (target / "notebooks" / INDEX).write_text(index_text(), encoding="utf-8")
    shutil.copy2(root / "notebooks" / "README.md", target / "notebooks" / "README.md")
    shutil.copytree(root / "lib" / "reglab", target / "lib" / "reglab",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for source, name in STUDENT_FILES.items():
        shutil.copy2(root / source, target / name)
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    (target / "pyproject.toml").write_text(runtime_pyproject(pyproject), encoding="utf-8")
    (target / "constraints.txt").write_text(runtime_pins((root / "constraints.txt").read_text(encoding="utf-8"),
                                                         tomllib.loads(pyproject)["project"]["dependencies"]),
                                            encoding="utf-8")
    leaks = bundle_leaks(target, root)
    if leaks:
        raise RuntimeError(f"the student copy in {target} holds instructors' material; do not hand it out:\n"
                           + "\n".join(leaks))
    if archive:
        shutil.make_archive(str(target), "zip", root_dir=target.parent, base_dir=target.name)
    return target


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
