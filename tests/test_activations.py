"""Tests for backprop_lib.activations.

Expected values are hand-derived or come from float64 centered differences
computed in this file, never from the library's own derivatives.
"""

import math
import warnings

import numpy as np
import pytest

from backprop_lib.activations import (
    ACTIVATIONS,
    identity,
    identity_prime,
    log_softmax,
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    softmax,
    softmax_backward,
    tanh,
    tanh_prime,
)

STEP = 1e-6


def assert_close_to_finite_differences(analytic, numerical):
    """Assert |analytic − numerical| ≤ 1e-7 + 1e-5·|numerical| entry by entry."""
    error = np.abs(analytic - numerical)
    bound = 1e-7 + 1e-5 * np.abs(numerical)
    assert analytic.shape == numerical.shape
    assert np.all(error <= bound), f"max error {error.max():.3e}, entries over bound: {np.argwhere(error > bound)}"


def elementwise_finite_differences(f, z):
    """Return (f(z + h) − f(z − h)) / 2h, the derivative of an element-wise f."""
    return (f(z + STEP) - f(z - STEP)) / (2.0 * STEP)


def gradient_of_scalar(phi, z):
    """Return ∂phi/∂z by centered differences, perturbing one entry at a time."""
    point = np.array(z, dtype=np.float64)
    gradient = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + STEP
        phi_plus = phi(point)
        point[index] = original - STEP
        phi_minus = phi(point)
        point[index] = original
        gradient[index] = (phi_plus - phi_minus) / (2.0 * STEP)
    return gradient


# Pre-activations of shape (3, 4) that stay at least 0.05 away from 0, so
# the ReLU kink is never inside a finite-difference step.
Z_AWAY_FROM_ZERO = np.array(
    [
        [-3.0, -1.2, -0.4, -0.05],
        [0.05, 0.3, 1.7, 4.0],
        [-2.5, 0.9, -0.7, 2.2],
    ]
)

ELEMENTWISE_PAIRS = [
    pytest.param(sigmoid, sigmoid_prime, id="sigmoid"),
    pytest.param(tanh, tanh_prime, id="tanh"),
    pytest.param(relu, relu_prime, id="relu"),
    pytest.param(identity, identity_prime, id="identity"),
]


@pytest.mark.parametrize(("forward", "derivative"), ELEMENTWISE_PAIRS)
def test_activation_derivative_matches_finite_differences(forward, derivative):
    numerical = elementwise_finite_differences(forward, Z_AWAY_FROM_ZERO)

    analytic = derivative(Z_AWAY_FROM_ZERO)

    assert_close_to_finite_differences(analytic, numerical)


def test_sigmoid_hand_values():
    z = np.array([[0.0, math.log(3.0), -math.log(3.0)]])

    a = sigmoid(z)

    np.testing.assert_allclose(a, [[0.5, 0.75, 0.25]], rtol=1e-15)


def test_sigmoid_prime_hand_values():
    # σ(log 3) = 3/4, so σ'(log 3) = 3/4 · 1/4 = 3/16.
    z = np.array([[0.0, math.log(3.0)]])

    np.testing.assert_allclose(sigmoid_prime(z), [[0.25, 3.0 / 16.0]], rtol=1e-15)


def test_sigmoid_saturates_exactly_without_warning():
    z = np.array([[1000.0, -1000.0], [745.0, -745.0]])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = sigmoid(z)
        slope = sigmoid_prime(z)

    assert a[0, 0] == 1.0
    assert a[0, 1] == 0.0
    assert a[1, 0] == 1.0
    assert 0.0 <= a[1, 1] < 1e-300
    assert np.all(slope[0] == 0.0)


def test_tanh_saturates_exactly_without_warning():
    z = np.array([[1000.0, -1000.0]])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = tanh(z)
        slope = tanh_prime(z)

    np.testing.assert_array_equal(a, [[1.0, -1.0]])
    np.testing.assert_array_equal(slope, [[0.0, 0.0]])


def test_relu_prime_at_zero_is_zero():
    z = np.array([[-1.0, 0.0, -0.0, 2.0]])

    slope = relu_prime(z)

    assert slope[0, 1] == 0.0
    assert slope[0, 2] == 0.0
    np.testing.assert_array_equal(slope, [[0.0, 0.0, 0.0, 1.0]])


def test_relu_hand_values():
    np.testing.assert_array_equal(relu(np.array([[-2.0, 0.0, 3.5]])), [[0.0, 0.0, 3.5]])


def test_identity_returns_float_copy():
    z = np.array([[1, -2], [3, 4]])

    a = identity(z)
    a[0, 0] = 99.0

    assert a.dtype == np.float64
    assert z[0, 0] == 1
    np.testing.assert_array_equal(identity_prime(z), np.ones((2, 2)))


def test_softmax_hand_values_per_column():
    # Column 0 splits evenly between two equal logits because the third is far smaller.
    # Column 1 has logits (0, log 2, log 3), so the probabilities are (1, 2, 3)/6.
    z = np.array([[1.0, 0.0], [1.0, math.log(2.0)], [-1000.0, math.log(3.0)]])

    a = softmax(z)

    np.testing.assert_allclose(a[:, 0], [0.5, 0.5, 0.0], rtol=1e-15, atol=0.0)
    np.testing.assert_allclose(a[:, 1], [1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0], rtol=1e-14)


def test_softmax_large_logits_normalized_per_column():
    z = np.array(
        [
            [1000.0, -1000.0, 1000.0],
            [-1000.0, 1000.0, 999.0],
            [0.0, 0.0, 1000.0],
        ]
    )

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = softmax(z)

    assert not np.any(np.isnan(a))
    np.testing.assert_allclose(a.sum(axis=0), [1.0, 1.0, 1.0], rtol=1e-15)
    np.testing.assert_array_equal(a[:, 0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(a[:, 1], [0.0, 1.0, 0.0])
    # Column 2 has shifted logits (0, −1, 0), so a = (1, e⁻¹, 1) / (2 + e⁻¹).
    denominator = 2.0 + math.exp(-1.0)
    np.testing.assert_allclose(a[:, 2], [1.0 / denominator, math.exp(-1.0) / denominator, 1.0 / denominator], rtol=1e-14)


def test_softmax_invariant_to_column_shift():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((4, 5))
    shift = np.array([[100.0, -50.0, 0.0, 7.5, -300.0]])

    np.testing.assert_allclose(softmax(z + shift), softmax(z), rtol=1e-12)


def test_softmax_backward_matches_finite_difference_jacobian():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 3))
    # A dense upstream gradient, not one-hot, so the −a aᵀ da term matters.
    da = rng.standard_normal((4, 3))

    expected = np.zeros_like(z)
    for column in range(z.shape[1]):
        jacobian = np.zeros((4, 4))
        for j in range(4):
            z_plus = z[:, [column]].copy()
            z_minus = z[:, [column]].copy()
            z_plus[j] += STEP
            z_minus[j] -= STEP
            jacobian[:, j] = ((softmax(z_plus) - softmax(z_minus)) / (2.0 * STEP))[:, 0]
        expected[:, column] = jacobian.T @ da[:, column]

    dz = softmax_backward(z, da)

    assert_close_to_finite_differences(dz, expected)


def test_softmax_backward_of_constant_upstream_is_zero():
    # Σ a = 1 for every z, so a gradient that is the same for all classes
    # has no effect on z.
    z = np.array([[0.3, -2.0], [1.1, 0.0], [-0.4, 5.0]])
    da = np.full((3, 2), 7.0)

    np.testing.assert_allclose(softmax_backward(z, da), np.zeros((3, 2)), atol=1e-14)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_backward_matches_finite_differences(name):
    activation = ACTIVATIONS[name]
    rng = np.random.default_rng(1)
    da = rng.standard_normal(Z_AWAY_FROM_ZERO.shape)

    # ∂/∂z of Σ da ⊙ f(z) is exactly the backward product the MLP needs.
    expected = gradient_of_scalar(lambda z: float(np.sum(da * activation.forward(z))), Z_AWAY_FROM_ZERO)

    assert activation.name == name
    assert_close_to_finite_differences(activation.backward(Z_AWAY_FROM_ZERO, da), expected)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_derivative_from_output_matches_finite_differences(name):
    activation = ACTIVATIONS[name]
    a = activation.forward(Z_AWAY_FROM_ZERO)

    # d f / d z at each entry, one entry at a time, because f is element-wise.
    expected = gradient_of_scalar(lambda z: float(np.sum(activation.forward(z))), Z_AWAY_FROM_ZERO)

    assert_close_to_finite_differences(activation.derivative_from_output(a), expected)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_derivative_from_output_equals_derivative(name):
    activation = ACTIVATIONS[name]
    z = np.concatenate([np.linspace(-40.0, 40.0, 81), [0.0, -0.0, 1e-300, -1e-300, 700.0, -700.0]]).reshape(1, -1)

    np.testing.assert_array_equal(activation.derivative_from_output(activation.forward(z)), activation.derivative(z))


def test_log_softmax_stable_at_large_logits():
    z = np.array([[1000.0, -1000.0], [0.0, -1000.0], [-1000.0, 1000.0]])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_a = log_softmax(z)

    assert np.all(np.isfinite(log_a))
    np.testing.assert_array_equal(log_a[:, 0], [0.0, -1000.0, -2000.0])
    # Column 1 has two equal logits at −1000 and one at 1000.
    np.testing.assert_array_equal(log_a[:, 1], [-2000.0, -2000.0, 0.0])


def test_log_softmax_matches_log_of_softmax():
    rng = np.random.default_rng(2)
    z = 3.0 * rng.standard_normal((5, 4))

    log_a = log_softmax(z)
    # Independent reference: log(e^z / Σ e^z) for moderate logits.
    reference = np.log(np.exp(z) / np.exp(z).sum(axis=0, keepdims=True))

    np.testing.assert_allclose(log_a, reference, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.exp(log_a).sum(axis=0), np.ones(4), rtol=1e-14)
