"""Variants: every question with variants, over many students, passes its model answer and fails its classic wrong
answer by name; the next variant after a named mistake tells it apart; the practice loop masters a part after
consecutive variants and only then opens the gate.

The checks run here in-process, on the notebook's own cells (its setup cell's imports, the answer cell, the test
cell whole): a student's givens are derived from ``$REGLAB_STUDENT`` exactly as in their kernel.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from reglab_autograder.verdicts.checker import setup_source

from reglab import checks, course, variants
from reglab.cli import main as reglab_main
from test_practice import DATA, _leaks, _wrongs

ROOT = Path(__file__).resolve().parents[1]
SEEDS = 20
STUDENTS = [f"student-{i:02d}" for i in range(SEEDS)]
VARIANT_QUESTIONS = [(s.id, q) for s in course.SESSIONS for q in variants.questions_with_variants(s.id)]
HIDDEN = "### BEGIN HIDDEN TESTS"


def _nbg(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _cells(session):
    nb = nbformat.read(ROOT / "solutions" / session.notebook, as_version=4)
    by_id = {_nbg(c)["grade_id"]: c for c in nb.cells if _nbg(c).get("grade_id")}
    setup = next(c for c in nb.cells if c.cell_type == "code" and _nbg(c).get("locked"))
    return nb, by_id, setup_source(setup.source)


def _answer_cell(session, question, by_id):
    return by_id[f"a_{question.id}"]


@pytest.fixture(autouse=True)
def practising(tmp_path, monkeypatch):
    """Each test practises with a progress file of its own, as a student (not the grader)."""
    monkeypatch.setenv("REGLAB_PROGRESS_FILE", str(tmp_path / "progress.json"))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv(variants.STUDENT_ENV, raising=False)
    monkeypatch.delenv(variants.HUB_ENV, raising=False)
    checks.use_student(None)
    yield
    checks.use_student(None)


def _run(ns, source):
    """Run a cell's source in ``ns``: the error message it failed with, or None."""
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102 - the course's own cells
        except checks.AnswerError as exc:
            return str(exc)
    return None


def test_every_question_with_variants_is_declared_in_the_course_and_practised():
    assert VARIANT_QUESTIONS, "no question has variants"
    for sid, qid in VARIANT_QUESTIONS:
        session = course.get_session(sid)
        q = session.question(qid)
        assert sid in DATA and all(p in DATA[sid].WRONG for p in q.parts), f"{sid} {qid}: no classic wrong answer"
        spec = variants.spec(sid, qid)
        g = variants.givens(sid, qid)
        assert set(spec.expected(g)) <= {*q.parts, *(n for n in spec.expected(g) if n.split(":")[0] in q.parts)}
        for name, named in spec.mistakes(g).items():
            for key in named:
                q.misconception(key)  # declared in the course map


def test_seeds_are_per_session_question_student_and_attempt_and_reproducible():
    sid, qid = VARIANT_QUESTIONS[0]
    seeds = {variants.seed(sid, qid, s, a) for s in STUDENTS for a in range(5)}
    assert len(seeds) == SEEDS * 5
    assert variants.seed(sid, qid, "alice", 3) == variants.seed(sid, qid, "alice", 3)
    assert variants.seed(sid, qid, "alice", 0) != variants.seed(sid, "q9", "alice", 0)
    assert variants.givens(sid, qid).as_dict() == dict(variants.spec(sid, qid).course)  # no id: the course's numbers
    # an id with a stray space (typed, or a folder name) is the same student for the kernel and the grader's checker
    assert variants.seed(sid, qid, " alice\t", 0) == variants.seed(sid, qid, "alice", 0)
    checks.use_student("alice ")
    try:
        assert checks._student() == "alice"
    finally:
        checks.use_student(None)


@pytest.mark.parametrize("sid,qid", VARIANT_QUESTIONS)
def test_two_students_get_different_givens_and_the_hidden_variant_is_neither(sid, qid):
    def shown(student, attempt=0):  # arrays compared by their text: == on arrays is elementwise
        return json.dumps({k: str(v) for k, v in variants.givens(sid, qid, student, attempt).as_dict().items()})

    given = [shown(s) for s in STUDENTS]
    assert len(set(given)) >= SEEDS - 2, f"{qid}: {SEEDS} students share {SEEDS - len(set(given))} variants"
    assert shown("alice") != shown("bob")
    same = [s for s in STUDENTS if shown(s, variants.HIDDEN) == shown(s)]
    assert len(same) <= 2, f"{qid}: the hidden variant is the graded one for {same}"


@pytest.mark.parametrize("sid,qid", VARIANT_QUESTIONS)
def test_over_many_students_the_solution_passes_and_the_classic_mistake_fails_by_name(sid, qid, monkeypatch):
    session = course.get_session(sid)
    q = session.question(qid)
    nb, by_id, setup = _cells(session)
    answer = _answer_cell(session, q, by_id).source
    problems = []
    for student in STUDENTS:
        monkeypatch.setenv(variants.STUDENT_ENV, student)
        ns = {"__name__": "practice"}
        assert _run(ns, setup) is None
        assert _run(ns, answer) is None
        for part in q.parts:
            err = _run(ns, by_id[part].source)  # the visible check and the hidden tests
            if err is not None:
                problems.append(f"{student} {part}: the model answer fails: {err[:200]}")
        for part, w in _wrongs(DATA[sid]):
            if part not in q.parts:
                continue
            assert _run(ns, w["source"]) is None
            visible = _run(ns, by_id[part].source.split(HIDDEN)[0])
            whole = _run(ns, by_id[part].source)
            if visible is None or whole is None:
                problems.append(f"{student} {part}: the classic wrong answer passes ({visible!r}, {whole!r})")
            elif w["misconception"]:
                want = session.misconception_id(q, w["misconception"])
                if want not in checks.find_misconceptions(visible):
                    problems.append(f"{student} {part}: not named {want}: {visible[:200]}")
            status = dict((x.id, s) for x, s in checks.gate_report(sid).rows)[qid]
            if status == "passed":
                problems.append(f"{student} {part}: after the wrong answer the gate shows {qid} passed")
            assert _run(ns, answer) is None  # the model answer again, for the next part
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("sid,qid", VARIANT_QUESTIONS)
def test_no_students_expected_value_shows_above_the_answer_cell(sid, qid):
    session = course.get_session(sid)
    student_nb = nbformat.read(ROOT / "notebooks" / session.notebook, as_version=4)
    stop = next(i for i, c in enumerate(student_nb.cells) if _nbg(c).get("grade_id") == f"a_{qid}")
    text = "\n".join(c.source for c in student_nb.cells[:stop])
    spec = variants.spec(sid, qid)
    for student in ["", *STUDENTS]:
        g = variants.givens(sid, qid, student)
        for name, value in spec.expected(g).items():
            assert not _leaks(value, text), f"{student or 'course'} {name}: {value} shows above a_{qid}"


@pytest.mark.parametrize("sid,qid", VARIANT_QUESTIONS)
def test_the_next_variant_after_a_named_mistake_tells_it_apart_by_a_wide_margin(sid, qid):
    spec = variants.spec(sid, qid)
    keys = {k for named in spec.mistakes(variants.givens(sid, qid)).values() for k in named}
    assert keys, f"{qid} has variants but names no mistake with a value"
    for key in sorted(keys):
        for student in STUDENTS:
            attempt = variants.aim(sid, qid, student, 0, key)
            g = variants.givens(sid, qid, student, attempt)
            assert attempt > 0
            assert variants.tells_apart(sid, g, key) >= variants.FAR, (key, student, g.as_dict())
            right, wrong = spec.expected(g), spec.mistakes(g)
            for name, named in wrong.items():
                if key in named:
                    scalar = np.ndim(right[name]) == 0 and not isinstance(right[name], str)
                    gap = abs(float(right[name]) - float(named[key])) if scalar else None
                    assert gap is None or gap > 1000 * spec.tol, (key, student, gap)


def _check_q1(value=None):
    eta, lam = checks.givens("q1", quiet=True)
    decay = 1 - 2 * eta * lam if value is None else value(eta, lam)
    checks.check("q1", lambda: decay, checks.expected("q1"), misconceptions=checks.mistakes("q1"))


def test_the_practice_loop_masters_a_part_after_two_variants_in_a_row_and_then_opens_its_row():
    checks.start_session("01_l2_weight_decay")

    def q1_status():
        return dict((q.id, s) for q, s in checks.gate_report().rows)["q1"]

    with pytest.raises(checks.AnswerError) as failed:
        _check_q1(lambda eta, lam: 1 - eta * lam)
    # what to do next is shown beside the New variant button, not in the check's message (the grader's too)
    assert 'the mistake "forgot-factor-2" lands far from the right answer' in failed.value.failure.next_step
    assert "new_variant" not in str(failed.value)
    _check_q1()  # the same variant, right after a failure: passed, but not counted
    assert q1_status() == "practising"
    entry = checks.load_progress()["01_l2_weight_decay"]["q1"]
    assert entry["streak"] == 0 and entry["passed"] and not entry["mastered"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        checks.new_variant("q1")
    assert "New variant for q1 (variant" in out.getvalue()
    _check_q1()  # a fresh variant passed at its first check: 1 in a row
    _check_q1()  # checking it again adds nothing
    assert checks.load_progress()["01_l2_weight_decay"]["q1"]["streak"] == 1 and q1_status() == "practising"
    assert 'checks.new_variant("q1")' in repr(checks.gate_report())
    # the gate and `reglab progress` show the streak and the attempts (4 checks run, each recorded)
    assert "passed, not mastered yet (1 of 2 variants in a row); 4 attempts" in repr(checks.gate_report())
    assert "passed, not mastered yet (1 of 2 variants in a row); 4 attempts" in checks.progress_table()
    with contextlib.redirect_stdout(io.StringIO()):
        checks.new_variant("q1")
    _check_q1()
    entry = checks.load_progress()["01_l2_weight_decay"]["q1"]
    assert entry["streak"] == 2 and entry["mastered"] and q1_status() == "passed"
    assert "passed, mastered; 5 attempts" in repr(checks.gate_report())
    assert "passed, mastered; 5 attempts" in checks.gate_report()._repr_html_()
    with contextlib.redirect_stdout(io.StringIO()):
        checks.new_variant("q1")
    with pytest.raises(checks.AnswerError):
        _check_q1(lambda eta, lam: 1 + 2 * eta * lam)
    assert q1_status() == "passed", "mastery, once reached, stays (a later failure is noted)"


def test_a_named_mistake_aims_the_next_variant_and_an_unknown_question_is_a_clear_error():
    checks.start_session("01_l2_weight_decay")
    for _ in range(3):
        with pytest.raises(checks.AnswerError):
            _check_q1(lambda eta, lam: 1 - eta * lam)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            checks.new_variant("q1")
        assert 'tell the mistake "forgot-factor-2" apart' in out.getvalue()
        eta, lam = checks.givens("q1", quiet=True)
        assert variants.separation(1 - 2 * eta * lam, 1 - eta * lam) >= variants.FAR
    with pytest.raises(ValueError, match="has no question 'q99'"):
        checks.new_variant("q99")
    sid, qid = next((s.id, q.id) for s in course.SESSIONS for q in s.questions if variants.spec(s.id, q.id) is None)
    checks.start_session(sid)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        checks.new_variant(qid)
    assert "one instance" in out.getvalue()


def test_the_grader_uses_the_student_id_it_grades_and_never_a_new_variant(monkeypatch):
    checks.start_session("01_l2_weight_decay")
    with contextlib.redirect_stdout(io.StringIO()):
        checks.new_variant("q1")  # a variant the student moved to while practising
    checks.use_student("alice")
    try:
        g = checks.givens("q1", quiet=True)
        assert g.attempt == 0 and g.as_dict() == variants.givens("01_l2_weight_decay", "q1", "alice", 0).as_dict()
        with pytest.raises(RuntimeError, match="no new variants while grading"):
            checks.new_variant("q1")
    finally:
        checks.use_student(None)


def test_reglab_variant_prints_a_students_givens(capsys, monkeypatch):
    assert reglab_main(["variant", "alice", "1"]) == 0
    out = capsys.readouterr().out
    g = variants.givens("01_l2_weight_decay", "q1", "alice")
    assert "student 'alice'" in out and g.describe() in out
    assert re.search(r"eta = [\d.]+, lam = [\d.]+", out)
    monkeypatch.setattr(variants, "questions_with_variants", lambda sid: [])  # as for a session without variants
    assert reglab_main(["variant", "alice", "0"]) == 0
    assert "one fixed instance" in capsys.readouterr().out
    assert reglab_main(["variant", "alice", "17"]) == 2


def test_graded_notebooks_use_each_students_own_variant_and_a_copied_value_scores_zero(tmp_path):
    """Under ``reglab grade`` each kernel computes its givens from nbgrader's student id (attempt 0) and the checker
    derives its own: the model answer passes for everyone, a number typed from a classmate's variant fails, the
    student's own number typed in passes; the feedback shows the student's own givens."""
    from reglab_autograder import jobs
    from reglab_autograder.commands.grade import grade
    from reglab_autograder.options import GradeOptions
    from reglab_autograder.testing import classroom

    sid = "01_l2_weight_decay"
    own = {s: variants.givens(sid, "q1", s) for s in ("alice", "copier", "typist")}
    assert own["alice"].as_dict() != own["copier"].as_dict()

    def decay(g):
        return 1 - 2 * g["eta"] * g["lam"]

    sub = tmp_path / "class" / "submitted"
    for student, line in [("alice", None), ("copier", f"decay = {decay(own['alice'])!r}"),
                          ("typist", f"decay = {decay(own['typist'])!r}")]:
        nb = classroom.answered(sid)
        if line:
            cell = classroom.cell_by_id(nb, "a_q1")
            # the typist deleted the givens line: the feedback shows the grader's copy of their givens all the same
            cell.source = ('eta, lam = checks.givens("q1")  # your variant\n' if student == "copier" else "") + line
        classroom.write(sub, student, sid, nb)
    out = tmp_path / "out"
    result = grade(GradeOptions(submissions=tmp_path / "class", out=out, workers=2, course_root=ROOT, progress=False))
    assert result.exit_code == 0
    records = {r.student: r for r in jobs.read_all(out / "jobs")}
    q1 = {s: next(p for p in r.parts if p.grade_id == "q1") for s, r in records.items()}
    assert q1["alice"].score == q1["alice"].max_score == 1
    assert q1["typist"].score == 1, "the student's own value, typed in, is an honest answer"
    assert q1["copier"].score == 0, "a value copied from a classmate's variant must not score"
    assert records["copier"].auto_score == records["alice"].auto_score - 1
    page = (out / "feedback" / "typist" / sid / f"{sid}.html").read_text()
    assert html.escape(f"Graded on your givens for {own['typist'].describe()}") in page, \
        "the feedback shows the givens the grader derived for the student, printed or not"


def _fail_q1_once():
    checks.start_session("01_l2_weight_decay")
    with pytest.raises(checks.AnswerError):
        _check_q1(lambda eta, lam: 1 - eta * lam)


def test_a_recall_item_is_drawn_from_its_pool_and_shuffled():
    """Each quiz topic has more than one good item: over the class, every item of every pool is drawn, in more than
    one order, and each variant's right letter is that item's right option."""
    from reglab.variants import s06

    seen = {item: set() for item in s06.QUIZ}
    for student in STUDENTS:
        g = variants.givens("06_capstone", "quiz", student)
        want = variants.spec("06_capstone", "quiz").expected(g)
        for item, pool in s06.QUIZ.items():
            k = next(i for i, (options, _, _) in enumerate(pool) if set(options) == set(g[item]))
            seen[item].add((k, g[item]))
            options, right, _ = pool[k]
            assert g[item][ord(want[f"quiz{item[4:]}"]) - 97] == options[right]
    for item, drawn in seen.items():
        assert {k for k, _ in drawn} == set(range(len(s06.QUIZ[item]))), f"{item}: an item of its pool never drawn"
        assert len(drawn) > len(s06.QUIZ[item]), f"{item}: its options always come in one order"


def test_review_is_due_at_once_after_a_failure_then_at_growing_intervals_after_each_review():
    import datetime as dt

    from reglab import review

    t0 = dt.datetime(2026, 1, 1, 12, 0, 0)
    entry = checks.attempt_entry({}, False, t0.isoformat(), "s01.q1.forgot-factor-2", variant=0)
    assert review.due_at(entry) == t0, "a failure makes the part due at once"
    entry = checks.attempt_entry(entry, True, (t0 + dt.timedelta(hours=1)).isoformat(), variant=3)
    assert review.due_at(entry) == t0, "a pass in the session is not a review"
    day = dt.timedelta(days=1)
    for n, gap in enumerate([review.FIRST_DAYS * review.GROWTH ** k for k in range(1, 4)], start=1):
        when = t0 + sum((review.FIRST_DAYS * review.GROWTH ** k * day for k in range(n)), 2 * day)
        entry = checks.attempt_entry(entry, True, when.isoformat(), variant=10 + n, reviewed=True)
        assert entry["reviews"] == n and review.due_at(entry) == when + gap * day
    early = checks.attempt_entry(entry, True, (review.due_at(entry) - day).isoformat(), variant=99, reviewed=True)
    assert early["reviews"] == entry["reviews"], "a pass before the part is due is no review"
    mastered = {"variant": 2, "mastered": True, "mastered_when": t0.isoformat()}
    assert review.due_at(mastered) == t0 + review.FIRST_DAYS * day
    assert review.due_at({"passed": True}) is None, "a part without variants is never due"


def test_reglab_review_writes_a_notebook_whose_checks_run_and_count_as_a_review(tmp_path, monkeypatch, capsys):
    from nbclient import NotebookClient

    _fail_q1_once()
    gate = repr(checks.gate_report("02_l1_lasso"))
    assert "Due for review from earlier sessions: session 1 q1" in gate
    out = tmp_path / "review.ipynb"
    assert reglab_main(["review", "--out", str(out), "--notebooks", str(ROOT / "notebooks")]) == 0
    assert "1 question(s) to review" in capsys.readouterr().out
    attempt = checks.load_progress()["_variants"]["01_l2_weight_decay"]["q1"]
    assert attempt > 0, "the review is a new variant"
    nb = nbformat.read(out, as_version=4)
    answer = next(c for c in nb.cells if _nbg(c).get("grade_id") == "a_q1")
    assert "raise NotImplementedError()" in answer.source  # the student's version: no solution in it
    blank = nbformat.reads(nbformat.writes(nb), as_version=4)
    NotebookClient(blank, timeout=60, kernel_name="python3", allow_errors=True).execute()
    test_cell = next(c for c in blank.cells if _nbg(c).get("grade_id") == "q1")
    assert any(o.output_type == "error" for o in test_cell.outputs), "an unanswered review question fails its check"
    answer.source = answer.source.replace("# YOUR CODE HERE\nraise NotImplementedError()", "decay = 1 - 2 * eta * lam")
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    test_cell = next(c for c in nb.cells if _nbg(c).get("grade_id") == "q1")
    assert not any(o.output_type == "error" for o in test_cell.outputs), test_cell.outputs
    assert f"(variant {attempt})" in "".join(o.get("text", "") for o in answer.outputs)
    entry = checks.load_progress()["01_l2_weight_decay"]["q1"]
    assert entry["reviews"] == 1
    assert "Due for review" not in repr(checks.gate_report("02_l1_lasso"))
    assert reglab_main(["review", "--out", str(tmp_path / "again.ipynb"), "--notebooks", str(ROOT / "notebooks")]) == 0
    assert "Nothing is due for review" in capsys.readouterr().out and not (tmp_path / "again.ipynb").exists()


def test_an_implement_answer_that_calls_the_answer_key_fails_its_checks(monkeypatch):
    """The variants module holds what each check expects: an "implement" answer that hands its inputs to it is
    delegation like calling the library, refused by the checks' method rules."""
    session = course.get_session("01_l2_weight_decay")
    _, by_id, setup = _cells(session)
    ns = {"__name__": "practice"}
    assert _run(ns, setup) is None
    assert _run(ns, 'eigvals, alpha = checks.givens("q2")\nfrom reglab.variants import s01 as _key\n'
                    "def shrink(eigvals, alpha):\n    return _key._shrink(eigvals, alpha)\n") is None
    for part in ("q2a", "q2b"):
        err = _run(ns, by_id[part].source.split(HIDDEN)[0])
        assert err is not None and "called reglab.variants.s01 (the questions' givens and answer key)" in err, err
    # another session's answer key is refused too (soft-thresholding, session 2, as shrink)
    assert _run(ns, "from reglab.variants import s02 as _other\ndef shrink(eigvals, alpha):\n"
                    '    return _other._q1_expected({"x_in": eigvals, "x_out": eigvals, "t": 0.0})["q1a"]\n') is None
    err = _run(ns, by_id["q2a"].source.split(HIDDEN)[0])
    assert err is not None and "called reglab.variants.s02" in err, err
    assert _run(ns, by_id["a_q2"].source) is None  # the model answer passes again
    assert _run(ns, by_id["q2b"].source) is None


@pytest.mark.parametrize("sid,qid", VARIANT_QUESTIONS)
def test_two_named_mistakes_of_a_check_never_give_one_value(sid, qid):
    """Each named mistake is recognised by its own name: no draw makes two of them coincide (over 100 students)."""
    spec = variants.spec(sid, qid)
    for student in [f"s{i}" for i in range(100)]:
        named = spec.mistakes(variants.givens(sid, qid, student))
        for name, values in named.items():
            keys = sorted(values)
            for i, a in enumerate(keys):
                for b in keys[i + 1:]:
                    sep = variants.separation(values[a], values[b])
                    assert sep > 4 * spec.tol, f"{student} {name}: mistakes {a} and {b} give one value"


def test_reglab_student_sets_the_id_a_student_practises_on_and_its_first_variant_is_the_graded_one(capsys):
    checks.start_session("01_l2_weight_decay")
    with contextlib.redirect_stdout(io.StringIO()) as out:
        checks.givens("q1")
    assert "No student id is set" in out.getvalue()
    assert reglab_main(["student", "alice"]) == 0 and "student id: 'alice'" in capsys.readouterr().out
    with contextlib.redirect_stdout(io.StringIO()) as out:
        g = checks.givens("q1")
    assert g.as_dict() == variants.givens("01_l2_weight_decay", "q1", "alice", 0).as_dict()
    assert "variant 0 of alice" in out.getvalue() and "No student id" not in out.getvalue()
    checks.use_student("alice")  # the grader's checker, grading alice: the same givens
    try:
        assert checks.givens("q1", quiet=True).as_dict() == g.as_dict()
    finally:
        checks.use_student(None)


def test_on_a_jupyterhub_the_user_name_is_the_student_id_unless_one_was_given(capsys, monkeypatch):
    """nbgrader's student id on a JupyterHub is the hub user name: a student there practises on their graded variant
    without typing their id; `reglab student ID` still wins, and the grader's id wins over both."""
    checks.start_session("01_l2_weight_decay")
    monkeypatch.setenv(variants.HUB_ENV, "bob")
    assert checks.whose_variants() == ("bob", "$JUPYTERHUB_USER")
    assert checks.givens("q1", quiet=True).as_dict() == variants.givens("01_l2_weight_decay", "q1", "bob").as_dict()
    assert reglab_main(["student"]) == 0 and "student id: 'bob' (from $JUPYTERHUB_USER)" in capsys.readouterr().out
    assert reglab_main(["student", "carol"]) == 0 and "'carol' (from reglab student)" in capsys.readouterr().out
    assert checks.whose_variants()[0] == "carol"
    checks.use_student("dave")
    try:
        assert checks.whose_variants() == ("dave", "the grader")
    finally:
        checks.use_student(None)
