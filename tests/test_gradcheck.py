"""Tests for backprop_lib.gradcheck: numerical gradients and the per-parameter report."""

import re

import numpy as np
import pytest

from backprop_lib import MLP, compare_gradients, gradcheck, numerical_gradient


def make_problem(seed=0):
    rng = np.random.default_rng(seed)
    net = MLP([3, 4, 3, 2], hidden_activation="tanh", output_activation="sigmoid", loss="mse", seed=seed)
    X = rng.standard_normal((3, 4))
    Y = rng.uniform(0.1, 0.9, size=(2, 4))
    return net, X, Y


class ScaledGradientMLP(MLP):
    """An MLP whose ∂L/∂W[2] is deliberately doubled."""

    def gradients(self, X, Y):
        dW, db = super().gradients(X, Y)
        dW[1] = 2.0 * dW[1]
        return dW, db


# ---------------------------------------------------------- numerical_gradient


def test_numerical_gradient_hand_derivative():
    # f(x) = x₀₀² x₁₁ + 3 x₀₁ − x₁₀³ has ∂f/∂x = [[2 x₀₀ x₁₁, 3], [−3 x₁₀², x₀₀²]].
    x = np.array([[1.5, -2.0], [0.5, 3.0]])

    def f(v):
        return v[0, 0] ** 2 * v[1, 1] + 3.0 * v[0, 1] - v[1, 0] ** 3

    expected = np.array([[9.0, 3.0], [-0.75, 2.25]])

    np.testing.assert_allclose(numerical_gradient(f, x), expected, rtol=1e-8, atol=1e-9)


def test_numerical_gradient_leaves_input_unchanged():
    x = np.array([1.0, -2.0, 0.25])
    x_before = x.copy()
    seen = []

    def f(v):
        seen.append(v is x)
        return float(np.sum(v**2))

    gradient = numerical_gradient(f, x)

    np.testing.assert_array_equal(x, x_before)
    assert not any(seen)
    np.testing.assert_allclose(gradient, 2.0 * x_before, rtol=1e-8)


def test_numerical_gradient_integer_array():
    # With an integer working copy x ± 1e-6 would truncate back to x and give 0.
    x = np.array([1, 2, 3])

    gradient = numerical_gradient(lambda v: float(np.sum(v**3)), x)

    assert gradient.dtype == np.float64
    np.testing.assert_allclose(gradient, [3.0, 12.0, 27.0], rtol=1e-8)
    np.testing.assert_array_equal(x, [1, 2, 3])


@pytest.mark.parametrize("step", [0.0, -1e-6])
def test_numerical_gradient_rejects_bad_step(step):
    with pytest.raises(ValueError, match=re.escape(repr(step))):
        numerical_gradient(lambda v: float(np.sum(v)), np.zeros(2), h=step)


# ------------------------------------------------------------------- gradcheck


def test_gradcheck_passes_correct_net():
    net, X, Y = make_problem()

    report = gradcheck(net, X, Y)

    assert report.passed is True
    assert bool(report) is True
    assert [p.name for p in report.parameters] == ["W[1]", "b[1]", "W[2]", "b[2]", "W[3]", "b[3]"]
    assert all(p.max_abs_error < 1e-8 for p in report.parameters)


def test_gradcheck_leaves_net_unchanged():
    net, X, Y = make_problem(1)
    weights_before = [W.copy() for W in net.weights]
    biases_before = [b.copy() for b in net.biases]
    weight_objects = list(net.weights)
    X_before = X.copy()

    gradcheck(net, X, Y)

    for W, W_before, W_object in zip(net.weights, weights_before, weight_objects):
        np.testing.assert_array_equal(W, W_before)
        assert W is W_object
    for b, b_before in zip(net.biases, biases_before):
        np.testing.assert_array_equal(b, b_before)
    np.testing.assert_array_equal(X, X_before)


def test_gradcheck_flags_wrong_gradient():
    _, X, Y = make_problem(2)
    net = ScaledGradientMLP([3, 4, 3, 2], hidden_activation="tanh", output_activation="sigmoid", seed=2)

    report = gradcheck(net, X, Y)
    verdicts = {p.name: p.passed for p in report.parameters}

    assert report.passed is False
    assert bool(report) is False
    assert verdicts == {"W[1]": True, "b[1]": True, "W[2]": False, "b[2]": True, "W[3]": True, "b[3]": True}
    assert "WRONG" in str(report)


def test_gradcheck_report_text_lists_criterion():
    net, X, Y = make_problem(3)

    text = str(gradcheck(net, X, Y, rtol=1e-4, atol=1e-6))

    assert "W[1]" in text
    assert "b[3]" in text
    assert "1e-06 + 0.0001 * |numerical|" in text


# ----------------------------------------------------------- compare_gradients


def test_compare_gradients_passes_identical():
    gradient = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -4.0]])

    report = compare_gradients({"W[1]": gradient.copy()}, {"W[1]": gradient})

    assert report.passed is True
    assert report.parameters[0].max_abs_error == 0.0
    assert report.parameters[0].max_rel_error == 0.0


def test_compare_gradients_flags_transposed_reshape():
    # The right numbers in the wrong places, as from dW.T reshaped to dW's shape.
    correct = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    scrambled = correct.T.reshape(correct.shape)

    report = compare_gradients(
        {"W[1]": scrambled, "b[1]": np.array([[0.5], [-0.5]])},
        {"W[1]": correct, "b[1]": np.array([[0.5], [-0.5]])},
    )
    verdicts = {p.name: p.passed for p in report.parameters}

    assert verdicts == {"W[1]": False, "b[1]": True}
    assert report.passed is False


def test_compare_gradients_flags_doubled_gradient():
    numerical = np.array([[0.1, -0.2], [0.3, 0.4]])

    report = compare_gradients({"W[1]": 2.0 * numerical}, {"W[1]": numerical})

    assert report.passed is False
    assert report.parameters[0].max_abs_error == pytest.approx(0.4, rel=1e-15)
    # |2g − g| / (|2g| + |g|) = 1/3 for every entry.
    assert report.parameters[0].max_rel_error == pytest.approx(1.0 / 3.0, rel=1e-15)


def test_compare_gradients_atol_rescues_tiny_gradient():
    # The error of 1e-12 is 100 % of the gradient but below atol = 1e-8.
    analytic = {"b[1]": np.array([[2e-12]])}
    numerical = {"b[1]": np.array([[1e-12]])}

    assert compare_gradients(analytic, numerical).passed is True
    assert compare_gradients(analytic, numerical, atol=0.0).passed is False


def test_compare_gradients_relative_bound_uses_numerical():
    # The bound is atol + rtol·|numerical| = 1e-8 + 1e-5 for numerical = 1.
    numerical = {"W[1]": np.array([[1.0]])}

    inside = compare_gradients({"W[1]": np.array([[1.0 + 9e-6]])}, numerical)
    # 1.5e-5 would pass a bound of rtol·(|analytic| + |numerical|) ≈ 2e-5, but
    # the documented criterion scales with |numerical| only.
    outside = compare_gradients({"W[1]": np.array([[1.0 + 1.5e-5]])}, numerical)

    assert inside.passed is True
    assert outside.passed is False


def test_compare_gradients_combines_atol_and_rtol():
    # With rtol = 1e-3 and atol = 0.5, the bound at numerical = 100 is 0.5 + 0.1 = 0.6.
    numerical = {"W[1]": np.array([[100.0]])}

    assert compare_gradients({"W[1]": np.array([[100.55]])}, numerical, rtol=1e-3, atol=0.5).passed is True
    assert compare_gradients({"W[1]": np.array([[100.65]])}, numerical, rtol=1e-3, atol=0.5).passed is False
    assert compare_gradients({"W[1]": np.array([[100.55]])}, numerical, rtol=1e-3, atol=0.0).passed is False


def test_compare_gradients_flags_nan_analytic():
    report = compare_gradients({"W[1]": np.array([[np.nan, 1.0]])}, {"W[1]": np.array([[0.0, 1.0]])})

    assert report.passed is False


def test_compare_gradients_rejects_shape_mismatch():
    with pytest.raises(ValueError, match=re.escape("(3, 2)")):
        compare_gradients({"W[1]": np.zeros((3, 2))}, {"W[1]": np.zeros((2, 3))})


def test_compare_gradients_rejects_missing_entry():
    with pytest.raises(ValueError, match=re.escape("'b[1]'")):
        compare_gradients({"W[1]": np.zeros((2, 2))}, {"W[1]": np.zeros((2, 2)), "b[1]": np.zeros((2, 1))})
