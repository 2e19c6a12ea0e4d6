"""Per-session data for ``tests/test_practice.py``: how the practice must fail, and what it must not show.

One module per session, ``tests/practice/sNN.py`` (``s00.py`` ... ``s06.py``); the test discovers them all,
so a session is covered by adding its module, without editing the test. A module defines:

``SESSION``
    the session id, e.g. ``"01_l2_weight_decay"``.
``WRONG``
    ``{part: wrong(cell, source, misconception)}`` for EVERY autograded part (grade id) of the session: the
    classic wrong answer its hint names, as the source of the answer cell ``cell`` (a solution cell's grade
    id). The test runs it in place of the model answer and asserts that the part's visible check fails,
    that the question is not passed in the mastery gate, and, when ``misconception`` (a key declared in
    :mod:`reglab.course` for the part's question) is given, that the failure names it. A part whose check names
    several mistakes may list one wrong answer for each.
``DELEGATE``
    ``{question: delegate(cell, source)}`` for EVERY question of kind ``"implement"``: an answer that calls
    the ``reglab`` function (or the forbidden method) answering it. The test asserts that the visible AND
    the hidden checks of every part of the question fail.
``VALUES``
    ``{question: value}`` for every question of kind ``"compute"`` with a numeric answer, and for an "implement"
    question whose visible check's value is the answer too (a conversion checked at given inputs): the expected
    value (number or array). The test asserts that no text above the question's answer cell (markdown, code, and
    the outputs of the executed notebook) shows it with 3 or more significant digits.
``NOT_NUMERIC``
    ``{question: reason}`` for "compute" questions without a numeric answer (e.g. a choice).
``RULES`` (optional)
    ``{part: [broken(cell, source, visible)]}``: answers that get the values right but break a method rule the
    question's text states (an explicit inverse where it says "with np.linalg.solve", constants typed in where
    it says "compute both from p", a global random generator where it says "with the generator rng"). The test
    asserts that the part scores zero under grading (its whole test cell) and, when ``visible`` is true, that
    its visible check fails as well.
"""


def wrong(cell: str, source: str, misconception: str | None = None) -> dict:
    return {"cell": cell, "source": source, "misconception": misconception}


def delegate(cell: str, source: str) -> dict:
    return {"cell": cell, "source": source}


def broken(cell: str, source: str, visible: bool = True) -> dict:
    return {"cell": cell, "source": source, "visible": visible}
