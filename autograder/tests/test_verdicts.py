"""The trusted-verdicts protocol without a kernel: the wire format, stand-ins, mirrors and the method rules.

The kernel's agent (``reglab._oracle``) answers here in a thread of this process that never runs a check (its
profiler is its own), with the "student's" names in ``__main__``; the checker
(``reglab_autograder.verdicts``) runs test cells against it exactly as under ``reglab grade``. What a real
kernel adds (a separate process, tampering, time limits) is graded end to end in ``test_grading_forgers.py``.
"""

from __future__ import annotations

import concurrent.futures
import fractions
import json
import textwrap
from collections import namedtuple

import nbformat
import numpy as np
import pytest
from reglab_autograder.verdicts.checker import Checker, setup_source
from reglab_autograder.verdicts.link import KernelLink

import __main__
from reglab import _oracle, _wire, checks
from reglab.release import read_names

KERNEL = concurrent.futures.ThreadPoolExecutor(1)
KERNEL.submit(lambda: None).result()  # its thread exists before any check installs a profiler


class Loopback:
    """A KernelLink whose kernel is ``reglab._oracle`` in the KERNEL thread; ``tamper(request, reply)`` may
    change the answer as a forged agent would."""

    def __init__(self, tamper=None):
        self.deadline, self.dead, self.round_trips, self.tamper = float("inf"), False, 0, tamper
        self.timed_out = ""

    def open(self):
        return self.ask({"op": "hello"})

    def end(self):
        pass

    def ask(self, request):
        self.round_trips += 1
        text = KERNEL.submit(_oracle.handle, _wire.dumps(request)).result()
        if self.tamper:
            text = self.tamper(request, text)
        reply = {"content": {"user_expressions": {"r": {"status": "ok", "data": {"text/plain": repr(text)}}}}}
        return KernelLink._read(reply)


def checker(tamper=None):
    events = []
    c = Checker(None, lambda *e: events.append(e))
    c.link = c.session.link = Loopback(tamper)
    c.hello()
    c.events = events
    return c


NB = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    "%matplotlib inline\nimport numpy as np\nfrom reglab import checks, l2, early_stopping\n"
    "checks.start_session('01_l2_weight_decay')\nrng = np.random.default_rng(1)",
    metadata={"nbgrader": {"locked": True, "grade_id": "setup"}})])


def run(c, source, gid="q2b"):
    cell = nbformat.v4.new_code_cell(textwrap.dedent(source), metadata={"nbgrader": {"grade": True,
                                                                                    "grade_id": gid}})
    return c.run(NB, cell, 1, 30)


def student(**names):
    for k, v in names.items():
        setattr(__main__, k, v)


def in_one_process(source):
    """The outputs of the same test cell run where the student's code is (the self-check's way)."""
    import contextlib
    import io
    ns = dict(vars(__main__))
    exec(setup_source(NB.cells[0].source), ns)  # noqa: S102
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(textwrap.dedent(source), ns)  # noqa: S102
    except Exception as exc:  # noqa: BLE001
        return out.getvalue(), str(exc)
    return out.getvalue(), None


def verdict(outputs):
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    errors = [o.evalue for o in outputs if o.output_type == "error"]
    return text, (errors[0] if errors else None)


# ----------------------------------------------------------------------------- the wire


@pytest.mark.parametrize("value", [
    None, True, 3, -(10**40), 2.5, float("inf"), "text", [1, (2.0, "a")], {"k": [1, 2], 3: None},
    np.arange(6, dtype=np.int16).reshape(2, 3), np.array([True, False]), np.linspace(0, 1, 5, dtype=np.float32),
    np.array([1 + 2j]), np.float64(0.25), np.int64(7), np.array(["a", "bc"]), np.zeros((0, 3)),
])
def test_data_crosses_unchanged(value):
    back = _wire.Decoder()(_wire.loads(_wire.dumps(_wire.Encoder()(value))))
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape and np.array_equal(back, value)
    elif isinstance(value, np.generic):
        assert type(back) is type(value) and back == value
    else:
        assert back == value and type(back) is type(value)


def test_objects_cross_as_their_value_or_not_at_all():
    class Liar(float):
        def __eq__(self, other):
            return True

    point = namedtuple("point", "x y")
    enc = _wire.Encoder()
    assert _wire.Decoder()(enc(Liar(0.5))) == 0.5 and type(_wire.Decoder()(enc(Liar(0.5)))) is float
    assert _wire.Decoder()(enc(fractions.Fraction(1, 4))) == 0.25
    assert _wire.Decoder()(enc(point(1, 2))) == (1, 2)
    with pytest.raises(_wire.WireError, match="only data"):
        enc(object())


@pytest.mark.parametrize("text, why", [
    ('{"P": "gASV"}', "unknown kind"),  # anything but the tags, e.g. a pickle
    ('{"A": ["|O", [1], "AAAA"], "x": 1}', "not data"),
    ('{"A": ["|O", [1], "AAAAAAAAAAA="]}', "malformed"),  # object dtype
    ('{"A": ["<f8", [3], "AAAAAAAAAAA="]}', "as many numbers"),
    ('{"S": ["<f8", "AA=="]}', "as many numbers"),
    ("NaN", "not allowed"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"L": [' * 40 + "1" + "]}" * 40, "nested too deeply"),
])
def test_the_decoder_reads_only_data(text, why):
    with pytest.raises(_wire.WireError, match=why):
        _wire.Decoder()(_wire.loads(text))


def test_the_size_cap_is_checked_before_parsing():
    with pytest.raises(_wire.WireError, match="more than"):
        _wire.loads('"' + "x" * 2000 + '"', max_bytes=1000)


def test_the_kernels_answer_must_be_a_string_literal():
    for text in ["__import__('os').system('true')", "b'x'", "{'ok': 1}"]:
        with pytest.raises(Exception, match="protocol"):
            KernelLink._read({"content": {"user_expressions": {"r": {"status": "ok",
                                                                      "data": {"text/plain": text}}}}})


# ----------------------------------------------------------------------------- test cells in the checker


def test_names_read_and_bound_and_the_setup_cells_imports():
    reads, binds = read_names("_x = f(y)\ndef g(a):\n    return h(a)\nfor i in z: pass")
    assert {"f", "y", "h", "z"} <= reads - binds and {"_x", "g", "a", "i"} <= binds
    assert setup_source(NB.cells[0].source).splitlines() == [
        "import numpy as np", "from reglab import checks, l2, early_stopping",
        "checks.start_session('01_l2_weight_decay')"]


CHECK_SHRINK = """
_q2 = dict(forbid=[l2.shrink_factors, l2.eigen_rescale], rule="q2 asks you to compute the factors yourself")
checks.check("q2b", lambda: shrink(np.array([1.0, 3.0]), 1.0), [0.5, 0.75], **_q2,
             misconceptions={"alpha-over-sum": [0.5, 0.25]}, hint="lambda / (lambda + alpha)")
"""


@pytest.mark.parametrize("answer", [
    lambda lam, a: lam / (lam + a),  # right
    lambda lam, a: a / (lam + a),  # a named mistake
    lambda lam, a: lam,  # wrong
    lambda lam, a: __import__("reglab.l2").l2.shrink_factors(lam, a),  # delegates to the library
    lambda lam, a: lam[:1],  # wrong shape
    lambda lam, a: 1 / 0,  # raises
    lambda lam, a: (_ for _ in ()).throw(NotImplementedError()),  # not answered
])
def test_the_checker_says_what_the_self_check_says(answer):
    student(shrink=answer)
    c = checker()
    assert verdict(run(c, CHECK_SHRINK)) == in_one_process(CHECK_SHRINK)
    assert not c.events


PASSED = "\x1b[32m\u2714 q2b passed\x1b[0m\n"


def test_a_missing_name_reads_as_not_yet_run():
    c = checker()
    text, error = verdict(run(c, 'checks.check("q1", lambda: never_defined_here, 0.5)', "q1"))
    assert error and "never_defined_here" in error and "run the cell" in error


STOPPER_TEST = """
def _run_stopper(losses, patience):
    es, W = EarlyStopper(patience), np.zeros((2, 2))
    for epoch, loss in enumerate(losses, start=1):
        W[...] = epoch
        if es.update(epoch, loss, [(W, W[0])]):
            break
    return [epoch, es.best_step, float(np.asarray(es.best_params[0][0])[0, 0])]
print(_run_stopper([2.0, 1.5, 1.6, 1.7, 1.5, 1.8, 1.2, 1.3, 1.25], 4))
"""


class KeepsCopies:
    def __init__(self, patience):
        self.patience, self.best, self.bad, self.best_step, self.best_params = patience, np.inf, 0, None, None

    def update(self, epoch, loss, layers):
        if loss < self.best:
            self.best, self.best_step, self.bad = loss, epoch, 0
            self.best_params = [(W.copy(), b.copy()) for W, b in layers]
        else:
            self.bad += 1
        return self.bad >= self.patience


class KeepsReferences(KeepsCopies):
    def update(self, epoch, loss, layers):
        stop = super().update(epoch, loss, layers)
        if self.best_step == epoch:
            self.best_params = layers  # the arrays the loop goes on changing
        return stop


@pytest.mark.parametrize("cls, best_weight", [(KeepsCopies, 2.0), (KeepsReferences, 6.0)])
def test_in_place_changes_reach_the_students_object_as_in_one_process(cls, best_weight):
    student(EarlyStopper=cls)
    c = checker()
    text, error = verdict(run(c, STOPPER_TEST, "q8b"))
    assert error is None and text == in_one_process(STOPPER_TEST)[0] == f"[6, 2, {best_weight}]\n"


def test_a_generator_passed_to_the_student_advances_on_both_sides():
    student(draw=lambda n, rng: rng.integers(0, n, 5))
    source = "_g = np.random.default_rng(3)\nprint(draw(10, _g).tolist(), _g.random())"
    assert verdict(run(checker(), source))[0] == in_one_process(source)[0]


def test_the_students_in_place_change_of_an_input_is_seen_by_the_test():
    def scale(x):
        x *= 2
    student(scale=scale)
    source = "_x = np.ones(3)\nscale(_x)\nprint(_x.tolist())"
    assert verdict(run(checker(), source))[0] == "[2.0, 2.0, 2.0]\n"


def test_expected_values_never_reach_the_kernel():
    seen = []
    student(shrink=lambda lam, a: lam / (lam + a))
    c = checker(tamper=lambda request, text: seen.append(json.dumps(request)) or text)
    hidden = "_lam = np.array([0.3, 7.0])\nchecks.check('q2b', lambda: shrink(_lam, 2.5), _lam / (_lam + 2.5))"
    assert verdict(run(c, hidden))[1] is None
    sent = "".join(seen)
    expected = _wire.Encoder().content(np.array([0.3, 7.0]) / (np.array([0.3, 7.0]) + 2.5))["A"][2]
    assert "shrink" in sent and expected not in sent and "_lam /" not in sent


def test_a_kernel_that_hides_its_watch_report_fails_the_rule_and_is_reported():
    def drop_watch(request, text):
        reply = json.loads(text)
        reply.pop("watch", None)
        return json.dumps(reply)

    student(shrink=lambda lam, a: lam / (lam + a))
    c = checker(tamper=drop_watch)
    text, error = verdict(run(c, CHECK_SHRINK))
    assert error and "switched off or went around the check" in error
    assert [e[0] for e in c.events] == ["tampering"] and "watch" in c.events[0][2]


@pytest.mark.parametrize("forged, why", [
    (lambda t: '{"v": 1, "ok": {"P": "pickle"}}', "unknown kind"),
    (lambda t: "not json", "not readable"),
    (lambda t: '{"v": 1, "ok": "' + "x" * 100 + '"}', None),  # a string: data, and simply the wrong answer
    (lambda t: '{"v": 1}', "holds no value"),
    (lambda t: '{"v": 1, "error": "x"}', "malformed"),
])
def test_a_malformed_answer_fails_the_part_with_a_reason(forged, why):
    student(shrink=lambda lam, a: lam / (lam + a))
    c = checker(tamper=lambda request, text: forged(text) if request["op"] == "call" else text)
    text, error = verdict(run(c, CHECK_SHRINK))
    assert error and error.startswith("q2b:")
    if why:
        assert why in error


def test_the_students_prints_and_warnings_show_and_cost_nothing():
    def noisy(lam, a):
        import warnings
        print("debug", lam.size)
        warnings.warn("careful", RuntimeWarning)
        return lam / (lam + a)
    student(shrink=noisy)
    text, error = verdict(run(checker(), CHECK_SHRINK))
    assert error is None and text.startswith("debug 2\n") and "warning" in text and "passed" in text


def test_checks_keeps_no_watch_once_a_check_ends():
    student(shrink=lambda lam, a: lam / (lam + a))
    run(checker(), CHECK_SHRINK)
    assert checks._WATCHING == []


# ----------------------------------------------------------------------------- reglab release --check


@pytest.mark.parametrize("source, flagged", [
    ("_e = l2.ridge(_X, _y, 1.0)\nchecks.check('q5', lambda: ridge_normal(_X, _y, 1.0, _e), _e)", "_e"),
    ("checks.check('q5', lambda: f(_X * 2), _X * 2)", "_X * 2"),
    ("checks.check('q5', lambda: f(_X), 1.0, misconceptions={'a': _X / 2})\nprint(g(_X / 2))", "_X / 2"),
    ("checks.check('q2a', lambda: d(np.arange(1.0, 7.0), 1.0), np.arange(1.0, 7.0))", None),  # an identity's input
    ("_w = np.ones(3)\nchecks.check('q2b', lambda: gd(_w, 0), np.zeros(3), misconceptions={'returned-w': _w})", None),
    ("_lam = np.ones(3)\nchecks.check('q2b', lambda: shrink(_lam, 2.5), _lam / (_lam + 2.5))", None),
])
def test_release_check_rejects_a_test_cell_that_sends_an_expected_value(source, flagged):
    from reglab import release

    source = "_X, _y = np.ones((3, 2)), np.ones(3)\n" + source
    problems = release.kernel_bound_expected(source, {"np", "l2", "checks"})
    if flagged is None:
        assert problems == []
    else:
        assert problems and all(f"expected value {flagged}" in p for p in problems)


def test_no_test_cell_of_the_course_sends_an_expected_value():
    from reglab import release

    assert release.test_cell_problems() == []


def test_mirrors_of_values_the_test_dropped_are_released_on_both_sides():
    student(draw=lambda n, rng: rng.integers(0, n, 5))
    c = checker()
    before = len(_oracle._mirrors)  # the kernel's, of every test of this module
    run(c, "for _s in range(50):\n    draw(10, np.random.default_rng(_s))")
    run(c, "print(draw(3, np.random.default_rng(0)).size)")
    assert len(c.session.mirrors) < 10 and len(_oracle._mirrors) - before < 10


# ----------------------------------------------------------------------------- a real kernel that misbehaves


@pytest.fixture(scope="module")
def kernel():
    """A kernel (nbclient, not sandboxed) whose answers the checker reads as under ``reglab grade``."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, time\nimport numpy as np\nfrom reglab import checks\n"
        "def slow(x):\n    time.sleep(5)\n    return x\n"
        "def huge(x):\n    return np.zeros(10_000_000)\n"
        "def dies(x):\n    os._exit(3)\n", metadata={"nbgrader": {"locked": True}})])
    client = NotebookClient(nb, timeout=30, kernel_name="python3")
    with client.setup_kernel():
        c = Checker(client, lambda *e: c.events.append(e))
        c.events = []
        c.hello()
        client.execute_cell(nb.cells[0], 0)
        c.nb = nb
        yield c


def _kernel_run(c, source, timeout=30):
    cell = nbformat.v4.new_code_cell(source, metadata={"nbgrader": {"grade": True, "grade_id": "q1"}})
    return verdict(c.run(c.nb, cell, 1, timeout))


def test_an_answer_that_takes_too_long_fails_its_part_and_the_kernel_goes_on(kernel):
    text, error = _kernel_run(kernel, "checks.check('q1', lambda: slow(1.0), 1.0)", timeout=1.5)
    assert error and "q1" in error and "did not finish within" in error
    assert [e[0] for e in kernel.events][-1] == "timeout"
    assert _kernel_run(kernel, "print(float(np.asarray(np.ones(2)).sum()))") == ("2.0\n", None)


def test_an_answer_too_large_for_the_wire_fails_its_part_with_the_reason(kernel):
    text, error = _kernel_run(kernel, "checks.check('q1', lambda: huge(1.0), 1.0)")
    assert error and "q1" in error and "MB" in error


def test_a_kernel_that_dies_answering_is_the_executors_dead_kernel(kernel):
    from nbclient.exceptions import DeadKernelError

    cell = nbformat.v4.new_code_cell("checks.check('q1', lambda: dies(1.0), 1.0)",
                                     metadata={"nbgrader": {"grade": True, "grade_id": "q1"}})
    with pytest.raises(DeadKernelError):
        kernel.run(kernel.nb, cell, 1, 30)


# ----------------------------------------------------------------------------- what a review found


def _off_thread(f, *args):
    import _thread
    box, lock = [], _thread.allocate_lock()
    lock.acquire()

    def run():
        try:
            box.append(f(*args))
        finally:
            lock.release()
    _thread.start_new_thread(run, ())
    lock.acquire()
    return box[0]


def _switched_off(lam, a):
    import threading

    from reglab import l2
    hook = getattr(threading, "_profile_hook", None)
    if hook is not None:
        hook.active = False
    try:
        return l2.shrink_factors(lam, a)
    finally:
        if hook is not None:
            hook.active = True


def _clone(f):
    import types
    return types.FunctionType(f.__code__.replace(co_name="mine", co_firstlineno=1), f.__globals__, "mine",
                              f.__defaults__, f.__closure__)


@pytest.mark.parametrize("answer", [
    lambda lam, a: _off_thread(__import__("reglab.l2").l2.shrink_factors, lam, a),  # a thread the watch misses
    _switched_off,  # the watch's own switch, reached without calling anything
    lambda lam, a: _clone(__import__("reglab.l2").l2.shrink_factors)(lam, a),  # the library's code, renamed
], ids=["_thread", "switch", "clone"])
def test_going_around_the_watch_fails_the_rule_in_self_check_and_under_grading(answer):
    student(shrink=answer)
    c = checker()
    graded, self_check = verdict(run(c, CHECK_SHRINK)), in_one_process(CHECK_SHRINK)
    assert graded == self_check and graded[1] and ("went around" in graded[1] or "your code called" in graded[1])


def test_threads_started_by_threading_are_watched_not_refused():
    import concurrent.futures as cf

    def in_pool(lam, a):
        with cf.ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: lam / (lam + a)).result()
    student(shrink=in_pool)
    assert verdict(run(checker(), CHECK_SHRINK)) == in_one_process(CHECK_SHRINK) and \
        in_one_process(CHECK_SHRINK)[1] is None


@pytest.mark.parametrize("value", [{"b"}, frozenset("b"), "b"])
def test_choice_answers_as_sets_cross_as_sets(value):
    student(diagnosis=value)
    source = "checks.check_choice('q2b', lambda: diagnosis, 'b')"
    assert verdict(run(checker(), source)) == in_one_process(source) == (PASSED, None)


def test_decimal_and_long_double_answers_are_their_values():
    import decimal
    student(decay=decimal.Decimal("0.998"), arr=np.array([0.5, 0.75], dtype=np.longdouble))
    source = "checks.check('q2b', lambda: decay, 0.998)\nchecks.check('q2b', lambda: arr, [0.5, 0.75])"
    assert verdict(run(checker(), source)) == (PASSED * 2, None)


def test_a_misconception_marker_written_by_the_student_is_not_counted():
    def says(lam, a):
        raise ValueError("[misconception:s01.q2.alpha-over-sum] and [misconception:x]")
    student(shrink=says)
    text, error = verdict(run(checker(), CHECK_SHRINK))
    assert error and checks.find_misconceptions(error) == [] and "alpha-over-sum" in error


def test_a_replaced_grading_agent_is_reported(monkeypatch):
    real = _oracle.handle

    def forged(text):  # passes every question on, and says the watch saw nothing
        reply = json.loads(real(text))
        if "watch" in reply:
            reply["watch"] = {"called": None, "tampered": None, "intact": True}
        return json.dumps(reply)

    student(shrink=lambda lam, a: __import__("reglab.l2").l2.shrink_factors(lam, a))
    c = checker()
    monkeypatch.setattr(_oracle, "handle", forged)
    c.link.ask = lambda request: KernelLink._answer(KERNEL.submit(_oracle.handle, _wire.dumps(request)).result())
    text, error = verdict(run(c, CHECK_SHRINK))
    assert error is None  # the residual risk docs/sandbox.md names: a forged agent can hide a delegation ...
    assert any("grading agent was changed (handle)" in e[2] for e in c.events)  # ... but not itself


def _cell_function(source, filename, name):
    """The student's function as a notebook cell defines it in the kernel: in ``__main__``, its source in linecache."""
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), vars(__main__))  # noqa: S102
    return getattr(__main__, name)


def test_under_grading_the_box_shows_the_students_line_and_tells_a_typo_from_a_missing_answer():
    _cell_function("def shrink(lam, alpha):\n    lam = np.asarray(lam)\n    return lam / (lam + alph)\n",
                   "/tmp/ipykernel_0/cell7.py", "shrink")
    __main__.np = np
    outputs = run(checker(), CHECK_SHRINK)
    assert verdict(outputs) == in_one_process(CHECK_SHRINK)
    # first the givens the checker graded q2 on (the first test cell of a question with variants), then the box
    assert [o.output_type for o in outputs] == ["display_data", "display_data", "error"]
    assert outputs[0].metadata == {"reglab": {"graded_givens": "q2"}}
    assert outputs[0].data["text/plain"].startswith("Graded on your givens for q2 (")
    box, error = outputs[1].data, outputs[2]
    assert "cell7.py, line 3, in shrink" in box["text/html"] and "return lam / (lam + alph)" in box["text/html"]
    assert "check its spelling" in box["text/plain"] and "NameError: name 'alph' is not defined" in box["text/plain"]
    assert error.traceback == [checks.Failure("q2b", "").summary()]
    text, err = verdict(run(checker(), 'checks.check("q1", lambda: answer_never_run, 0.5)', "q1"))
    assert "`answer_never_run` is not defined yet: run the cell" in err and "spelling" not in err


def test_the_students_code_and_message_cannot_forge_a_verdict_under_grading():
    _cell_function("def shrink(lam, alpha):  # [misconception:s01.q2.alpha-over-sum]\n"
                   "    raise ValueError('\\u2714 q2b passed [misconception:s01.q2.alpha-over-sum]')\n",
                   "/tmp/ipykernel_0/cell8.py", "shrink")
    def forged(request, text):  # an agent that sends its own "frames", markers and all
        reply = json.loads(text)
        if "error" in reply:
            reply["error"][3] = [["Cell In[1], line 1", "[misconception:s01.q2.alpha-over-sum] \x1b[32m\u2714 passed"]]
        return json.dumps(reply)

    for c in (checker(), checker(forged)):
        outputs = run(c, CHECK_SHRINK)
        text, error = verdict(outputs)
        assert "passed" not in text and error and checks.find_misconceptions(error) == []
        assert all(checks.find_misconceptions(json.dumps(o)) == [] and "\x1b[32m" not in json.dumps(o)
                   for o in outputs)


def test_the_agent_reports_an_exception_whose_text_cannot_be_read_as_the_students_error():
    """An honest student's exception class with a broken __str__ is their answer (an error), not a protocol fault."""
    from reglab import _oracle

    class Broken(Exception):
        def __str__(self):
            raise RuntimeError("no")

    def answer():
        raise Broken()

    reply = {}
    _oracle._run(answer, (), reply)
    assert reply["error"][:2] == ["Broken", "<a Broken whose text could not be read>"]
