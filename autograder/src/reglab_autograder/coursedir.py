"""The grading output as an nbgrader course: ``source/``, ``release/``, the gradebook, and the files that
let nbgrader's own tools (formgrader, feedback) open it later.

``grading.json`` records which course was graded and where the gradebook is; ``nbgrader_config.py``
is the configuration JupyterLab's formgrader reads when started in the output folder. Neither names the output
folder itself: the SQLite gradebook is ``gradebook.db`` next to them wherever the folder is moved or copied (only a
``--db-url`` given explicitly is stored as given; the course root is stored absolute).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from reglab.release import CONFIG_RELATIVE

from . import config, gradebook, intake
from .options import SQLITE_URL, db_url_for
from .plugins.late import LatePolicy

MANIFEST = "grading.json"
NBGRADER_CONFIG = "nbgrader_config.py"


@dataclass(frozen=True)
class GradingOutput:
    """A folder ``reglab grade`` wrote: where it is, which course it graded, where its gradebook is."""

    out: Path
    course_root: Path
    db_url: str
    dates: object = None  # the dates file graded with (a .dates.Dates), if any

    @classmethod
    def open(cls, out: Path) -> GradingOutput:
        """The grading output in ``out``; FileNotFoundError / ValueError with a clear message otherwise."""
        out = Path(out).resolve()
        if not out.is_dir():
            raise FileNotFoundError(f"no such folder: {out}")
        manifest = out / MANIFEST
        if not manifest.is_file():
            raise ValueError(f"{out} is not a grading output of `reglab grade` (no {MANIFEST}); "
                             "run `reglab grade SUBMISSIONS --out FOLDER` first")
        data = json.loads(manifest.read_text())
        root = Path(data["course_root"])
        if not (root / CONFIG_RELATIVE).is_file():
            raise FileNotFoundError(f"{out} was graded from the course in {root}, which has no {CONFIG_RELATIVE} "
                                    f"any more; fix course_root in {manifest}")
        return cls(out=out, course_root=root, db_url=data["db_url"] or db_url_for(out),
                   dates=recorded_dates(data.get("dates")))

    def config(self):
        return config.course_config(self.course_root, self.out, self.db_url, self.dates)


def recorded_dates(entry: dict | None):
    """The dates file a grading output was graded with: the file again if it is still there (an extension
    granted since then counts), else its contents as recorded in the manifest."""
    from . import dates

    if not entry:
        return None
    path = Path(entry["source"])
    text = path.read_text(encoding="utf-8") if path.is_file() else entry["text"]
    return dates.parse(text, entry["source"])


def course_digest(root: Path, assignment: str) -> str:
    """The digest of an assignment's instructor source, ``solutions/<assignment>/`` (notebooks with their tests,
    hidden tests and points, and data files): what a job record says it was graded against."""
    return intake.digest_dir(Path(root) / "solutions" / assignment)


def due_dates(cfg, assignments) -> dict:
    """Due dates (aware) of ``assignments`` from the configuration; ValueError on a wrong format."""
    return LatePolicy(config=cfg).parsed(set(assignments))


def prepare(run, assignments) -> None:
    """Source copies and released versions in the output folder, recorded in the gradebook with due dates."""
    from nbgrader.apps import NbGraderAPI

    cfg = config.course_config(run.root, run.out, run.db_url, run.dates)
    due = due_dates(cfg, assignments)  # a wrong due date stops here, before anything is written
    run.out.mkdir(parents=True, exist_ok=True)
    for aid in assignments:
        dst = run.out / config.SOURCE / aid
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(run.root / "solutions" / aid, dst)
    if run.options.db_url is None:
        with sqlite3.connect(run.out / "gradebook.db") as con:  # WAL: readers and one writer at a time
            con.execute("PRAGMA journal_mode=WAL")
    gradebook.create(run.db_url)
    api = NbGraderAPI(config=cfg)
    api.log.setLevel("ERROR")
    for aid in assignments:
        r = api.generate_assignment(aid, force=True, create=True)
        if not r.get("success"):
            log = r.get("log", "")
            if "submissions associated with it" in log:  # nbgrader's refusal to change graded cells' layout
                raise ValueError(f"solutions/{aid}/ now adds or removes graded cells, but {run.out} already holds "
                                 f"graded submissions of {aid}: nbgrader cannot change an assignment's cells under "
                                 "them. Grade into a new --out (formgrader's scores stay in the old one), or keep "
                                 "the cells and change only their content or points")
            raise RuntimeError(f"could not set up assignment {aid}: {log[-2000:]}")
    gradebook.set_due_dates(run.db_url, due)
    write_course_files(run.out, run.root, run.options.db_url and run.db_url, run.dates)


def write_course_files(out: Path, root: Path, db_url: str | None, dates=None) -> None:
    """``grading.json`` and ``nbgrader_config.py`` of the output ``out`` graded from the course ``root``; ``db_url``
    None: the gradebook is ``gradebook.db`` in the folder, wherever it is; ``dates``: the dates file graded with."""
    manifest = {"course_root": str(root), "db_url": db_url}
    if dates is not None:  # `reglab feedback` recomputes the late penalties with the same file
        manifest["dates"] = {"source": dates.source, "text": dates.text}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    here = "_HERE = os.path.dirname(os.path.abspath(__file__))  # this folder, wherever it was moved or copied"
    url = repr(db_url) if db_url else f'{SQLITE_URL!r}.format(os.path.join(_HERE, "gradebook.db"))'
    preprocessors = [f"{p.__module__}.{p.__qualname__}" for p in config.feedback_preprocessors()]
    (out / NBGRADER_CONFIG).write_text(f'''\
# The output of `reglab grade` as an nbgrader course: `reglab formgrader` opens it in JupyterLab's formgrader,
# `reglab feedback` regenerates the feedback from it. Written by `reglab grade` (rewritten on every run).
import os

c = get_config()  # noqa: F821
{here}
load_subconfig({str(root / CONFIG_RELATIVE)!r})  # noqa: F821 (the course's settings: stubs, due dates, penalty)
c.CourseDirectory.root = _HERE
c.CourseDirectory.source_directory = {config.SOURCE!r}
c.CourseDirectory.release_directory = {config.RELEASE!r}
c.CourseDirectory.db_url = {url}
c.CourseDirectory.course_id = {config.COURSE_ID!r}
c.GenerateAssignment.no_database = False
c.SaveCells.enabled = True
c.AssignLatePenalties.plugin_class = "reglab_autograder.plugins.late.LatePenalty"
c.ClearHiddenTests.enforce_metadata = False
c.GenerateFeedback.preprocessors = {preprocessors!r}
''')
