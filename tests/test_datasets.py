"""Tests for backprop_lib.datasets: toy generators, label helpers, splitting and digits."""

from __future__ import annotations

from importlib import resources
from types import SimpleNamespace

import numpy as np
import pytest

from backprop_lib import datasets
from backprop_lib.datasets import (
    labels_from_one_hot,
    load_digits,
    moons,
    one_hot,
    spirals,
    train_test_split,
    xor,
)

# (generator, keyword arguments, expected X shape, expected Y shape)
GENERATOR_CASES = [
    (xor, {}, (2, 200), (1, 200)),
    (xor, {"m": 7, "noise": 0.0}, (2, 7), (1, 7)),
    (moons, {}, (2, 200), (1, 200)),
    (moons, {"m": 1}, (2, 1), (1, 1)),
    (spirals, {}, (2, 300), (3, 300)),
    (spirals, {"m_per_class": 4, "n_classes": 5}, (2, 20), (5, 20)),
]
GENERATORS = [xor, moons, spirals]


@pytest.mark.parametrize(("generator", "kwargs", "x_shape", "y_shape"), GENERATOR_CASES)
def test_generator_shapes_and_dtypes(generator, kwargs, x_shape, y_shape):
    X, Y = generator(**kwargs)
    assert X.shape == x_shape
    assert Y.shape == y_shape
    assert X.dtype == np.float64
    assert Y.dtype == np.float64
    assert np.all(np.isfinite(X))
    assert set(np.unique(Y)) <= {0.0, 1.0}


@pytest.mark.parametrize("generator", GENERATORS)
def test_generator_same_seed_same_data(generator):
    X1, Y1 = generator(seed=3)
    X2, Y2 = generator(seed=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)


@pytest.mark.parametrize("generator", GENERATORS)
def test_generator_seeds_differ(generator):
    X1, _ = generator(seed=0)
    X2, _ = generator(seed=1)
    assert not np.allclose(X1, X2)


@pytest.mark.parametrize("generator", GENERATORS)
def test_generator_seed_none_draws_fresh(generator):
    X1, _ = generator(seed=None)
    X2, _ = generator(seed=None)
    assert not np.allclose(X1, X2)


@pytest.mark.parametrize("generator", GENERATORS)
def test_generator_columns_shuffled(generator):
    _, Y = generator(seed=0)
    labels = Y[0] if Y.shape[0] == 1 else labels_from_one_hot(Y)
    assert not np.all(np.diff(labels) >= 0), "labels come out sorted, so columns were not shuffled"


def test_xor_noise_free_points_on_corners():
    X, Y = xor(m=40, noise=0.0)
    assert set(np.unique(X)) == {-1.0, 1.0}
    np.testing.assert_array_equal(Y[0], (X[0] * X[1] < 0).astype(float))


def test_xor_corners_balanced():
    X, Y = xor(m=200, noise=0.0)
    corners, counts = np.unique(X.T, axis=0, return_counts=True)
    assert corners.shape == (4, 2)
    np.testing.assert_array_equal(counts, [50, 50, 50, 50])
    assert Y.sum() == 100


def test_xor_labels_match_quadrant():
    # At noise 0.1 a point would need a 10-sigma draw to leave its quadrant.
    X, Y = xor(m=500, noise=0.1, seed=5)
    np.testing.assert_array_equal(Y[0], (X[0] * X[1] < 0).astype(float))


def test_xor_noise_is_coordinate_std():
    X, _ = xor(m=8000, noise=0.3, seed=2)
    residual = X - np.sign(X)
    assert abs(residual.std() - 0.3) < 0.01
    assert abs(residual.mean()) < 0.01


def test_moons_noise_free_points_on_half_circles():
    X, Y = moons(m=101, noise=0.0)
    upper = X[:, Y[0] == 0] + np.array([[0.5], [0.25]])
    lower = X[:, Y[0] == 1] + np.array([[0.5], [0.25]])
    np.testing.assert_allclose(np.hypot(upper[0], upper[1]), 1.0)
    assert np.all(upper[1] >= 0.0)
    np.testing.assert_allclose(np.hypot(lower[0] - 1.0, lower[1] - 0.5), 1.0)
    assert np.all(lower[1] <= 0.5)


def test_moons_balance_odd_and_even():
    _, Y_even = moons(m=200)
    _, Y_odd = moons(m=201)
    assert Y_even.sum() == 100
    assert Y_odd.sum() == 100
    assert (Y_odd == 0).sum() == 101


def test_moons_noise_free_box_centred():
    X, _ = moons(m=2000, noise=0.0)
    assert X[0].min() >= -1.5
    assert X[0].max() <= 1.5
    assert X[1].min() >= -0.75
    assert X[1].max() <= 0.75


def test_spirals_one_hot_and_balanced():
    _, Y = spirals(m_per_class=30, n_classes=4)
    np.testing.assert_array_equal(Y.sum(axis=0), np.ones(120))
    np.testing.assert_array_equal(Y.sum(axis=1), [30, 30, 30, 30])


def test_spirals_noise_free_points_on_arms():
    n_classes = 3
    X, Y = spirals(m_per_class=50, n_classes=n_classes, noise=0.0)
    radius = np.hypot(X[0], X[1])
    assert radius.min() == pytest.approx(0.1)
    assert radius.max() == pytest.approx(1.0)

    # Undo the winding (0.75 turns per unit radius) to recover each arm's start angle.
    start_angle = np.mod(np.arctan2(X[1], X[0]) - 2 * np.pi * 0.75 * radius, 2 * np.pi)
    arm = np.round(start_angle / (2 * np.pi / n_classes)).astype(int) % n_classes
    np.testing.assert_array_equal(arm, labels_from_one_hot(Y))


def test_spirals_noise_keeps_radius():
    X_clean, _ = spirals(noise=0.0, seed=4)
    X_noisy, _ = spirals(noise=0.5, seed=4)
    np.testing.assert_allclose(np.hypot(X_noisy[0], X_noisy[1]), np.hypot(X_clean[0], X_clean[1]))
    assert not np.allclose(X_noisy, X_clean)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: xor(m=0), r"m must be a positive integer, got 0"),
        (lambda: xor(m=2.5), r"m must be a positive integer, got 2\.5"),
        (lambda: moons(m=True), r"m must be a positive integer, got True"),
        (lambda: xor(noise=-0.1), r"noise must be a finite number >= 0, got -0\.1; pass 0"),
        (lambda: moons(noise=float("nan")), r"noise must be a finite number >= 0, got nan"),
        (lambda: spirals(noise="0.2"), r"noise must be a non-negative number, got '0\.2'"),
        (lambda: xor(seed=-1), r"seed must be None or a non-negative integer, got -1"),
        (lambda: moons(seed=1.5), r"seed must be None or a non-negative integer, got 1\.5"),
        (lambda: spirals(n_classes=1), r"n_classes must be at least 2, got 1"),
        (lambda: spirals(m_per_class=0), r"m_per_class must be a positive integer, got 0"),
    ],
)
def test_generator_bad_arguments(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_one_hot_values():
    Y = one_hot(np.array([2, 0, 1, 2]))
    expected = np.array(
        [
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [1.0, 0.0, 0.0, 1.0],
        ]
    )
    np.testing.assert_array_equal(Y, expected)
    assert Y.dtype == np.float64


def test_one_hot_explicit_n_classes():
    Y = one_hot([0, 1], n_classes=4)
    assert Y.shape == (4, 2)
    np.testing.assert_array_equal(Y[2:], 0.0)


def test_one_hot_accepts_unsigned_labels():
    Y = one_hot(np.array([3, 1], dtype=np.uint8))
    assert Y.shape == (4, 2)
    assert Y[3, 0] == 1.0


def test_one_hot_round_trip():
    labels = np.random.default_rng(0).integers(0, 7, size=50)
    np.testing.assert_array_equal(labels_from_one_hot(one_hot(labels, 7)), labels)


@pytest.mark.parametrize(
    ("labels", "n_classes", "pattern"),
    [
        (np.array([[0, 1]]), None, r"labels must be 1-D .* got shape \(1, 2\); flatten"),
        (np.array([], dtype=int), None, r"labels is empty"),
        (np.array([0.0, 1.0]), None, r"labels must contain integers, .*labels\.astype\(int\)"),
        (np.array([True, False]), None, r"labels must contain integers"),
        (np.array([0, -1]), None, r"labels must be >= 0, got minimum -1"),
        (np.array([0, 3]), 3, r"labels contains 3, .* n_classes=3; pass n_classes=4"),
        (np.array([0, 1]), 0, r"n_classes must be a positive integer, got 0"),
    ],
)
def test_one_hot_bad_arguments(labels, n_classes, pattern):
    with pytest.raises(ValueError, match=pattern):
        one_hot(labels, n_classes)


def test_labels_from_one_hot_scores():
    scores = np.array([[0.2, 0.5, 0.1], [0.7, 0.5, 0.1], [0.1, 0.0, 0.8]])
    labels = labels_from_one_hot(scores)
    np.testing.assert_array_equal(labels, [1, 0, 2])
    assert labels.dtype == np.int64


def test_labels_from_one_hot_single_row():
    with pytest.raises(ValueError, match=r"Y has one row \(shape \(1, 3\)\).*Y\[0\] >= 0\.5"):
        labels_from_one_hot(np.array([[0.1, 0.9, 0.4]]))


def _indexed_data(m):
    """Return X whose column i is (i, 2i) and Y whose column i is (-i), to trace columns."""
    index = np.arange(m, dtype=float)
    return np.vstack([index, 2 * index]), -index.reshape(1, m)


def test_split_shapes_default_fraction():
    X, Y = _indexed_data(200)
    X_train, Y_train, X_test, Y_test = train_test_split(X, Y)
    assert X_train.shape == (2, 160)
    assert Y_train.shape == (1, 160)
    assert X_test.shape == (2, 40)
    assert Y_test.shape == (1, 40)


def test_split_partitions_columns():
    X, Y = _indexed_data(50)
    X_train, _, X_test, _ = train_test_split(X, Y, test_fraction=0.3, seed=2)
    train_ids = set(X_train[0].astype(int))
    test_ids = set(X_test[0].astype(int))
    assert train_ids.isdisjoint(test_ids)
    assert train_ids | test_ids == set(range(50))


def test_split_keeps_columns_paired():
    X, Y = _indexed_data(50)
    X_train, Y_train, X_test, Y_test = train_test_split(X, Y, seed=3)
    np.testing.assert_array_equal(X_train[1], 2 * X_train[0])
    np.testing.assert_array_equal(Y_train[0], -X_train[0])
    np.testing.assert_array_equal(Y_test[0], -X_test[0])


def test_split_shuffles_columns():
    X, Y = _indexed_data(100)
    X_train, _, _, _ = train_test_split(X, Y)
    assert not np.all(np.diff(X_train[0]) > 0)


def test_split_reproducible_and_seed_dependent():
    X, Y = _indexed_data(100)
    first = train_test_split(X, Y, seed=7)
    second = train_test_split(X, Y, seed=7)
    other = train_test_split(X, Y, seed=8)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[2], other[2])


def test_split_returns_copies():
    X, Y = _indexed_data(10)
    X_train, Y_train, X_test, Y_test = train_test_split(X, Y)
    for part in (X_train, X_test):
        assert not np.shares_memory(part, X)
    for part in (Y_train, Y_test):
        assert not np.shares_memory(part, Y)


@pytest.mark.parametrize(
    ("m", "fraction", "n_test"),
    [
        (10, 0.25, 3),  # 2.5 rounds half up
        (10, 0.24, 2),
        (30, 0.1, 3),
        (2, 0.01, 1),  # at least one test column
        (2, 0.99, 1),  # at least one training column
    ],
)
def test_split_test_size_rounding(m, fraction, n_test):
    X, Y = _indexed_data(m)
    X_train, _, X_test, _ = train_test_split(X, Y, test_fraction=fraction)
    assert X_test.shape[1] == n_test
    assert X_train.shape[1] == m - n_test


def test_split_accepts_one_hot_digits():
    X, labels = load_digits()
    X_train, Y_train, X_test, Y_test = train_test_split(X, one_hot(labels), test_fraction=0.25)
    assert X_train.shape == (64, 1348)
    assert Y_train.shape == (10, 1348)
    assert X_test.shape == (64, 449)
    assert Y_test.shape == (10, 449)


@pytest.mark.parametrize(
    ("X", "Y", "kwargs", "pattern"),
    [
        (np.zeros((2, 5)), np.zeros((1, 4)), {}, r"same number of columns .*\(2, 5\).*\(1, 4\)"),
        (np.zeros((2, 1)), np.zeros((1, 1)), {}, r"X has 1 example .*at least 2 columns"),
        (np.zeros((2, 5)), np.zeros(5), {}, r"Y must be 2-D .*shape \(5,\); .*one_hot\(labels\)"),
        (np.zeros(5), np.zeros((1, 5)), {}, r"X must be 2-D"),
        (np.zeros((2, 5)), np.zeros((1, 5)), {"test_fraction": 0}, r"test_fraction must be"),
        (np.zeros((2, 5)), np.zeros((1, 5)), {"test_fraction": 1.0}, r"between 0 and 1 .*1\.0"),
        (np.zeros((2, 5)), np.zeros((1, 5)), {"test_fraction": -0.2}, r"test_fraction must be"),
        (np.zeros((2, 5)), np.zeros((1, 5)), {"seed": "a"}, r"seed must be None or"),
        (np.full((2, 5), np.nan), np.zeros((1, 5)), {}, r"X contains NaN"),
    ],
)
def test_split_bad_arguments(X, Y, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        train_test_split(X, Y, **kwargs)


def test_digits_shapes_and_dtypes():
    X, labels = load_digits()
    assert X.shape == (64, 1797)
    assert X.dtype == np.float64
    assert X.flags.c_contiguous
    assert labels.shape == (1797,)
    assert labels.dtype == np.int64


def test_digits_pixel_range():
    X, _ = load_digits()
    assert X.min() == 0.0
    assert X.max() == 1.0
    pixel_levels = X * 16
    np.testing.assert_array_equal(pixel_levels, np.round(pixel_levels))
    # All 17 levels 0..16 occur in the data.
    np.testing.assert_array_equal(np.unique(pixel_levels), np.arange(17))


def test_digits_class_counts():
    _, labels = load_digits()
    np.testing.assert_array_equal(np.unique(labels), np.arange(10))
    np.testing.assert_array_equal(
        np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    )


def test_digits_known_images():
    # Values checked against sklearn.datasets.load_digits() from scikit-learn 1.9.1.
    X, labels = load_digits()
    pixels = np.round(X * 16).astype(int)
    np.testing.assert_array_equal(labels[:10], np.arange(10))
    np.testing.assert_array_equal(labels[-5:], [9, 0, 8, 9, 8])
    np.testing.assert_array_equal(pixels[:, 0].reshape(8, 8)[1], [0, 0, 13, 15, 10, 15, 5, 0])
    np.testing.assert_array_equal(pixels[:, -1].reshape(8, 8)[0], [0, 0, 10, 14, 8, 1, 0, 0])
    assert pixels.sum() == 561718
    # The top-left pixel is blank in every image.
    assert pixels[0].max() == 0


def test_digits_fresh_arrays_each_call():
    X, labels = load_digits()
    X[:] = -1.0
    labels[:] = -1
    X_again, labels_again = load_digits()
    assert X_again.min() == 0.0
    assert labels_again.min() == 0


def test_digits_file_format():
    data_files = resources.files("backprop_lib.data")
    with data_files.joinpath("digits.npz").open("rb") as handle:
        with np.load(handle, allow_pickle=False) as archive:
            assert sorted(archive.files) == ["labels", "pixels"]
            assert archive["pixels"].dtype == np.uint8
            assert archive["pixels"].shape == (1797, 64)
            assert archive["labels"].dtype == np.uint8
    assert data_files.joinpath("DIGITS.md").is_file()


def test_digits_invalid_file_reported(monkeypatch, tmp_path):
    invalid_file = tmp_path / "digits.npz"
    np.savez_compressed(invalid_file, pixels=np.zeros((10, 64), np.uint8), labels=np.zeros(10, np.uint8))

    # Point the loader's package lookup at tmp_path, which holds only the invalid file.
    monkeypatch.setattr(datasets, "resources", SimpleNamespace(files=lambda package: tmp_path))
    with pytest.raises(OSError, match=r"is invalid: pixels has shape \(10, 64\)"):
        load_digits()
