"""LMS downloads (one zip per assignment) into nbgrader's ``submitted`` layout, with nbgrader's ``zip_collect``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from traitlets.config import Config

from .jobs import Note

# LMS file names look like "<student>_<anything>_<notebook>.ipynb" (Canvas adds ids); an LMS that puts the
# submission time in the name as "<student>_<YYYY-MM-DDTHH:MM:SS[+zone]>_..." gives nbgrader its timestamp.
# Matched against the extracted file's full path.
NAMED_REGEXP = (r"^(?:.*/)?(?P<student_id>[^_/]+)_"
                r"(?:(?P<timestamp>\d{{4}}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?(?:Z|[+-]\d\d:?\d\d)?)_)?"
                r"(?:[^/]*_)?(?P<file_id>(?:{names}))$")


def assignment_of(relative: str, name: str, known: list[str]) -> str | None:
    """The assignment an archive belongs to: by its folder, else by the start of its file name."""
    return next((a for a in known if relative.startswith(a + "/") or name.startswith(a)), None)


def collect_zips(submissions: Path, out: Path, known: list[str], notes: list, prepare) -> Path:
    """Extract and collect every archive under ``submissions`` into ``out/submitted``; returns that folder."""
    from nbgrader.apps.zipcollectapp import ZipCollectApp
    from nbgrader.coursedir import CourseDirectory

    by_assignment: dict[str, list[Path]] = {}
    for z in sorted(submissions.rglob("*.zip")):
        rel = z.relative_to(submissions).as_posix()
        aid = assignment_of(rel, z.name, known)
        if aid is None:
            notes.append(Note("-", "-", "unknown archive", f"{rel}: name it after an assignment (e.g. {known[0]}.zip) "
                              "or put it in a folder of that name; not graded"))
            continue
        by_assignment.setdefault(aid, []).append(z)
    prepare(sorted(by_assignment))
    for aid, files in by_assignment.items():
        archive = out / "downloaded" / aid / "archive"
        shutil.rmtree(out / "downloaded" / aid, ignore_errors=True)
        archive.mkdir(parents=True)
        for f in files:
            shutil.copy(f, archive / f.name)
        names = "|".join(re.escape(p.name) for p in (out / "release" / aid).glob("*.ipynb"))
        cfg = Config()
        cfg.CourseDirectory.root = str(out)
        cfg.CourseDirectory.assignment_id = aid
        cfg.ZipCollectApp.force = True
        cfg.FileNameCollectorPlugin.named_regexp = NAMED_REGEXP.format(names=names)
        app = ZipCollectApp(config=cfg)
        app.coursedir = CourseDirectory(parent=app)  # what NbGrader.initialize() does, without parsing argv
        app.log.setLevel("ERROR")
        app.start()
    return out / "submitted"
