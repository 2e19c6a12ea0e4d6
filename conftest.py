"""pytest configuration: headless matplotlib, the hypothesis profile and shared fixtures.

Helper functions live in ``tests/helpers.py`` (import them from there, never from this file).
"""

import os

import matplotlib

matplotlib.use("Agg")  # headless: every figure renders off-screen

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "reglab",
    max_examples=int(os.environ.get("REGLAB_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run and machine
)
settings.load_profile("reglab")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can react to failures (screenshots)."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """``--dist loadgroup`` on pytest 9: pytest-xdist 3.8 marks a grouped test by rewriting ``item._nodeid``, which
    pytest 9 no longer reads (the node id lives in ``item._id``), so every group was silently spread over the workers
    (module fixtures such as the cluster's built once per worker, order-dependent tests split). This applies the same
    ``<nodeid>@<group>`` suffix through the attribute pytest 9 reads; a no-op when xdist already did it."""
    if not (getattr(config.option, "loadgroup", False) or getattr(config.option, "dist", "no") == "loadgroup"):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if names and "@" not in item.nodeid:
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")


# ----------------------------------------------------------------------------- the unprivileged grader's venv

def pytest_configure(config):
    """As root, start building the unprivileged batch's virtual environment (``make instructor`` with Debian's
    python3, about a minute and a half) in the background as the run starts, so that the test that needs it does
    not wait for the whole build: ``autograder/tests/test_grading.py``'s ``unprivileged_venv`` fixture waits for it
    to end.
    Only the run's first process does it (xdist's workers inherit the variable), and only when the grading tests
    are part of the run."""
    import subprocess
    import tempfile
    from pathlib import Path

    from helpers import UNPRIVILEGED_VENV_ENV

    _start_student_copy(config)
    if hasattr(config, "workerinput") or os.geteuid() != 0 or os.environ.get(UNPRIVILEGED_VENV_ENV):
        return
    if not _part_of_run(config, "autograder/tests/test_grading.py"):
        return
    if not os.access("/usr/bin/python3", os.X_OK):
        return  # the fixture fails with the reason
    root = Path(__file__).resolve().parent
    top = Path(tempfile.mkdtemp(prefix="reglab-unpriv-venv-"))
    top.chmod(0o755)
    script = (f"make -C {root} instructor PYTHON=/usr/bin/python3 VENV={top / 'venv'} > {top / 'build.log'} 2>&1; "
              f"echo $? > {top / 'status.tmp'}; mv {top / 'status.tmp'} {top / 'status'}")
    config._reglab_unpriv = subprocess.Popen(["sh", "-c", script], start_new_session=True)
    os.environ[UNPRIVILEGED_VENV_ENV] = str(top)


def _start_student_copy(config):
    """Likewise, for any user: start writing the student copy and building its environment with its own Makefile
    (about a minute here) as the run starts, when ``tests/test_student_copy.py`` is part of it; the module's ``copy``
    fixture waits for it (``helpers.start_student_copy``)."""
    from helpers import STUDENT_COPY_ENV, start_student_copy

    if hasattr(config, "workerinput") or os.environ.get(STUDENT_COPY_ENV):
        return
    if not _part_of_run(config, "tests/test_student_copy.py"):
        return
    top, config._reglab_student_copy = start_student_copy()
    os.environ[STUDENT_COPY_ENV] = str(top)


def _part_of_run(config, module: str) -> bool:
    """Whether the run collects ``module`` (a path from the repository's root): no path given (``testpaths``), the
    module itself (or tests of it), or a folder holding it."""
    from pathlib import Path

    target = Path(__file__).resolve().parent / module
    here = Path(config.invocation_params.dir)
    paths = [(here / str(a).split("::")[0]).resolve() for a in config.args]
    return not paths or any(p == target or p in target.parents for p in paths)


def pytest_unconfigure(config):
    copy = getattr(config, "_reglab_student_copy", None)
    if copy is not None:
        import signal
        import subprocess

        from helpers import STUDENT_COPY_ENV

        try:
            os.killpg(copy.pid, signal.SIGKILL)  # the shell, make and pip, if the build still runs
        except ProcessLookupError:
            pass
        copy.wait()
        # some 30,000 files (its environment): removed in the background, about half a minute of this disk's time
        subprocess.Popen(["rm", "-rf", os.environ.pop(STUDENT_COPY_ENV, "")], start_new_session=True)
    proc = getattr(config, "_reglab_unpriv", None)
    if proc is not None:
        import shutil

        from helpers import UNPRIVILEGED_VENV_ENV

        proc.kill()
        proc.wait()
        shutil.rmtree(os.environ.pop(UNPRIVILEGED_VENV_ENV, ""), ignore_errors=True)
