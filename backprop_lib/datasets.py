"""Small data sets for the exercises: 2-D toy problems and the 8x8 digits.

Every function follows the library convention that examples are columns:
``X`` has shape ``(n_features, m)`` and ``Y`` has shape ``(n_outputs, m)``,
both float64. The toy generators draw from ``np.random.default_rng(seed)``,
so the same seed returns the same arrays within one NumPy version. NumPy does
not promise the same random stream across versions, so do not hard-code
generated values in tests.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from backprop_lib._validation import (
    as_float_matrix,
    check_positive_float,
    check_positive_int,
    check_seed,
    describe,
)

__all__ = [
    "xor",
    "spirals",
    "moons",
    "one_hot",
    "labels_from_one_hot",
    "train_test_split",
    "load_digits",
]

# Number of turns each spiral arm makes between radius 0.1 and radius 1.
_SPIRAL_TURNS = 0.75

_DIGITS_FILE = "digits.npz"
_DIGITS_COUNT = 1797
_DIGITS_PIXELS = 64
# Each pixel counts the "on" pixels in a 4x4 block of the 32x32 scan, so 16 is the maximum.
_DIGITS_MAX_PIXEL = 16


def _check_noise(value: object) -> float:
    """Return ``value`` as a float if it is finite and >= 0, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(
            f"noise must be a non-negative number, got {describe(value)}; pass a float such as 0.1."
        )
    if not np.isfinite(value) or value < 0:
        raise ValueError(
            f"noise must be a finite number >= 0, got {value!r}; pass 0 for noise-free points."
        )
    return float(value)


def xor(m: int = 200, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Generate the XOR problem: noisy points around the corners (±1, ±1).

    Point ``i`` is drawn around corner ``i % 4`` before the columns are
    shuffled, so each corner gets ``m // 4`` or ``m // 4 + 1`` points. A point's label comes from the
    corner it was drawn around: 1 when the corner's two coordinates have
    different signs, 0 otherwise. With large ``noise`` some points cross into
    a neighbouring quadrant and keep the label of their corner.

    Parameters
    ----------
    m : int, default 200
        Number of examples (columns).
    noise : float, default 0.1
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int or None, default 0
        Seed for ``np.random.default_rng``; None draws fresh randomness.

    Returns
    -------
    X : ndarray, shape (2, m)
        Point coordinates, float64.
    Y : ndarray, shape (1, m)
        Labels 0.0 or 1.0, float64.

    Examples
    --------
    >>> X, Y = xor(m=8, seed=1)
    >>> X.shape, Y.shape
    ((2, 8), (1, 8))
    >>> int(Y.sum())
    4
    """
    m = check_positive_int("m", m)
    noise = _check_noise(noise)
    seed = check_seed("seed", seed)
    rng = np.random.default_rng(seed)

    corners = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    corner_index = rng.permutation(np.arange(m) % 4)
    centres = corners[corner_index].T

    X = centres + noise * rng.standard_normal((2, m))
    Y = (centres[0] != centres[1]).astype(np.float64).reshape(1, m)
    return X, Y


def spirals(
    m_per_class: int = 100,
    n_classes: int = 3,
    noise: float = 0.2,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Generate interleaved spiral arms, one arm per class.

    Arm ``k`` starts at angle ``2 * pi * k / n_classes`` and winds outwards
    from radius 0.1 to radius 1, making three quarters of a turn. Its points
    are evenly spaced in radius. The noise shifts each point's angle, so it
    moves a point along its circle and never changes its radius. The columns
    are returned in shuffled order.

    Parameters
    ----------
    m_per_class : int, default 100
        Number of points on each arm.
    n_classes : int, default 3
        Number of arms, at least 2.
    noise : float, default 0.2
        Standard deviation, in radians, of the Gaussian noise added to each
        point's angle.
    seed : int or None, default 0
        Seed for ``np.random.default_rng``; None draws fresh randomness.

    Returns
    -------
    X : ndarray, shape (2, m_per_class * n_classes)
        Point coordinates, float64, inside the unit disc.
    Y : ndarray, shape (n_classes, m_per_class * n_classes)
        One-hot labels, float64.

    Examples
    --------
    >>> X, Y = spirals(m_per_class=5, n_classes=4, seed=1)
    >>> X.shape, Y.shape
    ((2, 20), (4, 20))
    >>> Y.sum(axis=1)
    array([5., 5., 5., 5.])
    """
    m_per_class = check_positive_int("m_per_class", m_per_class)
    n_classes = check_positive_int("n_classes", n_classes)
    if n_classes < 2:
        raise ValueError(
            f"n_classes must be at least 2, got {n_classes}; a classifier needs two or more classes."
        )
    noise = _check_noise(noise)
    seed = check_seed("seed", seed)
    rng = np.random.default_rng(seed)

    radius = np.tile(np.linspace(0.1, 1.0, m_per_class), n_classes)
    labels = np.repeat(np.arange(n_classes), m_per_class)
    angle = 2.0 * np.pi * (labels / n_classes + _SPIRAL_TURNS * radius)
    angle += noise * rng.standard_normal(angle.shape)

    order = rng.permutation(labels.size)
    radius, angle, labels = radius[order], angle[order], labels[order]

    X = np.vstack([radius * np.cos(angle), radius * np.sin(angle)])
    Y = one_hot(labels, n_classes)
    return X, Y


def moons(m: int = 200, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Generate two interleaving half circles.

    Class 0 is the upper half of the unit circle around (0, 0). Class 1 is
    the lower half of the unit circle around (1, 0.5). Angles are drawn
    uniformly, and both shapes are then shifted by (-0.5, -0.25) so that the
    noise-free points lie inside the box [-1.5, 1.5] x [-0.75, 0.75]. Class 0
    receives the extra point when ``m`` is odd. The columns are returned in
    shuffled order.

    Parameters
    ----------
    m : int, default 200
        Number of examples (columns).
    noise : float, default 0.1
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int or None, default 0
        Seed for ``np.random.default_rng``; None draws fresh randomness.

    Returns
    -------
    X : ndarray, shape (2, m)
        Point coordinates, float64.
    Y : ndarray, shape (1, m)
        Labels 0.0 or 1.0, float64.

    Examples
    --------
    >>> X, Y = moons(m=9, seed=1)
    >>> X.shape, Y.shape
    ((2, 9), (1, 9))
    >>> int(Y.sum())
    4
    """
    m = check_positive_int("m", m)
    noise = _check_noise(noise)
    seed = check_seed("seed", seed)
    rng = np.random.default_rng(seed)

    n_upper = (m + 1) // 2
    n_lower = m // 2
    upper_angle = rng.uniform(0.0, np.pi, n_upper)
    lower_angle = rng.uniform(0.0, np.pi, n_lower)
    upper = np.vstack([np.cos(upper_angle), np.sin(upper_angle)])
    lower = np.vstack([1.0 - np.cos(lower_angle), 0.5 - np.sin(lower_angle)])

    X = np.hstack([upper, lower]) - np.array([[0.5], [0.25]])
    X += noise * rng.standard_normal(X.shape)
    labels = np.concatenate([np.zeros(n_upper), np.ones(n_lower)])

    order = rng.permutation(m)
    return X[:, order], labels[order].reshape(1, m)


def one_hot(labels: object, n_classes: int | None = None) -> np.ndarray:
    """Convert integer class labels to one-hot columns.

    Parameters
    ----------
    labels : array_like of int, shape (m,)
        Class labels in ``0 .. n_classes - 1``.
    n_classes : int, optional
        Number of rows of the result. Defaults to ``max(labels) + 1``. Pass it
        when a batch may lack the highest class.

    Returns
    -------
    Y : ndarray, shape (n_classes, m)
        Float64 array with ``Y[labels[i], i] == 1`` and zeros elsewhere.

    Examples
    --------
    >>> one_hot([2, 0, 1])
    array([[0., 1., 0.],
           [0., 0., 1.],
           [1., 0., 0.]])
    >>> one_hot([0, 1], n_classes=3).shape
    (3, 2)
    """
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(
            f"labels must be 1-D with one integer per example, got shape {array.shape}; "
            f"flatten a (1, m) or (m, 1) array with labels.ravel()."
        )
    if array.size == 0:
        raise ValueError("labels is empty; pass at least one label.")
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"labels must contain integers, got {describe(labels)}; "
            f"convert whole-number floats with labels.astype(int)."
        )
    if array.min() < 0:
        raise ValueError(
            f"labels must be >= 0, got minimum {int(array.min())}; "
            f"class labels run from 0 to n_classes - 1."
        )

    max_label = int(array.max())
    if n_classes is None:
        n_classes = max_label + 1
    else:
        n_classes = check_positive_int("n_classes", n_classes)
        if max_label >= n_classes:
            raise ValueError(
                f"labels contains {max_label}, which is out of range for n_classes={n_classes}; "
                f"pass n_classes={max_label + 1} or more, or omit it."
            )

    Y = np.zeros((n_classes, array.size))
    Y[array, np.arange(array.size)] = 1.0
    return Y


def labels_from_one_hot(Y: object) -> np.ndarray:
    """Convert one-hot columns, or class scores, to integer labels.

    Each label is the row index of the largest value in its column. Ties go
    to the lowest row index, as in ``np.argmax``. The same call turns softmax
    probabilities into predicted classes.

    Parameters
    ----------
    Y : array_like, shape (n_classes, m)
        One-hot labels or class scores, with ``n_classes >= 2``.

    Returns
    -------
    labels : ndarray of int64, shape (m,)

    Examples
    --------
    >>> labels_from_one_hot([[0.1, 0.7], [0.9, 0.3]])
    array([1, 0])
    """
    Y = as_float_matrix("Y", Y)
    if Y.shape[0] == 1:
        raise ValueError(
            f"Y has one row (shape {Y.shape}), so it stores binary outputs, not one-hot columns; "
            f"use (Y[0] >= 0.5).astype(np.int64) for 0/1 labels."
        )
    return np.argmax(Y, axis=0).astype(np.int64)


def train_test_split(
    X: object,
    Y: object,
    test_fraction: float = 0.2,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split the columns of ``X`` and ``Y`` into a shuffled training and test part.

    The test part gets ``test_fraction * m`` columns, rounded half up and kept
    between 1 and ``m - 1`` so neither part is empty. The split is not
    stratified, so class proportions in each part vary with the seed.

    Parameters
    ----------
    X : array_like, shape (n_features, m)
        Inputs, one example per column.
    Y : array_like, shape (n_outputs, m)
        Targets for the same columns. For integer labels of shape (m,), pass
        ``one_hot(labels)`` or ``labels.reshape(1, -1)``.
    test_fraction : float, default 0.2
        Fraction of the columns to put in the test part, strictly between 0
        and 1.
    seed : int or None, default 0
        Seed for ``np.random.default_rng``; None draws fresh randomness.

    Returns
    -------
    X_train : ndarray, shape (n_features, m - n_test)
    Y_train : ndarray, shape (n_outputs, m - n_test)
    X_test : ndarray, shape (n_features, n_test)
    Y_test : ndarray, shape (n_outputs, n_test)
        New float64 arrays, with columns in shuffled order.

    Examples
    --------
    >>> X, Y = xor(m=10)
    >>> X_train, Y_train, X_test, Y_test = train_test_split(X, Y, test_fraction=0.3)
    >>> X_train.shape, Y_train.shape, X_test.shape, Y_test.shape
    ((2, 7), (1, 7), (2, 3), (1, 3))
    """
    if isinstance(Y, np.ndarray) and Y.ndim == 1:
        raise ValueError(
            f"Y must be 2-D with one example per column, got shape {Y.shape}; "
            f"for integer labels pass one_hot(labels), or labels.reshape(1, -1) to keep one row."
        )
    X = as_float_matrix("X", X)
    Y = as_float_matrix("Y", Y)
    m = X.shape[1]
    if Y.shape[1] != m:
        raise ValueError(
            f"X and Y must have the same number of columns (examples), got X shape {X.shape} "
            f"and Y shape {Y.shape}; column i of Y must be the target for column i of X."
        )
    if m < 2:
        raise ValueError(
            f"X has {m} example (shape {X.shape}); pass at least 2 columns so that both the "
            f"training and the test part get one."
        )

    test_fraction = check_positive_float("test_fraction", test_fraction)
    if test_fraction >= 1.0:
        raise ValueError(
            f"test_fraction must be between 0 and 1 (exclusive), got {test_fraction!r}; "
            f"for example 0.2 keeps a fifth of the columns for testing."
        )
    seed = check_seed("seed", seed)
    rng = np.random.default_rng(seed)

    n_test = int(np.floor(test_fraction * m + 0.5))
    n_test = min(max(n_test, 1), m - 1)
    order = rng.permutation(m)
    test_columns = order[:n_test]
    train_columns = order[n_test:]
    return X[:, train_columns], Y[:, train_columns], X[:, test_columns], Y[:, test_columns]


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Load the 1,797 handwritten digits (8x8 pixels) shipped with the library.

    The images come from the test part of the UCI "Optical Recognition of
    Handwritten Digits" data set by E. Alpaydin and C. Kaynak (1998),
    https://doi.org/10.24432/C50P49, licensed CC BY 4.0. The file is read
    from the installed package; nothing is downloaded. ``backprop_lib/data/DIGITS.md``
    describes how the file was made.

    Returns
    -------
    X : ndarray, shape (64, 1797)
        Float64 pixel values in [0, 1], one image per column. Each stored
        pixel (an integer 0 to 16) is divided by 16. ``X[:, i].reshape(8, 8)``
        is image ``i`` with its rows from top to bottom.
    labels : ndarray of int64, shape (1797,)
        The digit shown in each image, 0 to 9. Use ``one_hot(labels)`` for a
        (10, 1797) target matrix.

    Raises
    ------
    OSError
        If the data file is missing (``FileNotFoundError``) or its arrays have
        the wrong shape.

    Examples
    --------
    >>> X, labels = load_digits()
    >>> X.shape, labels.shape, labels.dtype
    ((64, 1797), (1797,), dtype('int64'))
    >>> labels[:10]
    array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> (16 * X[:, 0].reshape(8, 8)[0]).astype(int)
    array([ 0,  0,  5, 13,  9,  1,  0,  0])
    """
    resource = resources.files("backprop_lib.data").joinpath(_DIGITS_FILE)
    with resource.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:
        pixels = archive["pixels"]
        labels = archive["labels"]

    if pixels.shape != (_DIGITS_COUNT, _DIGITS_PIXELS) or labels.shape != (_DIGITS_COUNT,):
        raise OSError(
            f"{resource} is invalid: pixels has shape {pixels.shape} and labels has shape "
            f"{labels.shape}, expected ({_DIGITS_COUNT}, {_DIGITS_PIXELS}) and ({_DIGITS_COUNT},); "
            f"reinstall backprop-course to restore the file."
        )

    X = np.ascontiguousarray(pixels.T, dtype=np.float64) / _DIGITS_MAX_PIXEL
    return X, labels.astype(np.int64)
