"""The student's functions and objects as the checker sees them: stand-ins that ask the kernel.

:class:`Session` holds one notebook's stand-ins and mirrors and sends every question through its
:class:`~reglab_autograder.verdicts.link.KernelLink`. Before each question it sends the contents of the
mirrored arrays and generators the checker changed; after it, it writes in place what the kernel changed. When a
check with ``forbid=`` is running (``reglab.checks`` keeps its watches), the question carries the rule's names
and the kernel's watch report is merged into the checker's watch, so the failure message is the self-check's.
"""

from __future__ import annotations

import builtins
import keyword
import sys
import weakref

import numpy as np

from reglab import _wire, checks

from .link import UnreadableAnswer


class KernelRaised(Exception):
    """Base of the exceptions the student's code raised in the kernel (named after the student's class)."""


def kernel_text(text) -> str:
    """Text the kernel sent (the student's messages, prints, warnings), defused: a misconception marker in it is
    the student's writing, never the checker's verdict, so it cannot be counted as one."""
    return checks.inert_markers(text)


def _exception(name: str, message: str, builtin: bool, frames=None) -> BaseException:
    """The student's exception, raised here: a builtin one as itself, any other as a :class:`KernelRaised` of its
    name; ``student_frames`` holds the student's own lines the kernel sent (defused), as ``reglab.checks`` shows
    them."""
    exc = None
    cls = getattr(builtins, name, None) if builtin else None
    if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, (StopIteration,)):
        try:
            exc = cls(message)
        except TypeError:  # e.g. UnicodeDecodeError needs more arguments
            pass
    if exc is None:
        safe = name if name.isidentifier() and not keyword.iskeyword(name) else "StudentException"
        exc = type(safe, (KernelRaised,), {"__module__": "student"})(message)
    exc.student_frames = student_frames(frames)
    return exc


def student_frames(frames) -> list:
    """The kernel's ``[[where, line]]`` of the student's frames, checked and defused (at most 4, 200 characters
    each); anything else the kernel sent is dropped."""
    if not isinstance(frames, list):
        return []
    return [[checks._defused(f[0])[:200], checks._defused(f[1])[:200]] for f in frames[-4:]
            if isinstance(f, list) and len(f) == 2 and all(isinstance(x, str) for x in f)]


class Remote:
    """A student's object that lives in the kernel (not callable)."""

    __slots__ = ("_session", "_number", "_type", "_view", "__weakref__")

    def __init__(self, session, number, type_name, view):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_number", number)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_view", view)

    def __repr__(self):
        return f"<the student's {self._type} object>"

    def _ask(self, op, **fields):
        return self._session.ask(op, target=self._number, **fields)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._ask("getattr", name=name)

    def __setattr__(self, name, value):
        self._ask("setattr", name=name, value=self._session.encode(value))

    def __getitem__(self, key):
        return self._ask("getitem", key=self._session.encode(key))

    def __setitem__(self, key, value):
        self._ask("setitem", key=self._session.encode(key), value=self._session.encode(value))

    def __len__(self):
        n = self._ask("len")
        if type(n) is not int or n < 0:
            raise TypeError("the kernel's len() is not a length")
        return n

    def __iter__(self):
        items = self._ask("list")
        if not isinstance(items, list):
            raise TypeError("the kernel's list() is not a list")
        return iter(items)

    def __bool__(self):
        return bool(self._ask("bool") is True)

    def __array__(self, dtype=None, copy=None):
        """The numbers the kernel said this object is worth (np.asarray there), or TypeError."""
        if self._view is None:
            raise TypeError(f"the student's {self._type} object is not an array of numbers")
        arr = self._view
        return arr.astype(dtype) if dtype is not None else arr.copy()

    def __float__(self):
        if self._view is None or np.size(self._view) != 1:
            raise TypeError(f"the student's {self._type} object is not a number")
        return float(np.asarray(self._view).reshape(()))


class RemoteCallable(Remote):
    """A student's function, class or method that lives in the kernel: calling it asks the kernel."""

    __slots__ = ()

    def __repr__(self):
        return f"<the student's {self._type}>"

    def __call__(self, *args, **kwargs):
        s = self._session
        return self._ask("call", args=s.encode(list(args)), kwargs=s.encode(dict(kwargs)))


class Session:
    """One notebook's stand-ins, mirrors and questions."""

    def __init__(self, link):
        self.link = link
        self.proxies: dict = {}  # handle number -> Remote
        self.mirrors: dict = {}  # number -> [object or weakref, snapshot]
        self.mirror_of: dict = {}  # id(object) -> number
        self.next_mirror = 1
        self.dropped: list = []
        self.printed: list = []  # what the student's code printed while the checker asked
        self.missing_watch = False  # a forbid= rule was sent and the kernel's report did not come back
        self.unreadable: list = []  # answers that broke the protocol (the checks turn them into failures)
        self.watch_saw: list = []  # what the kernel's watch reported as going around it

    # ------------------------------------------------------------------ encoding the checker's values

    def encode(self, value):
        return _wire.Encoder(handle=self._reference, mirror=self._mirror)(value)

    def _reference(self, obj):
        if isinstance(obj, Remote) and obj._session is self:
            return [obj._number]
        raise _wire.WireError(f"the test passes a {type(obj).__name__} to the student's code; only data, "
                              "arrays, random generators and the student's own objects can be sent")

    def _mirror(self, obj):
        n = self.mirror_of.get(id(obj))
        if n is not None and self._object(n) is obj:
            return n, False
        n, self.next_mirror = self.next_mirror, self.next_mirror + 1
        self._register(n, obj)
        return n, True

    def _register(self, n, obj):
        try:
            ref = weakref.ref(obj)
        except TypeError:
            ref = obj
        self.mirrors[n] = [ref, _wire.snapshot(obj)]
        self.mirror_of[id(obj)] = n

    def _object(self, n):
        entry = self.mirrors.get(n)
        if entry is None:
            return None
        ref = entry[0]
        return ref() if isinstance(ref, weakref.ref) else ref

    # ------------------------------------------------------------------ decoding the kernel's answers

    def decode(self, node):
        return _wire.Decoder(handle=self._proxy, mirror=self._from_kernel)(node)

    def _proxy(self, body):
        if not (isinstance(body, list) and len(body) == 4 and type(body[0]) is int and body[1] in ("callable",
                                                                                                   "object")):
            raise _wire.WireError("a stand-in in the answer is malformed")
        n = body[0]
        if n not in self.proxies:
            view = None
            if body[3] is not None:
                if not (isinstance(body[3], dict) and set(body[3]) == {"A"}):
                    raise _wire.WireError("a stand-in's numbers are malformed")
                view = _wire.Decoder().array(body[3]["A"])
            cls = RemoteCallable if body[1] == "callable" else Remote
            self.proxies[n] = cls(self, n, kernel_text(str(body[2])[:60]), view)
        return self.proxies[n]

    def _from_kernel(self, n, content):
        obj = self._object(n)
        if obj is not None:
            return obj
        if content is None or n >= 0 and n in self.mirrors:
            raise _wire.WireError("the answer names a mirror the checker does not have")
        obj = _wire.new_mirror(content)
        self._register(n, obj)
        return obj

    # ------------------------------------------------------------------ one question

    def ask(self, op, **fields):
        """Ask the kernel; the decoded value, or the student's exception raised here."""
        try:
            return self._ask(op, fields)
        except UnreadableAnswer as exc:
            self.unreadable.append(str(exc)[:300])
            raise

    def _ask(self, op, fields):
        request = dict(op=op, **fields)
        watch = checks._WATCHING[-1] if checks._WATCHING else None
        if watch is not None:
            request["forbid"] = list(watch.rule.names)
        request["sync"], request["drop"] = self._outgoing(), self.dropped
        self.dropped = []
        answer = self.link.ask(request)
        self._incoming(answer.get("sync", []))
        if watch is not None:
            self._merge_watch(watch, answer.get("watch"))
        out = answer.get("out")
        if isinstance(out, str) and out:
            self.printed.append(kernel_text(out[:4000]))
        noise = answer.get("noise")
        if isinstance(noise, list) and noise:
            import warnings

            warnings.warn(kernel_text("; ".join(str(n)[:200] for n in noise[:3])), RuntimeWarning, stacklevel=2)
        if "error" in answer:
            err = answer["error"]
            if not (isinstance(err, list) and len(err) in (3, 4)):
                raise UnreadableAnswer("the kernel's report of an exception is malformed")
            raise _exception(str(err[0])[:80], kernel_text(str(err[1])[:2000]), err[2] is True,
                             err[3] if len(err) == 4 else None)
        if "ok" in answer:
            try:
                return self.decode(answer["ok"])
            except _wire.WireError as exc:
                raise UnreadableAnswer(str(exc)) from None
        if op in ("setattr", "setitem"):
            return None
        raise UnreadableAnswer("the kernel's answer holds no value")

    def resolve(self, names):
        """``(values, unreadable, evidence)`` for the student's names: values of those the kernel has,
        ``{name: why}`` for those it could not send, and the kernel's signs of tampering."""
        answer = self.link.ask({"op": "resolve", "names": sorted(names), "sync": self._outgoing(),
                                "drop": self.dropped})
        self.dropped = []
        values, unreadable = {}, {}
        for item in answer.get("values", []):
            if not (isinstance(item, list) and item and isinstance(item[0], str) and item[0] in names):
                raise UnreadableAnswer("the kernel's list of values is malformed")
            if len(item) == 2:
                try:
                    values[item[0]] = self.decode(item[1])
                except _wire.WireError as exc:
                    unreadable[item[0]] = str(exc)
            elif len(item) == 3:
                unreadable[item[0]] = str(item[2])[:300]
        evidence = answer.get("evidence")
        if not isinstance(evidence, list) or "values" not in answer:
            evidence = ["the kernel's answers do not follow the grading protocol (its grading agent was changed)"]
        return values, unreadable, [str(e)[:300] for e in evidence[:20]]

    def hello(self):
        self.link.open()

    def _merge_watch(self, watch, report):
        if not isinstance(report, dict):
            watch.remote_intact = False
            self.missing_watch = True
            return
        if report.get("called"):
            watch.called = watch.called or str(report["called"])[:200]
        if report.get("tampered"):
            watch.tampered = watch.tampered or kernel_text(str(report["tampered"])[:200])
            self.watch_saw.append(f"the method rules' watch saw {watch.tampered}")
        if report.get("intact") is not True:
            watch.remote_intact = False

    def _outgoing(self):
        out, dead = [], []
        for n, entry in self.mirrors.items():
            if not isinstance(entry[0], weakref.ref) and sys.getrefcount(entry[0]) <= 2:
                dead.append(n)  # a generator (no weak references) that only this table still holds
                continue
            obj = self._object(n)
            if obj is None:
                dead.append(n)
                continue
            if _wire.changed(obj, entry[1]):
                out.append([n, _wire.mirror_content(obj)])
                entry[1] = _wire.snapshot(obj)
        for n in dead:
            del self.mirrors[n]
            self.dropped.append(n)
        return out

    def _incoming(self, items):
        if not isinstance(items, list):
            raise UnreadableAnswer("the kernel's changes to mirrored values are malformed")
        for item in items:
            if not (isinstance(item, list) and len(item) == 2 and type(item[0]) is int):
                raise UnreadableAnswer("the kernel's changes to mirrored values are malformed")
            obj = self._object(item[0])
            if obj is None:
                continue
            try:
                _wire.update_mirror(obj, item[1])
            except (_wire.WireError, ValueError, TypeError) as exc:
                raise UnreadableAnswer(f"the kernel's change to a mirrored value is malformed ({exc})") from None
            self.mirrors[item[0]][1] = _wire.snapshot(obj)


