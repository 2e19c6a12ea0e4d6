"""The kernel's side of grading: answer the checker's questions about the student's values, with data only.

Under ``reglab grade`` the test cells do not run in the student's kernel. The grader's checker runs them in a
process of its own and asks this module, in the kernel, for what only the kernel has: the value of a name, the
result of calling the student's function (or class, or method) on inputs the checker chose, an attribute of a
student's object. Requests and answers are the data of :mod:`reglab._wire`; nothing the checker compares with
(expected values, misconception values, tolerances, fingerprints, the hidden tests' source) is ever sent here.

This module runs beside the student's code and can be replaced by it: the checker trusts none of its answers
beyond "these are the student's values". What the student's code computes is the student's answer; the method
rules' watch (``forbid=``) runs here and can be switched off by a deliberate attacker, which the watch reports
when it can. :func:`evidence` lists signs that the kernel was tampered with, for the instructor's report.

One request: ``handle(json_text) -> json_text``. The first (``hello``) comes through the kernel's
``user_expressions`` (no cell is run, no input transformer sees it) and opens a comm channel for the others.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import sys
import threading
import types
import warnings

import numpy as np

from . import _wire
from . import checks as _checks

VERSION = 1
MAX_OUT = 4000  # characters of the student's printed output kept per request

_objects: dict = {}  # handle number -> object
_numbers: dict = {}  # id(object) -> handle number
_mirrors: dict = {}  # mirror number -> array or generator (the checker's numbers are > 0, this side's < 0)
_mirror_of: dict = {}  # id(object) -> mirror number
_snapshots: dict = {}  # mirror number -> its content when last in step with the checker
_baseline: dict = {}


# ----------------------------------------------------------------------------- handles and mirrors


def _handle(obj):
    key = id(obj)
    if key not in _numbers:
        n = len(_objects) + 1
        _objects[n], _numbers[key] = obj, n
    n = _numbers[key]
    kind = "callable" if callable(obj) else "object"
    return [n, kind, type(obj).__name__[:60], _view(obj) if kind == "object" else None]


def _view(obj):
    """What the object is worth as numbers (for np.asarray / float on the checker's side), or None."""
    try:
        arr = np.asarray(obj)
    except Exception:  # noqa: BLE001 - any failure means: no numeric view
        return None
    if arr.dtype.str not in _wire.DTYPES or arr.size > 1_000_000:
        return None
    return _wire.Encoder().content(arr)


def _mirror(obj):
    key = id(obj)
    if key in _mirror_of and _mirrors.get(_mirror_of[key]) is obj:
        return _mirror_of[key], False
    n = -(len(_mirrors) + 1)
    while n in _mirrors:
        n -= 1
    _mirrors[n], _mirror_of[key] = obj, n
    _snapshots[n] = _wire.snapshot(obj)
    return n, True


def _from_checker(number, content):
    """The kernel's object of a mirror the checker names (made from ``content`` when new)."""
    if content is None:
        if number not in _mirrors:
            raise _wire.WireError(f"unknown mirror {number}")
        return _mirrors[number]
    obj = _wire.new_mirror(content)
    _mirrors[number], _mirror_of[id(obj)] = obj, number
    _snapshots[number] = _wire.snapshot(obj)
    return obj


def _apply_sync(items):
    for number, content in items:
        obj = _mirrors[number]
        _wire.update_mirror(obj, content)
        _snapshots[number] = _wire.snapshot(obj)


def _changed_mirrors():
    out = []
    for number, obj in _mirrors.items():
        if _wire.changed(obj, _snapshots[number]):
            out.append([number, _wire.mirror_content(obj)])
            _snapshots[number] = _wire.snapshot(obj)
    return out


def _decode(node):
    def handle(body):
        if not (isinstance(body, list) and body and body[0] in _objects):
            raise _wire.WireError("unknown handle")
        return _objects[body[0]]
    return _wire.Decoder(handle=handle, mirror=_from_checker)(node)


def _encode(value):
    return _wire.Encoder(handle=_handle, mirror=_mirror)(value)


# ----------------------------------------------------------------------------- running the student's code


@contextlib.contextmanager
def _watch(forbid, report):
    """The method rules' watch (the self-check's own) around the student's code."""
    if not forbid:
        yield
        return
    box = []
    try:
        with _checks.watching(forbid) as watch:
            box.append(watch)
            yield
    finally:  # after the watch is out of place: its verdict is complete, whether the student's code raised or not
        if box:
            w = box[0]
            report.update(called=w.called, intact=w.intact and not w.switched_off,
                          tampered=w.tampered or ("the watch's own switch" if w.switched_off else None))


def _run(fn, forbid, reply):
    out, err = io.StringIO(), io.StringIO()
    report: dict = {}
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        try:
            with _watch(forbid, report):
                value = fn()
            reply["ok"] = _encode(value)
        except BaseException as exc:  # noqa: BLE001 - the student's exception is the answer (SystemExit too)
            try:
                message = str(exc)[:2000]
            except BaseException:  # noqa: BLE001 - an exception whose __str__ raises is still the student's answer
                message = f"<a {type(exc).__name__} whose text could not be read>"
            reply["error"] = [type(exc).__name__[:80], message,
                              type(exc).__module__ == "builtins" and isinstance(exc, Exception),
                              _checks.student_frames(exc.__traceback__)]
    if forbid:
        reply["watch"] = report
    noise = [f"{w.category.__name__}: {w.message}" for w in caught]
    if err.getvalue().strip():
        noise.append(err.getvalue().strip())
    if noise:
        reply["noise"] = [n.splitlines()[0][:200] for n in noise[:3]] + ([f"... {len(noise)}"] if len(noise) > 3
                                                                        else [])
    if out.getvalue():
        reply["out"] = out.getvalue()[:MAX_OUT]


def _target(request):
    n = request.get("target")
    if n not in _objects:
        raise _wire.WireError("unknown handle")
    return _objects[n]


_OPS = {
    "call": lambda t, r: t(*_decode(r.get("args", {"L": []})), **dict(_decode(r.get("kwargs", {"D": []})))),
    "getattr": lambda t, r: getattr(t, str(r["name"])),
    "setattr": lambda t, r: setattr(t, str(r["name"]), _decode(r["value"])),
    "getitem": lambda t, r: t[_decode(r["key"])],
    "setitem": lambda t, r: t.__setitem__(_decode(r["key"]), _decode(r["value"])),
    "len": lambda t, r: len(t),
    "list": lambda t, r: list(t),
    "bool": lambda t, r: bool(t),
}


# ----------------------------------------------------------------------------- evidence of tampering


def _shell():
    try:
        from IPython.core.getipython import get_ipython
        return get_ipython()
    except Exception:  # noqa: BLE001
        return None


_HOOK_SETTERS = [(sys, "setprofile"), (sys, "settrace"), (sys, "getprofile"), (sys, "gettrace"),
                 (threading, "setprofile"), (threading, "settrace")]
_QUIET_MODULES = ("matplotlib", "IPython", "ipykernel", "ipywidgets", "matplotlib_inline", "comm", "reglab")


def _hooks(shell):
    out = {}
    if shell is None:
        return out
    for attr in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers"):
        out[attr] = [id(x) for x in getattr(shell, attr, [])]
    out["custom_exceptions"] = tuple(getattr(shell, "custom_exceptions", ()))
    for event, callbacks in getattr(getattr(shell, "events", None), "callbacks", {}).items():
        out[f"event {event}"] = [id(c) for c in callbacks
                                 if not str(getattr(c, "__module__", "") or "").startswith(_QUIET_MODULES)]
    out["shell attributes"] = sorted(k for k, v in vars(shell).items() if isinstance(v, types.MethodType)
                                     or isinstance(v, types.FunctionType))
    return out


def _capture_baseline():
    import reglab.checks
    _baseline.update(
        checks_module=sys.modules.get("reglab.checks"), checks_type=type(reglab.checks),
        checks_vars=dict(vars(reglab.checks)),
        codes={k: v.__code__ for k, v in vars(reglab.checks).items() if isinstance(v, types.FunctionType)},
        numpy_vars=dict(vars(np)), builtins_vars=dict(vars(builtins)), excepthook=sys.excepthook,
        hook_setters={f"{mod.__name__}.{name}": getattr(mod, name, None) for mod, name in _HOOK_SETTERS},
        agent={k: v for k, v in globals().items() if isinstance(v, types.FunctionType)},
        hooks=_hooks(_shell()), variants=_variants_vars())


def _variants_vars():
    """``{module name: its names}`` of the variants package and its loaded session modules (the kernel's copy of
    the givens: patching them wins nothing, as the checker derives its own, but it is a sign worth reporting)."""
    import reglab.variants  # noqa: F401 - loaded with the checks
    return {name: dict(vars(mod)) for name, mod in list(sys.modules.items())
            if (name == "reglab.variants" or name.startswith("reglab.variants.")) and mod is not None}


def evidence(user_ns=None):
    """Signs that the kernel was changed in ways that matter to grading (each a short sentence)."""
    if not _baseline:
        return ["the grader's baseline of the kernel is missing"]
    signs = []
    mod = sys.modules.get("reglab.checks")
    if mod is not _baseline["checks_module"] or type(mod) is not _baseline["checks_type"]:
        signs.append("the course's checks module was replaced")
    else:
        now = vars(mod)
        changed = sorted(k for k, v in _baseline["checks_vars"].items() if now.get(k, _baseline) is not v
                         and not k.startswith("__"))
        changed += sorted(f"{k}.__code__" for k, c in _baseline["codes"].items()
                          if getattr(now.get(k), "__code__", c) is not c)
        if changed:
            signs.append("the course's checks module was patched (" + ", ".join(changed[:4]) + ")")
    for name, base in _baseline.get("variants", {}).items():
        now = vars(sys.modules[name]) if sys.modules.get(name) is not None else {}
        changed = sorted(k for k, v in base.items() if now.get(k, base) is not v and not k.startswith("__"))
        changed += sorted(f"{k}.__code__" for k, f in base.items() if isinstance(f, types.FunctionType)
                          and getattr(now.get(k), "__code__", f.__code__) is not f.__code__)
        if changed:
            signs.append(f"the course's {name} module was patched ({', '.join(changed[:4])})")
    agent = sorted(k for k, f in _baseline["agent"].items() if globals().get(k) is not f or
                   getattr(globals().get(k), "__code__", None) is not f.__code__)
    if agent:
        signs.append(f"the kernel's grading agent was changed ({', '.join(agent[:4])})")
    if user_ns is not None and "checks" in user_ns and user_ns["checks"] is not _baseline["checks_module"]:
        signs.append("the name checks was rebound in the notebook")
    for label, base, now in (("numpy", _baseline["numpy_vars"], vars(np)),
                             ("builtins", _baseline["builtins_vars"], vars(builtins))):
        changed = sorted(k for k, v in base.items() if now.get(k, base) is not v and not k.startswith("_"))
        if changed:
            signs.append(f"{label} functions were replaced ({', '.join(changed[:4])})")
    hooks_now = (sys.gettrace(), sys.getprofile(), getattr(threading, "_trace_hook", None),
                 getattr(threading, "_profile_hook", None))
    if any(h is not None for h in hooks_now):
        signs.append("a trace or profile hook is installed")
    replaced = [f"{mod.__name__}.{name}" for mod, name in _HOOK_SETTERS
                if getattr(mod, name, None) is not _baseline["hook_setters"][f"{mod.__name__}.{name}"]]
    if replaced:
        signs.append(f"sys functions were replaced ({', '.join(replaced)})")
    if sys.excepthook is not _baseline["excepthook"]:
        signs.append("sys.excepthook was replaced")
    base_hooks, hooks = _baseline["hooks"], _hooks(_shell())
    for key in sorted(set(hooks) | set(base_hooks)):
        if hooks.get(key) != base_hooks.get(key):
            what = {"input_transformers_cleanup": "an input transformer", "input_transformers_post":
                    "an input transformer", "ast_transformers": "an AST transformer",
                    "custom_exceptions": "a custom exception handler",
                    "shell attributes": "a method of the IPython shell was replaced"}.get(key, f"a {key} callback")
            signs.append(what if key == "shell attributes" else f"{what} was installed")
    return sorted(set(signs))


# ----------------------------------------------------------------------------- the entry point


CHANNEL = "reglab.oracle"
SOCKET_SUFFIX = "-reglab"  # beside the kernel's own ipc sockets: <prefix>-reglab
_fast: dict = {}


def _open_channel():
    """Let the checker ask through a comm (no cell machinery per question); False when this kernel has none.

    With ipc transport the agent also listens on a Unix socket beside the kernel's own: a ``serve`` message on
    the comm makes the kernel's main thread answer the questions of one test cell on that socket (a fraction of a
    millisecond each instead of the messaging's several), until the checker says ``end``. The student's code
    still runs in the main thread, so the grader's interrupt (its time limit) still reaches it."""
    kernel = getattr(_shell(), "kernel", None)
    manager = getattr(kernel, "comm_manager", None)
    if manager is None:
        return False

    def on_msg(comm, msg):
        data = msg["content"]["data"]
        if data.get("serve"):
            _serve()
        else:
            comm.send({"r": handle(data.get("q", ""))})

    manager.register_target(CHANNEL, lambda comm, _msg: comm.on_msg(lambda msg: on_msg(comm, msg)))
    return _listen()


def _listen():
    try:
        import socket

        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        if app.transport != "ipc" or not app.ip:
            return True
        path = app.ip + SOCKET_SUFFIX
        if os.path.exists(path):  # a restarted kernel's predecessor
            os.unlink(path)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        _fast.update(server=srv, conn=None)
        return "socket"
    except Exception:  # noqa: BLE001 - the comm alone still works
        return True


def _serve():
    """Answer questions on the socket until ``end`` (or until the checker goes away)."""
    if "server" not in _fast:
        return
    if _fast["conn"] is None:
        _fast["server"].settimeout(10)
        _fast["conn"], _ = _fast["server"].accept()
        _fast["conn"].settimeout(None)
    conn = _fast["conn"]
    while True:
        text = _wire.recv_frame(conn)
        if text is None:
            _fast["conn"] = None
            return
        if text == "end":
            _wire.send_frame(conn, "end")
            return
        _wire.send_frame(conn, handle(text))



def handle(text):
    """One request of the checker (JSON text) -> the answer (JSON text). Never raises."""
    reply: dict = {"v": VERSION}
    try:
        request = _wire.loads(text)
        _apply_sync(request.get("sync", []))
        for number in request.get("drop", []):
            obj = _mirrors.pop(number, None)
            _snapshots.pop(number, None)
            if obj is not None and _mirror_of.get(id(obj)) == number:
                del _mirror_of[id(obj)]
        op = request["op"]
        if op == "hello":
            if not _baseline:
                _capture_baseline()
            reply["channel"] = _open_channel()
        elif op == "resolve":
            shell = _shell()
            ns = shell.user_ns if shell is not None else sys.modules["__main__"].__dict__
            values = []
            for name in request["names"]:
                if name not in ns:
                    values.append([name])
                    continue
                try:
                    values.append([name, _encode(ns[name])])
                except Exception as exc:  # noqa: BLE001 - this value cannot be read; the others can
                    values.append([name, None, f"{type(exc).__name__}: {str(exc)[:300]}"])
            reply["values"] = values
            reply["evidence"] = evidence(ns)
        elif op in _OPS:
            target = _target(request)
            _run(lambda: _OPS[op](target, request), request.get("forbid"), reply)
        else:
            raise _wire.WireError(f"unknown request {op!r}")
        reply["sync"] = _changed_mirrors()
    except Exception as exc:  # noqa: BLE001 - a request that cannot be served says why
        reply = {"v": VERSION, "fault": f"{type(exc).__name__}: {str(exc)[:500]}"}
    return _wire.dumps(reply)
