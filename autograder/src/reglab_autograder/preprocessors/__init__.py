"""nbgrader preprocessors of the grading pipeline, one module per family (as nbgrader keeps its own):

* :mod:`.intake_rules`: the intake rules (:data:`~.intake_rules.INTAKE_RULES`), first in
  ``Autograde.sanitize_preprocessors``, before nbgrader's own (which restore locked cells, points and cell types
  from the gradebook); each compares the submitted notebook with the released version, fixes what nbgrader cannot
  grade and reports what it found (:mod:`.tampering`: the static scan behind the "review" row);
* :mod:`.metadata`: nbgrader's ``CheckCellMetadata`` with its schema compiled once, wherever nbgrader runs it;
* :mod:`.execute`: :class:`~.execute.SandboxedExecute`, nbgrader's ``Execute`` with every kernel in the sandbox
  (:mod:`reglab_autograder.sandbox`) and the test cells judged by the trusted checker
  (:mod:`reglab_autograder.verdicts`);
* :mod:`.graded_view`: the mastery gate computed from the grades and the feedback's "About your grade" box;
* :mod:`.feedback`: what feedback shows of a notebook (sanitized, tracebacks redacted, unrendered figures named).

Which lists they join, and where: :mod:`reglab_autograder.config`.
"""
