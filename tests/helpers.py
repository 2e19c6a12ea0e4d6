"""Helper functions shared by the test modules (``from helpers import random_psd``).

pytest puts this directory on ``sys.path`` (rootdir-less ``tests/``, prepend import mode), so the
test modules import it as a plain module; fixtures stay in ``conftest.py``.
"""

import numpy as np


def random_psd(rng, d, rank=None, scale=1.0):
    """A random symmetric PSD matrix with eigenvalues spread over a few decades."""
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    lam = scale * np.geomspace(0.05, 5.0, d)
    if rank is not None:
        lam[: d - rank] = 0.0
    rng.shuffle(lam)
    return (Q * lam) @ Q.T


def course_copy(base, extra: str = "", copy_solutions: bool = False):
    """A course repository in ``base/course`` for grading tests: the project's autograder configuration with
    ``extra`` appended (due dates, late policy), and its ``solutions/`` linked (or copied, for a test that changes
    a hidden test)."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    course = Path(base) / "course"
    (course / "autograder").mkdir(parents=True)
    (course / "autograder" / "nbgrader_config.py").write_text(
        (root / "autograder" / "nbgrader_config.py").read_text() + extra)
    if copy_solutions:
        shutil.copytree(root / "solutions", course / "solutions")
    else:
        (course / "solutions").symlink_to(root / "solutions")
    return course


#: where conftest.py tells the grading tests about the unprivileged batch's venv it is building (see its
#: ``pytest_configure``)
UNPRIVILEGED_VENV_ENV = "REGLAB_TEST_UNPRIVILEGED_VENV"
