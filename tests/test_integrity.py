"""The harness notices when what it relies on was replaced, and never blames honest code for it."""

import ast
import builtins
import inspect
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from reglab import checks


@pytest.fixture(autouse=True)
def _no_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("REGLAB_PROGRESS_FILE", str(tmp_path / "progress.json"))


def test_the_harness_refuses_to_have_its_names_replaced():
    for attempt in ("checks.check = lambda *a, **k: None", "del checks.check_true",
                    "exec('checks.check = lambda *a, **k: None')", "setattr(checks, 'LINEAR_SOLVERS', ())"):
        with pytest.raises(AttributeError, match="cannot be (replaced|deleted)"):
            exec(attempt, {"checks": checks})
    checks.check("q1", lambda: 2.0, 2.0)  # still the harness's own


@pytest.mark.parametrize("swap", [
    "np.abs = lambda x: 0 * x",
    "np.isfinite = lambda x: True",
    "builtins.isinstance = lambda *a: True",
    "vars(checks)['_fail'] = lambda *a, **k: None",
    "checks._close.__code__ = (lambda *a, **k: (True, None, None)).__code__",
    "checks.Fingerprint.matches.__code__ = (lambda self, v: True).__code__",
])
def test_every_check_detects_what_was_swapped_and_fails(swap):
    namespace = {"np": np, "builtins": builtins, "checks": checks}
    saved = {(o, n): getattr(o, n) for o in (np, builtins) for n in ("abs", "isfinite", "isinstance") if hasattr(o, n)}
    saved_fail, saved_close = vars(checks)["_fail"], checks._close.__code__
    saved_match = checks.Fingerprint.matches.__code__
    try:
        exec(swap, namespace)
        messages = []  # collected first: the swap may break the test's own tools until it is undone
        for call in (lambda: checks.check("q1", lambda: 1.0, 2.0),
                     lambda: checks.check_true("q1", lambda: False, "no"),
                     lambda: checks.check_choice("q1", "a", "b")):
            try:
                call()
                messages.append("no failure")
            except checks.AnswerError as exc:
                messages.append(str(exc))
    finally:
        for (o, n), v in saved.items():
            setattr(o, n, v)
        vars(checks)["_fail"] = saved_fail
        checks._close.__code__ = saved_close
        checks.Fingerprint.matches.__code__ = saved_match
    assert all("tampering detected" in m for m in messages), messages
    assert checks._swapped() == []
    checks.check("q1", lambda: 2.0, 2.0)


def test_honest_but_unusual_code_is_not_tampering():
    import importlib

    import matplotlib.pyplot as plt

    plt.rcParams["figure.figsize"] = (5, 3)
    inspect.getsource(checks.check)
    assert eval("2*3") == 6
    vars(checks)  # reading is fine
    importlib.import_module("json")
    np.set_printoptions(precision=3)
    try:
        assert checks._swapped() == []
        checks.check("q1", lambda: 6.0, 6.0)
    finally:
        np.set_printoptions(precision=8)


def _names_used(prefix: str) -> set[str]:
    tree = ast.parse(Path(checks.__file__).read_text(encoding="utf-8"))
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == prefix}


def test_the_lists_of_numpy_functions_and_builtins_the_harness_calls_are_complete():
    used_np = {n for n in _names_used("np") if callable(getattr(np, n, None)) and not isinstance(getattr(np, n), type)}
    used_np -= {"linalg"}  # a module, named only in the solvers' list
    assert used_np <= set(checks._NUMPY_USED), sorted(used_np - set(checks._NUMPY_USED))
    tree = ast.parse(Path(checks.__file__).read_text(encoding="utf-8"))
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and hasattr(builtins, node.func.id)
              and not isinstance(getattr(builtins, node.func.id), type(Exception))}
    called -= {"super", "vars", "open"}  # used for bookkeeping, never for a verdict
    assert called <= set(checks._BUILTINS_USED), sorted(called - set(checks._BUILTINS_USED))


def test_reloading_the_harness_is_not_tampering():
    code = ("import importlib\nfrom reglab import checks\nimportlib.reload(checks)\n"
            "checks.check('q1', lambda: 1.0, 1.0)\nprint(checks._swapped())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]"), out.stdout


def _defined(path) -> set[str]:
    """The functions and classes a module's source defines at its top level."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def test_the_guard_covers_the_harness_own_code_and_nothing_of_the_gate():
    """What decides a grade is checks.py's own code, all of it captured; the gate and the progress file decide none
    (their modules are not captured), and the gate's functions the notebooks call through checks cannot be replaced
    there."""
    from reglab import gate, progress

    captured = {label.split(".")[2] for label, _, _ in checks._INTACT if label.startswith("reglab.checks.")}
    assert captured == _defined(checks.__file__)
    functions = [(label, inspect.unwrap(f)) for label, _, f in checks._INTACT if isinstance(f, types.FunctionType)]
    assert len(functions) > 60  # (the harness has about 80: guards the discovery against finding nothing)
    assert [label for label, f in functions if f.__code__.co_filename != checks.__file__] == []
    assert not captured & (_defined(gate.__file__) | _defined(progress.__file__))
    for name in ("mastery_gate", "progress_table", "progress", "gate_report"):
        assert getattr(checks, name) is getattr(gate, name) and name not in captured
        assert name in checks._PROTECTED
        with pytest.raises(AttributeError, match="cannot be replaced"):
            setattr(checks, name, lambda *a: None)


@pytest.mark.parametrize("name", ["quiet", "_profiled", "_method_rules"])
def test_a_context_managers_own_code_is_guarded_under_contextlibs_wrapper(name):
    """``@contextlib.contextmanager`` keeps the function's code in ``__wrapped__``: swapping it is seen too."""
    inner = getattr(checks, name).__wrapped__
    saved = inner.__code__

    def no_rules(*args, **kwargs):
        yield []

    try:
        inner.__code__ = no_rules.__code__.replace(co_name=saved.co_name)
        assert f"reglab.checks.{name}.__wrapped__.__code__" in checks._swapped()
    finally:
        inner.__code__ = saved
    assert checks._swapped() == []
