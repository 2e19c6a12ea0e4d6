"""Benchmarks: each row runs reglab and a baseline side by side on this machine and prints the ratio.

    make bench            (or: .venv/bin/python benchmarks/run.py)

Rows:
1. exact dropout enumeration at n = 16, 18, 20 inputs: reglab's chunked enumeration against the
   naive approach that materializes every mask at once (time and peak memory);
2. lasso_diagonal's closed form against scikit-learn's Lasso (coordinate descent) on an orthogonal
   design with d = 10^4 (speed ratio and max difference);
3. a 100-value ridge path from one eigendecomposition against 100 separate ridge solves;
4. mlp.train_mlp, which validates its inputs once and trains through private functions, against the
   previous behaviour, which re-validated the layers, the mini-batch and every setting on each
   mini-batch (reproduced here by calling the public validating functions in the same loop);
5. the capstone's whole validation sweep and test comparison on the digits (capstone.run_capstone),
   the budget of the capstone notebook;

and then the median time of one slider move in every exploration (benchmarks/widget_updates.py).
"""

from __future__ import annotations

import time
import tracemalloc
from unittest import mock

import numpy as np
import scipy.sparse
import scipy.stats
from sklearn.linear_model import Lasso

from reglab import _validation, data, dropout, l1, l2, mlp


def timed(fn, repeat=3):
    """Best wall time of `repeat` runs, the last result, and the peak traced memory of one run."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, out, peak


def naive_geometric_mean(W, b, v, p):
    """Baseline: every mask materialized at once, then one vectorized pass."""
    masks = dropout.all_masks(W.shape[0]).astype(float)
    k = masks.sum(axis=1)
    weights = p**k * (1 - p) ** (W.shape[0] - k)
    logp = dropout.log_softmax((masks * v) @ W + b)
    return dropout.softmax(weights @ logp)


def bench_dropout(rows):
    rng = np.random.default_rng(0)
    for n in (16, 18, 20):
        W, b, v = rng.standard_normal((n, 5)) / np.sqrt(n), rng.standard_normal(5), rng.standard_normal(n)
        t_ours, ours, m_ours = timed(lambda: dropout.geometric_mean_ensemble(W, b, v, 0.5))
        t_base, base, m_base = timed(lambda: naive_geometric_mean(W, b, v, 0.5))
        ws = dropout.weight_scaling_predict(W, b, v, 0.5)
        rows.append((f"dropout enumeration n={n} ({1 << n:,} masks)", t_ours, t_base,
                     f"peak {m_ours / 2**20:.0f} MiB vs {m_base / 2**20:.0f} MiB; |geo - weight scaling| = "
                     f"{np.abs(ours - ws).max():.1e}; |reglab - naive| = {np.abs(ours - base).max():.1e}"))


def bench_lasso(rows):
    d, block, s = 10_000, 10, 4.0
    rng = np.random.default_rng(1)
    blocks = [np.linalg.qr(rng.standard_normal((block, block)))[0] * np.sqrt(s) for _ in range(d // block)]
    X = scipy.sparse.block_diag(blocks, format="csc")  # orthogonal columns: X^T X = s I
    w_true = np.where(rng.random(d) < 0.1, rng.standard_normal(d) * 2, 0.0)
    y = X @ w_true + 0.5 * rng.standard_normal(d)
    n = d
    alpha_sk = 0.5 / n

    def ours():
        w_star = X.T @ y / s
        return l1.lasso_diagonal(w_star, np.full(d, s), n * alpha_sk)

    def sk():
        return Lasso(alpha=alpha_sk, fit_intercept=False, tol=1e-12, max_iter=10_000).fit(X, y).coef_

    t_ours, w_ours, _ = timed(ours)
    t_sk, w_sk, _ = timed(sk, repeat=1)
    rows.append((f"lasso_diagonal vs sklearn Lasso, d={d:,}", t_ours, t_sk,
                 f"max |difference| = {np.abs(w_ours - w_sk).max():.1e}; zeros: {int(np.sum(w_ours == 0)):,}"))


def bench_ridge_path(rows):
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((2000, 300)), rng.standard_normal(2000)
    alphas = np.geomspace(1e-3, 1e3, 100)
    t_path, path, _ = timed(lambda: l2.ridge_path(X, y, alphas))
    t_loop, loop, _ = timed(lambda: np.array([l2.ridge(X, y, a) for a in alphas]), repeat=1)
    rows.append(("ridge path, 100 alphas, 2000x300", t_path, t_loop,
                 f"max |difference| = {np.abs(path - loop).max():.1e}"))


def train_mlp_revalidating(*args, **kwargs):
    """Baseline: ``mlp.train_mlp`` with the checks the previous code ran on every mini-batch put back.

    Before validation moved to the entry point, each mini-batch went through the public
    ``loss_and_grads`` (layers, X, y, l2, l1 checked), whose ``forward`` checked the layers,
    keep_prob and X again and whose ``smooth_labels`` checked the labels and eps again; each epoch's
    evaluation went through the public ``forward`` (layers, keep_prob, X). The same public checks
    are wrapped around the private functions the loop now calls, so the loop itself is the
    library's and the numbers are the same (asserted in ``bench_train_mlp``).
    """
    loss_and_grads, logits = mlp._loss_and_grads, mlp._logits

    def revalidating_loss_and_grads(layers, X, y, l2, l1, keep, rng, label_smoothing, with_loss=True):
        for _ in range(2):  # loss_and_grads, then forward
            checked = _validation.check_layers(layers)
            X = _validation.as_float_array(X, "X", ndim=2)
        _validation.check_keep_probs(keep, len(checked))
        _validation.check_nonneg_scalar(l2, "l2")
        _validation.check_nonneg_scalar(l1, "l1")
        for _ in range(2):  # loss_and_grads, then smooth_labels
            y = _validation.check_labels(y, checked[-1][0].shape[1])
        _validation.check_same_length(X, y)
        _validation.check_scalar(label_smoothing, "eps", 0.0, 1.0, include_high=False)
        return loss_and_grads(layers, X, y, l2, l1, keep, rng, label_smoothing, with_loss)

    def revalidating_logits(layers, X):
        checked = _validation.check_layers(layers)
        _validation.check_keep_probs(1.0, len(checked))
        return logits(layers, _validation.as_float_array(X, "X", ndim=2))

    with (mock.patch.object(mlp, "_loss_and_grads", revalidating_loss_and_grads),
          mock.patch.object(mlp, "_logits", revalidating_logits)):
        return mlp.train_mlp(*args, **kwargs)


def bench_train_mlp(rows):
    split = data.classification_data(rng=0)
    init = mlp.init_mlp([split.X_train.shape[1], 128, 2], 0)
    kw = {"epochs": 150, "rng": 1, "X_val": split.X_val, "y_val": split.y_val}
    for label, extra in (("", {}), (", dropout", {"keep_prob": [0.8, 0.5]})):
        t_new, t_old = np.inf, np.inf
        for _ in range(5):  # interleaved, best of 5 each: a busy machine slows both alike
            t0 = time.perf_counter()
            new = mlp.train_mlp(init, split.X_train, split.y_train, **kw, **extra).layers
            t1 = time.perf_counter()
            old = train_mlp_revalidating(init, split.X_train, split.y_train, **kw, **extra).layers
            t_new, t_old = min(t_new, t1 - t0), min(t_old, time.perf_counter() - t1)
        diff = max(np.abs(a - b).max() for (Wa, ba), (Wb, bb) in zip(new, old) for a, b in ((Wa, Wb), (ba, bb)))
        assert diff == 0.0, f"the two training loops disagree by {diff}"
        rows.append((f"train_mlp{label}, 150 epochs, 10-128-2 net", t_new, t_old,
                     f"baseline re-validates on every mini-batch ({1 - t_new / t_old:.0%} of its time); "
                     f"same weights (max |difference| = {diff:.0e})"))


def bench_capstone():
    from reglab import capstone

    split = data.digits_split(n_train=300, n_val=300, n_test=600, rng=0)
    times = []
    for _ in range(3):
        res = capstone.run_capstone(split, rng=0)
        times.append(res.seconds)
    n_runs = 1 + sum(len(s["values"]) for k, s in res.sweeps.items() if k != "early stopping") + 1 + 5
    print(f"capstone sweep + comparison on digits (300 train, {n_runs} training runs): best {min(times):.2f} s, "
          f"median {sorted(times)[1]:.2f} s (notebook budget 20 s)")


def main():
    rows = []
    bench_dropout(rows)
    bench_lasso(rows)
    bench_ridge_path(rows)
    bench_train_mlp(rows)
    print(f"{'benchmark':<44}{'reglab s':>10}{'baseline s':>12}{'speed-up':>10}  notes")
    for name, t, tb, note in rows:
        print(f"{name:<44}{t:>10.4f}{tb:>12.4f}{tb / t:>9.1f}x  {note}")
    print()
    bench_capstone()
    print()
    import widget_updates  # benchmarks/widget_updates.py, next to this file

    widget_updates.main()


if __name__ == "__main__":
    main()
