"""Seeded synthetic data sets used across the sessions.

Every generator takes ``seed`` (an int or a ``numpy.random.Generator``), so the same call gives the
same numbers on every machine with the pinned numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, as_rng, check_int, check_nonneg_scalar, check_scalar

__all__ = [
    "true_function",
    "polynomial_data",
    "orthogonal_design",
    "correlated_regression",
    "grouped_features",
    "Split",
    "classification_data",
    "digits_split",
    "random_sparse_regressions",
]


def true_function(x):
    """The smooth target behind :func:`polynomial_data`: sin(pi x).

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Inputs, usually in [-1, 1].

    Returns
    -------
    ndarray of shape (n_samples,)
        The values sin(pi x), elementwise.

    Examples
    --------
    >>> from reglab import data
    >>> data.true_function([0.0, 0.5])
    array([0., 1.])
    """
    return np.sin(np.pi * np.asarray(x, dtype=float))


def polynomial_data(n=10, noise=0.3, rng=0):
    """Draw n noisy samples of sin(pi x) with x uniform on [-1, 1] (session 0's overfitting set).

    Parameters
    ----------
    n : int, default=10
        Number of samples, >= 1.
    noise : float, default=0.3
        Standard deviation of the Gaussian noise added to the targets, >= 0.
    rng : int or numpy.random.Generator, default=0
        Seed or generator of the random numbers; the same int gives the same data set on every
        machine with the pinned numpy.

    Returns
    -------
    x : ndarray of shape (n,)
        Inputs, sorted.
    y : ndarray of shape (n,)
        Noisy targets sin(pi x) + noise * N(0, 1).

    Raises
    ------
    ValueError
        If n < 1 or noise < 0.
    TypeError
        If n is not an integer or rng is neither an int nor a Generator.

    Examples
    --------
    >>> from reglab import data
    >>> x, y = data.polynomial_data(5, noise=0.0, rng=0)
    >>> x.shape, bool(abs(y - data.true_function(x)).max() == 0)
    ((5,), True)
    """
    n = check_int(n, "n", minimum=1)
    noise = check_nonneg_scalar(noise, "noise")
    rng = as_rng(rng)
    x = np.sort(rng.uniform(-1, 1, n))
    return x, true_function(x) + noise * rng.standard_normal(n)


def orthogonal_design(n, d, rng=0, scale=1.0):
    """Build a design X whose d columns are orthogonal: X^T X = scale * I.

    The LASSO closed form (7.23) is exact on such a design (H = X^T X is diagonal).

    Parameters
    ----------
    n : int
        Number of rows (examples), >= d.
    d : int
        Number of columns (features), >= 1.
    rng : int or numpy.random.Generator, default=0
        Seed or generator of the random numbers; the same int gives the same data set on every
        machine with the pinned numpy.
    scale : float, default=1.0
        Squared norm of every column, >= 0.

    Returns
    -------
    ndarray of shape (n, d)
        The design matrix.

    Raises
    ------
    ValueError
        If n < d (d orthogonal columns need length n >= d) or scale < 0.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import data
    >>> X = data.orthogonal_design(20, 3, rng=0, scale=2.0)
    >>> np.allclose(X.T @ X, 2.0 * np.eye(3))
    True
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    if n < d:
        raise ValueError(f"need n >= d for d orthogonal columns of length n, got n={n}, d={d}")
    scale = check_nonneg_scalar(scale, "scale")
    rng = as_rng(rng)
    Q, _ = np.linalg.qr(rng.standard_normal((n, d)))
    return Q * np.sqrt(scale)


def correlated_regression(n=100, d=5, rho=0.9, noise=0.5, rng=0, w_true=None):
    """Draw a linear regression with equicorrelated Gaussian features (pairwise correlation rho).

    Parameters
    ----------
    n : int, default=100
        Number of examples, >= 1.
    d : int, default=5
        Number of features, >= 1.
    rho : float, default=0.9
        Correlation between any two features, in (-1/(d-1), 1) so that the covariance is positive
        definite.
    noise : float, default=0.5
        Standard deviation of the Gaussian noise on y, >= 0.
    rng : int or numpy.random.Generator, default=0
        Seed or generator of the random numbers; the same int gives the same data set on every
        machine with the pinned numpy.
    w_true : array-like of shape (d,), default=None
        True weights; by default the first half of the features carry weights from 2 down to 1 and
        the others 0.

    Returns
    -------
    X : ndarray of shape (n, d)
        Features.
    y : ndarray of shape (n,)
        Targets X w_true + noise.
    w_true : ndarray of shape (d,)
        The weights used.

    Raises
    ------
    ValueError
        If rho is outside (-1/(d-1), 1), noise < 0 or w_true does not have d entries.

    Examples
    --------
    >>> from reglab import data
    >>> X, y, w = data.correlated_regression(n=50, d=4, rho=0.5, rng=0)
    >>> X.shape, y.shape, w.tolist()
    ((50, 4), (50,), [2.0, 1.0, 0.0, 0.0])
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    rho = check_scalar(
        rho, "rho", -1.0 / max(d - 1, 1), 1.0, include_low=False, include_high=False,
        hint="outside (-1/(d-1), 1) the equicorrelated covariance matrix is not positive definite",
    )
    noise = check_nonneg_scalar(noise, "noise")
    rng = as_rng(rng)
    cov = (1 - rho) * np.eye(d) + rho * np.ones((d, d))
    X = rng.standard_normal((n, d)) @ np.linalg.cholesky(cov).T
    if w_true is None:
        w_true = np.zeros(d)
        w_true[: max(1, d // 2)] = np.linspace(2.0, 1.0, max(1, d // 2))
    w_true = as_float_array(w_true, "w_true", ndim=1)
    if w_true.shape[0] != d:
        raise ValueError(f"w_true has length {w_true.shape[0]} but there are d = {d} features")
    y = X @ w_true + noise * rng.standard_normal(n)
    return X, y, w_true


def grouped_features(n=100, group_size=3, n_other=3, within_corr=0.9999, noise=0.5, rng=0):
    """Draw a group of near-duplicate informative features plus independent noise features.

    The group's features all carry one signal; LASSO tends to keep one of them, elastic net keeps
    the group together (the grouping effect).

    Parameters
    ----------
    n : int, default=100
        Number of examples, >= 2.
    group_size : int, default=3
        Number of near-duplicate features, >= 2.
    n_other : int, default=3
        Number of independent noise features, >= 0.
    within_corr : float, default=0.9999
        Correlation of each group feature with the shared signal, in [-1, 1].
    noise : float, default=0.5
        Standard deviation of the Gaussian noise on y, >= 0.
    rng : int or numpy.random.Generator, default=0
        Seed or generator of the random numbers; the same int gives the same data set on every
        machine with the pinned numpy.

    Returns
    -------
    X : ndarray of shape (n, group_size + n_other)
        Features, the group first.
    y : ndarray of shape (n,)
        Targets 3 z + noise, z the shared signal.
    group : ndarray of shape (group_size,)
        Column indices of the group.

    Raises
    ------
    ValueError
        If a count is below its minimum, within_corr is outside [-1, 1] or noise < 0.

    Examples
    --------
    >>> from reglab import data
    >>> X, y, group = data.grouped_features(n=50, group_size=2, n_other=1, rng=0)
    >>> X.shape, group.tolist()
    ((50, 3), [0, 1])
    """
    n = check_int(n, "n", minimum=2)
    group_size = check_int(group_size, "group_size", minimum=2)
    n_other = check_int(n_other, "n_other", minimum=0)
    within_corr = check_scalar(within_corr, "within_corr", -1.0, 1.0, hint="it is a correlation")
    noise = check_nonneg_scalar(noise, "noise")
    rng = as_rng(rng)
    z = rng.standard_normal(n)
    spread = np.sqrt(max(1 - within_corr**2, 0.0))
    group = within_corr * z[:, None] + spread * rng.standard_normal((n, group_size))
    other = rng.standard_normal((n, n_other))
    X = np.hstack([group, other])
    y = 3.0 * z + noise * rng.standard_normal(n)
    return X, y, np.arange(group_size)


@dataclass
class Split:
    """Train / validation / test arrays of a classification set.

    Parameters
    ----------
    X_train : ndarray of shape (n_train, n_features)
        Training inputs.
    y_train : ndarray of shape (n_train,)
        Training labels (integers from 0).
    X_val : ndarray of shape (n_val, n_features)
        Validation inputs.
    y_val : ndarray of shape (n_val,)
        Validation labels.
    X_test : ndarray of shape (n_test, n_features)
        Test inputs.
    y_test : ndarray of shape (n_test,)
        Test labels.

    Examples
    --------
    >>> from reglab import data
    >>> split = data.classification_data(n_train=20, n_val=10, n_test=10, rng=0)
    >>> split.X_train.shape, split.n_classes
    ((20, 10), 2)
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_classes(self):
        """Number of classes: one more than the largest label in any of the three sets.

        Examples
        --------
        >>> import numpy as np
        >>> from reglab import data
        >>> x = np.zeros((1, 2))
        >>> data.Split(x, np.array([0]), x, np.array([2]), x, np.array([1])).n_classes
        3
        """
        return int(max(self.y_train.max(), self.y_val.max(), self.y_test.max()) + 1)


def _moons(n, rng, noise):
    n1 = n // 2
    t1 = rng.uniform(0, np.pi, n1)
    t2 = rng.uniform(0, np.pi, n - n1)
    a = np.c_[np.cos(t1), np.sin(t1)]
    b = np.c_[1 - np.cos(t2), 0.5 - np.sin(t2)]
    X = np.vstack([a, b]) + noise * rng.standard_normal((n, 2))
    y = np.r_[np.zeros(n1, int), np.ones(n - n1, int)]
    return X, y


def classification_data(n_train=60, n_val=200, n_test=500, n_noise_features=8, noise=0.3, label_noise=0.1, rng=0):
    """Draw two noisy interleaved moons plus irrelevant Gaussian features, split three ways.

    Few training examples, label noise and useless inputs make a modest numpy MLP overfit quickly,
    so every regularizer of the course has room to help. Features are standardized with training
    statistics; labels are flipped with probability ``label_noise`` in the training set only.

    Parameters
    ----------
    n_train : int, default=60
        Number of training examples, >= 2.
    n_val : int, default=200
        Number of validation examples, >= 1.
    n_test : int, default=500
        Number of test examples, >= 1.
    n_noise_features : int, default=8
        Number of irrelevant standard-normal features added to the two moon coordinates, >= 0.
    noise : float, default=0.3
        Standard deviation of the Gaussian noise on the moon coordinates, >= 0.
    label_noise : float, default=0.1
        Probability of flipping a training label, in [0, 0.5).
    rng : int or numpy.random.Generator, default=0
        Seed or generator of the random numbers; the same int gives the same data set on every
        machine with the pinned numpy.

    Returns
    -------
    Split
        The three sets; inputs have 2 + n_noise_features columns.

    Raises
    ------
    ValueError
        If a count is below its minimum, noise < 0 or label_noise is outside [0, 0.5).
    TypeError
        If a count is not an integer or label_noise is not a number.

    Examples
    --------
    >>> from reglab import data
    >>> split = data.classification_data(n_train=30, n_noise_features=3, rng=0)
    >>> split.X_train.shape, split.X_test.shape
    ((30, 5), (500, 5))
    """
    n_train = check_int(n_train, "n_train", minimum=2)
    n_val = check_int(n_val, "n_val", minimum=1)
    n_test = check_int(n_test, "n_test", minimum=1)
    n_noise_features = check_int(n_noise_features, "n_noise_features", minimum=0)
    noise = check_nonneg_scalar(noise, "noise")
    label_noise = check_scalar(
        label_noise, "label_noise", 0.0, 0.5, include_high=False,
        hint="it is the probability of flipping a training label; at 0.5 the labels carry no information",
    )
    rng = as_rng(rng)
    n = n_train + n_val + n_test
    X2, y = _moons(n, rng, noise)
    X = np.hstack([X2, rng.standard_normal((n, n_noise_features))])
    perm = rng.permutation(n)
    X, y = X[perm], y[perm]
    flip = rng.random(n_train) < label_noise
    y = y.copy()
    y[:n_train] = np.where(flip, 1 - y[:n_train], y[:n_train])  # noisy labels only where we train
    mu = X[:n_train].mean(axis=0)
    sd = X[:n_train].std(axis=0) + 1e-12
    X = (X - mu) / sd
    a, b = n_train, n_train + n_val
    return Split(X[:a], y[:a], X[a:b], y[a:b], X[b:], y[b:])


def _digits_file():
    """Where scikit-learn keeps its bundled digits (found without importing scikit-learn)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"


def _load_digits():
    """The 1,797 digits as :func:`sklearn.datasets.load_digits` returns them (pixels 0-16, labels 0-9).

    The file is read directly: importing ``sklearn.datasets`` costs about a second per kernel (4 s on a
    loaded machine), more than everything else a session's setup does. If the file is not where the
    pinned scikit-learn keeps it, scikit-learn's own loader is used.
    """
    path = _digits_file()
    if path is None or not path.is_file():
        from sklearn.datasets import load_digits

        return load_digits(return_X_y=True)
    raw = np.loadtxt(path, delimiter=",")
    return raw[:, :-1], raw[:, -1].astype(int)


def digits_split(n_train=500, n_val=300, n_test=None, rng=0):
    """Split scikit-learn's bundled 8x8 handwritten digits (no download) into train/validation/test.

    The 1,797 images of :func:`sklearn.datasets.load_digits` (10 classes, 64 pixels with values 0-16)
    are shuffled with ``rng`` and cut into three disjoint sets. Pixels are divided by 16, so every
    input lies in [0, 1] and an image can be shifted or flipped without rescaling
    (:mod:`reglab.augmentation`).

    Parameters
    ----------
    n_train : int, default=500
        Number of training images, >= 10.
    n_val : int, default=300
        Number of validation images, >= 1.
    n_test : int, default=None
        Number of test images, >= 1; None takes every image left.
    rng : int or numpy.random.Generator, default=0
        Seed or generator of the shuffle.

    Returns
    -------
    Split
        The three sets: inputs of shape (n, 64) (row-major 8x8 images), labels 0-9.

    Raises
    ------
    ValueError
        If the three sizes add up to more than the 1,797 images or a size is below its minimum.

    Examples
    --------
    >>> from reglab import data
    >>> split = data.digits_split(n_train=200, n_val=100, n_test=100, rng=0)
    >>> split.X_train.shape, split.n_classes, float(split.X_train.max()) <= 1.0
    ((200, 64), 10, True)
    """
    X, y = _load_digits()
    n_train = check_int(n_train, "n_train", minimum=10)
    n_val = check_int(n_val, "n_val", minimum=1)
    n_test = len(y) - n_train - n_val if n_test is None else check_int(n_test, "n_test", minimum=1)
    if n_test < 1 or n_train + n_val + n_test > len(y):
        raise ValueError(
            f"n_train + n_val + n_test must be at most {len(y)} (the digits data set has {len(y)} images), "
            f"got {n_train} + {n_val} + {n_test}"
        )
    perm = as_rng(rng).permutation(len(y))
    X, y = X[perm] / 16.0, y[perm].astype(np.intp)
    a, b, c = n_train, n_train + n_val, n_train + n_val + n_test
    return Split(X[:a], y[:a], X[a:b], y[a:b], X[b:c], y[b:c])


def random_sparse_regressions(n_problems=200, n=30, d=10, n_informative=3, rho=0.3, noise=0.5, rng=0):
    """Draw many small linear regressions whose true weights are sparse (for counting exact zeros).

    Each problem has its own design with equicorrelated Gaussian columns (correlation rho), its own
    true weights (n_informative non-zero, N(0, 1), the rest exactly 0) and Gaussian noise.

    Parameters
    ----------
    n_problems : int, default=200
        Number of problems, >= 1.
    n : int, default=30
        Examples per problem, >= 1.
    d : int, default=10
        Features per problem, >= 1.
    n_informative : int, default=3
        Non-zero true weights per problem, in [0, d].
    rho : float, default=0.3
        Correlation between features, in [0, 1).
    noise : float, default=0.5
        Standard deviation of the target noise, >= 0.
    rng : int or numpy.random.Generator, default=0
        Seed or generator.

    Returns
    -------
    X : ndarray of shape (n_problems, n, d)
        Designs.
    y : ndarray of shape (n_problems, n)
        Targets.
    w_true : ndarray of shape (n_problems, d)
        True weights.

    Raises
    ------
    ValueError
        If a count is out of range, rho is outside [0, 1) or noise < 0.

    Examples
    --------
    >>> from reglab import data
    >>> X, y, w = data.random_sparse_regressions(n_problems=4, n=6, d=3, n_informative=1, rng=0)
    >>> X.shape, y.shape, (w != 0).sum(axis=1).tolist()
    ((4, 6, 3), (4, 6), [1, 1, 1, 1])
    """
    n_problems = check_int(n_problems, "n_problems", minimum=1)
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    n_informative = check_int(n_informative, "n_informative", minimum=0, maximum=d)
    rho = check_scalar(rho, "rho", 0.0, 1.0, include_high=False)
    noise = check_nonneg_scalar(noise, "noise")
    rng = as_rng(rng)
    shared = rng.standard_normal((n_problems, n, 1))
    X = np.sqrt(rho) * shared + np.sqrt(1 - rho) * rng.standard_normal((n_problems, n, d))
    w = np.zeros((n_problems, d))
    for i in range(n_problems):
        w[i, rng.choice(d, n_informative, replace=False)] = rng.standard_normal(n_informative)
    y = np.einsum("pnd,pd->pn", X, w) + noise * rng.standard_normal((n_problems, n))
    return X, y, w
