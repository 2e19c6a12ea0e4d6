"""The instructors' commands, one module each, on one level: :mod:`.grade` (``reglab grade`` and ``reglab check``:
the orchestration), :mod:`.formgrader`, :mod:`.feedback` and :mod:`.handback`. :mod:`reglab_autograder.cli` parses
their options. They share helpers through :mod:`reglab_autograder.common` and the layers below, never through
each other.
"""
