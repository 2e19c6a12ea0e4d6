"""The course notebooks: they run, grade, release and follow the course conventions."""

import json
import re
import shutil
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbgrader.validator import Validator
from traitlets.config import Config

from reglab import course, release, rounded, variants

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
AUTHORED = [s for s in course.SESSIONS if (ROOT / "solutions" / s.notebook).exists()]
IDS = [s.id for s in AUTHORED]
# a session's notebook tests on one worker (make test: --dist loadgroup), so each version is executed once
BY_SESSION = [pytest.param(sid, marks=pytest.mark.xdist_group(f"notebook-{sid}")) for sid in IDS]
_EXECUTED: dict = {}


def nbg(cell):
    return cell.metadata.get("nbgrader", {})


def _execute(path, tmp_path):
    """Execute a copy of a notebook in its own folder; return the executed notebook and the seconds taken."""
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb, time.perf_counter() - t0


def _executed(version, sid, tmp_path_factory):
    """The session's solution (``version`` "solutions") or student version ("notebooks"), executed once per test
    process: (executed notebook, seconds). Callers must not change it."""
    key = (version, sid)
    if key not in _EXECUTED:
        path = ROOT / version / course.get_session(sid).notebook
        _EXECUTED[key] = _execute(path, tmp_path_factory.mktemp(f"{version}-{sid}"))
    return _EXECUTED[key]


def _errors(nb):
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for o in cell.outputs:
            if o.output_type == "error":
                out.append((i, nbg(cell).get("grade_id"), f"{o.ename}: {o.evalue}"))
            elif o.output_type == "stream" and o.name == "stderr":
                out.append((i, nbg(cell).get("grade_id"), f"stderr: {o.text[:300]}"))
    return out


@pytest.fixture(autouse=True)
def _progress(tmp_path, monkeypatch):
    monkeypatch.setenv("REGLAB_PROGRESS_FILE", str(tmp_path / "progress.json"))


def test_all_seven_sessions_are_authored():
    assert [s.id for s in AUTHORED] == [s.id for s in course.SESSIONS], "sessions without a notebook yet: " + ", ".join(
        s.id for s in course.SESSIONS if s not in AUTHORED)


@pytest.mark.parametrize("sid", BY_SESSION)
def test_solution_runs_top_to_bottom_without_error(sid, tmp_path_factory):
    nb, seconds = _executed("solutions", sid, tmp_path_factory)
    assert _errors(nb) == [], f"{sid}: cells with errors or stderr output: {_errors(nb)}"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"time_{sid}.json").write_text(json.dumps({"session": sid, "seconds": round(seconds, 2)}))
    print(f"{sid}: solution executed in {seconds:.1f} s")
    # the widget renders as a widget (a view of a model), and the gate shows its table
    widget_cell = next(c for c in nb.cells if nbg(c).get("grade_id") == "widget")
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in widget_cell.outputs)
    gate_cell = next(c for c in nb.cells if nbg(c).get("grade_id") == "gate")
    html = "".join(o.get("data", {}).get("text/html", "") for o in gate_cell.outputs)
    practising = [q.id for q in course.get_session(sid).questions if variants.spec(sid, q.id) is not None]
    if not practising:
        assert "All required questions pass" in html, "the solutions must clear their own gate"
    else:  # one pass per question: those with variants are passed, not mastered yet (2 variants in a row)
        missing = html.split("Not yet: ", 1)[1].split(" must be done", 1)[0].split(", ")
        assert missing == practising, f"the solutions must pass every question ({missing})"
        assert html.count("reglab-gate-practising") == len(practising)


NEGATIVE_ZERO = re.compile(r"(?<![\w.])-0(\.0*)?(?=[\s\],)]|$)")  # -0., -0.000, [-0.] but not -0.5 or 1e-05


@pytest.mark.parametrize("sid", BY_SESSION)
def test_printed_numbers_show_no_negative_zero(sid, tmp_path_factory):
    nb, _ = _executed("solutions", sid, tmp_path_factory)
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            text = o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
            shown = [line for line in text.splitlines() if NEGATIVE_ZERO.search(line)]
            assert not shown, f"{sid} cell {i} prints a negative zero (print it through reglab.rounded): {shown[:3]}"


def test_rounded_drops_the_sign_of_zero_and_nothing_else():
    values = np.array([-1e-12, -0.0, 0.5, -2.0004, 3e-4])
    assert len(NEGATIVE_ZERO.findall(str(np.round(values, 3)))) == 2  # numpy's own rounding prints "-0." twice
    out = rounded(values, 3)
    assert not NEGATIVE_ZERO.search(str(out)) and not np.signbit(out[:2]).any()
    assert out.tolist() == [0.0, 0.0, 0.5, -2.0, 0.0]
    assert rounded(-0.25, 1) == -0.2 and rounded([[-1e-9]], 2).shape == (1, 1)


@pytest.mark.parametrize("sid", BY_SESSION)
def test_student_version_fails_only_inside_unanswered_exercises(sid, tmp_path_factory):
    session = course.get_session(sid)
    nb, _ = _executed("notebooks", sid, tmp_path_factory)
    for i, grade_id, err in _errors(nb):
        cell = nb.cells[i]
        assert nbg(cell).get("solution") or nbg(cell).get("grade"), \
            f"{sid} cell {i} ({grade_id}) failed outside an exercise: {err}"
    failed_tests = {gid for i, gid, _ in _errors(nb) if nbg(nb.cells[i]).get("grade")}
    assert failed_tests == set(session.parts), "every autograded test should fail on the blank student version"
    gate_cell = next(c for c in nb.cells if nbg(c).get("grade_id") == "gate")
    assert "Not yet" in "".join(o.get("data", {}).get("text/html", "") for o in gate_cell.outputs)


class _JudgeExecuted(Validator):
    """nbgrader's own validator judging a notebook already executed (by nbclient, whose ExecutePreprocessor
    nbgrader's Execute extends) instead of executing it a second time: its changed, type, passed and failed
    verdicts are nbgrader's."""

    preprocessors = []


def _judged(path, invert):
    """nbgrader validate's verdicts (``--invert`` when ``invert``) on the executed notebook at ``path``."""
    cfg = Config()
    cfg.Validator.invert = invert
    return _JudgeExecuted(config=cfg).validate(str(path))


@pytest.mark.parametrize("sid", BY_SESSION)
def test_nbgrader_validate_passes_solutions_and_fails_blank_student_versions(sid, tmp_path, tmp_path_factory):
    for version, invert in (("solutions", False), ("notebooks", True)):
        nb, _ = _executed(version, sid, tmp_path_factory)
        path = tmp_path / version / course.get_session(sid).notebook
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
        result = _judged(path, invert)
        assert "changed" not in result and "type_changed" not in result, result
        key = "passed" if invert else "failed"
        assert not result.get(key), f"{sid}: nbgrader validate{' --invert' if invert else ''} reports {key} cells: " + \
            "; ".join(c["source"][:80] for c in result[key])
    # and it does judge: the solution's executed outputs under --invert report its passing tests
    assert _judged(tmp_path / "solutions" / course.get_session(sid).notebook, invert=True).get("passed")


@pytest.mark.parametrize("sid", IDS)
def test_notebook_structure_follows_the_course_conventions(sid):
    session = course.get_session(sid)
    nb = nbformat.read(ROOT / "solutions" / session.notebook, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "**Objectives.**" in text and "**Prerequisites.**" in text
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert nbg(first_code).get("grade_id") == "setup" and nbg(first_code).get("locked")
    assert f'checks.start_session("{sid}")' in first_code.source
    assert "default_rng(" in first_code.source
    # the gate closes the notebook, a widget is there, both read-only
    last_code = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert nbg(last_code).get("grade_id") == "gate" and nbg(last_code).get("locked")
    widget = [c for c in nb.cells if nbg(c).get("grade_id") == "widget"]
    assert len(widget) == 1 and nbg(widget[0]).get("locked") and "widgets." in widget[0].source
    # autograded tests: points, hidden tests, and exactly the parts the course map lists
    tests = [c for c in nb.cells if nbg(c).get("grade") and c.cell_type == "code"]
    for c in nb.cells:  # Run All in the page goes on past an unanswered exercise
        if c.cell_type == "code" and (nbg(c).get("solution") or nbg(c).get("grade")):
            assert "raises-exception" in c.metadata.get("tags", []), nbg(c)["grade_id"]
    for c in tests:
        assert nbg(c)["points"] > 0 and nbg(c).get("locked")
        assert "### BEGIN HIDDEN TESTS" in c.source and "### END HIDDEN TESTS" in c.source, nbg(c)["grade_id"]
        assert f'"{nbg(c)["grade_id"]}"' in c.source, "a test cell must report under its own grade id"
    assert [nbg(c)["grade_id"] for c in tests] == sorted(session.parts, key=[nbg(c)["grade_id"] for c in tests].index)
    assert {nbg(c)["grade_id"] for c in tests} == set(session.parts)
    assert len(session.questions) >= 4
    assert any(len(q.parts) > 1 for q in session.questions), "at least one question with partial credit"
    written = [c for c in nb.cells if nbg(c).get("grade") and c.cell_type == "markdown"]
    assert {nbg(c)["grade_id"] for c in written} == set(session.written)
    if session.number in (1, 2):
        assert written, "sessions 1 and 2 need a manually graded written answer"
    # the navigation: prerequisites link back, the gate links forward
    prereq_text = text.split("**Prerequisites.**", 1)[1].split("\n\n", 1)[0]
    for pid in session.prerequisites:
        assert f"../{course.get_session(pid).notebook}" in prereq_text, f"{sid} should link its prerequisite {pid}"
    assert session.number == 0 or session.prerequisites, "every session after the first names its prerequisites"
    nxt = course.next_session(session)
    if nxt is not None:
        gate_text = text.split("Mastery gate", 1)[1]
        assert f"../{nxt.notebook}" in gate_text, f"{sid}'s gate should link to {nxt.id}"
    assert "## " in text and "Common mistakes" in text


def test_points_per_session(capsys):
    rows = []
    for s in AUTHORED:
        auto, manual = course.notebook_points(ROOT / "solutions" / s.notebook)
        released_auto, _ = course.notebook_points(ROOT / "notebooks" / s.notebook)
        assert released_auto == auto, "the student version must carry the same points"
        rows.append((s.id, auto, manual))
        assert auto >= 4
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "points.json").write_text(json.dumps(rows))
    for sid, auto, manual in rows:
        print(f"{sid:22s} autograded {auto:4.0f} points, manually graded {manual:3.0f}")


def test_student_versions_are_what_release_produces_now():
    problems = release.diff_release(ROOT)
    assert problems == [], "\n".join(problems) + "\nrun `reglab release`"


def test_release_is_idempotent(tmp_path):
    for part in ("solutions", "autograder", "notebooks"):
        shutil.copytree(ROOT / part, tmp_path / part)
    release.release(tmp_path)
    first = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "notebooks").rglob("*.ipynb")}
    release.release(tmp_path)
    second = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "notebooks").rglob("*.ipynb")}
    assert first == second and len(first) == len(AUTHORED) + 1  # and the course index
    assert not list(tmp_path.glob("*.db")), "releasing must not create a gradebook"


def test_committed_notebooks_have_no_outputs():
    for path in list((ROOT / "solutions").rglob("*.ipynb")) + list((ROOT / "notebooks").rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for c in nb.cells:
            if c.cell_type == "code":
                assert not c.outputs and c.execution_count is None, f"{path} has outputs"


def test_student_versions_hide_solutions_and_hidden_tests():
    for s in AUTHORED:
        raw = (ROOT / "notebooks" / s.notebook).read_text()
        assert "BEGIN SOLUTION" not in raw and "BEGIN HIDDEN TESTS" not in raw and "Model answer" not in raw
        assert re.search(r"raise NotImplementedError\(\)", raw)


def test_every_session_opens_with_its_estimated_time():
    """The course map's estimate (course.Session.minutes) is what each session's objectives say, in the instructor
    source and in the student version."""
    for s in course.SESSIONS:
        assert 15 <= s.minutes <= 240, s.id
        for version in ("solutions", "notebooks"):
            first = nbformat.read(ROOT / version / s.notebook, as_version=4).cells[0]
            assert first.cell_type == "markdown" and f"(about {s.minutes} minutes)" in first.source, (version, s.id)


def test_the_index_links_every_session_with_its_time_and_shows_progress(tmp_path):
    index = ROOT / "notebooks" / release.INDEX
    nb = nbformat.read(index, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    for link in links:
        assert (index.parent / link).is_file(), f"the index links {link}, which is not in notebooks/"
    assert [link for link in links if link.endswith(".ipynb")] == [s.notebook for s in course.SESSIONS]
    for s in course.SESSIONS:
        assert f"| {s.number} | [{s.title}]({s.notebook}) | about {s.minutes} min |" in text
    # it runs, and its last cell prints the progress recorded (here: none yet, in this test's progress file)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert _errors(nb) == [] and f"Progress file: {tmp_path / 'progress.json'}" in printed
    assert all(s.title in printed for s in course.SESSIONS), printed


def test_release_check_reports_a_missing_or_stale_index(tmp_path):
    (tmp_path / "notebooks").mkdir()
    assert release.index_problems(tmp_path) == [f"notebooks/{release.INDEX} is missing"]
    (tmp_path / "notebooks" / release.INDEX).write_text(
        release.index_text().replace(f"about {course.SESSIONS[0].minutes} min", "about 1 min"))
    assert release.index_problems(tmp_path) == [
        f"notebooks/{release.INDEX} differs from what release produces now (the course map changed)"]
    assert release.index_problems(ROOT) == []
