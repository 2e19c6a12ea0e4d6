"""reglab's grader, for instructors: nbgrader autograding of a class, in parallel and sandboxed, then the
round trip through formgrader, feedback and hand back.

``reglab grade SUBMISSIONS`` (:func:`.commands.grade.grade`) builds an nbgrader course in the output folder
(:mod:`.coursedir`), checks every submission's files (:mod:`.intake`), autogrades each with nbgrader's
own ``Autograde`` converter in a pool of worker processes (:mod:`.worker`), with the intake rules as
sanitize preprocessors (:mod:`.preprocessors`) and kernels run through :mod:`.sandbox` by
:class:`.preprocessors.execute.SandboxedExecute`, then writes nbgrader's gradebook and ``grades.csv``, a per-question
breakdown, feedback without hidden tests, and an HTML report (:mod:`.report`).
``reglab formgrader OUT`` (:mod:`.commands.formgrader`), ``reglab feedback OUT`` (:mod:`.commands.feedback`) and
``reglab handback OUT`` (:mod:`.commands.handback`) close the loop. This package is not installed for students.
"""
