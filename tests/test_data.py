"""Seeded data sets: reproducible and with the stated structure."""

import numpy as np
import pytest

from reglab import data


def test_generators_are_reproducible_from_the_rng_seed():
    a, b = data.polynomial_data(10, rng=3), data.polynomial_data(10, rng=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], data.polynomial_data(10, rng=4)[1])
    s1, s2 = data.classification_data(rng=1), data.classification_data(rng=1)
    np.testing.assert_array_equal(s1.X_test, s2.X_test)


def test_orthogonal_design():
    X = data.orthogonal_design(50, 7, rng=0, scale=3.0)
    np.testing.assert_allclose(X.T @ X, 3.0 * np.eye(7), atol=1e-12)


def test_correlated_regression_has_the_requested_correlation():
    X, y, w = data.correlated_regression(n=20_000, d=4, rho=0.7, noise=0.1, rng=0)
    C = np.corrcoef(X.T)
    off = C[~np.eye(4, dtype=bool)]
    assert np.all(np.abs(off - 0.7) < 0.02)
    np.testing.assert_allclose(np.linalg.lstsq(X, y, rcond=None)[0], w, atol=0.01)


def test_classification_split_shapes_and_labels():
    s = data.classification_data(n_train=40, n_val=30, n_test=50, n_noise_features=5, rng=0)
    assert s.X_train.shape == (40, 7) and s.X_val.shape == (30, 7) and s.X_test.shape == (50, 7)
    assert s.n_classes == 2
    np.testing.assert_allclose(s.X_train.mean(axis=0), 0, atol=1e-12)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: data.orthogonal_design(3, 5), "n >= d"),
        (lambda: data.correlated_regression(d=3, rho=1.0), "rho"),
        (lambda: data.classification_data(label_noise=0.6), "label_noise"),
        (lambda: data.polynomial_data(0), "n must be >= 1"),
    ],
)
def test_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_digits_split_is_seeded_disjoint_and_scaled():
    from sklearn.datasets import load_digits

    a = data.digits_split(n_train=100, n_val=50, n_test=60, rng=3)
    b = data.digits_split(n_train=100, n_val=50, n_test=60, rng=3)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert a.X_train.shape == (100, 64) and a.X_val.shape == (50, 64) and a.X_test.shape == (60, 64)
    X, y = load_digits(return_X_y=True)
    rows = {tuple(r) for r in (X / 16.0)}
    assert all(tuple(r) in rows for r in a.X_test)  # the images themselves, only rescaled
    seen = [{r.tobytes() for r in part} for part in (a.X_train, a.X_val, a.X_test)]
    assert not (seen[0] & seen[2]) and not (seen[1] & seen[2])
    assert 0.0 <= a.X_train.min() and a.X_train.max() <= 1.0 and a.n_classes == 10
    rest = data.digits_split(n_train=1000, n_val=500, rng=0)
    assert len(rest.y_test) == 1797 - 1500
    with pytest.raises(ValueError, match="1797"):
        data.digits_split(n_train=1500, n_val=500)


def test_digits_are_read_from_scikit_learns_own_file_without_importing_it():
    # the direct read must give exactly what scikit-learn's loader gives, and must not import scikit-learn
    import subprocess
    import sys

    from sklearn.datasets import load_digits

    from reglab.data import _digits_file, _load_digits

    assert _digits_file().is_file(), "the pinned scikit-learn no longer keeps digits.csv.gz where reglab reads it"
    X, y = _load_digits()
    X_ref, y_ref = load_digits(return_X_y=True)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    assert y.dtype == y_ref.dtype
    code = "import sys; from reglab import data; data.digits_split(rng=0); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
