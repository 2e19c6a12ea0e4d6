"""Grading a class with nbgrader: in parallel, sandboxed, and robust to bad submissions.

``reglab grade SUBMISSIONS`` (:func:`reglab.grading.pipeline.grade`) builds an nbgrader course in the
output folder, checks every submission (:mod:`.intake`), autogrades each with nbgrader's own
``Autograde`` converter in a pool of worker processes, running kernels through :mod:`.sandbox` via
:class:`.execute.SandboxedExecute`, then writes nbgrader's gradebook and ``grades.csv``, a per-question
breakdown, feedback without hidden tests, and an HTML report (:mod:`.report`).
"""
