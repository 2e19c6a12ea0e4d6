"""The self-check harness: messages, tolerance, stderr handling, progress and the mastery gate."""

import json
import warnings

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.utils import determine_grade

from reglab import checks, cli, course


@pytest.fixture(autouse=True)
def progress(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("REGLAB_PROGRESS_FILE", str(path))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    checks.start_session("01_l2_weight_decay")
    return path


def test_pass_prints_and_records(capsys, progress):
    checks.check("q2b", [0.5, 0.75], [0.5, 0.75])
    assert "\u2714 q2b passed" in capsys.readouterr().out
    assert json.loads(progress.read_text())["01_l2_weight_decay"]["q2b"]["passed"] is True


def test_wrong_values_fail_without_revealing_the_expected_value(progress):
    with pytest.raises(checks.AnswerError) as err:
        checks.check("q2b", [0.5, 0.7], [0.5, 0.712345], hint="lambda / (lambda + alpha)")
    msg = str(err.value)
    assert "1 of 2 entries" in msg and "Hint: lambda / (lambda + alpha)" in msg
    assert "0.712345" not in msg and "712" not in msg
    assert json.loads(progress.read_text())["01_l2_weight_decay"]["q2b"]["passed"] is False


def test_tolerance_is_explicit():
    checks.check("q1", 0.998 + 5e-11, 0.998, rtol=0, atol=1e-10)
    with pytest.raises(checks.AnswerError, match="off by"):
        checks.check("q1", 0.998 + 5e-9, 0.998, rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    "value,match",
    [
        (np.array([[0.5], [0.75]]), "wrong arrangement"),
        ([0.5, 0.75, 1.0], r"array of shape \(2,\)"),
        ([np.nan, 0.75], "NaN or infinity"),
        ("0.5, 0.75", "must be a number"),
        (None, "must be a number"),
        ([{"a": 1}, 2], "could not be read as numbers"),
    ],
)
def test_shape_finiteness_and_type_get_their_own_messages(value, match):
    with pytest.raises(checks.AnswerError, match=match):
        checks.check("q2b", value, [0.5, 0.75])


def test_an_object_whose_eq_is_always_true_does_not_pass():
    class Liar:
        def __eq__(self, other):
            return True

        def __float__(self):
            return 42.0

    with pytest.raises(checks.AnswerError):
        checks.check("q1", Liar(), 0.998)
    with pytest.raises(checks.AnswerError):
        checks.check("q1", [Liar()], [0.998])


def test_student_code_errors_are_reported_clearly():
    def not_done():
        raise NotImplementedError()

    with pytest.raises(checks.AnswerError, match="not answered yet"):
        checks.check("q3", not_done, 1.0)
    with pytest.raises(checks.AnswerError, match="raised ZeroDivisionError"):
        checks.check("q3", lambda: 1 / 0, 1.0)
    with pytest.raises(checks.AnswerError, match="is not defined"):
        checks.check("q3", lambda: undefined_name, 1.0)  # noqa: F821


def test_warnings_and_stderr_from_student_code_do_not_reach_stderr(capsys):
    import sys

    def noisy():
        warnings.warn("a harmless warning", RuntimeWarning)
        print("debug output", file=sys.stderr)
        return np.log(np.array([1.0, np.e]))

    checks.check("q2b", noisy, [0.0, 1.0])
    out, err = capsys.readouterr()
    assert err == ""
    assert "2 warning(s) (not counted against you)" in out and "passed" in out


def test_check_true_and_choice():
    checks.check_true("q5", lambda: True, "unused")
    with pytest.raises(checks.AnswerError, match="must be positive"):
        checks.check_true("q5", lambda: np.float64(0) > 1, "must be positive")
    with pytest.raises(checks.AnswerError):
        checks.check_true("q5", lambda: "yes", "a truthy non-bool is not True")
    checks.check_choice("q1", "B", "b")
    checks.check_choice("q1", {"a", "c"}, "ac")
    with pytest.raises(checks.AnswerError, match="more than one option"):
        checks.check_choice("q1", "a", {"a", "c"})
    with pytest.raises(checks.AnswerError, match="letter"):
        checks.check_choice("q1", 3, "a")
    with pytest.raises(checks.AnswerError, match="no option"):
        checks.check_choice("q1", "", "a")


def test_no_recording_while_nbgrader_autogrades(progress, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    checks.check("q1", 0.998, 0.998)
    assert not progress.exists()


def test_gate_and_progress_table(progress, capsys):
    s = course.get_session("01_l2_weight_decay")
    for q in s.questions:
        for p in q.parts:
            if q.id != "q4":
                checks.check(p, 1.0, 1.0)
    with pytest.raises(checks.AnswerError):
        checks.check("q4", 2.0, 1.0)
    rep = checks.gate_report("01_l2_weight_decay")
    assert not rep.ready
    assert dict((q.id, st) for q, st in rep.rows)["q4"] == "failed"
    assert "revisit 5. Linear regression" in repr(rep)
    assert "q4 must pass" in rep._repr_html_()
    checks.check("q4", 1.0, 1.0)
    rep = checks.gate_report("01_l2_weight_decay")
    assert rep.ready
    assert "../02_l1_lasso/02_l1_lasso.ipynb" in rep._repr_html_()
    capsys.readouterr()
    assert cli.main(["progress"]) == 0
    out = capsys.readouterr().out
    assert "Session 1  L2 weight decay as eigen-rescaling: 5/5 questions passed, gate cleared" in out
    assert "Session 0  Overfitting and the regularized objective: 0/4 questions passed, gate not cleared" in out
    assert cli.main(["progress", "1"]) == 0
    assert "All required questions pass" in capsys.readouterr().out


def test_corrupt_progress_file_is_ignored_not_fatal(progress):
    progress.write_text("{not json")
    assert checks.load_progress() == {}
    checks.check("q1", 0.998, 0.998)
    assert checks.load_progress()["01_l2_weight_decay"]["q1"]["passed"]


def test_unknown_session_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown session"):
        checks.start_session("99_nothing")


def _grade_of(cell_source, tmp_path):
    """Run one nbgrader test cell in a real kernel and score it with nbgrader's own determine_grade."""
    cell = new_code_cell(cell_source)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "locked": True, "points": 2,
                                 "schema_version": 3, "solution": False, "task": False}
    nb = new_notebook(cells=[new_code_cell("import warnings, numpy as np\nfrom reglab import checks"), cell])
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return determine_grade(nb.cells[1])[0], nb.cells[1].outputs


def test_nbgrader_zeroes_stderr_but_the_harness_keeps_the_points(tmp_path):
    noisy = "def answer():\n    warnings.warn('harmless', RuntimeWarning)\n    return 0.998\n"
    # without the harness capturing it, the warning reaches stderr and nbgrader gives 0 for a correct answer
    score, _ = _grade_of(noisy + "assert abs(answer() - 0.998) < 1e-9", tmp_path)
    assert score == 0
    # through the harness: same answer, full points, and no stderr output
    score, outputs = _grade_of(noisy + "checks.check('t', answer, 0.998)", tmp_path)
    assert score == 2
    assert not any(o.output_type == "stream" and o.name == "stderr" for o in outputs)
    # a wrong answer still fails
    score, _ = _grade_of("checks.check('t', lambda: 0.9, 0.998)", tmp_path)
    assert score == 0
