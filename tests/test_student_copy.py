"""The student copy (`make student`, `reglab release --bundle DIR`): what a student receives holds the notebooks, the
library and a Makefile of its own, nothing of the answers, and its `make lab` works as root and as an ordinary user."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import tomllib
import urllib.request
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from helpers import (
    INSTRUCTOR_PLUGINS,
    STUDENT_COPY_ENV,
    STUDENT_PLUGINS,
    assert_students_jupyterlab,
    jupyterlab_process,
    make_lab,
    start_student_copy,
)
from reglab import course, release, selftest

ROOT = Path(__file__).resolve().parents[1]
STUDENT_JUPYTER = ROOT / "lib" / "reglab" / "student_jupyter"
NOBODY = 65534  # an ordinary user with a passwd entry (Jupyter asks for the user's name)
# the copy is written once per test run, on one test process (make test: --dist loadgroup)
COPY = pytest.mark.xdist_group("student-copy")


# ----------------------------------------------------------------------------- pure parts


def test_split_secret_separates_solutions_and_hidden_tests_from_the_rest():
    source = ("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
              "checks.check('q1', f, 2)\n### BEGIN HIDDEN TESTS\nchecks.check('q1', f, 4)\n### END HIDDEN TESTS\n")
    secret, public = release.split_secret(source)
    assert secret == ["return 2 * x", "checks.check('q1', f, 4)"]
    assert public == ["def f(x):", "checks.check('q1', f, 2)"]
    assert release.split_secret("=== BEGIN MARK SCHEME ===\nfull marks if\n=== END MARK SCHEME ===\nok")[0] == [
        "full marks if"]


def test_the_secret_lines_cover_every_session_and_leave_out_what_students_are_given():
    secrets = release.secret_lines(ROOT)
    assert len(secrets) > 300  # every solution, hidden test and model answer of seven sessions
    per_session = {sid: 0 for sid in release.available_sessions(ROOT)}
    for sid in per_session:
        nb = nbformat.read(ROOT / "solutions" / course.get_session(sid).notebook, as_version=4)
        per_session[sid] = sum(line in secrets for c in nb.cells for line in release.split_secret(c.source)[0])
    assert all(n >= 10 for n in per_session.values()), per_session
    library = {line.strip() for p in (ROOT / "lib" / "reglab").rglob("*.py") for line in p.read_text().splitlines()}
    assert not secrets & library and all(len(line) >= 12 for line in secrets)


def test_the_runtime_pyproject_has_no_test_extras_nor_tool_settings():
    text = release.runtime_pyproject((ROOT / "pyproject.toml").read_text())
    ours, full = tomllib.loads(text), tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "optional-dependencies" not in ours["project"] and set(ours.get("tool", {})) == {"setuptools"}
    assert ours["project"]["dependencies"] == full["project"]["dependencies"]
    assert ours["project"]["scripts"] == full["project"]["scripts"]


def test_runtime_pins_follow_the_dependencies_down_and_keep_every_python_s_pin():
    constraints = ("# a comment\na==1.0\nb==2.0\nb==1.9 ; python_full_version < '3.11.4'\nc==3.0\nd==4.0\n"
                   "e==5.0\ntest-only==9.9\n")
    requires = {"a": ["b>=1", "c[x]", "z ; extra == 'docs'"], "b": [], "c": ["d ; extra == 'x'", "e ; extra == 'y'"],
                "d": None}.get
    assert release.runtime_pins(constraints, ["a"], requires).splitlines()[1:] == [
        "a==1.0", "b==2.0", "b==1.9 ; python_full_version < '3.11.4'", "c==3.0", "d==4.0"]


def test_the_runtime_pins_hold_what_the_course_runs_on_and_nothing_of_the_tests():
    text = release.runtime_pins((ROOT / "constraints.txt").read_text(),
                                tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    names = {canonicalize_name(Requirement(line.split(" #")[0]).name) for line in text.splitlines()
             if line and line[0] != "#"}
    assert {"jupyterlab", "nbgrader", "numpy", "scikit-learn", "ipywidgets", "soupsieve"} <= names
    assert not names & {"pytest", "torch", "playwright", "ruff", "hypothesis", "dask", "psycopg"}


def test_the_student_jupyter_config_names_nbgrader_s_own_plugins_and_server_extensions():
    """The ids hidden by lib/reglab/student_jupyter are those of the installed nbgrader (a renamed plugin would
    otherwise show again, silently)."""
    import importlib.util
    import sys

    page = json.loads((STUDENT_JUPYTER / "labconfig" / "page_config.json").read_text())
    assert sorted(page["disabledExtensions"]) == sorted(INSTRUCTOR_PLUGINS)
    static = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader" / "static"
    code = "".join(p.read_text(errors="replace") for p in static.glob("*.js"))
    for plugin in (*INSTRUCTOR_PLUGINS, *STUDENT_PLUGINS):
        assert f'"{plugin}"' in code or f"'{plugin}'" in code, plugin
    server = json.loads((STUDENT_JUPYTER / "jupyter_server_config.d" / "reglab-student.json").read_text())
    for module, on in server["ServerApp"]["jpserver_extensions"].items():
        assert on is False and importlib.util.find_spec(module) is not None, module


def test_first_exercise_is_the_first_solution_cell():
    nb = nbformat.read(ROOT / "notebooks" / course.SESSIONS[0].notebook, as_version=4)
    i = selftest.first_exercise(nb)
    assert nb.cells[i].metadata["nbgrader"]["solution"] and "# YOUR CODE HERE" in nb.cells[i].source
    assert not any(c.metadata.get("nbgrader", {}).get("solution") for c in nb.cells[:i])
    assert selftest.first_exercise(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])) == 1


def test_selftest_names_a_notebook_that_fails_before_its_first_exercise(tmp_path):
    """`make test` of the copy fails, naming the notebook and the error, when a cell before the first exercise fails
    (and passes on the intact notebook: tests/test_notebooks.py runs the student versions whole)."""
    folder = tmp_path / "notebooks"
    for path in selftest.notebooks_of(ROOT / "notebooks"):
        (folder / path.relative_to(ROOT / "notebooks")).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / path.relative_to(ROOT / "notebooks"))
    broken = folder / course.SESSIONS[2].notebook
    nb = nbformat.read(broken, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell("import reglab_missing_module"))
    nbformat.write(nb, broken)
    (folder / course.SESSIONS[3].notebook).unlink()
    lines = []
    status = selftest.main(folder, out=lines.append, sessions=[course.SESSIONS[2].id, course.SESSIONS[3].id])
    assert status == 1
    text = "\n".join(lines)
    assert f"{broken}: before its first exercise, cell 2 (import reglab_missing_module) failed: " \
           "ModuleNotFoundError: No module named 'reglab_missing_module'" in text
    assert f"{folder / course.SESSIONS[3].notebook} is missing" in text


def test_the_command_line_refuses_what_it_cannot_do(tmp_path, capsys, monkeypatch):
    from reglab import cli

    monkeypatch.chdir(ROOT)
    assert cli.main(["release", "--zip"]) == 2
    assert "--zip goes with --bundle DIR" in capsys.readouterr().err
    (tmp_path / "mine.txt").write_text("a student's notes")
    assert cli.main(["release", "--bundle", str(tmp_path)]) == 2
    assert f"{tmp_path} already exists and is not an empty folder" in capsys.readouterr().err
    assert (tmp_path / "mine.txt").read_text() == "a student's notes"


# ----------------------------------------------------------------------------- the copy itself


@pytest.fixture(scope="module")
def copy():
    """The student copy with its environment built by its own Makefile, in a folder an ordinary user can read:
    started in the background as the run began (conftest.py), or now."""
    started = os.environ.get(STUDENT_COPY_ENV)
    top, proc = (Path(started), None) if started else start_student_copy()
    t0 = time.monotonic()
    while not (top / "status").exists() and time.monotonic() - t0 < 900:
        time.sleep(0.5)
    status = (top / "status").read_text().strip() if (top / "status").exists() else "did not end in 15 minutes"
    log = (top / "build.log").read_text(errors="replace") if (top / "build.log").exists() else ""
    if status != "0":
        pytest.fail(f"writing the student copy or building its environment failed ({status}):\n{log[-4000:]}")
    print(f"\nstudent copy written and its environment built in {(top / 'seconds').read_text().strip()} s "
          f"(waited {time.monotonic() - t0:.0f} s for it)")
    yield top / "reglab-student"
    if proc is not None:  # else conftest.py removes it when the run ends
        subprocess.Popen(["rm", "-rf", str(top)], start_new_session=True)


@COPY
def test_the_copy_holds_the_student_side_and_nothing_of_the_answers(copy, tmp_path):
    """What students receive, the zip (the folder beside it has its environment built by now), unpacked."""
    shutil.unpack_archive(copy.parent / "reglab-student.zip", tmp_path)
    handout = tmp_path / "reglab-student"
    files = sorted(p.relative_to(handout).as_posix() for p in handout.rglob("*") if p.is_file())
    top = {f.split("/")[0] for f in files}
    assert top == {"README.md", "Makefile", "lab.mk", "pyproject.toml", "constraints.txt", "lib", "notebooks"}, top
    assert {f"notebooks/{s.notebook}" for s in course.SESSIONS} | {"notebooks/index.ipynb", "notebooks/README.md",
                                                                    "lib/reglab/checks.py"} <= set(files)
    # nothing of the instructors' side, by path or by content, and no line of a solution or a hidden test
    assert release.bundle_leaks(handout, ROOT) == []
    for f in (f for f in files if f.endswith(".ipynb")):  # (the library's guide to test cells names the markers)
        text = (handout / f).read_text(errors="replace")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "Model answer" not in text, f
    # the check has teeth: a solution notebook under any name, one hidden-test line in a text file
    leaky = tmp_path / "leaky"
    shutil.copytree(handout, leaky)
    shutil.copy(ROOT / "solutions" / course.SESSIONS[1].notebook, leaky / "notebooks" / "spare.ipynb")
    secrets = release.secret_lines(ROOT)
    hidden = next(line for c in nbformat.read(ROOT / "solutions" / course.SESSIONS[4].notebook, as_version=4).cells
                  if "### BEGIN HIDDEN TESTS" in c.source for line in release.split_secret(c.source)[0]
                  if line in secrets)
    (leaky / "notes.txt").write_text(f"    {hidden}\n")
    (leaky / "tests").mkdir()
    found = release.bundle_leaks(leaky, ROOT)
    assert any(p.startswith("notebooks/spare.ipynb: a copy of solutions/") for p in found), found
    assert any(p.startswith("notebooks/spare.ipynb: a line of a solution") for p in found), found
    assert any(p.startswith("notes.txt: a line of a solution or hidden test") for p in found), found
    assert "tests: instructors' material" in found
    # and the writer refuses to write over a folder
    with pytest.raises(FileExistsError, match="not an empty folder"):
        release.bundle(leaky, ROOT)


@COPY
def test_the_copy_s_make_lab_works_as_root_and_as_an_ordinary_user(copy):
    """The copy's `make lab` (its environment built by its own Makefile from Debian 12's python3, which an ordinary
    user can run: the copy fixture) serves notebooks/ with the course's scripts first on PATH and nbgrader's
    instructor menus hidden, as root and as an ordinary user; what it installed is all pinned by the copy's
    constraints.txt."""
    progress = copy.parent / "home" / "progress.json"
    home = copy.parent / "home"
    home.mkdir()
    python = "/usr/bin/python3"
    runs = [(os.geteuid(), dict(os.environ, REGLAB_PROGRESS_FILE=str(progress)))]
    if os.geteuid() == 0:  # as root, and then as an ordinary user (the environment is built by then)
        os.chown(home, NOBODY, NOBODY)
        runs.append((NOBODY, {"PATH": "/usr/bin:/bin", "HOME": str(home), "USER": "nobody", "LANG": "C.UTF-8",
                              "REGLAB_PROGRESS_FILE": str(progress)}))
    for uid, env in runs:
        t0 = time.perf_counter()
        user = uid if uid != os.geteuid() else None
        with make_lab(copy, make_args=[f"PYTHON={python}"], env=env, user=user, timeout=600) as (url, token, proc, log):
            print(f"\nuid {uid}: the copy's make lab answered after {time.perf_counter() - t0:.1f} s")
            with urllib.request.urlopen(f"{url}/api/contents?token={token}", timeout=30) as r:
                names = {item["name"] for item in json.load(r)["content"]}
            assert {"index.ipynb", "00_overfitting", "06_capstone", "README.md"} <= names, names
            assert ("--allow-root" in jupyterlab_process(proc).cmdline()) == (uid == 0)
            assert_students_jupyterlab(url, token, proc, copy / ".venv" / "bin", copy / "lib" / "reglab" /
                                       "student_jupyter")
    # every installed distribution is pinned by the copy's constraints, at the pinned version
    frozen = subprocess.run([copy / ".venv" / "bin" / "python", "-m", "pip", "freeze", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout.split()
    pins: dict[str, set] = {}
    for line in (copy / "constraints.txt").read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            req = Requirement(line)
            pins.setdefault(canonicalize_name(req.name), set()).update(s.version for s in req.specifier)
    unpinned = [f for f in frozen if f.split("==")[1] not in pins.get(canonicalize_name(f.split("==")[0]), ())]
    assert frozen and unpinned == [], unpinned
