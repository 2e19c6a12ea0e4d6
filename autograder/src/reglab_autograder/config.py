"""The nbgrader configuration of a grading run: the course's own settings, then the grading course's.

The autograde preprocessors are nbgrader's default list with ``Execute`` swapped for
:class:`.preprocessors.execute.SandboxedExecute`; the sanitize pass runs the intake rules
(:mod:`.preprocessors.intake_rules`) before nbgrader's own; feedback never shows hidden tests or tracebacks.
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
from nbgrader.preprocessors import CheckCellMetadata, ClearHiddenTests, Execute, SaveAutoGrades

from reglab.release import load_config

from .exporters import FeedbackExporter, nbgrader_templates
from .plugins.late import LatePenalty
from .preprocessors import feedback, graded_view, intake_rules, metadata
from .sandbox import layout

# the grading course inside the output folder (nbgrader's standard step names)
SOURCE, RELEASE = "source", "release"
# the course every gradebook row belongs to: nbgrader's Gradebook default (nbgrader's converters default to no course,
# which SQLite tolerates and PostgreSQL refuses: an assignment's course is a foreign key)
COURSE_ID = "default_course"


def default_list(converter, trait: str) -> list:
    """A converter's default list of preprocessors, with this package's
    :class:`.preprocessors.metadata.CheckCellMetadata` (the schema compiled once) in place of nbgrader's."""
    return [metadata.CheckCellMetadata if p is CheckCellMetadata else p
            for p in converter.class_traits()[trait].default()]


def autograde_preprocessors(execute) -> list:
    """nbgrader's autograde preprocessors, with ``execute`` in place of its ``Execute``, and the mastery gate
    computed from the grades once they are saved."""
    out = [execute if p is Execute else p for p in default_list(Autograde, "autograde_preprocessors")]
    out.insert(out.index(SaveAutoGrades) + 1, graded_view.GradedGate)
    return out


def sanitize_preprocessors() -> list:
    """The intake rules, then nbgrader's own sanitize preprocessors (which restore the locked cells)."""
    return list(intake_rules.INTAKE_RULES) + default_list(Autograde, "sanitize_preprocessors")


def feedback_preprocessors() -> list:
    """nbgrader's feedback preprocessors, with hidden tests removed and tracebacks redacted after grades are read,
    the mastery gate computed from the grades, and a box saying what the report says about the notebook."""
    out = default_list(GenerateFeedback, "preprocessors")
    if ClearHiddenTests not in out:
        out.insert(1, ClearHiddenTests)
    out.insert(out.index(ClearHiddenTests) + 1, feedback.RedactTracebacks)
    out.insert(out.index(feedback.RedactTracebacks) + 1, feedback.SanitizeFeedback)
    out.insert(out.index(feedback.SanitizeFeedback) + 1, feedback.NoteUnrenderedFigures)
    out.insert(out.index(feedback.NoteUnrenderedFigures) + 1, graded_view.GradedGate)
    out.insert(out.index(graded_view.GradedGate) + 1, graded_view.FeedbackSummary)
    return out


def feedback_template_dirs() -> list[str]:
    """This package's templates (a MathJax macro that loads nothing and sets a Content-Security-Policy), then
    nbgrader's own (its feedback template)."""
    return [str(Path(__file__).parent / "templates"), str(nbgrader_templates())]


def course_config(root: Path, out: Path, db_url: str, dates_file=None):
    """The course's nbgrader settings (stubs, timeouts, due dates), rooted at the grading output; with the due
    dates and extensions of ``dates_file`` (a :class:`.dates.Dates`), if given."""
    from . import dates

    cfg = load_config(root)
    if dates_file is not None:
        dates.apply(cfg, dates_file)
    cfg.CourseDirectory.root = str(out)
    cfg.CourseDirectory.source_directory = SOURCE
    cfg.CourseDirectory.release_directory = RELEASE
    cfg.CourseDirectory.db_url = db_url
    cfg.CourseDirectory.course_id = COURSE_ID
    cfg.GenerateAssignment.no_database = False
    cfg.GenerateAssignment.preprocessors = default_list(GenerateAssignment, "preprocessors")
    cfg.SaveCells.enabled = True
    cfg.AssignLatePenalties.plugin_class = LatePenalty
    cfg.ClearHiddenTests.enforce_metadata = False
    cfg.GenerateFeedback.preprocessors = feedback_preprocessors()
    cfg.GenerateFeedback.exporter_class = FeedbackExporter  # nbconvert's HTMLExporter, templates compiled once
    # feedback is built from student content: sanitized (no script, no event handlers), nothing from the network
    cfg.HTMLExporter.sanitize_html = True
    # with this package's sanitizer: nbconvert's own escapes an output's headings, table headers and paragraphs into
    # text, and keeps a <style> element's text
    cfg.HTMLExporter.filters = {"clean_html": feedback.sanitize_html}
    cfg.HTMLExporter.extra_template_basedirs = feedback_template_dirs()
    return cfg


def grading_config(run, slot: int = 0, events_file: str = "", findings_file: str = ""):
    """Configuration of one worker slot of a run (:class:`.options.Run`)."""
    from .preprocessors.execute import SandboxedExecute

    opts = run.options
    cfg = course_config(run.root, run.out, run.db_url, run.dates)
    cfg.Autograde.sanitize_preprocessors = sanitize_preprocessors()
    cfg.Autograde.autograde_preprocessors = autograde_preprocessors(SandboxedExecute)
    cfg.OverwriteCells.add_missing_cells = False  # a deleted test scores 0 (set after grading), not restored
    cfg.IntakeRule.release_root = str(run.out / RELEASE)
    cfg.IntakeRule.findings_file = findings_file
    cfg.SandboxedExecute.timeout = int(opts.timeout)
    cfg.SandboxedExecute.notebook_timeout = int(opts.notebook_timeout)
    cfg.SandboxedExecute.limits = dict(opts.limits)
    cfg.SandboxedExecute.isolate = bool(opts.isolate)
    cfg.SandboxedExecute.uid = layout.UID_BASE + run.uid_block * layout.MAX_WORKERS + slot
    cfg.SandboxedExecute.keep_paths = [library_path()]
    cfg.SandboxedExecute.mask_paths = grader_paths() + list(run.hidden)
    cfg.SandboxedExecute.events_file = events_file
    return cfg


def library_path() -> str:
    """The folder holding the students' ``reglab`` package: kernels import it."""
    import reglab

    return str(Path(reglab.__file__).resolve().parents[1])


def grader_paths() -> list[str]:
    """This package's folder: hidden from kernels wherever it is installed."""
    return [str(Path(__file__).resolve().parent)]
