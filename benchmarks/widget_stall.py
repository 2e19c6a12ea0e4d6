"""How often the widget-comm stall (jupyter/nbclient#312) hits, with nbclient's client and with the grader's.

    .venv/bin/python benchmarks/widget_stall.py [--cells 300] [--timeout 5]

One kernel executes ``--cells`` cells, each building an exploration-like widget (an ``ipywidgets.Output``
the cell displays into, as every course exploration does). nbclient's own client answers the widget with
comm messages on the shell channel while it awaits the cell's reply there; a cell that stalls waits for its
timeout. The grader's client (``SandboxedExecute``) sends no comm message. Prints, for each client, the
cells that hit the timeout and the slowest cell.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from reglab_autograder.preprocessors.execute import SandboxedExecute

CELL = ("out = ipywidgets.Output()\ndisplay(out)\nwith out:\n    clear_output(wait=True)\n"
        "    display(HTML('<b>summary</b>'))\n    print('redrawn')")
SETUP = "import ipywidgets\nfrom IPython.display import HTML, clear_output, display"


def run(client_cls, n: int, timeout: int) -> tuple[int, float, float]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SETUP)] +
                                  [nbformat.v4.new_code_cell(CELL) for _ in range(n)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    times = []

    class Client(client_cls):  # nbclient awaits async_execute_cell; nbgrader's Execute calls preprocess_cell
        async def async_execute_cell(self, cell, cell_index, *a, **kw):
            t0 = time.monotonic()
            try:
                return await super().async_execute_cell(cell, cell_index, *a, **kw)
            finally:
                if client_cls is NotebookClient:
                    times.append(time.monotonic() - t0)

        def preprocess_cell(self, cell, resources, index):
            t0 = time.monotonic()
            try:
                return super().preprocess_cell(cell, resources, index)
            finally:
                times.append(time.monotonic() - t0)

    with tempfile.TemporaryDirectory() as d:
        t0 = time.monotonic()
        if client_cls is NotebookClient:
            Client(nb, timeout=timeout, allow_errors=True, interrupt_on_timeout=True,
                   resources={"metadata": {"path": d}}).execute()
        else:
            Client(isolate=False, timeout=timeout).preprocess(nb, {"metadata": {"path": d}})
        total = time.monotonic() - t0
    stalls = sum(t >= timeout * 0.9 for t in times[1:])
    return stalls, max(times[1:]), total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=300)
    ap.add_argument("--timeout", type=int, default=5)
    args = ap.parse_args()
    print(f"{args.cells} widget cells, cell timeout {args.timeout} s, load {os.getloadavg()[0]:.1f}")
    for name, cls in (("nbclient's client", NotebookClient), ("grader's client (SandboxedExecute)", SandboxedExecute)):
        stalls, slowest, total = run(cls, args.cells, args.timeout)
        print(f"{name:38s} stalled cells: {stalls:3d}   slowest cell {slowest:6.2f} s   total {total:6.1f} s")


if __name__ == "__main__":
    main()
