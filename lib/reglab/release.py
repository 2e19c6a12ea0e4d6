"""Student versions from the instructor sources, through nbgrader's own ``generate_assignment``.

``reglab release`` regenerates ``notebooks/<id>/`` from ``solutions/<id>/`` with the configuration in
``autograder/nbgrader_config.py``; ``reglab release --check`` regenerates into a temporary folder and
reports any difference from the committed student versions.
"""

from __future__ import annotations

import filecmp
import tempfile
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
    """Regenerate the student versions; returns the sessions released."""
    root = root or find_course_root()
    ids = list(session_ids or available_sessions(root))
    _generate(root, ids)
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
        return problems


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
