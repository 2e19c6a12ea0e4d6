"""One question to the student's kernel and its answer, within the test cell's time and size limits.

The first question (``hello``) is an ``execute_request`` with no code and one ``user_expressions`` entry that
calls :func:`reglab._oracle.handle`: no cell runs, no input transformer sees it, and the answer comes back in the
shell reply as the ``repr`` of a string, read with ``ast.literal_eval``. It opens a comm, and every later
question is a ``comm_msg`` answered by a ``comm_msg`` on IOPub (a tenth of the cost: no cell machinery). An
answer is the kernel's and is trusted for nothing: its text must be a string of at most
:data:`reglab._wire.MAX_BYTES`, read by :func:`reglab._wire.loads`.
"""

from __future__ import annotations

import ast
import socket
import time
import uuid
from queue import Empty

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import DeadKernelError

from reglab import _wire

EXPRESSION = "__import__('reglab._oracle', fromlist=['handle']).handle({!r})"


class KernelSilent(Exception):
    """The kernel did not answer in the time the test cell had left (it was interrupted)."""


class UnreadableAnswer(Exception):
    """The kernel answered something that is not an answer of the protocol."""


class KernelLink:
    """Questions to one notebook's kernel, through nbclient's kernel client ``client.kc``.

    ``deadline`` is the monotonic time the current test cell must end by (set by the checker per cell).
    """

    def __init__(self, client):
        self.client = client
        self.deadline = float("inf")
        self.round_trips = 0
        self.seconds = 0.0
        self.dead = False
        self.comm_id = None
        self.timed_out = ""  # the last question the kernel did not answer in time (the checker reports it)
        self.sock, self.serving = None, False  # the kernel's socket, and whether its main thread listens to it

    def reset(self):
        """A new kernel: no channel yet."""
        self._close()
        self.dead, self.comm_id = False, None

    def open(self):
        """``hello`` through ``user_expressions``; then the comm channel, and the socket when the kernel has one."""
        self._close()
        answer = self.ask({"op": "hello"})
        if answer.get("channel") in (True, "socket"):
            self.comm_id = uuid.uuid4().hex
            self._comm({"comm_id": self.comm_id, "target_name": "reglab.oracle", "data": {}}, "comm_open")
        if answer.get("channel") == "socket" and getattr(self.client.km, "transport", "") == "ipc":
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(self.client.km.ip + "-reglab")
            except OSError:
                self._close()
        return answer

    def _comm(self, content, msg_type="comm_msg"):
        kc = self.client.kc
        msg = kc.session.msg(msg_type, content)
        kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def _close(self):
        sock = getattr(self, "sock", None)
        if sock is not None:
            sock.close()
        self.sock, self.serving = None, False

    def end(self):
        """The test cell is over: the kernel's main thread leaves the socket (the next cell runs in it)."""
        if self.sock is None or not self.serving:
            return
        try:
            self.sock.settimeout(5)
            _wire.send_frame(self.sock, "end")
            if self._frame(time.monotonic() + 5) != "end":
                self._close()
        except OSError:
            self._close()
        self.serving = False

    def ask(self, request: dict) -> dict:
        """Send one request; the decoded JSON of the answer (a dict), or raise."""
        if self.dead:
            raise DeadKernelError("the kernel died")
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.timed_out = "the test cell's time ran out before the kernel was asked"
            raise KernelSilent(self.timed_out)
        t0 = time.monotonic()
        try:
            return self._round_trip(_wire.dumps(request), left)
        except KernelSilent as exc:
            self.timed_out = str(exc)
            raise
        finally:
            self.round_trips += 1
            self.seconds += time.monotonic() - t0

    def _round_trip(self, text, left):
        if self.sock is not None:
            return self._answer(self._ask_socket(text, left))
        kc = self.client.kc
        if self.comm_id is None:
            msg_id = kc.execute("", silent=True, store_history=False, allow_stdin=False,
                                user_expressions={"r": EXPRESSION.format(text)})
            return self._read(run_sync(self._reply)(msg_id, left, kc.shell_channel))
        msg_id = self._comm({"comm_id": self.comm_id, "data": {"q": text}})
        return self._read_comm(run_sync(self._reply)(msg_id, left, kc.iopub_channel))

    def _ask_socket(self, text, timeout):
        if not self.serving:
            self._comm({"comm_id": self.comm_id, "data": {"serve": True}})
            self.serving = True
        end = time.monotonic() + timeout
        try:
            _wire.send_frame(self.sock, text)
            reply = self._frame(end, self._alive)
        except OSError:
            reply = None
        if reply is not None:
            return reply
        if self.dead:
            raise DeadKernelError("the kernel died while answering the grader")
        run_sync(self.client.km.interrupt_kernel)()  # the student's code ran out of time: interrupt it
        reply = self._frame(time.monotonic() + 3.0, self._alive) if self.sock is not None else None
        if reply is None:
            self._close()  # the socket is out of step: later questions go through the comm
            if self.dead:
                raise DeadKernelError("the kernel died while answering the grader")
            raise KernelSilent(f"the kernel did not answer within {timeout:.0f} s, even when interrupted")
        raise KernelSilent(f"the student's code did not finish within {timeout:.0f} s (the cell's time limit); "
                           "it was interrupted")

    def _frame(self, end, alive=None):
        """One framed answer before the monotonic time ``end`` (None: none in time, or the socket closed)."""
        try:
            return _wire.recv_frame(self.sock, end, alive)
        except _wire.WireError as exc:
            raise UnreadableAnswer(str(exc)) from None

    def _alive(self):
        if not run_sync(self.client.km.is_alive)():
            self.dead = True
        return not self.dead

    async def _reply(self, msg_id, timeout, channel):
        km = self.client.km
        end = time.monotonic() + timeout
        interrupted = False
        while True:
            try:
                msg = await ensure_async(channel.get_msg(timeout=max(0.01, min(1.0, end - time.monotonic()))))
            except Empty:
                if not await ensure_async(km.is_alive()):
                    self.dead = True
                    raise DeadKernelError("the kernel died while answering the grader") from None
                if time.monotonic() < end:
                    continue
                if interrupted:
                    raise KernelSilent(f"the kernel did not answer within {timeout:.0f} s, even when interrupted"
                                       ) from None
                await ensure_async(km.interrupt_kernel())
                interrupted, end = True, time.monotonic() + 3.0
                continue
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] in ("execute_reply", "comm_msg"):
                if interrupted:
                    raise KernelSilent(f"the student's code did not finish within {timeout:.0f} s (the cell's "
                                       "time limit); it was interrupted")
                return msg

    @classmethod
    def _read_comm(cls, msg) -> dict:
        data = (msg.get("content") or {}).get("data")
        text = data.get("r") if isinstance(data, dict) else None
        if not isinstance(text, str):
            raise UnreadableAnswer("the kernel's answer is not the grader's protocol")
        return cls._answer(text)

    @classmethod
    def _read(cls, reply) -> dict:
        content = reply.get("content", {})
        expr = (content.get("user_expressions") or {}).get("r") if isinstance(content, dict) else None
        if not isinstance(expr, dict) or expr.get("status") != "ok":
            why = expr.get("ename", "no answer") if isinstance(expr, dict) else "no answer"
            raise UnreadableAnswer(f"the kernel could not answer the grader's question ({str(why)[:80]})")
        text = (expr.get("data") or {}).get("text/plain")
        if not isinstance(text, str) or len(text) > 2 * _wire.MAX_BYTES or text[:1] not in "'\"(":
            raise UnreadableAnswer("the kernel's answer is not the grader's protocol")
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise UnreadableAnswer("the kernel's answer is not the grader's protocol") from None
        return cls._answer(value)

    @staticmethod
    def _answer(value) -> dict:
        try:
            answer = _wire.loads(value)
        except _wire.WireError as exc:
            raise UnreadableAnswer(str(exc)) from None
        if not isinstance(answer, dict):
            raise UnreadableAnswer("the kernel's answer is not the grader's protocol")
        if "fault" in answer:
            raise UnreadableAnswer(f"the kernel could not serve the grader's question: {str(answer['fault'])[:300]}")
        return answer

