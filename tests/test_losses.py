"""Tests for backprop_lib.losses.

Loss values are checked against numbers derived by hand in the comments,
and derivatives against float64 centered differences computed here.
"""

import math
import warnings

import numpy as np
import pytest

from backprop_lib.losses import (
    FUSED_OUTPUT_LOSSES,
    LOSSES,
    binary_cross_entropy,
    binary_cross_entropy_delta,
    binary_cross_entropy_from_logits,
    binary_cross_entropy_prime,
    cross_entropy,
    cross_entropy_delta,
    cross_entropy_from_logits,
    cross_entropy_prime,
    mse,
    mse_prime,
)

STEP = 1e-6


def gradient_of_scalar(loss, x):
    """Return ∂loss/∂x by centered differences, perturbing one entry at a time."""
    point = np.array(x, dtype=np.float64)
    gradient = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + STEP
        loss_plus = loss(point)
        point[index] = original - STEP
        loss_minus = loss(point)
        point[index] = original
        gradient[index] = (loss_plus - loss_minus) / (2.0 * STEP)
    return gradient


def assert_close_to_finite_differences(analytic, numerical):
    """Assert |analytic − numerical| ≤ 1e-7 + 1e-5·|numerical| entry by entry."""
    error = np.abs(analytic - numerical)
    bound = 1e-7 + 1e-5 * np.abs(numerical)
    assert analytic.shape == numerical.shape
    assert np.all(error <= bound), f"max error {error.max():.3e}, entries over bound: {np.argwhere(error > bound)}"


def reference_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def reference_softmax(z):
    exp_z = np.exp(z)
    return exp_z / exp_z.sum(axis=0, keepdims=True)


# ---------------------------------------------------------------- loss values


def test_mse_hand_value():
    # The residuals are [[1, 0], [2, 3]], so the squares sum to 14 and L = 14 / (2·2).
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([[0.0, 2.0], [1.0, 1.0]])

    value = mse(a, y)

    assert type(value) is float
    assert value == 3.5


def test_mse_averages_over_columns():
    # Each of the 4 columns has residual 2, so L = 4·4 / (2·4) = 2.
    a = np.full((1, 4), 3.0)
    y = np.ones((1, 4))

    assert mse(a, y) == 2.0


def test_binary_cross_entropy_hand_value():
    # L = −(log 0.5 + log(1 − 0.25)) / 2 = (log 2 + log(4/3)) / 2.
    a = np.array([[0.5, 0.25]])
    y = np.array([[1.0, 0.0]])

    value = binary_cross_entropy(a, y)

    assert type(value) is float
    assert value == pytest.approx((math.log(2.0) + math.log(4.0 / 3.0)) / 2.0, rel=1e-15)


def test_binary_cross_entropy_soft_targets():
    # For a = 0.5 and y = 0.25, L = −(0.25 log 0.5 + 0.75 log 0.5) = log 2.
    a = np.array([[0.5]])
    y = np.array([[0.25]])

    assert binary_cross_entropy(a, y) == pytest.approx(math.log(2.0), rel=1e-15)


def test_binary_cross_entropy_saturated_outputs():
    a = np.array([[0.0, 1.0]])
    right = np.array([[0.0, 1.0]])
    wrong = np.array([[1.0, 0.0]])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        right_value = binary_cross_entropy(a, right)
        wrong_value = binary_cross_entropy(a, wrong)

    assert right_value == 0.0
    assert wrong_value == math.inf


def test_cross_entropy_hand_value():
    # True classes 0 and 1 with probabilities 0.5 and 0.8: L = −(log 0.5 + log 0.8) / 2.
    # The zero probability in column 1 belongs to a class with y = 0, so it adds nothing.
    a = np.array([[0.5, 0.2], [0.25, 0.8], [0.25, 0.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = cross_entropy(a, y)

    assert type(value) is float
    assert value == pytest.approx(-(math.log(0.5) + math.log(0.8)) / 2.0, rel=1e-15)


def test_cross_entropy_zero_true_probability_is_inf():
    a = np.array([[1.0], [0.0]])
    y = np.array([[0.0], [1.0]])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = cross_entropy(a, y)

    assert value == math.inf


def test_binary_cross_entropy_from_logits_hand_value():
    # z = 0 gives a = 1/2 and a loss of log 2 whatever the label.
    z = np.array([[0.0, 0.0]])
    y = np.array([[1.0, 0.0]])

    value = binary_cross_entropy_from_logits(z, y)

    assert type(value) is float
    assert value == pytest.approx(math.log(2.0), rel=1e-15)


@pytest.mark.parametrize(("logit", "label"), [(40.0, 0.0), (-40.0, 1.0)])
def test_binary_cross_entropy_from_logits_wrong_label(logit, label):
    # −log(1 − σ(40)) = log(1 + e⁴⁰) = 40 + log(1 + e⁻⁴⁰), and e⁻⁴⁰ ≈ 4e-18
    # is below half an ulp of 40, so the float64 result is exactly 40.
    value = binary_cross_entropy_from_logits(np.array([[logit]]), np.array([[label]]))

    assert value == 40.0


@pytest.mark.parametrize(("logit", "label"), [(40.0, 1.0), (-40.0, 0.0)])
def test_binary_cross_entropy_from_logits_right_label(logit, label):
    # log(1 + e⁻⁴⁰) ≈ 4.25e-18.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = binary_cross_entropy_from_logits(np.array([[logit]]), np.array([[label]]))

    assert math.isfinite(value)
    assert 0.0 <= value < 1e-17
    assert value == pytest.approx(math.exp(-40.0), rel=1e-12)


def test_binary_cross_entropy_from_logits_matches_probabilities():
    rng = np.random.default_rng(4)
    z = 2.0 * rng.standard_normal((2, 5))
    y = rng.integers(0, 2, size=(2, 5)).astype(np.float64)
    a = reference_sigmoid(z)
    expected = -np.sum(y * np.log(a) + (1.0 - y) * np.log(1.0 - a)) / 5

    assert binary_cross_entropy_from_logits(z, y) == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_from_logits_hand_value():
    # Logits (0, log 3) give probabilities (1/4, 3/4), and the true classes are 0 and 1.
    z = np.array([[0.0, 0.0], [math.log(3.0), math.log(3.0)]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])

    value = cross_entropy_from_logits(z, y)

    assert type(value) is float
    assert value == pytest.approx((math.log(4.0) + math.log(4.0 / 3.0)) / 2.0, rel=1e-14)


def test_cross_entropy_from_logits_exact_at_saturation():
    # log softmax of (1000, 0) is (0, −1000) exactly in float64.
    z = np.array([[1000.0, 1000.0, -1000.0], [0.0, 0.0, 1000.0]])
    wrong = np.array([[0.0], [1.0]])
    right = np.array([[1.0], [0.0]])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wrong_value = cross_entropy_from_logits(z[:, [0]], wrong)
        right_value = cross_entropy_from_logits(z[:, [1]], right)
        both_wrong = cross_entropy_from_logits(z[:, 1:], np.array([[0.0, 1.0], [1.0, 0.0]]))

    assert wrong_value == 1000.0
    assert right_value == 0.0
    # Column 1 loses 1000 and column 2 loses 2000, so the mean is 1500.
    assert both_wrong == 1500.0


def test_cross_entropy_from_logits_matches_probabilities():
    rng = np.random.default_rng(5)
    z = 2.0 * rng.standard_normal((3, 4))
    y = np.eye(3)[:, [0, 2, 1, 2]]
    expected = -np.sum(y * np.log(reference_softmax(z))) / 4

    assert cross_entropy_from_logits(z, y) == pytest.approx(expected, rel=1e-12)


# ----------------------------------------------------------------- derivatives


def test_mse_prime_matches_finite_differences():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((3, 4))
    y = rng.standard_normal((3, 4))

    numerical = gradient_of_scalar(lambda point: mse(point, y), a)

    assert_close_to_finite_differences(mse_prime(a, y), numerical)
    np.testing.assert_array_equal(mse_prime(a, y), (a - y) / 4)


def test_binary_cross_entropy_prime_matches_finite_differences():
    rng = np.random.default_rng(7)
    a = rng.uniform(0.1, 0.9, size=(2, 5))
    y = np.array([[0.0, 1.0, 1.0, 0.0, 0.3], [1.0, 0.0, 0.7, 1.0, 0.0]])

    numerical = gradient_of_scalar(lambda point: binary_cross_entropy(point, y), a)

    assert_close_to_finite_differences(binary_cross_entropy_prime(a, y), numerical)


def test_cross_entropy_prime_matches_finite_differences():
    # ∂L/∂a treats the entries of a as free, so a need not sum to 1 here.
    rng = np.random.default_rng(8)
    a = rng.uniform(0.1, 0.9, size=(3, 4))
    y = np.eye(3)[:, [2, 0, 1, 1]]

    numerical = gradient_of_scalar(lambda point: cross_entropy(point, y), a)

    assert_close_to_finite_differences(cross_entropy_prime(a, y), numerical)


def test_binary_cross_entropy_delta_matches_finite_differences():
    rng = np.random.default_rng(9)
    z = 2.0 * rng.standard_normal((2, 5))
    y = rng.integers(0, 2, size=(2, 5)).astype(np.float64)

    numerical = gradient_of_scalar(lambda point: binary_cross_entropy_from_logits(point, y), z)

    assert_close_to_finite_differences(binary_cross_entropy_delta(z, y), numerical)


def test_cross_entropy_delta_matches_finite_differences():
    rng = np.random.default_rng(10)
    z = 2.0 * rng.standard_normal((3, 5))
    y = np.eye(3)[:, [0, 1, 2, 2, 0]]

    numerical = gradient_of_scalar(lambda point: cross_entropy_from_logits(point, y), z)

    assert_close_to_finite_differences(cross_entropy_delta(z, y), numerical)


def test_binary_cross_entropy_delta_equals_residual_over_m():
    z = np.array([[0.0, math.log(3.0), -math.log(3.0), 40.0]])
    y = np.array([[1.0, 0.0, 1.0, 0.0]])
    # σ(z) = (1/2, 3/4, 1/4, 1) in float64, so (a − y)/4 is:
    expected = np.array([[-0.5, 0.75, -0.75, 1.0]]) / 4.0

    delta = binary_cross_entropy_delta(z, y)

    np.testing.assert_allclose(delta, expected, rtol=1e-15, atol=0.0)
    np.testing.assert_allclose(delta, (reference_sigmoid(z) - y) / 4.0, rtol=1e-14)


def test_cross_entropy_delta_equals_residual_over_m():
    # Column 0 has probabilities (1/4, 3/4), and column 1 saturates to (1, 0).
    z = np.array([[0.0, 1000.0], [math.log(3.0), 0.0]])
    y = np.array([[0.0, 0.0], [1.0, 1.0]])
    expected = np.array([[0.25, 1.0], [-0.25, -1.0]]) / 2.0

    delta = cross_entropy_delta(z, y)

    np.testing.assert_allclose(delta, expected, rtol=1e-15, atol=1e-17)


def test_loss_tables_pair_values_with_derivatives():
    assert LOSSES["mse"] == (mse, mse_prime)
    assert LOSSES["binary_cross_entropy"] == (binary_cross_entropy, binary_cross_entropy_prime)
    assert LOSSES["cross_entropy"] == (cross_entropy, cross_entropy_prime)
    assert FUSED_OUTPUT_LOSSES[("sigmoid", "binary_cross_entropy")] == (
        binary_cross_entropy_from_logits,
        binary_cross_entropy_delta,
    )
    assert FUSED_OUTPUT_LOSSES[("softmax", "cross_entropy")] == (cross_entropy_from_logits, cross_entropy_delta)
