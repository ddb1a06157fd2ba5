"""The hidden checks of 05_delta_recurrence on correct and wrong answers.

Correct answers written in different styles must pass for several seeds;
each common mistake must fail with its cause named in the message.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.gradcheck import numerical_gradient
from backprop_lib.grading import delta_recurrence
from backprop_lib.grading.core import CheckFailed, new_rng

SEEDS = [0, 1, 2, 12345]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1.0 - s)


# forward_with_cache ----------------------------------------------------------


def forward_loop(weights, biases, X):
    zs, activations = [], [X]
    a = X
    for W, b in zip(weights, biases):
        z = W @ a + b
        a = sigmoid(z)
        zs.append(z)
        activations.append(a)
    return zs, activations


def forward_dot_indexed(weights, biases, X):
    L = len(weights)
    activations = [X] + [None] * L
    zs = [None] * L
    for l in range(1, L + 1):
        zs[l - 1] = np.dot(weights[l - 1], activations[l - 1]) + biases[l - 1]
        activations[l] = np.exp(-np.logaddexp(0.0, -zs[l - 1]))
    return zs, activations


def forward_einsum_tuple(weights, biases, X):
    zs, activations = (), (X,)
    for W, b in zip(weights, biases):
        z = np.einsum("ij,jk->ik", W, activations[-1]) + b
        zs += (z,)
        activations += (0.5 * (1.0 + np.tanh(z / 2.0)),)
    return list(zs), list(activations)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [forward_loop, forward_dot_indexed, forward_einsum_tuple])
def test_forward_accepts_variants(answer, seed):
    delta_recurrence.check_forward_with_cache(answer, seed=seed)


def test_forward_names_missing_bias():
    def no_bias(weights, biases, X):
        return forward_loop(weights, [np.zeros_like(b) for b in biases], X)

    with pytest.raises(CheckFailed, match=r"bias b\[1\] is missing"):
        delta_recurrence.check_forward_with_cache(no_bias, seed=0)


def test_forward_names_missing_sigmoid():
    def linear(weights, biases, X):
        zs, activations = [], [X]
        for W, b in zip(weights, biases):
            zs.append(W @ activations[-1] + b)
            activations.append(zs[-1])
        return zs, activations

    with pytest.raises(CheckFailed, match=r"a\[1\] should be σ\(z\[1\]\)"):
        delta_recurrence.check_forward_with_cache(linear, seed=0)


def test_forward_names_missing_input():
    def without_x(weights, biases, X):
        zs, activations = forward_loop(weights, biases, X)
        return zs, activations[1:]

    with pytest.raises(CheckFailed, match=r"start with a\[0\] = X"):
        delta_recurrence.check_forward_with_cache(without_x, seed=0)


def test_forward_names_z_fed_forward():
    def feeds_z(weights, biases, X):
        zs, activations = [], [X]
        previous = X
        for W, b in zip(weights, biases):
            z = W @ previous + b
            zs.append(z)
            activations.append(sigmoid(z))
            previous = z
        return zs, activations

    with pytest.raises(CheckFailed, match=r"z\[2\] was computed from z\[1\]"):
        delta_recurrence.check_forward_with_cache(feeds_z, seed=0)


def test_forward_rejects_in_place_input_change():
    def overwrites_x(weights, biases, X):
        zs, activations = forward_loop(weights, biases, X.copy())
        X *= 0.0
        return zs, activations

    with pytest.raises(CheckFailed, match="changed its argument 'X' in place"):
        delta_recurrence.check_forward_with_cache(overwrites_x, seed=0)


# output_delta ----------------------------------------------------------------


def output_delta_vectorized(z_L, a_L, Y):
    return (a_L - Y) / Y.shape[1] * sigmoid_prime(z_L)


def output_delta_from_a(z_L, a_L, Y):
    m = a_L.shape[1]
    return (a_L - Y) * a_L * (1 - a_L) / m


def output_delta_loop(z_L, a_L, Y):
    n, m = z_L.shape
    delta = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            s = 1.0 / (1.0 + np.exp(-z_L[i, j]))
            delta[i, j] = (a_L[i, j] - Y[i, j]) * s * (1 - s) / m
    return delta


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [output_delta_vectorized, output_delta_from_a, output_delta_loop])
def test_output_delta_accepts_variants(answer, seed):
    delta_recurrence.check_output_delta(answer, seed=seed)


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (lambda z, a, Y: (a - Y) * sigmoid_prime(z), "the 1/m is missing"),
        (lambda z, a, Y: (a - Y) * Y.shape[1] * sigmoid_prime(z), "multiplied by m instead of dividing"),
        (lambda z, a, Y: (a - Y) / Y.shape[1] * sigmoid_prime(a), r"σ' evaluated at a\[L\]"),
        (lambda z, a, Y: (a - Y) / Y.shape[1], "formula for sigmoid \\+ binary cross-entropy"),
        (lambda z, a, Y: (a - Y) / Y.shape[1] * sigmoid_prime(z) ** 2, "σ' was applied twice"),
        (lambda z, a, Y: (Y - a) / Y.shape[1] * sigmoid_prime(z), "the sign is flipped"),
        (lambda z, a, Y: np.zeros_like(z), "all zeros"),
    ],
    ids=["no_1_over_m", "times_m", "sigma_prime_at_a", "bce_formula", "sigma_prime_twice", "sign", "zeros"],
)
def test_output_delta_names_mistake(answer, cause):
    with pytest.raises(CheckFailed, match=cause):
        delta_recurrence.check_output_delta(answer, seed=0)


# backward --------------------------------------------------------------------


def backward_vectorized(weights, zs, activations, Y):
    L = len(weights)
    m = Y.shape[1]
    dW, db = [None] * L, [None] * L
    delta = (activations[L] - Y) / m * sigmoid_prime(zs[L - 1])
    for l in range(L, 0, -1):
        dW[l - 1] = delta @ activations[l - 1].T
        db[l - 1] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (weights[l - 1].T @ delta) * sigmoid_prime(zs[l - 2])
    return dW, db


def backward_per_example(weights, zs, activations, Y):
    """One column at a time with np.dot and np.outer, using σ'(z) = a(1 − a)."""
    L = len(weights)
    m = Y.shape[1]
    dW = [np.zeros_like(W) for W in weights]
    db = [np.zeros((W.shape[0], 1)) for W in weights]
    for j in range(m):
        a = [act[:, j] for act in activations]
        delta = (a[L] - Y[:, j]) / m * a[L] * (1 - a[L])
        for l in range(L, 0, -1):
            dW[l - 1] += np.outer(delta, a[l - 1])
            db[l - 1][:, 0] += delta
            if l > 1:
                delta = np.dot(weights[l - 1].T, delta) * a[l - 1] * (1 - a[l - 1])
    return dW, db


def backward_einsum_pseudocode_order(weights, zs, activations, Y):
    """The completed short pseudocode: δ[L], dW[L], db[L], then the hidden-layer loop."""
    L = len(weights)
    deltas = [None] * (L + 1)
    deltas[L] = (activations[L] - Y) * sigmoid_prime(zs[L - 1]) / Y.shape[1]
    grads_W = {L: np.einsum("ik,jk->ij", deltas[L], activations[L - 1])}
    grads_b = {L: np.sum(deltas[L], axis=1).reshape(-1, 1)}
    for l in range(L - 1, 0, -1):
        deltas[l] = np.einsum("ji,jk->ik", weights[l], deltas[l + 1]) * sigmoid_prime(zs[l - 1])
        grads_W[l] = np.einsum("ik,jk->ij", deltas[l], activations[l - 1])
        grads_b[l] = np.sum(deltas[l], axis=1).reshape(-1, 1)
    return [grads_W[l] for l in range(1, L + 1)], tuple(grads_b[l] for l in range(1, L + 1))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [backward_vectorized, backward_per_example, backward_einsum_pseudocode_order])
def test_backward_accepts_variants(answer, seed):
    delta_recurrence.check_backward(answer, seed=seed)


def backward_with(weights, zs, activations, Y, *, output=None, hidden=None, dW_rule=None, db_rule=None, skip_output=False):
    """The vectorized backward with one step replaced, to build wrong answers."""
    L = len(weights)
    m = Y.shape[1]
    dW, db = [None] * L, [None] * L
    delta = output(activations[L], zs[L - 1], Y, m) if output else (activations[L] - Y) / m * sigmoid_prime(zs[L - 1])
    for l in range(L, 0, -1):
        dW[l - 1] = dW_rule(delta, activations[l - 1]) if dW_rule else delta @ activations[l - 1].T
        db[l - 1] = db_rule(delta) if db_rule else delta.sum(axis=1, keepdims=True)
        if l > 1:
            upstream = weights[l - 1].T @ delta
            delta = hidden(upstream, zs[l - 2], activations[l - 1]) if hidden else upstream * sigmoid_prime(zs[l - 2])
    if skip_output:
        return dW[:-1], db
    return dW, db


@pytest.mark.parametrize(
    ("options", "cause"),
    [
        (dict(dW_rule=lambda delta, a: a @ delta.T), r"dW\[3\] equals the correct dW\[3\] transposed"),
        (dict(db_rule=lambda delta: delta.sum(axis=0, keepdims=True)), r"db\[3\] summed over the wrong axis"),
        (dict(db_rule=lambda delta: delta.sum(axis=0)), r"db\[3\] summed over the wrong axis"),
        (dict(db_rule=lambda delta: delta.sum(axis=1)), "a sum lost its axis"),
        (dict(db_rule=lambda delta: delta), r"the shape of δ\[3\]"),
        (dict(db_rule=lambda delta: delta.mean(axis=1, keepdims=True)), r"db\[3\] is the mean"),
        (dict(hidden=lambda up, z, a: up * sigmoid_prime(a)), r"σ'\(a\[2\]\) instead of σ'\(z\[2\]\) in δ\[2\]"),
        (dict(hidden=lambda up, z, a: up), r"σ'\(z\[2\]\) is missing from δ\[2\]"),
        (dict(output=lambda a, z, Y, m: (a - Y) * sigmoid_prime(z)), r"the 1/m is missing from δ\[L\]"),
        (dict(output=lambda a, z, Y, m: (a - Y) / m * sigmoid_prime(z) ** 2), r"δ\[L\] has σ' applied twice"),
        (dict(output=lambda a, z, Y, m: (a - Y) / m), "formula for sigmoid \\+ binary"),
        (dict(output=lambda a, z, Y, m: (a - Y) / m * sigmoid_prime(a)), r"σ' evaluated at a instead of z in δ\[L\]"),
        (dict(output=lambda a, z, Y, m: (Y - a) / m * sigmoid_prime(z)), "the sign is flipped"),
        (dict(dW_rule=lambda delta, a: delta @ a.T / a.shape[1]), r"divided by m again in dW\[3\]"),
        (dict(skip_output=True), r"never stores dW\[3\]"),
    ],
    ids=[
        "transposed_dW", "db_axis0_keepdims", "db_axis0", "db_no_keepdims", "db_not_summed", "db_mean",
        "sigma_prime_at_a_hidden", "sigma_prime_missing_hidden", "missing_1_over_m", "output_sigma_prime_twice",
        "bce_output_delta", "output_sigma_prime_at_a", "sign", "dW_extra_1_over_m", "dW_L_missing",
    ],
)
def test_backward_names_mistake(options, cause):
    def answer(weights, zs, activations, Y):
        return backward_with(weights, zs, activations, Y, **options)

    with pytest.raises(CheckFailed, match=cause):
        delta_recurrence.check_backward(answer, seed=0)


def test_backward_names_accumulating_gradients():
    totals = {}

    def accumulates(weights, zs, activations, Y):
        dW, db = backward_vectorized(weights, zs, activations, Y)
        key = tuple(W.shape for W in weights)
        if key not in totals:
            totals[key] = ([np.zeros_like(g) for g in dW], [np.zeros_like(g) for g in db])
        for total, grad in zip(totals[key][0] + totals[key][1], dW + db):
            total += grad
        return totals[key]

    with pytest.raises(CheckFailed, match="gradients that accumulate across calls"):
        delta_recurrence.check_backward(accumulates, seed=0)


def test_backward_rejects_in_place_cache_change():
    def overwrites_output(weights, zs, activations, Y):
        a_L = activations[-1]
        a_L -= Y
        activations[-1] = a_L + Y
        return backward_vectorized(weights, zs, activations, Y)

    with pytest.raises(CheckFailed, match=r"changed activations\[3\] in place"):
        delta_recurrence.check_backward(overwrites_output, seed=0)


def test_backward_names_missing_bias_gradients():
    with pytest.raises(CheckFailed, match="returned None for db"):
        delta_recurrence.check_backward(lambda *args: (backward_vectorized(*args)[0], None), seed=0)


def test_backward_rejects_unanswered_stub():
    def stub(weights, zs, activations, Y):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="not answered yet"):
        delta_recurrence.check_backward(stub, seed=0)


@pytest.mark.parametrize("num_layers", [3, 4])
def test_reference_backward_matches_finite_differences(num_layers):
    rng, _ = new_rng(7)
    net, X, Y = delta_recurrence.random_network(rng, num_layers)
    zs, activations = net.forward_with_cache(X)
    dW, db = delta_recurrence.reference_backward(net.weights, zs, activations, Y)

    for l in range(num_layers):
        def loss_of_W(W, l=l):
            weights = list(net.weights)
            weights[l] = W
            a = X
            for W_k, b_k in zip(weights, net.biases):
                a = sigmoid(W_k @ a + b_k)
            return np.sum((a - Y) ** 2) / (2 * X.shape[1])

        def loss_of_b(b, l=l):
            biases = list(net.biases)
            biases[l] = b
            a = X
            for W_k, b_k in zip(net.weights, biases):
                a = sigmoid(W_k @ a + b_k)
            return np.sum((a - Y) ** 2) / (2 * X.shape[1])

        np.testing.assert_allclose(dW[l], numerical_gradient(loss_of_W, net.weights[l]), rtol=1e-6, atol=1e-10)
        np.testing.assert_allclose(db[l], numerical_gradient(loss_of_b, net.biases[l]), rtol=1e-6, atol=1e-10)


def test_random_network_has_no_square_weights():
    for seed in range(20):
        rng, _ = new_rng(seed)
        net, X, _ = delta_recurrence.random_network(rng, 4)
        m = X.shape[1]
        assert m >= 3
        assert all(W.shape[0] != W.shape[1] for W in net.weights)
        assert m not in net.layer_sizes


# update ----------------------------------------------------------------------


def update_comprehension(weights, biases, dW, db, learning_rate):
    return [W - learning_rate * g for W, g in zip(weights, dW)], [b - learning_rate * g for b, g in zip(biases, db)]


def update_indexed_copy(weights, biases, dW, db, learning_rate):
    new_W, new_b = [], []
    for l in range(len(weights)):
        W = weights[l].copy()
        W -= learning_rate * dW[l]
        b = np.subtract(biases[l], np.multiply(learning_rate, db[l]))
        new_W.append(W)
        new_b.append(b)
    return tuple(new_W), tuple(new_b)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [update_comprehension, update_indexed_copy])
def test_update_accepts_variants(answer, seed):
    delta_recurrence.check_update(answer, seed=seed)


def test_update_rejects_in_place_step():
    def in_place(weights, biases, dW, db, learning_rate):
        for W, g in zip(weights, dW):
            W -= learning_rate * g
        for b, g in zip(biases, db):
            b -= learning_rate * g
        return weights, biases

    with pytest.raises(CheckFailed, match=r"changed (its argument 'weights\[0\]'|weights\[0\]) in place"):
        delta_recurrence.check_update(in_place, seed=0)


def test_update_names_uphill_step():
    def uphill(weights, biases, dW, db, learning_rate):
        return update_comprehension(weights, biases, dW, db, -learning_rate)

    with pytest.raises(CheckFailed, match="added the gradient"):
        delta_recurrence.check_update(uphill, seed=0)


def test_update_names_skipped_output_layer():
    def hidden_only(weights, biases, dW, db, learning_rate):
        new_W, new_b = update_comprehension(weights[:-1], biases[:-1], dW[:-1], db[:-1], learning_rate)
        return new_W + [weights[-1]], new_b + [biases[-1]]

    with pytest.raises(CheckFailed, match=r"W\[3\] was returned unchanged"):
        delta_recurrence.check_update(hidden_only, seed=0)


def test_update_names_unchanged_biases():
    def weights_only(weights, biases, dW, db, learning_rate):
        return update_comprehension(weights, biases, dW, db, learning_rate)[0], list(biases)

    with pytest.raises(CheckFailed, match=r"b\[1\] was returned unchanged"):
        delta_recurrence.check_update(weights_only, seed=0)
