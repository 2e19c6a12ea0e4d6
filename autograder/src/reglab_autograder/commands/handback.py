"""``reglab handback OUT``: one folder per student holding only that student's feedback, to upload to an LMS
or copy to the student.

Each folder has nbgrader's ``feedback/<student>/<assignment>/`` layout, the one ``nbgrader
release_feedback`` reads: ``handback/<student>/<assignment>/<notebook>.html`` and ``timestamp.txt``, and the
MathJax the pages load, ``handback/<student>/mathjax/`` (:mod:`reglab_autograder.mathjax`); with ``--zip``,
``handback/<student>.zip`` holds the same files.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from .. import mathjax
from ..coursedir import GradingOutput

KEPT = ("*.html", "timestamp.txt")  # the feedback, and when it was submitted; nothing else of the submission
# (plus the MathJax the pages load, written by this package, not taken from the feedback folder)


def hand_back(out, zip_files: bool = False) -> list[Path]:
    """Write ``OUT/handback/<student>/``; returns the folders written."""
    go = GradingOutput.open(out)
    feedback = go.out / "feedback"
    students = sorted(p for p in feedback.iterdir() if p.is_dir()) if feedback.is_dir() else []
    if not students:
        raise ValueError(f"no feedback in {feedback}: run `reglab feedback {go.out}` first")
    dest_root = go.out / "handback"
    written = []
    for sdir in students:
        dest = dest_root / sdir.name
        shutil.rmtree(dest, ignore_errors=True)
        files = []
        for adir in sorted(p for p in sdir.iterdir() if p.is_dir()):
            for pattern in KEPT:
                for f in sorted(adir.glob(pattern)):
                    if f.is_file() and not f.is_symlink():
                        target = dest / adir.name / f.name
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(f, target)
                        files.append(target)
        if files:  # the pages' MathJax (../mathjax/), so that they render offline
            files += sorted(p for p in mathjax.install(dest).rglob("*") if p.is_file())
        if zip_files:
            with zipfile.ZipFile(dest_root / f"{sdir.name}.zip", "w", zipfile.ZIP_DEFLATED) as z:
                for f in files:
                    z.write(f, f.relative_to(dest).as_posix())
        written.append(dest)
    return written
