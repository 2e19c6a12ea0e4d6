"""Benchmark: the time one slider move costs in every exploration (compute + redraw).

    .venv/bin/python benchmarks/widget_updates.py        (also run by `make bench`, after benchmarks/run.py)

For each exploration, every listed control value is set in turn through ``Exploration.update`` (the
code path a slider takes) and timed; the table prints the median update, and splits it into the
draw function (the computation plus updating or building the matplotlib artists) and the rendering
of the figure to the JPEG the notebook shows. ``full`` counts the moves after which an exploration
built once (``Exploration(..., build=...)``) had to render its static part again (an axis changed);
the others render the whole figure on every move. The target is a median update <= 50 ms; where it
is missed, the table says why.
"""

from __future__ import annotations

import os
import statistics
import time

from reglab import data, widgets
from reglab._kernels import single_threaded_blas

MOVES = {
    "polynomial_explorer": {"degree": [3, 9, 12, 6], "log10_alpha": [-6, -3, 0]},
    "l2_explorer": {"lam1": [0.5, 10.0], "lam2": [0.05, 3.0], "angle": [0, 45], "alpha": [0.01, 1.0, 50.0]},
    "l1_explorer": {"alpha": [0.0, 0.3, 1.2], "rho": [-0.5, 0.0, 0.8]},
    "early_stopping_explorer": {"eps": [0.05, 1.0, 1.9], "tau": [1, 7, 300]},
    "ensemble_explorer": {"k": [1, 10, 50], "rho": [0.0, 0.5, 1.0]},
    "dropout_explorer": {"keep_prob": [0.2, 0.8, 1.0], "n_masks": [1, 50, 500]},
    "learning_curves_explorer": {"log10_alpha": [-3, -1, 0], "keep_prob": [0.5, 1.0], "noise": [0.1, 0.8],
                                 "n_train": [8, 60]},
    "l1_zeros_explorer": {"log10_alpha": [-1, 0.5, 2, 1]},
    "capstone_sweep_explorer": {"method": ["L2", "L1", "dropout", "early stopping", "bagging", "none"]},
}


# why an exploration's median update can exceed the target (measured: see the README)
REASONS = {
    "ensemble_explorer": "each new rho runs the Monte Carlo of (7.50) at 9 ensemble sizes (20,000 trials, up to "
                         "50 members: 2.6 M normal draws); rho values already visited are cached",
    "capstone_sweep_explorer": "every method changes all three panels: the first view of a method renders in full; "
                               "views already seen are cached",
}


def build(name):
    if name == "capstone_sweep_explorer":
        from reglab import capstone

        return widgets.capstone_sweep_explorer(capstone.run_capstone(data.digits_split(300, 300, 600, rng=0)))
    return getattr(widgets, name)()


def measure(name):
    t0 = time.perf_counter()
    exp = build(name)
    t_build = time.perf_counter() - t0
    totals, cpus, draws, renders = [], [], [], []
    full_before = exp.full_renders
    for control, values in MOVES[name].items():
        for v in values:
            t0, c0 = time.perf_counter(), time.process_time()
            exp.update(**{control: v})
            totals.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            # the same update split in two: the draw function (compute + artists), then the picture
            if exp._build is None:
                exp.figure.clear()
            t0 = time.perf_counter()
            with single_threaded_blas():  # as Exploration.redraw does
                exp._draw(exp.figure, **exp.values)
            t1 = time.perf_counter()
            exp.render()
            draws.append(t1 - t0)
            renders.append(time.perf_counter() - t1)
    full = exp.full_renders - full_before - len(totals) * (exp._build is None)
    return (t_build, statistics.median(totals), statistics.median(cpus), statistics.median(draws),
            statistics.median(renders), len(totals), full)


def main():
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; 'update' is the wall time of a move, "
          "'cpu' its CPU time (the wall time on an idle core: every step runs on one thread); the target"
          " applies to cpu")
    head = (f"{'exploration':<26}{'build s':>8}{'update ms':>10}{'cpu ms':>8}{'draw ms':>8}{'render ms':>10}"
            f"{'moves':>6}{'full':>5}")
    print(head + "  target 50 ms")
    for name in MOVES:
        t_build, total, cpu, draw, render, n, full = measure(name)
        flag = "ok" if cpu <= 0.050 else "over: " + REASONS.get(name, "")
        print(f"{name:<26}{t_build:>8.2f}{total * 1e3:>10.0f}{cpu * 1e3:>8.0f}{draw * 1e3:>8.0f}"
              f"{render * 1e3:>10.0f}{n:>6}{full:>5}  {flag}")


if __name__ == "__main__":
    main()
