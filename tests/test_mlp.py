"""Tests for backprop_lib.mlp.MLP.

Gradients are checked against float64 centered differences of MLP.loss
written in this file (not backprop_lib.gradcheck), and losses against a
forward pass written here from the formulas.
"""

import math
import re
import warnings

import numpy as np
import pytest

from backprop_lib import MLP

STEP = 1e-6
LAYER_SIZES = [3, 5, 4, 2]
NUM_EXAMPLES = 5

HIDDEN = ["sigmoid", "tanh", "relu", "identity"]
OUTPUT_LOSS_PAIRS = [
    ("sigmoid", "mse"),
    ("tanh", "mse"),
    ("relu", "mse"),
    ("identity", "mse"),
    ("sigmoid", "binary_cross_entropy"),
    ("softmax", "cross_entropy"),
]

REFERENCE_ACTIVATIONS = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "identity": lambda z: z,
    "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=0, keepdims=True),
}


def reference_forward(weights, biases, X, hidden, output):
    """Return the list of z[l] and the output a[L], written from the formulas."""
    a = X
    zs = []
    for l, (W, b) in enumerate(zip(weights, biases), start=1):
        z = W @ a + b
        zs.append(z)
        name = output if l == len(weights) else hidden
        a = REFERENCE_ACTIVATIONS[name](z)
    return zs, a


def reference_loss(a, Y, loss):
    m = Y.shape[1]
    if loss == "mse":
        return float(np.sum((a - Y) ** 2) / (2 * m))
    if loss == "binary_cross_entropy":
        return float(-np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / m)
    return float(-np.sum(Y * np.log(a)) / m)


def finite_difference_gradients(net, X, Y):
    """Return (dW, db) by centered differences of net.loss, one entry at a time."""
    result = []
    for params in (net.weights, net.biases):
        grads = []
        for param in params:
            grad = np.zeros_like(param)
            for index in np.ndindex(param.shape):
                original = param[index]
                param[index] = original + STEP
                loss_plus = net.loss(X, Y)
                param[index] = original - STEP
                loss_minus = net.loss(X, Y)
                param[index] = original
                grad[index] = (loss_plus - loss_minus) / (2.0 * STEP)
            grads.append(grad)
        result.append(grads)
    return result[0], result[1]


def make_targets(rng, output, loss, shape):
    if loss == "cross_entropy":
        return np.eye(shape[0])[:, rng.integers(0, shape[0], size=shape[1])]
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, size=shape).astype(np.float64)
    if output == "sigmoid":
        return rng.uniform(0.05, 0.95, size=shape)
    if output == "tanh":
        return rng.uniform(-0.9, 0.9, size=shape)
    return rng.standard_normal(shape)


def make_problem(hidden, output, loss, seed=0):
    """Build a [3, 5, 4, 2] net with nonzero biases, inputs X and targets Y."""
    rng = np.random.default_rng(seed)
    net = MLP(LAYER_SIZES, hidden_activation=hidden, output_activation=output, loss=loss, seed=seed)
    for b in net.biases:
        b[...] = 0.3 * rng.standard_normal(b.shape)
    X = rng.standard_normal((LAYER_SIZES[0], NUM_EXAMPLES))
    Y = make_targets(rng, output, loss, (LAYER_SIZES[-1], NUM_EXAMPLES))
    return net, X, Y


def make_xor():
    X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    return X, Y


# ------------------------------------------------------------------ gradients


@pytest.mark.parametrize(("output", "loss"), OUTPUT_LOSS_PAIRS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_gradients_match_finite_differences(hidden, output, loss):
    net, X, Y = make_problem(hidden, output, loss)
    zs, _ = reference_forward(net.weights, net.biases, X, hidden, output)
    # ReLU has a kink at 0, so every z of a ReLU layer must sit far outside ±STEP.
    for l, z in enumerate(zs, start=1):
        if (output if l == len(zs) else hidden) == "relu":
            assert np.min(np.abs(z)) > 1e-3, f"z[{l}] has an entry within 1e-3 of the ReLU kink"

    dW, db = net.gradients(X, Y)
    dW_fd, db_fd = finite_difference_gradients(net, X, Y)

    for kind, analytic, numerical in (("W", dW, dW_fd), ("b", db, db_fd)):
        for l, (got, expected) in enumerate(zip(analytic, numerical), start=1):
            assert got.shape == expected.shape, f"d{kind}[{l}] shape"
            # A parameter whose gradient is zero everywhere would make this check vacuous.
            assert np.max(np.abs(expected)) > 1e-4, f"d{kind}[{l}] is zero, pick other data"
            error = np.abs(got - expected)
            bound = 1e-7 + 1e-5 * np.abs(expected)
            assert np.all(error <= bound), f"d{kind}[{l}]: max error {error.max():.3e}"


@pytest.mark.parametrize(("output", "loss"), OUTPUT_LOSS_PAIRS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_loss_matches_reference_forward(hidden, output, loss):
    net, X, Y = make_problem(hidden, output, loss)
    _, a = reference_forward(net.weights, net.biases, X, hidden, output)

    value = net.loss(X, Y)

    assert type(value) is float
    assert value == pytest.approx(reference_loss(a, Y, loss), rel=1e-12)
    np.testing.assert_allclose(net.forward(X), a, rtol=1e-12, atol=1e-15)


def test_gradients_shapes():
    net, X, Y = make_problem("tanh", "sigmoid", "mse")

    dW, db = net.gradients(X, Y)

    assert [g.shape for g in dW] == [(5, 3), (4, 5), (2, 4)]
    assert [g.shape for g in db] == [(5, 1), (4, 1), (2, 1)]


def test_gradients_do_not_accumulate():
    net, X, Y = make_problem("relu", "softmax", "cross_entropy")

    dW_first, db_first = net.gradients(X, Y)
    dW_second, db_second = net.gradients(X, Y)

    for first, second in zip(dW_first + db_first, dW_second + db_second):
        np.testing.assert_array_equal(first, second)


def test_gradients_leave_inputs_unchanged():
    net, X, Y = make_problem("sigmoid", "identity", "mse")
    X_before = X.copy()
    Y_before = Y.copy()
    weights_before = [W.copy() for W in net.weights]

    net.gradients(X, Y)
    net.loss(X, Y)

    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(Y, Y_before)
    for W, W_before in zip(net.weights, weights_before):
        np.testing.assert_array_equal(W, W_before)


def test_sigmoid_binary_cross_entropy_saturation():
    # Identity hidden layer with W[1] = I and X = I, so a[1] = I and
    # z[2] = W[2] = (40, −40). Both labels are wrong, so each column
    # costs log(1 + e⁴⁰), which is exactly 40.0 in float64.
    net = MLP([2, 2, 1], hidden_activation="identity", output_activation="sigmoid", loss="binary_cross_entropy")
    net.weights[0][...] = np.eye(2)
    net.biases[0][...] = 0.0
    net.weights[1][...] = [[40.0, -40.0]]
    net.biases[1][...] = 0.0
    X = np.eye(2)
    Y = np.array([[0.0, 1.0]])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = net.loss(X, Y)
        a = net.forward(X)
        dW, db = net.gradients(X, Y)

    assert loss == 40.0
    # dW[2] = δ[2] a[1]ᵀ = δ[2] because a[1] = I, and σ(40) = 1 and σ(−40) − 1 = −1
    # in float64, so δ[2] = (a − y)/m = (1/2, −1/2) exactly.
    np.testing.assert_array_equal(dW[1], (a - Y) / 2)
    np.testing.assert_array_equal(dW[1], [[0.5, -0.5]])
    # dW[1] = (W[2]ᵀ δ[2]) a[0]ᵀ and a[0] = I, so its rows are 40·(1/2, −1/2) and −40·(1/2, −1/2).
    np.testing.assert_array_equal(dW[0], [[20.0, -20.0], [-20.0, 20.0]])


# -------------------------------------------------------- forward and params


def test_forward_output_shape():
    net = MLP(LAYER_SIZES, seed=1)

    assert net.forward(np.zeros((3, 7))).shape == (2, 7)
    assert net.forward(np.zeros((3, 1))).shape == (2, 1)


def test_initial_parameter_shapes():
    net = MLP(LAYER_SIZES, seed=1)

    assert [W.shape for W in net.weights] == [(5, 3), (4, 5), (2, 4)]
    assert [b.shape for b in net.biases] == [(5, 1), (4, 1), (2, 1)]
    assert all(np.all(b == 0.0) for b in net.biases)
    assert net.num_layers == 3


def test_forward_sees_in_place_weight_edits():
    net = MLP([2, 3, 1], hidden_activation="sigmoid", output_activation="identity", seed=2)
    X = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = net.forward(X)

    # W[1] = 0 and b[1] = 0 make every hidden unit σ(0) = 1/2, so the output
    # is W[2] · (1/2, 1/2, 1/2)ᵀ + b[2] for every column.
    net.weights[0][...] = 0.0
    net.biases[1][...] = 0.25
    after = net.forward(X)

    expected = 0.5 * net.weights[1].sum() + 0.25
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, np.full((1, 2), expected), rtol=1e-15)


def test_forward_sees_in_place_single_entry_edit():
    net = MLP([2, 1], output_activation="identity", seed=3)
    X = np.array([[1.0], [2.0]])
    before = net.forward(X)

    net.weights[0][0, 1] += 1.0

    # z = W x + b, so raising W[0, 1] by 1 raises z by x[1] = 2.
    np.testing.assert_allclose(net.forward(X), before + 2.0, rtol=0.0, atol=1e-14)


def test_loss_returns_python_float():
    net, X, Y = make_problem("tanh", "softmax", "cross_entropy")

    assert type(net.loss(X, Y)) is float


def test_forward_accepts_integer_input():
    net = MLP([2, 3, 1], seed=4)
    X_int = np.array([[1, 0, 2], [3, -1, 0]])

    np.testing.assert_array_equal(net.forward(X_int), net.forward(X_int.astype(np.float64)))


# ------------------------------------------------------------------- training


def test_sgd_step_applies_update_exactly():
    net = MLP(LAYER_SIZES, seed=5)
    rng = np.random.default_rng(5)
    dW = [rng.standard_normal(W.shape) for W in net.weights]
    db = [rng.standard_normal(b.shape) for b in net.biases]
    expected_W = [W - 0.1 * g for W, g in zip(net.weights, dW)]
    expected_b = [b - 0.1 * g for b, g in zip(net.biases, db)]

    net.sgd_step(dW, db, 0.1)

    for W, expected in zip(net.weights, expected_W):
        np.testing.assert_array_equal(W, expected)
    for b, expected in zip(net.biases, expected_b):
        np.testing.assert_array_equal(b, expected)


def test_sgd_step_updates_arrays_in_place():
    net = MLP([2, 2], seed=6)
    first_weight = net.weights[0]

    net.sgd_step([np.ones((2, 2))], [np.ones((2, 1))], 0.5)

    assert net.weights[0] is first_weight


def test_sgd_step_rejects_wrong_shapes():
    net = MLP([2, 3, 1], seed=7)
    dW = [np.zeros((3, 2)), np.zeros((3, 1))]
    db = [np.zeros((3, 1)), np.zeros((1, 1))]

    with pytest.raises(ValueError, match=re.escape("dW[2] has shape (3, 1)")):
        net.sgd_step(dW, db, 0.1)
    with pytest.raises(ValueError, match="dW has 1 arrays"):
        net.sgd_step(dW[:1], db, 0.1)


@pytest.mark.parametrize("learning_rate", [0.0, -0.1, math.nan, math.inf])
def test_sgd_step_rejects_bad_learning_rate(learning_rate):
    net = MLP([2, 1], seed=8)

    with pytest.raises(ValueError, match=re.escape(repr(learning_rate))):
        net.sgd_step([np.zeros((1, 2))], [np.zeros((1, 1))], learning_rate)


def test_fit_learns_xor():
    X, Y = make_xor()
    net = MLP([2, 8, 1], hidden_activation="tanh", output_activation="sigmoid", loss="binary_cross_entropy", seed=0)
    initial_loss = net.loss(X, Y)

    history = net.fit(X, Y, epochs=1500, learning_rate=0.5)

    assert len(history) == 1500
    assert all(type(value) is float for value in history)
    assert history[-1] < history[0]
    assert history[-1] < 0.05 * initial_loss
    np.testing.assert_array_equal(net.forward(X) > 0.5, Y > 0.5)
    assert history[-1] == net.loss(X, Y)


def test_fit_minibatch_uneven_last_batch():
    # 7 examples in batches of 3 give batches of 3, 3 and 1, so each epoch takes three steps.
    rng = np.random.default_rng(9)
    X = rng.standard_normal((2, 7))
    Y = (X[[0]] > 0).astype(np.float64)
    net = MLP([2, 4, 1], hidden_activation="tanh", output_activation="sigmoid", loss="binary_cross_entropy", seed=9)
    steps = []
    original_step = net.sgd_step

    def counting_step(dW, db, learning_rate):
        steps.append(learning_rate)
        original_step(dW, db, learning_rate)

    net.sgd_step = counting_step

    history = net.fit(X, Y, epochs=5, learning_rate=0.5, batch_size=3, seed=1)

    assert len(history) == 5
    assert all(math.isfinite(value) for value in history)
    assert len(steps) == 5 * 3


def test_fit_batch_size_above_m_is_full_batch():
    X, Y = make_xor()
    full = MLP([2, 3, 1], seed=10)
    oversized = MLP([2, 3, 1], seed=10)

    full_history = full.fit(X, Y, epochs=3, learning_rate=0.1)
    oversized_history = oversized.fit(X, Y, epochs=3, learning_rate=0.1, batch_size=100)

    assert oversized_history == full_history


def test_fit_diverging_stops_early_without_warning():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((2, 6))
    Y = rng.standard_normal((1, 6))
    net = MLP([2, 3, 1], hidden_activation="identity", output_activation="identity", loss="mse", seed=11)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = net.fit(X, Y, epochs=200, learning_rate=1e8)

    assert 1 <= len(history) < 200
    assert not math.isfinite(history[-1])
    assert all(math.isfinite(value) for value in history[:-1])


# -------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"hidden_activation": "softplus"}, "'softplus'"),
        ({"hidden_activation": "softmax"}, "hidden_activation 'softmax'"),
        ({"output_activation": "swish"}, "'swish'"),
        ({"loss": "hinge"}, "'hinge'"),
        ({"output_activation": "softmax", "loss": "mse"}, "'mse'"),
        ({"output_activation": "sigmoid", "loss": "cross_entropy"}, "'sigmoid'"),
        ({"output_activation": "identity", "loss": "binary_cross_entropy"}, "'identity'"),
        ({"seed": -1}, "-1"),
    ],
)
def test_constructor_rejects_bad_choice(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        MLP([3, 4, 2], **kwargs)


@pytest.mark.parametrize(
    ("layer_sizes", "pattern"),
    [
        ([3], re.escape("[3]")),
        ([], re.escape("[]")),
        ([3, 0, 1], re.escape("[3, 0, 1]")),
        ([3, -2, 1], re.escape("[3, -2, 1]")),
        ([3, 2.5, 1], re.escape("[3, 2.5, 1]")),
        ("3, 1", "'3, 1'"),
    ],
)
def test_constructor_rejects_bad_layer_sizes(layer_sizes, pattern):
    with pytest.raises(ValueError, match=pattern):
        MLP(layer_sizes)


BAD_INPUTS = [
    pytest.param(np.zeros((4, 5)), np.zeros((2, 5)), re.escape("(4, 5)"), id="X-wrong-rows"),
    pytest.param(np.zeros(3), np.zeros((2, 1)), re.escape("(3,)"), id="X-one-dimensional"),
    pytest.param(np.array([[0.0, np.nan]] * 3), np.zeros((2, 2)), "NaN", id="X-nan"),
    pytest.param(np.zeros((3, 5)), np.zeros((2, 4)), "Y has 4 examples", id="Y-wrong-columns"),
    pytest.param(np.zeros((3, 5)), np.zeros((1, 5)), re.escape("(1, 5)"), id="Y-wrong-rows"),
    pytest.param(np.zeros((3, 2)), np.array([[np.inf, 0.0]] * 2), "infinite", id="Y-infinite"),
]


@pytest.mark.parametrize(("X", "Y", "pattern"), BAD_INPUTS)
@pytest.mark.parametrize("method", ["loss", "gradients", "fit"])
def test_methods_reject_bad_data(method, X, Y, pattern):
    net = MLP([3, 4, 2], seed=12)

    with pytest.raises(ValueError, match=pattern):
        if method == "fit":
            net.fit(X, Y, epochs=1, learning_rate=0.1)
        else:
            getattr(net, method)(X, Y)


@pytest.mark.parametrize(
    ("X", "pattern"),
    [
        (np.zeros((4, 5)), re.escape("(4, 5)")),
        (np.zeros(3), re.escape("(3,)")),
        (np.array([[np.nan]] * 3), "NaN"),
        (np.zeros((3, 0)), re.escape("(3, 0)")),
    ],
)
def test_forward_rejects_bad_input(X, pattern):
    net = MLP([3, 4, 2], seed=13)

    with pytest.raises(ValueError, match=pattern):
        net.forward(X)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"epochs": 0, "learning_rate": 0.1}, "epochs .* got 0"),
        ({"epochs": 2, "learning_rate": 0.0}, "learning_rate .* got 0.0"),
        ({"epochs": 2, "learning_rate": 0.1, "batch_size": 0}, "batch_size .* got 0"),
        ({"epochs": 2, "learning_rate": 0.1, "seed": -3}, "seed .* got -3"),
    ],
)
def test_fit_rejects_bad_settings(kwargs, pattern):
    X, Y = make_xor()
    net = MLP([2, 3, 1], seed=14)

    with pytest.raises(ValueError, match=pattern):
        net.fit(X, Y, **kwargs)
