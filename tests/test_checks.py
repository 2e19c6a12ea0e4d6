"""The self-check harness: messages, tolerance, stderr handling, progress and the mastery gate."""

import json
import sys
import warnings

import numpy as np
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.utils import determine_grade

from reglab import checks, cli, course, gate, l2, variants


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


def _pass_everything(session_id, skip=()):
    """Every part of a session passes; a part with variants passes twice, on two variants in a row (mastered)."""
    s = course.get_session(session_id)
    for q in s.questions:
        if q.id in skip:
            continue
        rounds = 2 if variants.spec(session_id, q.id) is not None else 1
        for r in range(rounds):
            if r:
                checks.move_to_new_variant(session_id, q.id)
            for p in q.parts:
                checks.check(p, 1.0, 1.0)


def test_gate_and_progress_table(progress, capsys):
    _pass_everything("01_l2_weight_decay", skip={"q5"})
    with pytest.raises(checks.AnswerError):
        checks.check("q5", 2.0, 1.0)
    rep = gate.gate_report("01_l2_weight_decay")
    assert not rep.ready
    assert dict((q.id, st) for q, st in rep.rows)["q5"] == "failed"
    assert "revisit 5. Linear regression" in repr(rep)
    assert "Not yet: q5 must be done" in rep._repr_html_()
    checks.check("q5", 1.0, 1.0)  # passed after a failure on this variant: not counted towards mastery
    assert not gate.gate_report("01_l2_weight_decay").ready
    for _ in range(2):  # two new variants passed at their first check
        checks.move_to_new_variant("01_l2_weight_decay", "q5")
        checks.check("q5", 1.0, 1.0)
    rep = gate.gate_report("01_l2_weight_decay")
    assert rep.ready
    assert "../02_l1_lasso/02_l1_lasso.ipynb" in rep._repr_html_()
    capsys.readouterr()
    assert cli.main(["progress"]) == 0
    out = capsys.readouterr().out
    assert "Session 1  L2 weight decay as eigen-rescaling: 7/7 questions passed, gate cleared" in out
    assert "Session 0  Overfitting and the regularized objective: 0/5 questions passed, gate not cleared" in out
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



# ------------------------------------------------------------------------------ method rules

def _solve_directly(H, w, a):
    return np.linalg.solve(H + a * np.eye(len(w)), H @ w)


class _Solver:
    def run(self, H, w, a):
        return _solve_directly(H, w, a)


_H, _W = np.array([[2.0, 1.0], [1.0, 3.0]]), np.array([1.0, -1.0])
_EXPECTED = np.linalg.solve(_H + np.eye(2), _H @ _W)
RULE = "q3 asks for the eigendecomposition"


def _honest():
    lam, Q = np.linalg.eigh(_H)
    return Q @ (lam / (lam + 1.0) * (Q.T @ _W))


@pytest.mark.parametrize("how", ["direct", "alias", "variable", "lambda", "wrapper", "method", "partial",
                                 "deep import", "inverse", "matrix_power", "in a thread", "lazy array"])
def test_a_forbidden_call_fails_however_it_is_reached(how):
    import functools
    import threading

    from numpy.linalg import solve as sv
    from numpy.linalg._linalg import solve as deep
    f = np.linalg.solve

    class Lazy:  # computes only when the harness converts it to numbers
        def __array__(self, dtype=None, copy=None):
            return np.linalg.solve(_H + np.eye(2), _H @ _W)

    def threaded():
        out = []
        t = threading.Thread(target=lambda: out.append(np.linalg.solve(_H + np.eye(2), _H @ _W)))
        t.start()
        t.join()
        return out[0]

    answers = {
        "direct": lambda: np.linalg.solve(_H + np.eye(2), _H @ _W),
        "alias": lambda: sv(_H + np.eye(2), _H @ _W),
        "variable": lambda: f(_H + np.eye(2), _H @ _W),
        "lambda": (lambda g: lambda: g(_H + np.eye(2), _H @ _W))(lambda A, b: np.linalg.solve(A, b)),
        "wrapper": lambda: _solve_directly(_H, _W, 1.0),
        "method": lambda: _Solver().run(_H, _W, 1.0),
        "partial": lambda: functools.partial(np.linalg.solve, _H + np.eye(2))(_H @ _W),
        "deep import": lambda: deep(_H + np.eye(2), _H @ _W),
        "inverse": lambda: np.linalg.inv(_H + np.eye(2)) @ (_H @ _W),
        "matrix_power": lambda: np.linalg.matrix_power(_H + np.eye(2), -1) @ (_H @ _W),
        "in a thread": threaded,
        "lazy array": Lazy,
    }
    with pytest.raises(checks.AnswerError) as err:
        checks.check("q3", answers[how] if how != "lazy array" else (lambda: Lazy()), _EXPECTED,
                     forbid=checks.LINEAR_SOLVERS, rule=RULE)
    msg = str(err.value)
    assert msg.startswith("q3: your code called `np.linalg."), msg
    assert f"which this question does not allow ({RULE})" in msg
    assert sys.getprofile() is None and threading.getprofile() is None, "the profiler must be removed afterwards"


def test_an_honest_answer_passes_under_the_rule_and_the_library_is_fine_outside_it(capsys):
    checks.check("q3", _honest, _EXPECTED, forbid=checks.LINEAR_SOLVERS, rule=RULE)
    checks.check("q3", _honest, l2.eigen_rescale(_H, _W, 1.0), forbid=[l2.eigen_rescale, l2.shrink_factors])
    assert capsys.readouterr().out.count("passed") == 2


def test_the_library_function_that_answers_is_forbidden_with_a_default_rule():
    with pytest.raises(checks.AnswerError, match=r"your code called `l2\.shrink_factors` \(the course library's own "
                                                 r"version\), which this question does not allow \(q2b asks you to "
                                                 r"write this computation yourself\)"):
        checks.check("q2b", lambda: l2.shrink_factors(np.array([1.0, 3.0]), 1.0), [0.5, 0.75],
                     forbid=[l2.shrink_factors])


def test_the_library_private_body_of_a_forbidden_function_and_scikit_learn_are_refused_too():
    """A forbidden function's work done by calling its private body (``l2._project_ball`` under
    ``l2.project_l2_ball``), or by scikit-learn (``Ridge`` solves ridge regression outright), is not the student's own:
    wherever a check forbids anything, both are refused; the library's own calls into its private functions, within
    an allowed library function, are not."""
    w = np.array([3.0, 4.0])
    with pytest.raises(checks.AnswerError, match=r"your code called `l2\._project_ball` \(the course library's own "
                                                 r"version\)"):
        checks.check("q7a", lambda: l2._project_ball(w, 1.0), w / 5, forbid=[l2.project_l2_ball])

    def ridge_by_sklearn():
        from sklearn.linear_model import Ridge
        X, y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([1.0, 2.0, 3.0])
        return Ridge(alpha=1.0, fit_intercept=False).fit(X, y).coef_

    with pytest.raises(checks.AnswerError, match=r"your code called `scikit-learn's [\w.]+`, which this question "
                                                 r"does not allow"):
        checks.check("q5", ridge_by_sklearn, [0.8, 1.4], forbid=checks.LINEAR_SOLVERS)
    # the body under another name: l1's private alias of the private module _kernels' soft_threshold, and the module's
    # own function (a public name in a private module)
    from reglab import _kernels, l1
    for body in (l1._soft_threshold, _kernels.soft_threshold):
        with pytest.raises(checks.AnswerError, match=r"your code called `_kernels\.soft_threshold`"):
            checks.check("q1a", lambda b=body: b(np.array([2.0, -0.5]), 1.0), [1.0, 0.0], forbid=[l1.soft_threshold])

    # a figure shown inside the student's function runs plotting's private display hook (in a kernel): not an
    # answer, so not watched; the answer modules' private functions are
    from reglab import plotting
    assert checks._library_private(plotting._figure_html.__code__) is None
    assert checks._library_private(l2._project_ball.__code__) == "reglab.l2._project_ball"
    assert checks._library_private(l2.project_l2_ball.__code__) is None
    # an allowed library function may call its module's private functions: projected_gradient calls _project_ball
    got = l2.projected_gradient(lambda v: v - w, np.zeros(2), 1.0, 0.5, 50)
    checks.check("q7b", lambda: l2.projected_gradient(lambda v: v - w, np.zeros(2), 1.0, 0.5, 50), got,
                 forbid=[l2.project_l2_ball])


def test_a_forbidden_call_fails_even_when_the_error_is_swallowed():
    def sneaky():
        try:
            return l2.shrink_factors(np.array([1.0, 3.0]), 1.0)
        except BaseException:
            return None

    with pytest.raises(checks.AnswerError, match="shrink_factors"):
        checks.check("q2b", sneaky, [0.5, 0.75], forbid=[l2.shrink_factors])


@pytest.mark.parametrize("code", [
    "sys.setprofile(None)",
    "threading.setprofile(None)",
    "sys.settrace(None)",
    "sys.getprofile()",
    "(lambda s: s(None))(getattr(sys, 'setprofile'))",
    "__import__('subprocess').run(['true'])",
    "__import__('os').system('true')",
])
def test_switching_the_detection_off_fails_the_check(code):
    import threading

    def tamper():
        eval(code, {"sys": sys, "threading": threading})
        return l2.shrink_factors(np.array([1.0, 3.0]), 1.0)

    with pytest.raises(checks.AnswerError, match="went around the check that enforces"):
        checks.check("q2b", tamper, [0.5, 0.75], forbid=[l2.shrink_factors])
    assert sys.getprofile() is None


def test_a_removed_profiler_is_noticed_even_without_a_visible_call():
    import ctypes

    def remove():  # the C API, which the profiler cannot see being called
        ctypes.pythonapi.PyEval_SetProfile(None, None)
        return [0.5, 0.75]

    with pytest.raises(checks.AnswerError, match="the profiler was removed"):
        checks.check("q2b", remove, [0.5, 0.75], forbid=[l2.shrink_factors])


def test_forbid_refuses_what_it_cannot_see_and_skips_missing_modules():
    with pytest.raises(TypeError, match="ufuncs"):
        checks.check("q2b", lambda: [0.5, 0.75], [0.5, 0.75], forbid=[np.maximum])
    checks.check("q2b", lambda: [0.5, 0.75], [0.5, 0.75], forbid=["nonexistent_pkg_xyz.solve", "math.fsum"])
    with pytest.raises(checks.AnswerError, match="math.fsum"):  # a builtin (C) function, matched by identity
        checks.check("q2b", lambda: [0.5, __import__("math").fsum([0.75])], [0.5, 0.75], forbid=["math.fsum"])


def test_check_true_enforces_rules_too():
    with pytest.raises(checks.AnswerError, match="ridge"):
        checks.check_true("q5", lambda: bool(np.all(l2.ridge(np.eye(2), np.ones(2), 1.0) > 0)), "m",
                          forbid=[l2.ridge], rule="q5 asks for the normal equations")


# ------------------------------------------------------------------------------ fingerprints

def test_a_fingerprint_checks_without_showing_the_value():
    fp = checks.fingerprint(0.998, tol=1e-9)
    assert "0.998" not in fp and "998" not in fp
    # nothing in the string depends on the value but the hashes: same length and layout for another value
    assert [len(x) for x in fp.split(":")] == [len(x) for x in checks.fingerprint(3.0, tol=1e-9).split(":")]
    checks.check("q1", lambda: 1 - 2 * 0.1 * 0.01, checks.Fingerprint(fp))
    with pytest.raises(checks.AnswerError) as err:
        checks.check("q1", lambda: 0.999, checks.Fingerprint(fp))
    assert "0.998" not in str(err.value) and "off by" not in str(err.value)


@pytest.mark.parametrize("seed", range(5))
def test_fingerprint_tolerance_is_between_tol_and_four_tol(seed):
    r = np.random.default_rng(seed)
    tol = 10.0 ** float(r.integers(-9, -2))
    e = r.normal(size=6) * 10.0 ** float(r.integers(-3, 4))
    fp = checks.Fingerprint(checks.fingerprint(e, tol=tol))
    for _ in range(200):
        near = e + r.uniform(-0.999, 0.999, size=6) * tol
        assert fp.matches(near)
        far = e.copy()
        far[r.integers(6)] += r.choice([-1, 1]) * tol * r.uniform(4.001, 1e3)
        assert not fp.matches(far)
    assert not fp.matches(e[:5]) and not fp.matches(np.full(6, np.nan))


def test_fingerprints_of_integers_shapes_and_choices():
    fp = checks.Fingerprint(checks.fingerprint(7, tol=0.1))
    assert fp.matches(7) and fp.matches(7.0) and not fp.matches(6) and not fp.matches(8)
    with pytest.raises(checks.AnswerError, match="should be a single number"):
        checks.check("q1", lambda: [7, 7], fp)
    choice = checks.Fingerprint(checks.fingerprint("b"))
    checks.check_choice("q1", "B", choice)
    with pytest.raises(checks.AnswerError, match="not the right choice"):
        checks.check_choice("q1", "c", choice)
    with pytest.raises(ValueError, match="not a reglab fingerprint"):
        checks.Fingerprint("0.998")
    # the first format (one grid per entry, named in the string) is still read
    old = checks.Fingerprint("fp1:n:631fc8c9:1e-09:s:1:8edb5cba618db3734f71a9fd")
    assert old.matches(0.998) and old.matches(0.998 + 5e-10) and not old.matches(0.999)


# ------------------------------------------------------------------------------ named misconceptions

def test_a_known_mistake_is_named_with_a_marker_and_a_section_but_not_the_value(progress):
    fp = checks.Fingerprint(checks.fingerprint(0.998))
    with pytest.raises(checks.AnswerError) as err:
        checks.check("q1", lambda: 0.999, fp, misconceptions={"forgot-factor-2": 0.999, "sign-flipped": 1.002},
                     hint="generic hint")
    msg = str(err.value)
    assert checks.find_misconceptions(msg) == ["s01.q1.forgot-factor-2"]
    assert "factor 2" in msg and "Reread: 1. The weight decay step" in msg
    assert "0.998" not in msg and "generic hint" not in msg
    rec = json.loads(progress.read_text())["01_l2_weight_decay"]["q1"]
    assert rec == {**rec, "passed": False, "misconception": "s01.q1.forgot-factor-2"}
    rep = gate.gate_report("01_l2_weight_decay")
    assert "revisit 1. The weight decay step (7.4\u20137.5) (known mistake: the gradient of lambda" in repr(rep)
    assert "known mistake: the gradient" in rep._repr_html_() and "s01.q1" not in rep._repr_html_() + repr(rep)
    # an unrelated wrong value gets the generic message, and the right value passes even if listed as a mistake
    with pytest.raises(checks.AnswerError) as err:
        checks.check("q1", lambda: 0.5, fp, misconceptions={"forgot-factor-2": 0.999}, hint="generic hint")
    assert checks.find_misconceptions(str(err.value)) == [] and "generic hint" in str(err.value)
    checks.check("q1", lambda: 0.998, fp, misconceptions={"forgot-factor-2": 0.998})


def test_misconceptions_on_arrays_choices_and_fingerprints():
    with pytest.raises(checks.AnswerError, match=r"\[misconception:s01\.q2\.alpha-over-sum\]"):
        checks.check("q2b", lambda: [0.5, 0.25], [0.5, 0.75], misconceptions={"alpha-over-sum": [0.5, 0.25]})
    fp_wrong = checks.Fingerprint(checks.fingerprint([1 / 11, 10 / 11]))
    with pytest.raises(checks.AnswerError, match=r"\[misconception:s01\.q4\.alpha-over-sum\]"):
        checks.check("q4", lambda: [1 / 11, 10 / 11], [10 / 11, 1 / 11], misconceptions={"alpha-over-sum": fp_wrong})
    with pytest.raises(checks.AnswerError, match=r"\[misconception:s01\.q4\.alpha-over-sum\]"):
        checks.check_choice("q4", "a", "b", misconceptions={"alpha-over-sum": "a"})


def test_a_mistake_that_raises_is_named_by_its_error():
    """An identity of size n_examples cannot be told by its value (it has none: a shape error), only by its error."""
    X, y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([1.0, 2.0, 3.0])
    raised = {"identity-n-examples": r"shapes \(2,2\) \(3,3\)|shapes \(3,3\) \(2,2\)"}
    for eye in (lambda: X.T @ X + np.eye(len(y)), lambda: np.eye(len(y)) + X.T @ X):
        with pytest.raises(checks.AnswerError) as err:
            checks.check("q5", lambda e=eye: np.linalg.solve(e(), X.T @ y), [0.875, 1.375], raised=raised)
        msg = str(err.value)
        assert checks.find_misconceptions(msg) == ["s01.q5.identity-n-examples"]
        assert "one row and column per feature" in msg and "ValueError" in msg and "0.875" not in msg
    with pytest.raises(checks.AnswerError) as err:  # another error is only reported
        checks.check("q5", lambda: np.linalg.solve(X, y), [0.875, 1.375], raised=raised)
    assert checks.find_misconceptions(str(err.value)) == [] and "LinAlgError" in str(err.value)
    checks.check("q5", lambda: np.linalg.solve(X.T @ X + np.eye(2), X.T @ y), [0.875, 1.375], raised=raised)
    with pytest.raises(KeyError, match="declares no misconception 'made-up'"):
        checks.check("q5", [0.875, 1.375], [0.875, 1.375], raised={"made-up": "x"})


def test_misconception_keys_must_be_declared_in_the_course_map():
    with pytest.raises(KeyError, match="declares no misconception 'made-up'"):
        checks.check("q1", 0.998, 0.998, misconceptions={"made-up": 0.5})


def test_find_misconceptions_parses_markers():
    text = "q1: this is a known mistake [misconception:s01.q1.forgot-factor-2]: ...\n[misconception:s06.quiz3.l2]"
    assert checks.find_misconceptions(text) == ["s01.q1.forgot-factor-2", "s06.quiz3.l2"]
    assert checks.find_misconceptions("[misconception:Bad]") == [] and checks.find_misconceptions(None) == []


def test_every_declared_misconception_id_has_the_marker_form():
    for s in course.SESSIONS:
        for mid in s.misconception_ids():
            assert checks.find_misconceptions(f"[misconception:{mid}]") == [mid]


def test_nbgrader_scores_a_forbidden_call_zero_and_its_output_names_the_rule(tmp_path):
    src = ("checks.start_session('01_l2_weight_decay')\nfrom reglab import l2\n"
           "s = l2.shrink_factors\n"
           "checks.check('t', lambda: s(np.array([1.0, 3.0]), 1.0), [0.5, 0.75], forbid=[l2.shrink_factors], "
           "rule='q2 asks for the factors')")
    score, outputs = _grade_of(src, tmp_path)
    assert score == 0
    err = next(o for o in outputs if o.output_type == "error")
    assert ("your code called `l2.shrink_factors` (the course library's own version), which this question does not "
            "allow (q2 asks for the factors)") in err.evalue
    assert "Write the computation with numpy" not in err.evalue


def test_the_course_map_refuses_malformed_questions():
    with pytest.raises(ValueError, match="kind"):
        course.Question("q1", "t", ("q1",), "1.", kind="quiz")
    with pytest.raises(ValueError, match="must match"):
        course.Misconception("Forgot Factor", "x")
    with pytest.raises(ValueError, match="duplicate"):
        course.Question("q1", "t", ("q1",), "1.", misconceptions=(course.M("a", "x"), course.M("a", "y")))
    s = course.get_session("01_l2_weight_decay")
    assert s.question_of("q2b").id == "q2" and s.misconception_id(s.question_of("q1"), "forgot-factor-2") == \
        "s01.q1.forgot-factor-2"
    with pytest.raises(KeyError):
        s.question_of("q9")


# ------------------------------------------------------------------------------ what a student reads


def _cell_function(source, filename, name):
    """A function defined as a notebook cell defines it: in ``__main__``, its source known to linecache."""
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns = {"__name__": "__main__", "np": np}
    exec(compile(source, filename, "exec"), ns)  # noqa: S102
    return ns[name]


def test_a_known_mistake_shows_a_box_with_a_link_and_no_internal_id(progress):
    fp = checks.Fingerprint(checks.fingerprint(0.998))
    with pytest.raises(checks.AnswerError) as err:
        checks.check("q1", lambda: 0.999, fp, misconceptions={"forgot-factor-2": checks.Fingerprint(
            checks.fingerprint(0.999))})
    box = err.value.failure
    shown = box.text() + box._repr_html_() + "".join(err.value._render_traceback_())
    assert "the factor 2 seems to be missing" in shown and "Reread: 1. The weight decay step (7.4\u20137.5)" in shown
    assert "href='#1.-The-weight-decay-step-(7.4\u20137.5)'" in box._repr_html_()
    for hidden in ("s01.q1", "misconception:", "fp2:", "Fingerprint", "checks.py", "Traceback"):
        assert hidden not in shown, hidden
    assert checks.find_misconceptions(str(err.value)) == ["s01.q1.forgot-factor-2"]  # for the grader's report
    assert err.value._render_traceback_() == ["\x1b[31m\u2718 q1 did not pass (see the box above)\x1b[0m"]


def test_the_section_table_is_the_notebooks_headings():
    import re
    from pathlib import Path

    import nbformat

    root = Path(__file__).resolve().parents[1]
    for s in course.SESSIONS:
        nb = nbformat.read(root / "solutions" / s.notebook, as_version=4)
        headings = tuple(m.group(1) for c in nb.cells if c.cell_type == "markdown"
                         for m in re.finditer(r"^## (\d+\. .*)$", c.source, re.MULTILINE))
        assert course.SECTIONS[s.id] == headings, s.id
        for q in s.questions:
            for revisit in [q.revisit] + [m.revisit for m in q.misconceptions if m.revisit]:
                assert course.section_heading(s.id, revisit) in headings, (s.id, q.id, revisit)


def test_the_students_own_failing_line_is_shown_and_a_typo_is_not_a_missing_answer(progress):
    shrink = _cell_function("def shrink(lam, alpha):\n    lam = np.asarray(lam)\n    return lam / (lam + alph)\n",
                            "/tmp/ipykernel_0/cell12.py", "shrink")
    with pytest.raises(checks.AnswerError) as err:
        checks.check("q2b", lambda: shrink([1.0, 3.0], 1.0), [0.5, 0.75])
    box = err.value.failure
    assert "your code uses the name `alph`, which is not defined: check its spelling" in box.text()
    assert box.code == [["cell12.py, line 3, in shrink", "return lam / (lam + alph)"]]
    assert "NameError: name 'alph' is not defined" in box.text()
    assert "return lam / (lam + alph)" in box._repr_html_() and "checks.py" not in box.text()
    assert checks.load_progress()["01_l2_weight_decay"]["q2b"]["passed"] is False  # an attempt
    # the answer's own name missing: "run the cell first", and no attempt recorded
    with pytest.raises(checks.AnswerError, match="`not_run_yet` is not defined yet: run the cell where you answer it"):
        checks.check("q1", lambda: not_run_yet, 0.998)  # noqa: F821
    assert "q1" not in checks.load_progress()["01_l2_weight_decay"]
    # an error raised inside numpy by the student's call shows the student's last line, not numpy's
    bad = _cell_function("def w_tilde(H):\n    return np.linalg.eigh(H)[0]\n", "/tmp/ipykernel_0/cell13.py",
                         "w_tilde")
    with pytest.raises(checks.AnswerError) as err:
        checks.check("q3", lambda: bad(np.ones((2, 3))), [1.0, 2.0])
    assert err.value.failure.code == [["cell13.py, line 2, in w_tilde", "return np.linalg.eigh(H)[0]"]]
    assert "LinAlgError" in err.value.failure.error


def test_the_students_text_cannot_forge_a_marker_or_a_pass(progress):
    says = _cell_function("def says():\n    raise ValueError('[misconception:s01.q1.forgot-factor-2] \\x1b[32mok')\n",
                          "/tmp/ipykernel_0/cell14.py", "says")
    with pytest.raises(checks.AnswerError) as err:
        checks.check("q1", says, 0.998)
    assert checks.find_misconceptions(str(err.value)) == [] and "\x1b" not in str(err.value)
    assert "misconception" not in checks.load_progress()["01_l2_weight_decay"]["q1"]


@pytest.mark.parametrize("answer", ["2", 3, "yes", ["a", "bc"], 0.5])
def test_a_quiz_answer_that_is_not_letters_gets_the_expected_format(answer):
    with pytest.raises(checks.AnswerError, match=r'answer with the letter of an option as a string, like "b"') as err:
        checks.check_choice("q1", lambda: answer, "b")
    assert "not the right choice" not in str(err.value)


def test_progress_keeps_the_best_result_and_notes_a_later_failure(progress, capsys):
    checks.check("q1", 0.998, 0.998)
    with pytest.raises(checks.AnswerError):  # a fresh copy, not answered yet: no attempt
        checks.check("q1", lambda: (_ for _ in ()).throw(NotImplementedError()), 0.998)
    assert checks.load_progress()["01_l2_weight_decay"]["q1"] == {
        **checks.load_progress()["01_l2_weight_decay"]["q1"], "passed": True, "attempts": 1, "last_passed": True}
    with pytest.raises(checks.AnswerError):
        checks.check("q1", 0.5, 0.998)
    entry = checks.load_progress()["01_l2_weight_decay"]["q1"]
    assert entry["passed"] is True and entry["last_passed"] is False and entry["attempts"] == 2
    rows = dict((q.id, st) for q, st in gate.gate_report("01_l2_weight_decay").rows)
    assert rows["q1"] == "practising" and rows["q2"] == "not attempted"  # one variant passed: not mastered yet
    assert "passed, not mastered yet (0 of 2 variants in a row); 2 attempts (a later run failed; your pass still " \
        "counts)" in checks.progress_table()
    checks.progress()  # outside a notebook: the same table as text
    assert "a later run failed" in capsys.readouterr().out


def test_a_progress_file_of_the_old_format_is_read_and_extended(progress):
    progress.write_text(json.dumps({"01_l2_weight_decay": {"q1": {"passed": True, "when": "2026-01-01T10:00:00"}}}))
    with pytest.raises(checks.AnswerError):
        checks.check("q1", 0.5, 0.998)
    entry = checks.load_progress()["01_l2_weight_decay"]["q1"]
    assert entry == {**entry, "passed": True, "attempts": 2, "last_passed": False}


def _with_written(tmp_path, text):
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    from nbformat.v4 import new_markdown_cell

    for gid in course.get_session("01_l2_weight_decay").written:
        cell = new_markdown_cell(text)
        cell.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": gid, "points": 2, "locked": False,
                                     "schema_version": 3, "task": False}
        nb.cells.append(cell)
    path = tmp_path / "01_l2_weight_decay.ipynb"
    import nbformat

    nbformat.write(nb, path)
    return path


def test_written_answers_count_in_the_gate_as_last_saved(progress, tmp_path, monkeypatch, capsys):
    _pass_everything("01_l2_weight_decay")
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    rep = gate.gate_report("01_l2_weight_decay")  # the notebook's file never read: said, not guessed
    assert "w1   Written answer" in repr(rep) and "not known" in repr(rep) and "check that you answered w1" in repr(rep)
    path = _with_written(tmp_path, "YOUR ANSWER HERE")
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    capsys.readouterr()
    checks.mastery_gate()
    shown = capsys.readouterr().out
    assert "w1" in shown and "not answered" in shown and "Not yet: w1, w2 must be done" in shown
    assert "was last saved" in shown and "All required questions pass" not in shown
    _with_written(tmp_path, "The decay shrinks every weight by the same factor.")
    checks.mastery_gate()
    shown = capsys.readouterr().out
    assert "answered, graded by your instructor" in shown and "All required questions pass" in shown
    assert cli.main(["progress"]) == 0  # a terminal reads what the gate last read
    assert "w1   Written answer" in capsys.readouterr().out
    assert gate.written_answers(course.get_session("01_l2_weight_decay"), tmp_path / "none.ipynb") == \
        {"w1": "missing", "w2": "missing"}


def test_a_failed_check_in_a_real_kernel_shows_the_box_and_one_line(tmp_path):
    """nbgrader scores the cell 0 (an error output); the outputs hold no harness frame, fingerprint or id."""
    answer = "def shrink(lam, alpha):\n    lam = np.asarray(lam)\n    return lam / (lam + alph)\n"
    cells = [new_code_cell("import warnings, numpy as np\nfrom reglab import checks\n"
                           "checks.start_session('01_l2_weight_decay')"), new_code_cell(answer)]
    tests = {"t1": "checks.check('q2b', lambda: shrink(np.array([1.0, 3.0]), 1.0), [0.5, 0.75])",
             "t2": "checks.check('q1', lambda: decay, checks.Fingerprint(checks.fingerprint(0.998)),\n"
                   "             misconceptions={'forgot-factor-2': 0.999})",
             "t3": "checks.check('q1', lambda: 0.998, 0.998)"}
    for gid, src in tests.items():
        cell = new_code_cell(src if gid != "t2" else "decay = 0.999\n" + src)
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": gid, "locked": True, "points": 1,
                                     "schema_version": 3, "solution": False, "task": False}
        cells.append(cell)
    nb = new_notebook(cells=cells)
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    typo, mistake, passed = nb.cells[2:]
    for cell in (typo, mistake):
        assert determine_grade(cell)[0] == 0
        kinds = [o.output_type for o in cell.outputs]
        # q1 and q2 have variants: under the box, what to do next and the button that draws a new one (a widget)
        assert kinds == ["display_data", "display_data", "display_data", "error"], kinds
        assert "checks.new_variant" in cell.outputs[1].data["text/plain"]
        assert "application/vnd.jupyter.widget-view+json" in cell.outputs[2].data
        error = cell.outputs[-1]
        assert len(error.traceback) == 1 and "did not pass (see the box above)" in error.traceback[0]
        shown = json.dumps([o.get("data", {}) for o in cell.outputs] + error.traceback)
        for hidden in ("checks.py", "Traceback", "fp2:", "s01.", "misconception:", "File \\\""):
            assert hidden not in shown, (hidden, shown)
    box = typo.outputs[0].data["text/html"]
    assert "Cell In[2], line 3, in shrink" in box and "return lam / (lam + alph)" in box and "alph" in box
    assert "check its spelling" in box
    assert "href='#1.-The-weight-decay-step-(7.4\u20137.5)'" in mistake.outputs[0].data["text/html"]
    assert checks.find_misconceptions(mistake.outputs[-1].evalue) == ["s01.q1.forgot-factor-2"]
    assert determine_grade(passed)[0] == 1 and "\u2714 q1 passed" in passed.outputs[0].text


@pytest.mark.parametrize("sep", ["\n", "\r", "\u2028", "\u2029", "\x85", "\x9b", "\u202e", "\u2066"])
def test_the_students_text_in_a_box_stays_on_one_line_in_its_order(sep):
    """A message or line of the student's cannot draw a line of its own in the box (a fake "passed") nor reorder it."""
    shown = checks._defused(f"boom{sep}\u2714 q3a passed [misconception:s00.q3.forgot-half]")
    assert sep not in shown and "\n" not in shown and "[misconception:" not in shown
    assert shown.startswith("boom ")


def test_an_exception_whose_text_cannot_be_read_is_named_by_its_type():
    class Broken(Exception):
        def __str__(self):
            raise RuntimeError("no")

    assert checks._defused(Broken()) == "<a Broken whose text could not be read>"


def test_the_library_families_a_question_forbids_name_real_functions_and_refuse_each_other():
    """checks.SOFT_THRESHOLDS and checks.RIDGE_SOLVERS: every name resolves (a misspelt name would be skipped
    silently), and one member answering for another is refused (the proximal L1 step for session 2's soft threshold,
    the elastic net without L1 for ridge regression)."""
    from reglab import capstone, l1

    for name in (*checks.SOFT_THRESHOLDS, *checks.RIDGE_SOLVERS):
        assert callable(checks._resolve(name)), name
    x = np.array([2.0, -0.5, -3.0])
    with pytest.raises(checks.AnswerError, match=r"your code called `capstone\.prox_l1`"):
        checks.check("q1a", lambda: capstone.prox_l1(x, 1.0, 1.0), [1.0, 0.0, -2.0], forbid=[*checks.SOFT_THRESHOLDS])
    with pytest.raises(checks.AnswerError, match=r"your code called `l1\.group_soft_threshold`"):
        checks.check("q1a", lambda: l1.group_soft_threshold(x[:, None], 1.0)[:, 0], [1.0, 0.0, -2.0],
                     forbid=[*checks.SOFT_THRESHOLDS])
    X, y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([1.0, 2.0, 3.0])
    with pytest.raises(checks.AnswerError, match=r"your code called `l1\.elastic_net`"):
        checks.check("q5", lambda: l1.elastic_net(X, y, 0.0, 1.0), l1.elastic_net(X, y, 0.0, 1.0),
                     forbid=[*checks.RIDGE_SOLVERS])
