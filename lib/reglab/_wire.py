"""Values across the grader's trust boundary: data only, as JSON, never pickle.

Under ``reglab grade`` the hidden tests run in the grader's checker, and the student's kernel is asked only
for the student's values (see :mod:`reglab._oracle`). Both sides speak this format: numbers, strings,
booleans, None, numeric and boolean numpy arrays and scalars, and lists, tuples and dicts of them. Anything
else crosses as a *handle* (``{"H": ...}``): a number naming the object on the other side, which the other
side may call or ask for attributes, but never receives.

Two kinds of values keep their identity across calls, because tests rely on it (an early stopper that keeps a
*reference* to weights the training loop changes in place must fail as it does in one process): numpy arrays
and random generators are *mirrored*. The first time one crosses it gets a number (``{"M": [n, content]}``),
later crossings name only the number (``{"M": [n]}``), and before and after every call each side sends the
contents of the mirrors that changed on its side, so that an in-place change on one side is made in place on
the other before the student's code (or the test) looks again.

:func:`decode` is the trusted half: it reads JSON with a size cap, a depth cap and an item cap, accepts only the
tags below, and checks every array's dtype and size against its bytes. It calls no method of anything it
decodes. :func:`encode` is the kernel's half (and the checker's, for arguments).
"""

from __future__ import annotations

import base64
import json
import math
import numbers
import select
import time

import numpy as np

#: dtypes an array or a numpy scalar may have on the wire (numeric and boolean)
DTYPES = frozenset(np.dtype(c).str for c in "?bhilqBHILQefdgFD" if np.dtype(c).itemsize <= 16) - {
    np.dtype("g").str, np.dtype("G").str}
MAX_BYTES = 64 * 2**20  # one message
MAX_DEPTH = 32
MAX_ITEMS = 2_000_000
MAX_INT_DIGITS = 4000
MAX_STR = 1_000_000


class WireError(ValueError):
    """A message that is not data of this format (or is too large): the part it answers fails."""


# ----------------------------------------------------------------------------- encoding


class Encoder:
    """Turns a value into the wire's JSON-ready form.

    ``handle(obj)`` gives the number of an object that is not data (None: refuse it); ``mirror(obj)`` the
    ``(number, is_new)`` of an array or generator to mirror (None: send arrays by value, refuse generators).
    """

    def __init__(self, handle=None, mirror=None):
        self.handle, self.mirror, self.items, self.bytes = handle, mirror, 0, 0

    def _count(self, n):
        self.bytes += n
        if self.bytes > MAX_BYTES:
            raise WireError(f"the value is larger than the {MAX_BYTES // 2**20} MB a value may take")

    def __call__(self, value, depth=0):
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise WireError("the value is nested too deeply or holds too many items")
        if value is None or isinstance(value, (bool, str)):
            if isinstance(value, str):
                if len(value) > MAX_STR:
                    raise WireError(f"a string of {len(value)} characters is too long")
                self._count(len(value))
            return value
        if type(value) is int:
            if abs(value) >= 10**MAX_INT_DIGITS:
                raise WireError("an integer is too large")
            return value
        if type(value) is float:
            return value if math.isfinite(value) else {"f": repr(value)}
        if isinstance(value, (list, tuple)):  # subclasses (a namedtuple) cross as their items
            return {"L" if isinstance(value, list) else "T": [self(v, depth + 1) for v in list(value)]}
        if isinstance(value, dict):
            return {"D": [[self(k, depth + 1), self(v, depth + 1)] for k, v in dict(value).items()]}
        if isinstance(value, (set, frozenset)):  # letters of a multiple choice, ids
            return {"E" if isinstance(value, set) else "F": [self(v, depth + 1) for v in list(value)]}
        if isinstance(value, np.ndarray):  # a subclass (np.matrix, a masked array) crosses as a plain array
            return self._array(value, depth) if type(value) is np.ndarray else self.content(np.array(value), depth)
        if isinstance(value, np.generic) and value.dtype.kind in "fc" and value.dtype.str not in DTYPES:
            value = value.astype(np.complex128 if value.dtype.kind == "c" else np.float64)  # long double
        if isinstance(value, (np.generic,)) and np.dtype(value.dtype).str in DTYPES:
            arr = np.asarray(value)
            return {"S": [arr.dtype.str, base64.b64encode(arr.tobytes()).decode("ascii")]}
        if isinstance(value, np.random.Generator) and type(value) is np.random.Generator and self.mirror:
            return self._mirrored(value, lambda g: Encoder()({"state": g.bit_generator.state,
                                                              "kind": type(g.bit_generator).__name__}))
        return self._other(value)

    def content(self, arr, depth=0):
        """An array by value (no mirror); long doubles as float64 (complex128), what the checks compare in."""
        if arr.dtype.kind in "fc" and arr.dtype.str not in DTYPES:
            arr = arr.astype(np.complex128 if arr.dtype.kind == "c" else np.float64)
        if arr.dtype.str in DTYPES:
            self._count(arr.nbytes * 4 // 3)
            data = np.ascontiguousarray(arr)
            return {"A": [arr.dtype.str, list(arr.shape), base64.b64encode(data.tobytes()).decode("ascii")]}
        if arr.dtype.kind == "U":
            return {"U": [list(arr.shape), [str(x) for x in arr.ravel().tolist()]]}
        if arr.dtype.kind == "O":
            return {"O": [list(arr.shape), [self(x, depth + 1) for x in arr.ravel().tolist()]]}
        raise WireError(f"an array of dtype {arr.dtype} is not data the grader reads")

    def _array(self, arr, depth):
        if self.mirror and arr.dtype.str in DTYPES:
            return self._mirrored(arr, lambda a: self.content(a, depth))
        return self.content(arr, depth)

    def _mirrored(self, obj, content):
        number, new = self.mirror(obj)
        return {"M": [number, content(obj)] if new else [number]}

    def _other(self, value):
        if isinstance(value, numbers.Integral):  # int subclasses cross as what they are worth, never as objects
            return self(int(value))
        if isinstance(value, numbers.Real):  # Fraction, a float subclass with a lying __eq__: their value only
            return self(float(value))
        if isinstance(value, numbers.Number) and not isinstance(value, numbers.Complex):  # decimal.Decimal
            try:
                return self(float(value))
            except (TypeError, ValueError, OverflowError):
                pass
        if self.handle is None:
            raise WireError(f"a {type(value).__name__} cannot be sent, only data")
        return {"H": self.handle(value)}


def dumps(obj) -> str:
    return json.dumps(obj, allow_nan=False, separators=(",", ":"))


# ----------------------------------------------------------------------------- decoding


def loads(text: str, max_bytes: int = MAX_BYTES):
    """JSON text of at most ``max_bytes`` (nothing else is parsed)."""
    if not isinstance(text, str):
        raise WireError("the answer is not text")
    if len(text) > max_bytes:
        raise WireError(f"the answer is {len(text) / 2**20:.1f} MB, more than the {max_bytes / 2**20:.0f} MB "
                        "a value may take")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise WireError("the answer is nested too deeply") from None
    except ValueError as exc:
        raise WireError(f"the answer is not readable data ({str(exc)[:80]})") from None


def _no_constant(name):
    raise WireError(f"{name} is not allowed on the wire")


class Decoder:
    """Turns the wire's JSON form back into data; handles and mirrors go through the given callbacks.

    ``handle(payload)`` makes the local stand-in of a remote object; ``mirror(number, content_or_None)`` gives
    the local array or generator of a mirror (creating it from ``content`` when new).
    """

    def __init__(self, handle=None, mirror=None):
        self.handle, self.mirror, self.items = handle, mirror, 0

    def __call__(self, node, depth=0):
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise WireError("the answer is nested too deeply or holds too many items")
        if node is None or isinstance(node, (bool, str, float)):
            return node
        if isinstance(node, int):
            if abs(node) >= 10**MAX_INT_DIGITS:
                raise WireError("an integer in the answer is too large")
            return node
        if not isinstance(node, dict) or len(node) != 1:
            raise WireError("the answer holds something that is not data")
        (tag, body), = node.items()
        if tag in ("L", "T") and isinstance(body, list):
            items = [self(v, depth + 1) for v in body]
            return items if tag == "L" else tuple(items)
        if tag in ("E", "F") and isinstance(body, list):
            try:
                items = [self(v, depth + 1) for v in body]
                return set(items) if tag == "E" else frozenset(items)
            except TypeError:
                raise WireError("a set in the answer holds something that cannot be in a set") from None
        if tag == "D" and isinstance(body, list):
            out = {}
            for pair in body:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise WireError("a dict in the answer is malformed")
                key = self(pair[0], depth + 1)
                try:
                    out[key] = self(pair[1], depth + 1)
                except TypeError:
                    raise WireError("a dict in the answer has a key that cannot be a key") from None
            return out
        if tag == "f" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "A":
            return self.array(body)
        if tag == "S":
            if not (isinstance(body, list) and len(body) == 2 and body[0] in DTYPES and isinstance(body[1], str)):
                raise WireError("a number in the answer is malformed")
            arr = _frombuffer(body[1], np.dtype(body[0]), (), "a number")
            return arr[()]
        if tag == "U" and isinstance(body, list) and len(body) == 2:
            shape = _shape(body[0])
            if not (isinstance(body[1], list) and all(isinstance(s, str) for s in body[1])) or \
                    len(body[1]) != math.prod(shape):
                raise WireError("an array of strings in the answer is malformed")
            if 4 * max((len(x) for x in body[1]), default=0) * len(body[1]) > MAX_BYTES:
                raise WireError(f"an array of strings in the answer would take more than {MAX_BYTES // 2**20} MB")
            return np.array(body[1], dtype=str).reshape(shape)
        if tag == "O" and isinstance(body, list) and len(body) == 2:
            shape = _shape(body[0])
            if not isinstance(body[1], list) or len(body[1]) != math.prod(shape):
                raise WireError("an array of objects in the answer is malformed")
            out = np.empty(len(body[1]), dtype=object)
            for i, v in enumerate(body[1]):
                out[i] = self(v, depth + 1)
            return out.reshape(shape)
        if tag == "M" and self.mirror is not None and isinstance(body, list) and len(body) in (1, 2) and \
                isinstance(body[0], int) and not isinstance(body[0], bool):
            return self.mirror(body[0], body[1] if len(body) == 2 else None)
        if tag == "H" and self.handle is not None:
            return self.handle(body)
        raise WireError(f"the answer holds an unknown kind of value ({str(tag)[:10]!r})")

    def array(self, body):
        if not (isinstance(body, list) and len(body) == 3 and body[0] in DTYPES and isinstance(body[2], str)):
            raise WireError("an array in the answer is malformed")
        return _frombuffer(body[2], np.dtype(body[0]), _shape(body[1]), "an array")


def _shape(shape):
    if not (isinstance(shape, list) and len(shape) <= 32 and
            all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_BYTES for n in shape)):
        raise WireError("an array's shape in the answer is malformed")
    return tuple(shape)


def _frombuffer(b64, dtype, shape, what):
    if len(b64) > MAX_BYTES * 4 // 3 + 4:
        raise WireError(f"{what} in the answer is too large")
    try:
        raw = base64.b64decode(b64, validate=True)
    except ValueError:
        raise WireError(f"{what} in the answer is malformed") from None
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise WireError(f"{what} in the answer does not hold as many numbers as its shape says")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def generator_from(content) -> np.random.Generator:
    """A numpy Generator from a mirrored generator's decoded content (only numpy's own bit generators)."""
    kind, state = _generator_parts(content)
    gen = np.random.Generator(getattr(np.random, kind)())
    gen.bit_generator.state = state
    return gen


def set_generator_state(gen, content) -> None:
    kind, state = _generator_parts(content)
    if type(gen.bit_generator).__name__ != kind:
        raise WireError("a random generator changed its kind")
    gen.bit_generator.state = state


def _generator_parts(content):
    if not (isinstance(content, dict) and set(content) == {"state", "kind"} and
            content["kind"] in ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937") and
            isinstance(content["state"], dict)):
        raise WireError("a random generator in the answer is malformed")
    return content["kind"], content["state"]


# ----------------------------------------------------------------------------- mirrors (both sides)


def mirror_content(obj):
    """A mirrored array's or generator's content, by value."""
    if isinstance(obj, np.ndarray):
        return Encoder().content(obj)
    return Encoder()({"state": obj.bit_generator.state, "kind": type(obj.bit_generator).__name__})


def snapshot(obj):
    """What :func:`changed` compares with: a copy of an array, the JSON of a generator's state."""
    return obj.copy() if isinstance(obj, np.ndarray) else dumps(mirror_content(obj))


def changed(obj, snap) -> bool:
    if isinstance(obj, np.ndarray):
        return obj.shape != snap.shape or obj.dtype != snap.dtype or not np.array_equal(obj, snap, equal_nan=True)
    return dumps(mirror_content(obj)) != snap


def new_mirror(content):
    """The array or generator a mirror's first crossing describes."""
    if isinstance(content, dict) and set(content) == {"A"}:
        return Decoder().array(content["A"])
    return generator_from(Decoder()(content))


def update_mirror(obj, content) -> None:
    """Make in place the change the other side made (same shape and dtype, or the same kind of generator)."""
    if isinstance(obj, np.ndarray):
        if not (isinstance(content, dict) and set(content) == {"A"}):
            raise WireError("a mirrored array's content is malformed")
        new = Decoder().array(content["A"])
        if new.shape != obj.shape or new.dtype != obj.dtype:
            raise WireError("a mirrored array changed its shape or dtype")
        if obj.flags.writeable:
            obj[...] = new
    else:
        set_generator_state(obj, Decoder()(content))


# ----------------------------------------------------------------------------- frames on a socket (both sides)


def send_frame(sock, text: str) -> None:
    """One message: its length (4 bytes, big-endian) and its UTF-8 text."""
    data = text.encode("utf-8")
    sock.sendall(len(data).to_bytes(4, "big") + data)


def recv_frame(sock, end: float | None = None, alive=None):
    """One message's text; None when the socket closed, or nothing came before the monotonic time ``end``
    (``alive()`` is asked every half second while waiting, and False ends the wait). A frame longer than
    :data:`MAX_BYTES` is refused before it is read."""
    head = _recv_exact(sock, 4, end, alive)
    if head is None:
        return None
    n = int.from_bytes(head, "big")
    if n > MAX_BYTES + 1024:
        raise WireError(f"a message is larger than the {MAX_BYTES // 2**20} MB a value may take")
    body = _recv_exact(sock, n, end, alive)
    if body is None:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise WireError("a message is not text") from None


def _recv_exact(sock, n, end, alive):
    buf = bytearray()
    while len(buf) < n:
        if end is not None:
            left = end - time.monotonic()
            if left <= 0:
                return None
            if not select.select([sock], [], [], min(left, 0.5))[0]:
                if alive is not None and not alive():
                    return None
                continue
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)
