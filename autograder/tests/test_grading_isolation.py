"""A grading kernel never sees what an earlier notebook on the same worker left behind.

Kernels are forked from a pre-imported fork server (reglab_autograder.sandbox.forkserver): student A's notebook
leaves a global, a monkeypatched module, files in its working directory, /tmp and /dev/shm, an environment
variable, a running thread, a background process and a key in the user keyring; student B, graded next by
the same worker and forked from the same server, must find none of them. A runs the same probe at its end,
so the probe is shown to see each leftover where it exists.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from reglab_autograder import jobs
from reglab_autograder.commands.grade import grade
from reglab_autograder.options import GradeOptions
from reglab_autograder.testing.classroom import cell_by_id, released, write

ROOT = Path(__file__).resolve().parents[2]
A0 = "00_overfitting"

LEAVE = """
import os, subprocess, threading, time
import numpy as np
import reglab.checks
LEFT_BY_A = "global"
np.LEFT_BY_A = "module attribute"
np.mean = lambda *a, **k: 42.0  # a monkeypatched numpy function
os.environ["LEFT_BY_A"] = "environment"
open("left_by_a.txt", "w").write("working directory")
open("/tmp/left_by_a.txt", "w").write("tmp")
open("/dev/shm/left_by_a", "w").write("shm")
threading.Thread(target=time.sleep, args=(600,), name="left_by_a", daemon=True).start()
child = subprocess.Popen(["sleep", "600"])
for _ in range(500):  # until it has become `sleep` (the probe looks for that name)
    if "sleep" in open(f"/proc/{child.pid}/cmdline").read():
        break
    time.sleep(0.01)
import ctypes
ctypes.CDLL(None).syscall(248, b"user", b"left_by_a", b"key", 3, -4)  # add_key to the user keyring (x86_64)
"""

PROBE = """
import ctypes, json, os, threading
import numpy as np
seen = {
    "global": "LEFT_BY_A" in globals(),
    "module": hasattr(np, "LEFT_BY_A") or bool(np.mean([1.0, 3.0]) != 2.0),
    "environment": "LEFT_BY_A" in os.environ,
    "workdir file": os.path.exists("left_by_a.txt"),
    "tmp file": os.path.exists("/tmp/left_by_a.txt"),
    "shm file": os.path.exists("/dev/shm/left_by_a"),
    "thread": any(t.name == "left_by_a" for t in threading.enumerate()),
    "keyring": ctypes.CDLL(None).syscall(250, 10, -4, b"user", b"left_by_a", 0) > 0,  # keyctl(KEYCTL_SEARCH)
    "process": any("sleep" in open(f"/proc/{p}/cmdline").read() for p in os.listdir("/proc") if p.isdigit()),
}
print("PROBE " + json.dumps(seen))
print("REGLAB_RENDER_FIGURES=" + str(os.environ.get("REGLAB_RENDER_FIGURES")))
"""


def _probe(out: Path, student: str) -> dict:
    nb = nbformat.read(out / "autograded" / student / A0 / f"{A0}.ipynb", as_version=4)
    text = "".join(o.get("text", "") for o in cell_by_id(nb, "a_q1").outputs)
    line = next(x for x in text.splitlines() if x.startswith("PROBE "))
    return json.loads(line[len("PROBE "):])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Two notebooks graded one after the other by one worker: A leaves things behind, B probes."""
    top = tmp_path_factory.mktemp("isolation")
    subs = top / "class" / "submitted"
    for student, code in (("a_leaves", LEAVE + PROBE), ("b_probes", PROBE)):
        nb = released(A0)
        cell_by_id(nb, "a_q1").source = code
        write(subs, student, A0, nb)
    out = top / "out"
    grade(GradeOptions(submissions=top / "class", out=out, workers=1, timeout=30, course_root=ROOT, progress=False))
    return out


def test_a_kernel_never_sees_what_the_previous_notebook_left(graded):
    records = {r.student: r for r in jobs.read_all(graded / "jobs")}
    a, b = records["a_leaves"].execution, records["b_probes"].execution
    assert a["forked"] and b["forked"] and a["fork_server_pid"] == b["fork_server_pid"], (a, b)
    left, found = _probe(graded, "a_leaves"), _probe(graded, "b_probes")
    assert all(left.values()), f"A's own probe must see every leftover: {left}"
    assert not any(found.values()), f"B saw what A left: {[k for k, v in found.items() if v]}"


def test_figures_are_built_not_rasterized_and_the_feedback_says_so(graded):
    """Under grading, REGLAB_RENDER_FIGURES=0 and `%matplotlib inline` rasterizes nothing; the feedback notes it."""
    from reglab_autograder.preprocessors.feedback import FIGURE_NOT_RENDERED

    nb = nbformat.read(graded / "autograded" / "b_probes" / A0 / f"{A0}.ipynb", as_version=4)
    assert _probe(graded, "b_probes") is not None and "REGLAB_RENDER_FIGURES=0" in "".join(
        o.get("text", "") for o in cell_by_id(nb, "a_q1").outputs)
    figures = [o for c in nb.cells for o in c.get("outputs", [])
               if str(o.get("data", {}).get("text/plain", "")).startswith("<Figure size")]
    assert figures and not any("image/png" in o["data"] for o in figures)  # the notebook's demonstrations
    feedback = (graded / "feedback" / "b_probes" / A0 / f"{A0}.html").read_text()
    assert feedback.count(FIGURE_NOT_RENDERED) >= len(figures) and "&lt;Figure size" not in feedback


# A cell displaying into an ipywidgets Output: a front end (and nbclient's mimic of one) answers with comm
# messages on the shell channel while the client awaits the cell's reply on that socket (jupyter/nbclient#312).
WIDGET_CELL = ("import ipywidgets\nfrom IPython.display import display\nout = ipywidgets.Output()\ndisplay(out)\n"
               "with out:\n    print('inside the widget')\n    display('shown')\nout.clear_output()\n"
               "with out:\n    print('again')")


def _sent_while_executing(execute, monkeypatch) -> tuple[list[str], object]:
    """(types of the messages the client sent to the kernel, the executed cell) for ``execute(nb)``."""
    from jupyter_client.channels import ZMQSocketChannel

    sent = []
    original = ZMQSocketChannel.send

    def spy(self, msg):
        sent.append(msg["header"]["msg_type"])
        return original(self, msg)

    monkeypatch.setattr(ZMQSocketChannel, "send", spy)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WIDGET_CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    execute(nb)
    monkeypatch.setattr(ZMQSocketChannel, "send", original)
    return sent, nb.cells[0]


def test_grading_never_sends_on_the_shell_channel_while_a_widget_cell_runs(monkeypatch, tmp_path):
    """The widget-comm stall cannot happen: executing a widget cell, the grader's client sends the execute
    request (and kernel_info, shutdown and the grading agent's hello before it), never while the cell runs, and
    what the cell displays into the widget is kept as the cell's output. nbclient's own client does send comm
    messages there: the control half, so this test would catch the stall's cause coming back."""
    from nbclient import NotebookClient
    from reglab_autograder.preprocessors.execute import SandboxedExecute

    monkeypatch.chdir(tmp_path)
    ours, cell = _sent_while_executing(
        lambda nb: SandboxedExecute(isolate=False, timeout=30).preprocess(nb, {"metadata": {"path": str(tmp_path)}}),
        monkeypatch)
    # before the first cell: the grading agent's hello (an execute_request without code) and its comm_open; then
    # the cell's execute_request is the last message sent: nothing is sent while the cell runs
    assert ours[-3:] == ["execute_request", "comm_open", "execute_request"] and "comm_msg" not in ours, ours
    assert "again" in json.dumps(cell.outputs)  # the widget's output kept as the cell's (cleared once, as asked)
    theirs, _ = _sent_while_executing(lambda nb: NotebookClient(nb, timeout=30).execute(), monkeypatch)
    assert "comm_msg" in theirs, theirs
