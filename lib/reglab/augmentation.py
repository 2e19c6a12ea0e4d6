"""Session 6 data augmentation on real images: which transformations keep the label.

Augmentation adds transformed copies of the training images, labelled as the originals; that is
only right for transformations that keep the label. On the 8x8 digits of
:func:`reglab.data.digits_split`, a one-pixel shift keeps every digit, while a flip turns many
digits into other digits (a vertically flipped 2 reads as a 5). :func:`label_preservation`
measures this with a 1-nearest-neighbour reader, a classifier with no learned parameters.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_int, check_labels, check_option, check_same_length

__all__ = [
    "shift_images",
    "flip_images",
    "nearest_neighbor_classify",
    "shift_augment",
    "label_preservation",
]

IMAGE_SHAPE = (8, 8)
_FLIPS = {"horizontal": "mirror left-right", "vertical": "mirror top-bottom"}


def _check_images(X, name="X"):
    X = as_float_array(X, name, ndim=2)
    if X.shape[1] != IMAGE_SHAPE[0] * IMAGE_SHAPE[1]:
        raise ValueError(f"{name} must have 64 columns (row-major 8x8 images), got {X.shape[1]}")
    return X


def _shift(X, dx, dy):
    h, w = IMAGE_SHAPE
    img = X.reshape(-1, h, w)
    out = np.zeros_like(img)
    out[:, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = img[
        :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out.reshape(len(X), -1)


def shift_images(X, dx, dy):
    """Shift 8x8 images by whole pixels, filling the uncovered border with 0 (background).

    Parameters
    ----------
    X : array-like of shape (n_images, 64)
        Row-major 8x8 images.
    dx : int
        Pixels to the right (negative: to the left), in [-7, 7].
    dy : int
        Pixels down (negative: up), in [-7, 7].

    Returns
    -------
    ndarray of shape (n_images, 64)
        The shifted images; pixels moved past the border are lost.

    Raises
    ------
    ValueError
        If X does not have 64 columns or a shift is outside [-7, 7].

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import augmentation
    >>> img = np.zeros((1, 64)); img[0, 0] = 1.0  # top-left pixel
    >>> int(np.flatnonzero(augmentation.shift_images(img, dx=1, dy=2))[0])  # row 2, column 1
    17
    """
    X = _check_images(X)
    dx = check_int(dx, "dx", minimum=-7, maximum=7)
    dy = check_int(dy, "dy", minimum=-7, maximum=7)
    return _shift(X, dx, dy)


def _flip(X, direction):
    img = X.reshape(-1, *IMAGE_SHAPE)
    img = img[:, :, ::-1] if direction == "horizontal" else img[:, ::-1, :]
    return img.reshape(len(X), -1).copy()


def flip_images(X, direction):
    """Mirror 8x8 images left-right ("horizontal") or top-bottom ("vertical").

    Parameters
    ----------
    X : array-like of shape (n_images, 64)
        Row-major 8x8 images.
    direction : {"horizontal", "vertical"}
        Which mirror.

    Returns
    -------
    ndarray of shape (n_images, 64)
        The mirrored images.

    Raises
    ------
    ValueError
        If X does not have 64 columns or direction is not one of the two.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import augmentation
    >>> img = np.arange(64.0)[None]
    >>> augmentation.flip_images(img, "horizontal")[0, :3]
    array([7., 6., 5.])
    """
    X = _check_images(X)
    direction = check_option(direction, "direction", _FLIPS)
    return _flip(X, direction)


def _nearest(X_ref, y_ref, X):
    d2 = np.sum(X * X, axis=1)[:, None] - 2.0 * X @ X_ref.T + np.sum(X_ref * X_ref, axis=1)[None, :]
    return y_ref[np.argmin(d2, axis=1)]


def nearest_neighbor_classify(X_ref, y_ref, X):
    """Classify each row of X with the label of its nearest reference row (Euclidean distance).

    1-nearest-neighbour classification against labelled references given directly (for 1-D regression with a
    fitted model, see :func:`reglab.ensembles.nearest_neighbor_regress`).

    Parameters
    ----------
    X_ref : array-like of shape (n_ref, n_features)
        Labelled reference examples.
    y_ref : array-like of shape (n_ref,)
        Their integer labels (>= 0).
    X : array-like of shape (n_samples, n_features)
        Examples to label.

    Returns
    -------
    ndarray of shape (n_samples,)
        The predicted labels.

    Raises
    ------
    ValueError
        If X_ref and y_ref have different lengths or the feature counts differ.

    Examples
    --------
    >>> from reglab import augmentation
    >>> augmentation.nearest_neighbor_classify([[0.0], [1.0]], [3, 7], [[0.2], [0.9]])
    array([3, 7])
    """
    X_ref = as_float_array(X_ref, "X_ref", ndim=2)
    X = as_float_array(X, "X", ndim=2)
    y_ref = np.asarray(y_ref)
    y_ref = check_labels(y_ref, int(y_ref.max()) + 1 if y_ref.size else 1, "y_ref")
    check_same_length(X_ref, y_ref, "X_ref", "y_ref")
    if X.shape[1] != X_ref.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but X_ref has {X_ref.shape[1]}")
    return _nearest(X_ref, y_ref, X)


_SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def _shift_augment(X, y):
    return np.vstack([X] + [_shift(X, dx, dy) for dx, dy in _SHIFTS]), np.tile(y, 1 + len(_SHIFTS))


def shift_augment(X, y):
    """Augment a training set with its four one-pixel shifts (right, left, down, up), labels unchanged.

    Parameters
    ----------
    X : array-like of shape (n_images, 64)
        Row-major 8x8 images.
    y : array-like of shape (n_images,)
        Their integer labels.

    Returns
    -------
    X_aug : ndarray of shape (5 * n_images, 64)
        The originals, then each shifted copy.
    y_aug : ndarray of shape (5 * n_images,)
        The labels, repeated.

    Raises
    ------
    ValueError
        If X does not have 64 columns or X and y have different lengths.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import augmentation
    >>> X_aug, y_aug = augmentation.shift_augment(np.ones((3, 64)), [0, 1, 2])
    >>> X_aug.shape, y_aug[3:6]
    ((15, 64), array([0, 1, 2]))
    """
    X = _check_images(X)
    y = np.asarray(y)
    y = check_labels(y, int(y.max()) + 1 if y.size else 1)
    check_same_length(X, y)
    return _shift_augment(X, y)


def label_preservation(split, shift_tolerant=True):
    """Measure how often a transformation keeps a digit's label, read by a 1-nearest-neighbour reader.

    The reader labels each transformed test image by its nearest training image. With
    ``shift_tolerant`` the training images are augmented with their one-pixel shifts first
    (:func:`shift_augment`), so the reader, like a person, is not thrown by a one-pixel move; without
    it the same comparison shows how little a plain nearest-neighbour rule tolerates a shift.

    Parameters
    ----------
    split : reglab.data.Split
        Digits, e.g. :func:`reglab.data.digits_split`.
    shift_tolerant : bool, default=True
        Give the reader the one-pixel shifts of its training images.

    Returns
    -------
    dict
        Transformation name (``"none"``, ``"shift right 1"``, ``"shift down 1"``, ``"flip horizontal"``,
        ``"flip vertical"``) -> dict with ``accuracy`` (float: fraction of transformed test images read
        as their original label), ``kept`` (ndarray of shape (10,): that fraction per class) and
        ``read_as`` (ndarray of shape (10,): the label each class is most often read as).

    Raises
    ------
    ValueError
        If the split's images do not have 64 columns.

    Examples
    --------
    >>> from reglab import augmentation, data
    >>> res = augmentation.label_preservation(data.digits_split(n_train=300, n_val=1, n_test=300, rng=0))
    >>> res["shift right 1"]["accuracy"] > 0.9 > 0.5 > res["flip vertical"]["accuracy"]
    True
    """
    X_ref, y_ref = _check_images(split.X_train, "X_train"), np.asarray(split.y_train)
    X_test, y_test = _check_images(split.X_test, "X_test"), np.asarray(split.y_test)
    if shift_tolerant:
        X_ref, y_ref = _shift_augment(X_ref, y_ref)
    transforms = {
        "none": lambda X: X,
        "shift right 1": lambda X: _shift(X, 1, 0),
        "shift down 1": lambda X: _shift(X, 0, 1),
        "flip horizontal": lambda X: _flip(X, "horizontal"),
        "flip vertical": lambda X: _flip(X, "vertical"),
    }
    n_classes = int(max(y_ref.max(), y_test.max())) + 1
    out = {}
    for name, transform in transforms.items():
        pred = _nearest(X_ref, y_ref, transform(X_test))
        kept = np.array([np.mean(pred[y_test == c] == c) if np.any(y_test == c) else np.nan for c in range(n_classes)])
        read_as = np.array(
            [np.bincount(pred[y_test == c], minlength=n_classes).argmax() if np.any(y_test == c) else -1
             for c in range(n_classes)]
        )
        out[name] = {"accuracy": float(np.mean(pred == y_test)), "kept": kept, "read_as": read_as}
    return out
