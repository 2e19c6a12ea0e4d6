"""The Jupyter server extension of ``reglab formgrader``: nbgrader's formgrader, fitted to a grading output.

``reglab formgrader`` starts JupyterLab with this extension in place of nbgrader's formgrader extension. It
registers its handlers first, then loads nbgrader's (tornado takes the first route that matches):

- the formgrader API endpoints that would run students' notebooks unsandboxed as the instructor (autograde),
  redo outside ``reglab grade`` what it set up (generate), write feedback past the grader's sanitizing (generate
  feedback) or use nbgrader's exchange, which this course does not use (release, collect, release feedback),
  answer 403 with what to run instead (``reglab grade``, ``reglab feedback``, ``reglab handback``); so does a PUT
  of an assignment (a due date, a new assignment), which ``reglab grade`` sets up from the dates and solutions/;
- the Manage Assignments and Manage Submissions pages are nbgrader's without those buttons and without the
  exchange warning;
- the grading page is nbgrader's with, beside each manually graded answer, the question's model answer and rubric
  from the instructor's notebook (``source/<assignment>/<notebook>.ipynb``: its solution and mark-scheme regions),
  and MathJax from ``jupyter_server_mathjax`` instead of a CDN (offline, the page's keyboard shortcuts stop when
  MathJax is missing); the student's notebook is sanitized as the feedback is, and the page is sent with a
  Content-Security-Policy (:data:`CSP`).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from jinja2 import Environment, FileSystemLoader, pass_context
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbgrader.exchange.default import ExchangeError, ExchangeList
from nbgrader.preprocessors import ClearMarkScheme, ClearSolutions
from nbgrader.server_extensions import formgrader as nbgrader_formgrader
from nbgrader.server_extensions.formgrader import apihandlers as nbgrader_apihandlers
from nbgrader.server_extensions.formgrader import handlers as nbgrader_handlers
from nbgrader.server_extensions.formgrader.base import BaseApiHandler
from nbgrader.utils import is_grade, is_solution, is_task
from tornado import web

from .preprocessors.feedback import SanitizeFeedback, sanitize_html

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_NAME = "reglab_formgrade"  # templates/reglab_formgrade: nbgrader's "formgrade" with the rubric beside answers

# nbgrader's formgrader API endpoints refused here: (what it does, why not here and what to run instead)
_RUNS = ("it would run students' notebooks unsandboxed, as you; grade (or grade again) with "
         "`reglab grade SUBMISSIONS --out OUT`, which runs them in the grader's sandbox")
_SETUP = ("it would regenerate the released notebooks and the gradebook's cells outside `reglab grade`, which sets "
          "them up from the course's solutions/ with the due dates; run `reglab grade SUBMISSIONS --out OUT`")
_FEEDBACK = ("it would write feedback without the grader's sanitizing and late-penalty notes; after scoring "
             "here, run `reglab feedback OUT`")
_DATES = ("due dates live in the dates file or the course's nbgrader config and assignments come from the course's "
          "solutions/; `reglab grade SUBMISSIONS --out OUT` sets both up in the gradebook")
_EXCHANGE = "this course does not use nbgrader's exchange; hand feedback back with `reglab handback OUT`"
REFUSED = {
    r"/formgrader/api/assignment/([^/]+)/assign": ("generating an assignment", _SETUP),
    r"/formgrader/api/assignment/([^/]+)/unrelease": ("unreleasing an assignment", _EXCHANGE),
    r"/formgrader/api/assignment/([^/]+)/release": ("releasing an assignment", _EXCHANGE),
    r"/formgrader/api/assignment/([^/]+)/collect": ("collecting submissions", _EXCHANGE),
    r"/formgrader/api/assignment/([^/]+)/generate_feedback": ("generating feedback", _FEEDBACK),
    r"/formgrader/api/assignment/([^/]+)/release_feedback": ("releasing feedback", _EXCHANGE),
    r"/formgrader/api/assignment/([^/]+)/([^/]+)/generate_feedback": ("generating feedback", _FEEDBACK),
    r"/formgrader/api/assignment/([^/]+)/([^/]+)/release_feedback": ("releasing feedback", _EXCHANGE),
    r"/formgrader/api/submission/([^/]+)/([^/]+)/autograde": ("autograding a submission", _RUNS),
}


class NoExchangeList(ExchangeList):
    """nbgrader's exchange listing for a course without an exchange: the exchange is reported missing (the
    formgrader then offers no release or collect) without nbgrader's critical "Unwritable directory" log line on
    every page."""

    def start(self):
        raise ExchangeError("this course does not use nbgrader's exchange")


class RefusedHandler(BaseApiHandler):
    """An nbgrader formgrader endpoint this course does not serve: 403 with the command to run instead."""

    def initialize(self, action: str, why: str):
        self.message = f"{action} is disabled in `reglab formgrader`: {why}"

    @web.authenticated
    def post(self, *args):
        self.set_status(403)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"success": False, "error": self.message, "log": self.message}))

    put = post


class AssignmentHandler(nbgrader_apihandlers.AssignmentHandler):
    """nbgrader's assignment endpoint, read-only: GET as nbgrader's, PUT (set a due date, create an assignment)
    refused with 403 and where due dates and assignments come from."""

    @web.authenticated
    def put(self, assignment_id):
        message = f"setting a due date or creating an assignment is disabled in `reglab formgrader`: {_DATES}"
        self.set_status(403)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"success": False, "error": message, "log": message}))


# the grading page shows the student's notebook: the CSP forbids what sanitized content could still try (plugins,
# a <base>, posting a form elsewhere, frames). formgrader's own page needs 'unsafe-inline' scripts (its setup script
# and the MathJax config are inline, formgrade.js sets handlers through jQuery), so the sanitizing of the student's
# cells and outputs (SanitizeFeedback, sanitize_html: the feedback pages' own) is the defence against scripts.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-src 'none'; frame-ancestors 'self'")


class _Csp:
    """Sends :data:`CSP` with the page."""

    def set_default_headers(self):
        super().set_default_headers()
        self.set_header("Content-Security-Policy", CSP)


class _ReglabPage:
    """Renders ``reglab_<name>`` (this package's template extending nbgrader's ``<name>``) instead of ``<name>``."""

    def render(self, name, **ns):
        return self.settings["reglab_jinja2_env"].get_template(f"reglab_{name}").render(**ns)


class ManageAssignmentsHandler(_Csp, _ReglabPage, nbgrader_handlers.ManageAssignmentsHandler):
    pass


class ManageSubmissionsHandler(_Csp, _ReglabPage, nbgrader_handlers.ManageSubmissionsHandler):
    pass


class SubmissionHandler(_Csp, nbgrader_handlers.SubmissionHandler):
    """nbgrader's grading page, exported with this package's template (rubric beside the answer, local MathJax),
    the student's cells and outputs sanitized as in the feedback, under :data:`CSP`."""

    @property
    def exporter(self):
        return self.settings["reglab_exporter"]


def marked_regions(source: str, delimiters) -> str:
    """The text inside ``source``'s marked regions (lines strictly between a begin and its end delimiter, as
    nbgrader's ClearSolutions and ClearMarkScheme find them), regions separated by a blank line."""
    kept, end = [], None
    for line in source.split("\n"):
        if end is None:
            end = next((e for b, e in delimiters if b in line), None)
        elif end in line:
            end = None
            kept.append("")
        else:
            kept.append(line)
    return "\n".join(kept).strip()


def model_answers(nb, delimiters) -> dict[str, str]:
    """Markdown of the model answer and rubric of each manually graded cell of an instructor's notebook, by grade
    id (a code answer's as a code block); cells without a marked region are left out."""
    found = {}
    for cell in nb.cells:
        if not ((is_grade(cell) and is_solution(cell)) or is_task(cell)):
            continue
        text = marked_regions(cell.source, delimiters)
        if text:
            found[cell.metadata.nbgrader["grade_id"]] = text if cell.cell_type == "markdown" else f"```\n{text}\n```"
    return found


class ModelAnswers(Preprocessor):
    """Puts in ``resources["reglab_rubrics"]`` the model answers and rubrics of the notebook being graded, read
    from the assignment's source notebook in the course directory (``resources["reglab_rubric_source"]``: where)."""

    def __init__(self, formgrader, **kw):
        super().__init__(**kw)
        self.formgrader = formgrader

    def preprocess(self, nb, resources):
        coursedir = self.formgrader.coursedir
        source = Path(coursedir.format_path(coursedir.source_directory, ".", resources["assignment_id"]))
        path = source / f"{resources['notebook_id']}.ipynb"
        cfg = self.formgrader.config
        solutions, schemes = ClearSolutions(config=cfg), ClearMarkScheme(config=cfg)
        delimiters = [(solutions.begin_solution_delimeter, solutions.end_solution_delimeter),
                      (schemes.begin_mark_scheme_delimeter, schemes.end_mark_scheme_delimeter)]
        resources["reglab_rubrics"] = (model_answers(nbformat.read(path, as_version=4), delimiters)
                                       if path.is_file() else {})
        resources["reglab_rubric_source"] = str(path)
        return nb, resources


class GradingExporter(HTMLExporter):
    """nbconvert's ``HTMLExporter`` whose rendered markdown passes through :func:`.sanitize_html`: nbgrader's grading
    template renders an answer's markdown without nbconvert's ``clean_html`` (a ``javascript:`` link survived)."""

    @pass_context
    def markdown2html(self, context, source):
        return sanitize_html(super().markdown2html(context, source))


def grading_exporter(formgrader, mathjax_url: str) -> HTMLExporter:
    """nbgrader's exporter of the grading page (its configuration and templates) with this package's template, the
    student's notebook sanitized as the feedback is (:class:`.SanitizeFeedback`, then :func:`.sanitize_html` on
    the rendered markdown and HTML)."""
    exporter = GradingExporter(config=formgrader.config, template_name=TEMPLATE_NAME, mathjax_url=mathjax_url,
                               extra_template_basedirs=[str(TEMPLATES), nbgrader_handlers.template_path],
                               extra_template_paths=[nbgrader_handlers.template_path],  # 'formgrade/index.html.j2'
                               sanitize_html=True, filters={"clean_html": sanitize_html})
    exporter.register_preprocessor(SanitizeFeedback(config=formgrader.config), enabled=True)
    exporter.register_preprocessor(ModelAnswers(formgrader), enabled=True)
    return exporter


def _jupyter_server_extension_points():
    return [{"module": "reglab_autograder.formgrader_server"}]


def _load_jupyter_server_extension(serverapp):
    webapp = serverapp.web_app
    base_url = webapp.settings["base_url"]
    if "mathjax_url" not in webapp.settings:
        raise RuntimeError("jupyter_server_mathjax is not enabled: the grading page needs its MathJax "
                           "(`pip install jupyter-server-mathjax`, then `jupyter server extension enable "
                           "jupyter_server_mathjax`)")
    ours = [(pattern, RefusedHandler, {"action": action, "why": why}) for pattern, (action, why) in REFUSED.items()]
    ours += [(r"/formgrader/api/assignment/([^/]+)", AssignmentHandler),
             (r"/formgrader/manage_assignments/?", ManageAssignmentsHandler),
             (r"/formgrader/manage_submissions/([^/]+)/?", ManageSubmissionsHandler),
             (r"/formgrader/submissions/([^/]+)/?", SubmissionHandler)]
    webapp.add_handlers(".*$", [(base_url.rstrip("/") + pattern, *rest) for pattern, *rest in ours])
    nbgrader_formgrader.load_jupyter_server_extension(serverapp)
    formgrader = webapp.settings["nbgrader_formgrader"]
    formgrader.config.ExchangeFactory.list = f"{__name__}.{NoExchangeList.__qualname__}"  # also initial_config
    mathjax = f"{webapp.settings['mathjax_url']}?config={webapp.settings['mathjax_config']}"
    webapp.settings.update(
        reglab_exporter=grading_exporter(formgrader, mathjax),
        reglab_jinja2_env=Environment(loader=FileSystemLoader([str(TEMPLATES / "formgrader"),
                                                               nbgrader_handlers.template_path])))
    serverapp.log.info("reglab formgrader: nbgrader's formgrader without the actions that run notebooks, "
                       "with rubrics beside the answers and MathJax from %s", webapp.settings["mathjax_url"])
