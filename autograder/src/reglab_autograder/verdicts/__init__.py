"""Trusted verdicts: the test cells run in the grader's checker, the student's kernel only answers questions.

nbgrader puts the hidden tests back into the submitted notebook and runs everything in one kernel, so code in
an answer cell can replace whatever the tests use. Under ``reglab grade`` a test cell is never sent to the
kernel. :class:`~reglab_autograder.verdicts.checker.Checker` runs its source (visible and hidden parts, as the
instructor wrote it) in the grader's worker, a process in which no student code runs, with the course's own
modules; every name the cell uses that the checker does not define is the student's, and is asked of the kernel
(:mod:`reglab._oracle`) through :class:`~reglab_autograder.verdicts.link.KernelLink`:

* a value comes back as data (:mod:`reglab._wire`: numbers, strings, arrays, lists, dicts; never pickle);
* a function, class or object comes back as a stand-in (:mod:`~reglab_autograder.verdicts.remote`): calling
  it, or reading an attribute, is one more question; the inputs are the checker's, sent as data, and arrays and
  random generators passed to the student's code are mirrored (an in-place change on either side is made on the
  other before the next look), so a test that changes weights in place still catches a stopper that keeps a
  reference instead of a copy;
* while a check's ``forbid=`` rule is active, each question carries the rule's function names, the kernel runs
  the student's code under the self-check's own watch, and reports what it saw;
* each test cell starts by asking for the kernel's signs of tampering (the course's checks rebound or patched,
  input transformers, custom exception handlers, trace or profile hooks): they become report rows, never
  grades.

The comparison, the expected values, the misconception values, tolerances and fingerprints stay in the checker.
One source serves both: in JupyterLab the same test cell runs in the student's kernel as a self-check.
"""

from .checker import Checker

__all__ = ["Checker"]
