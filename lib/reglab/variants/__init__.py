"""Variants: a question's givens drawn from a generator seeded by (session, question, student id, attempt).

A question that has variants is declared in ``reglab.variants.sNN`` (one module per session, ``SPECS = {question id:
Spec(...)}``): how to draw its givens from a numpy generator, the course's own instance (what the notebook's text
was written with: attempt 0 of a student without an id), what each of its checks expects from the givens and
the value each named misconception gives. Everything else reads the givens through this module:

* the answer cell starts with ``eta, lam = checks.givens("q1")``: the student's numbers, printed;
* the test cells compare with ``checks.expected("q1")`` and name mistakes with ``checks.mistakes("q1")``, both
  computed here from the same givens (the visible check never shows them);
* ``checks.new_variant("q1")`` moves the student to a fresh variant; after a named mistake the next variant is
  chosen so that this mistake's value lies far from the right one (:func:`aim`);
* under grading the student id is the grader's (nbgrader's student id, attempt 0), set in the grader's checker,
  never read from the student's kernel; an "implement" question is also checked on a variant the student never
  saw (attempt ``"hidden"``).

The seed is a hash of the four, so two students (or two attempts) get unrelated givens, and the same four always
give the same givens, on any machine.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import itertools
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

#: Environment variable holding the student id (set by the grader in the kernel; optional in self-study).
STUDENT_ENV = "REGLAB_STUDENT"
#: On a JupyterHub, the user name: nbgrader's student id there, so a student practises on their graded variant.
HUB_ENV = "JUPYTERHUB_USER"
#: The attempt of the variant an "implement" question's hidden tests use: never shown to the student.
HIDDEN = "hidden"
#: A named mistake is "far" from the right answer when they differ by this fraction of the larger magnitude:
#: in the second significant digit.
FAR = 0.01
#: How many later attempts :func:`aim` looks through for one that tells a mistake apart.
AIM_TRIES = 64


@dataclass(frozen=True)
class Spec:
    """One question's variants.

    ``draw(rng) -> {name: value}`` draws the givens (names in the order the answer cell unpacks them);
    ``course`` is the course's own instance (the numbers of the notebook's text and of the course specification),
    used for attempt 0 of a student without an id; ``expected(givens) -> {check name: value}`` and
    ``mistakes(givens) -> {check name: {misconception key: value}}`` are what the checks compare with; ``tol`` is
    the absolute tolerance of the checks (a value within it passes).
    """

    draw: Callable[[np.random.Generator], dict]
    course: Mapping[str, object]
    expected: Callable[[Mapping], dict]
    mistakes: Callable[[Mapping], dict] = field(default=lambda g: {})
    tol: float = 1e-9

    def __post_init__(self):
        if list(self.draw(np.random.default_rng(0))) != list(self.course):
            raise ValueError("a Spec's draw(rng) must return the givens of its course instance, in the same order")


class Givens(tuple):
    """A variant's givens: a tuple of their values (``eta, lam = givens``), each also by name (``givens["eta"]``,
    ``givens.eta``), that prints as the student reads it."""

    def __new__(cls, question: str, values: Mapping, attempt, student: str):
        self = super().__new__(cls, tuple(values.values()))
        self.question, self.attempt, self.student = question, attempt, student
        self._names = tuple(values)
        return self

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._names.index(key))
            except ValueError:
                raise KeyError(key) from None
        return tuple.__getitem__(self, key)

    def __getattr__(self, name):
        names = self.__dict__.get("_names", ())
        if name in names:
            return tuple.__getitem__(self, names.index(name))
        raise AttributeError(name)

    def names(self) -> tuple:
        return self._names

    def as_dict(self) -> dict:
        return dict(zip(self._names, self))

    def describe(self) -> str:
        if self.attempt == 0 and not self.student:
            which = "the course's instance"
        elif self.attempt == HIDDEN:
            which = "a variant you have not seen"
        else:
            which = f"variant {self.attempt}" + (f" of {self.student}" if self.student else "")
        plain = [(k, v) for k, v in zip(self._names, self) if not _is_options(v)]
        text = f"{self.question} ({which}): " + ", ".join(f"{k} = {_show(v)}" for k, v in plain)
        for k, v in zip(self._names, self):
            if _is_options(v):  # a quiz item's options, in this variant's order: lettered a), b), ...
                text += f"\n{k}:\n" + "\n".join(f"  {chr(97 + i)}) {o}" for i, o in enumerate(v))
        return text.replace(": \n", ":\n")

    def __repr__(self):
        return self.describe()

    def _repr_pretty_(self, p, cycle):
        p.text(self.describe())


def _is_options(v) -> bool:
    return isinstance(v, tuple) and len(v) > 1 and all(isinstance(o, str) for o in v)


def letter(options, option: str) -> str:
    """The letter (a, b, ...) under which ``option`` appears in a variant's ``options``."""
    return chr(97 + list(options).index(option))


def shuffled(rng, items) -> tuple:
    """``items`` in the order of a permutation drawn from ``rng`` (a quiz item's options)."""
    items = tuple(items)
    return tuple(items[i] for i in rng.permutation(len(items)))


def _show(v) -> str:
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=6, separator=", ", suppress_small=False)
    if isinstance(v, float):
        return f"{v:.6g}"
    return repr(v)


def _module(session_id: str):
    number = session_id.split("_", 1)[0]
    try:
        return importlib.import_module(f"{__name__}.s{number}")
    except ModuleNotFoundError:
        return None


def spec(session_id: str, question: str) -> Spec | None:
    """The question's :class:`Spec`, or None when it has one fixed instance."""
    mod = _module(session_id)
    return getattr(mod, "SPECS", {}).get(question) if mod else None


def questions_with_variants(session_id: str) -> list[str]:
    mod = _module(session_id)
    return list(getattr(mod, "SPECS", {})) if mod else []


def seed(session_id: str, question: str, student: str, attempt) -> int:
    """The generator seed of a variant: a hash of (session, question, student id, attempt)."""
    text = f"reglab-variant/1|{session_id}|{question}|{normal_id(student)}|{attempt}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def normal_id(student) -> str:
    """A student id as variants are seeded by it: without surrounding white space, so an id typed with a stray space
    (by the student, or in a folder name the grader reads) names the same variants everywhere."""
    return str(student or "").strip()


def student_id() -> str:
    """The student id of this process: ``$REGLAB_STUDENT``, or empty (self-study without an id)."""
    return normal_id(os.environ.get(STUDENT_ENV))


def givens(session_id: str, question: str, student: str = "", attempt=0) -> Givens:
    """The givens of one variant."""
    student = normal_id(student)
    s = spec(session_id, question)
    if s is None:
        raise LookupError(f"question {question} of session {session_id} has no variants")
    if attempt == 0 and not student:
        values = copy.deepcopy(dict(s.course))  # a student's code writing into an array changes no one else's
    else:
        values = s.draw(np.random.default_rng(seed(session_id, question, student, attempt)))
    return Givens(question, values, attempt, student)


def _split(name: str) -> str:
    return name.split(":", 1)[0]


def expected(session_id: str, name: str, g: Givens):
    """What check ``name`` (a grade id, or ``"<grade id>:<label>"``) expects for these givens."""
    values = spec(session_id, g.question).expected(g)
    if name not in values:
        raise LookupError(f"the variants of {g.question} give no expected value for check {name!r}")
    return values[name]


def mistakes(session_id: str, name: str, g: Givens) -> dict:
    """``{misconception key: value}`` of check ``name`` for these givens."""
    return dict(spec(session_id, g.question).mistakes(g).get(name, {}))


def separation(right, wrong) -> float:
    """How far a named mistake's value lies from the right one, as a fraction of the larger magnitude (entry by
    entry, the largest); ``inf`` when their shapes differ."""
    if isinstance(right, str) or isinstance(wrong, str):  # a quiz item's letters: apart unless the same
        return 0.0 if str(right) == str(wrong) else math.inf
    a, b = np.asarray(right, dtype=float), np.asarray(wrong, dtype=float)
    if a.shape != b.shape:
        return math.inf
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)
    return float(np.max(np.abs(a - b) / scale))


def tells_apart(session_id: str, g: Givens, key: str) -> float:
    """The smallest :func:`separation` of misconception ``key`` from the right answer over the question's checks
    that name it (``inf`` when none does)."""
    s = spec(session_id, g.question)
    right, wrong = s.expected(g), s.mistakes(g)
    seps = [separation(right[name], values[key]) for name, values in wrong.items() if key in values and name in right]
    return min(seps, default=math.inf)


#: A draw is kept only when every named mistake lies at least this far from the right answer (see
#: :func:`separation`), so that the classic wrong answer fails, by name, for every student.
APART = 5 * FAR


def mistakes_apart(expected, mistakes, g, margin: float = APART, tol: float | None = None) -> bool:
    """Whether every named mistake of the givens ``g`` lies at least ``margin`` (relatively, :func:`separation`) from
    the right answer, and, with ``tol``, more than a thousand times the checks' tolerance in absolute terms."""
    right, wrong = expected(g), mistakes(g)
    return all(separation(right[name], v) >= margin
               and (tol is None or np.max(np.abs(np.asarray(right[name], dtype=float) - np.asarray(v, dtype=float)))
                    > 1000 * tol)
               for name, named in wrong.items() for v in named.values())


def apart(draw_once, expected, mistakes, margin: float = APART, tries: int = 100):
    """``draw(rng)`` that draws with ``draw_once(rng)`` until :func:`mistakes_apart`: no variant where a classic wrong
    answer passes by coincidence."""

    def draw(rng):
        for _ in range(tries):
            g = draw_once(rng)
            if mistakes_apart(expected, mistakes, g, margin):
                return g
        raise RuntimeError("no variant found that tells every named mistake apart")

    return draw


def named_apart(draw, expected, mistakes, tol: float = 1e-9, tries: int = 1000):
    """``draw``, drawing again until no two named mistakes of a check give one value (more than ``4 * tol`` apart, so
    each is recognised by its own name): for a Spec whose rare draws make two mistakes coincide."""
    def redraw(rng):
        for _ in range(tries):
            g = draw(rng)
            named = mistakes(g)
            if all(separation(values[a], values[b]) > 4 * tol
                   for values in named.values() for a, b in itertools.combinations(sorted(values), 2)):
                return g
        raise RuntimeError(f"no draw in {tries} keeps the named mistakes apart")

    return redraw


def aim(session_id: str, question: str, student: str, after, key: str | None) -> int:
    """The attempt number of the next variant: the first after ``after`` whose givens tell misconception ``key``
    apart from the right answer by at least :data:`FAR` (the one that does best, if none of the next
    :data:`AIM_TRIES` does); simply the next one without a key."""
    start = (after if isinstance(after, int) else 0) + 1
    if not key:
        return start
    best, best_sep = start, -1.0
    for attempt in range(start, start + AIM_TRIES):
        sep = tells_apart(session_id, givens(session_id, question, student, attempt), key)
        if sep >= FAR:
            return attempt
        if sep > best_sep:
            best, best_sep = attempt, sep
    return best
