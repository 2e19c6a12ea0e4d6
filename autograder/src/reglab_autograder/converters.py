"""nbgrader's ``Autograde`` and ``GenerateFeedback`` converters, each kept to the one submission it is given.

nbgrader finds a submission's notebooks in two steps: it globs the submission folders (the student id is a glob
pattern, so the pipeline escapes it: ``ali[*]``), then globs ``*.ipynb`` inside each folder it found, without
escaping the folder's name. For a student whose id holds a glob character (``ali*``) the second glob matches a
classmate's folder too (``alice``), and the job for ``ali*`` also autograded alice's notebook, writing alice's
grades and autograded copy while alice's own job did the same: two jobs racing on one submission. Here only the
notebooks directly inside each found folder are kept. :func:`autograde` and :func:`generate_feedback` are
``NbGraderAPI``'s methods of the same names with these converters.
"""

from __future__ import annotations

import os

from nbgrader import converters
from nbgrader.utils import capture_log, temp_attrs
from traitlets.config import Config


class OwnNotebooksOnly:
    """Keep, for each submission folder nbgrader found, only the notebooks inside that very folder."""

    def init_notebooks(self) -> None:
        super().init_notebooks()
        self.assignments = {folder: [nb for nb in found if os.path.dirname(nb) == folder]
                            for folder, found in self.assignments.items()}


class Autograde(OwnNotebooksOnly, converters.Autograde):
    """nbgrader's ``Autograde``, on the given submission's notebooks only."""


class GenerateFeedback(OwnNotebooksOnly, converters.GenerateFeedback):
    """nbgrader's ``GenerateFeedback``, on the given submission's notebooks only."""


def autograde(api, assignment_id: str, student_pattern: str, force: bool = True, create: bool = True) -> dict:
    """``NbGraderAPI.autograde`` (nbgrader 0.9) with :class:`Autograde`; ``student_pattern`` is a glob pattern
    (``glob.escape(student)`` for one student)."""
    with temp_attrs(api.coursedir, assignment_id=assignment_id, student_id=student_pattern):
        app = Autograde(coursedir=api.coursedir, parent=api)
        app.force = force
        app.create_student = create
        return capture_log(app)


def generate_feedback(api, assignment_id: str, student_pattern: str, force: bool = True,
                      config: Config | None = None) -> dict:
    """``NbGraderAPI.generate_feedback`` (nbgrader 0.9) for one student pattern, with :class:`GenerateFeedback`
    (and ``config`` on top of the API's)."""
    c = Config(config or {})
    c.HTMLExporter.template_name = "reglab_feedback"  # nbgrader's "feedback", pending written answers said so
    with temp_attrs(api.coursedir, assignment_id=assignment_id, student_id=student_pattern):
        app = GenerateFeedback(coursedir=api.coursedir, parent=api)
        app.update_config(c)
        app.force = force
        return capture_log(app)
