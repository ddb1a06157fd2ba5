"""The hidden checks of 10_interview_drills on correct and wrong answers.

Correct answers written in different styles must pass for several seeds;
each common mistake must fail with its cause named in the message.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_lib import MLP
from backprop_lib.grading import interview_drills
from backprop_lib.grading.core import CheckFailed, TamperDetected

SEEDS = [0, 1, 2, 12345]


def logistic(z):
    return 1.0 / (1.0 + np.exp(-z))


def logistic_prime(z):
    s = logistic(z)
    return s * (1.0 - s)


# --- neuron_drill -----------------------------------------------------------


def neuron_vectorized(w, b, x, y):
    z = w @ x + b
    a = logistic(z)
    loss = -(y * np.log(a) + (1 - y) * np.log(1 - a))
    delta = a - y
    return a, loss, delta @ x.T, delta


def neuron_scalars(w, b, x, y):
    z = float(np.dot(w[0], x[:, 0]) + b[0, 0])
    a = 1.0 / (1.0 + math.exp(-z))
    target = float(y[0, 0])
    loss = -math.log(a) if target == 1.0 else -math.log(1.0 - a)
    dw = np.array([[(a - target) * x[i, 0] for i in range(x.shape[0])]])
    return a, loss, dw, a - target


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [neuron_vectorized, neuron_scalars])
def test_neuron_drill_accepts_variants(answer, seed):
    interview_drills.check_neuron_drill(answer, seed=seed)


def with_neuron_change(**changes):
    def answer(w, b, x, y):
        a, loss, dw, db = neuron_vectorized(w, b, x, y)
        z = w @ x + b
        values = {"a": a, "loss": loss, "dw": dw, "db": db}
        for key, change in changes.items():
            values[key] = change(w, b, x, y, z, a)
        return values["a"], values["loss"], values["dw"], values["db"]

    return answer


@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        (with_neuron_change(a=lambda w, b, x, y, z, a: z), "a should be σ\\(z\\)"),
        (with_neuron_change(loss=lambda w, b, x, y, z, a: -(y * np.log10(a) + (1 - y) * np.log10(1 - a))), "log10"),
        (with_neuron_change(loss=lambda w, b, x, y, z, a: 0.5 * (a - y) ** 2), "squared error"),
        (with_neuron_change(loss=lambda w, b, x, y, z, a: y * np.log(a) + (1 - y) * np.log(1 - a)), "sign is flipped"),
        (with_neuron_change(dw=lambda w, b, x, y, z, a: (a - y) * logistic_prime(z) @ x.T), "σ' cancels"),
        (with_neuron_change(db=lambda w, b, x, y, z, a: (a - y) * logistic_prime(z)), "σ' cancels"),
        (with_neuron_change(dw=lambda w, b, x, y, z, a: a - y), "factor xᵀ is missing"),
        (with_neuron_change(dw=lambda w, b, x, y, z, a: (y - a) @ x.T), "sign is flipped"),
        (with_neuron_change(dw=lambda w, b, x, y, z, a: x @ (a - y)), "transposed"),
    ],
)
def test_neuron_drill_names_mistakes(wrong, cause):
    with pytest.raises(CheckFailed, match=cause):
        interview_drills.check_neuron_drill(wrong, seed=0)


def test_neuron_drill_rejects_single_value():
    with pytest.raises(CheckFailed, match="should return a tuple \\(a, loss, dw, db\\)"):
        interview_drills.check_neuron_drill(lambda w, b, x, y: 0.5, seed=0)


# --- grad_w_entry -----------------------------------------------------------


def grad_entry_matrices(W1, b1, W2, b2, x, y, layer, i, j):
    z1 = W1 @ x + b1
    a1 = logistic(z1)
    z2 = W2 @ a1 + b2
    a2 = logistic(z2)
    delta2 = (a2 - y) * logistic_prime(z2)
    delta1 = (W2.T @ delta2) * logistic_prime(z1)
    return float((delta1 @ x.T if layer == 1 else delta2 @ a1.T)[i, j])


def grad_entry_by_paths(W1, b1, W2, b2, x, y, layer, i, j):
    # Sum the chain rule along the paths from the weight to the loss, one scalar at a time.
    n1 = W1.shape[0]
    z1 = [float(np.dot(W1[k], x[:, 0]) + b1[k, 0]) for k in range(n1)]
    a1 = [1 / (1 + math.exp(-v)) for v in z1]
    z2 = sum(W2[0, k] * a1[k] for k in range(n1)) + b2[0, 0]
    a2 = 1 / (1 + math.exp(-z2))
    dL_dz2 = (a2 - y[0, 0]) * a2 * (1 - a2)
    if layer == 2:
        return np.array([dL_dz2 * a1[j]])
    return dL_dz2 * W2[0, i] * a1[i] * (1 - a1[i]) * x[j, 0]


def grad_entry_numerical(W1, b1, W2, b2, x, y, layer, i, j):
    # A centered difference also answers the question, to about 1e-10.
    def loss(W1_, W2_):
        a2 = logistic(W2_ @ logistic(W1_ @ x + b1) + b2)
        return 0.5 * float(((a2 - y) ** 2).item())

    h = 1e-6
    plus, minus = [W1.copy(), W2.copy()], [W1.copy(), W2.copy()]
    plus[layer - 1][i, j] += h
    minus[layer - 1][i, j] -= h
    return (loss(*plus) - loss(*minus)) / (2 * h)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [grad_entry_matrices, grad_entry_by_paths, grad_entry_numerical])
def test_grad_w_entry_accepts_variants(answer, seed):
    interview_drills.check_grad_w_entry(answer, seed=seed)


def grad_entry_variant(*, prime_at_a=False, output_prime=True, hidden_prime=True, z_for_a=False, swap=False, scale=1.0):
    def answer(W1, b1, W2, b2, x, y, layer, i, j):
        z1 = W1 @ x + b1
        a1 = logistic(z1)
        z2 = W2 @ a1 + b2
        a2 = logistic(z2)
        at2, at1 = (a2, a1) if prime_at_a else (z2, z1)
        prime2 = logistic_prime(at2) if output_prime else 1.0
        prime1 = logistic_prime(at1) if hidden_prime else 1.0
        delta2 = (a2 - y) * prime2
        delta1 = (W2.T @ delta2) * prime1
        layer_input = z1 if z_for_a else a1
        if layer == 1:
            grad = delta1 @ x.T
        else:
            grad = delta2 @ layer_input.T
        if swap:
            i, j = j, i
        return scale * float(grad[i, j]) if i < grad.shape[0] and j < grad.shape[1] else 0.0

    return answer


@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        (grad_entry_variant(prime_at_a=True), "σ' evaluated at a"),
        (grad_entry_variant(output_prime=False), "output layer's σ'"),
        (grad_entry_variant(hidden_prime=False), "hidden layer's σ'"),
        (grad_entry_variant(z_for_a=True), "z¹ instead of the activation"),
        (grad_entry_variant(swap=True), "dW\\[j, i\\]|wrong"),
        (grad_entry_variant(scale=2.0), "forgot the ½"),
        (grad_entry_variant(scale=-1.0), "sign is flipped"),
        (lambda *args: -0.0625, "wrong"),
    ],
)
def test_grad_w_entry_names_mistakes(wrong, cause):
    with pytest.raises(CheckFailed, match=cause):
        interview_drills.check_grad_w_entry(wrong, seed=0)


def test_grad_w_entry_names_swapped_indices():
    named = 0
    for seed in range(6):
        try:
            interview_drills.check_grad_w_entry(grad_entry_variant(swap=True), seed=seed)
        except CheckFailed as failure:
            named += "dW[j, i]" in str(failure)
    assert named >= 1


def test_grad_w_entry_rejects_library_gradients():
    def from_library(W1, b1, W2, b2, x, y, layer, i, j):
        net = MLP([W1.shape[1], W1.shape[0], 1])
        net.weights = [W1, W2]
        net.biases = [b1, b2]
        dW, _ = net.gradients(x, y)
        return dW[layer - 1][i, j]

    with pytest.raises(TamperDetected, match="MLP"):
        interview_drills.check_grad_w_entry(from_library, seed=0)


# --- gradient_shapes --------------------------------------------------------


def shapes_comprehension(layer_sizes, m):
    return [(n, m) for n in layer_sizes[1:]], [(n_out, n_in) for n_in, n_out in zip(layer_sizes, layer_sizes[1:])]


def shapes_loop(layer_sizes, m):
    delta_shapes, dW_shapes = [], []
    for l in range(1, len(layer_sizes)):
        delta_shapes.append([layer_sizes[l], m])
        dW_shapes.append(np.array([layer_sizes[l], layer_sizes[l - 1]]))
    return tuple(delta_shapes), tuple(dW_shapes)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [shapes_comprehension, shapes_loop])
def test_gradient_shapes_accepts_variants(answer, seed):
    interview_drills.check_gradient_shapes(answer, seed=seed)


@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        (lambda sizes, m: ([(n, 1) for n in sizes[1:]], shapes_comprehension(sizes, m)[1]), "one column per example"),
        (lambda sizes, m: ([(m, n) for n in sizes[1:]], shapes_comprehension(sizes, m)[1]), "transposed; examples"),
        (lambda sizes, m: (shapes_comprehension(sizes, m)[0], [(i, o) for i, o in zip(sizes, sizes[1:])]),
         "transposed; dW"),
        (lambda sizes, m: (shapes_comprehension(sizes, m)[0], [(o, m) for o in sizes[1:]]), "sums over the m examples"),
        (lambda sizes, m: ([(n, m) for n in sizes], shapes_comprehension(sizes, m)[1]), "input layer has no δ"),
        (lambda sizes, m: [], "should return a tuple"),
    ],
)
def test_gradient_shapes_names_mistakes(wrong, cause):
    with pytest.raises(CheckFailed, match=cause):
        interview_drills.check_gradient_shapes(wrong, seed=0)


# --- output_delta, delta_hidden, layer_gradients ----------------------------


def output_delta_branches(a, y, z, loss):
    m = a.shape[1]
    if loss == "binary_cross_entropy":
        return (a - y) / m
    return (a - y) / m * logistic_prime(z)


def output_delta_via_dloss_da(a, y, z, loss):
    m = a.shape[1]
    if loss == "mse":
        dL_da = (a - y) / m
    else:
        dL_da = (a - y) / (a * (1 - a) * m)
    return dL_da * a * (1 - a)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [output_delta_branches, output_delta_via_dloss_da])
def test_output_delta_accepts_variants(answer, seed):
    interview_drills.check_output_delta(answer, seed=seed)


@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        (lambda a, y, z, loss: output_delta_branches(a, y, z, loss) * a.shape[1], "1/m of the mean loss is missing"),
        (lambda a, y, z, loss: output_delta_branches(a, y, z, loss) / a.shape[1], "divided by m twice"),
        (lambda a, y, z, loss: (a - y) / a.shape[1], "σ' is missing"),
        (lambda a, y, z, loss: (a - y) / a.shape[1] * logistic_prime(z), "σ' cancels"),
        (lambda a, y, z, loss: (a - y) / a.shape[1] * (logistic_prime(a) if loss == "mse" else 1), "evaluated at a"),
        (lambda a, y, z, loss: -output_delta_branches(a, y, z, loss), "sign is flipped"),
    ],
)
def test_output_delta_names_mistakes(wrong, cause):
    with pytest.raises(CheckFailed, match=cause):
        interview_drills.check_output_delta(wrong, seed=0)


def delta_hidden_matmul(W_next, delta_next, z):
    return (W_next.T @ delta_next) * logistic_prime(z)


def delta_hidden_einsum(W_next, delta_next, z):
    s = 1 / (1 + np.exp(-z))
    return np.einsum("ki,kj->ij", W_next, delta_next) * s * (1 - s)


def delta_hidden_float32(W_next, delta_next, z):
    return (np.dot(W_next.T, delta_next) * logistic_prime(z)).astype(np.float32)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [delta_hidden_matmul, delta_hidden_einsum, delta_hidden_float32])
def test_delta_hidden_accepts_variants(answer, seed):
    interview_drills.check_delta_hidden(answer, seed=seed)


@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        (lambda W, d, z: (W.T @ d) * logistic_prime(logistic(z)), "evaluated at a"),
        (lambda W, d, z: W.T @ d, "σ' is missing"),
        (lambda W, d, z: (W.T @ d) * z * (1 - z), "z\\(1 − z\\)"),
        (lambda W, d, z: (W.T @ d) * logistic_prime(z) ** 2, "twice"),
        (lambda W, d, z: (W @ d) * logistic_prime(z), "needs a transpose"),
        (lambda W, d, z: np.zeros_like(z), "all zeros"),
    ],
)
def test_delta_hidden_names_mistakes(wrong, cause):
    with pytest.raises(CheckFailed, match=cause):
        interview_drills.check_delta_hidden(wrong, seed=0)


def layer_gradients_matmul(delta, a_prev):
    return delta @ a_prev.T, delta.sum(axis=1, keepdims=True)


def layer_gradients_loop(delta, a_prev):
    n, m = delta.shape
    dW = np.zeros((n, a_prev.shape[0]))
    db = np.zeros((n, 1))
    for j in range(m):
        dW += np.outer(delta[:, j], a_prev[:, j])
        db[:, 0] += delta[:, j]
    return dW, db


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [layer_gradients_matmul, layer_gradients_loop])
def test_layer_gradients_accepts_variants(answer, seed):
    interview_drills.check_layer_gradients(answer, seed=seed)


@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        (lambda d, a: (d @ a.T / d.shape[1], d.sum(axis=1, keepdims=True)), "already inside δ"),
        (lambda d, a: (a @ d.T, d.sum(axis=1, keepdims=True)), "transposed"),
        (lambda d, a: (d @ a.T, d.sum(axis=1)), "keepdims"),
        (lambda d, a: (d @ a.T, d.sum(axis=0, keepdims=True)), "wrong axis"),
        (lambda d, a: (d @ a.T, d.mean(axis=1, keepdims=True)), "took the mean"),
        (lambda d, a: (d @ a.T, np.full((d.shape[0], 1), np.nan)), "non-finite"),
    ],
)
def test_layer_gradients_names_mistakes(wrong, cause):
    with pytest.raises(CheckFailed, match=cause):
        interview_drills.check_layer_gradients(wrong, seed=0)


def test_layer_gradients_rejects_accumulating_state():
    totals = {}

    def accumulating(delta, a_prev):
        key = delta.shape
        dW = totals.get(key, 0.0) + delta @ a_prev.T
        totals[key] = dW
        return dW, delta.sum(axis=1, keepdims=True)

    with pytest.raises(CheckFailed, match="accumulate"):
        interview_drills.check_layer_gradients(accumulating, seed=0)


def test_layer_gradients_rejects_in_place_update():
    def in_place(delta, a_prev):
        delta *= 1.0 + 1e-3
        return delta @ a_prev.T, delta.sum(axis=1, keepdims=True)

    with pytest.raises(CheckFailed, match="changed its argument 'delta' in place"):
        interview_drills.check_layer_gradients(in_place, seed=0)


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_deltas_match_library_gradients(seed):
    rng = np.random.default_rng(seed)
    for loss in ("mse", "binary_cross_entropy"):
        net = MLP([3, 5, 4, 2], hidden_activation="sigmoid", output_activation="sigmoid", loss=loss, seed=seed)
        X = rng.normal(size=(3, 6))
        Y = (rng.uniform(size=(2, 6)) > 0.5).astype(float)
        _, activations, deltas = interview_drills.reference_deltas(net, X, Y)
        dW, db = net.gradients(X, Y)
        for l in range(1, net.num_layers + 1):
            np.testing.assert_allclose(deltas[l - 1] @ activations[l - 1].T, dW[l - 1], rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(deltas[l - 1].sum(axis=1, keepdims=True), db[l - 1], rtol=1e-12, atol=1e-15)


# --- finite_difference_cost -------------------------------------------------


def cost_from_shapes(layer_sizes):
    return 2 * sum(n_out * n_in + n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def cost_from_float_sum(layer_sizes):
    total = 0.0
    for l in range(1, len(layer_sizes)):
        total += layer_sizes[l] * layer_sizes[l - 1] + layer_sizes[l]
    return 2.0 * total


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [cost_from_shapes, cost_from_float_sum])
def test_finite_difference_cost_accepts_variants(answer, seed):
    interview_drills.check_finite_difference_cost(answer, seed=seed)


@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        (lambda sizes: cost_from_shapes(sizes) // 2, "one evaluation per parameter"),
        (lambda sizes: cost_from_shapes(sizes) // 2 + 1, "one-sided count"),
        (lambda sizes: 2 * sum(o * i for i, o in zip(sizes[:-1], sizes[1:])), "biases are missing"),
        (lambda sizes: sum(o * i for i, o in zip(sizes[:-1], sizes[1:])), "weights only"),
        (lambda sizes: "many", "should return a number"),
        (lambda sizes: 0, "expected"),
    ],
)
def test_finite_difference_cost_names_mistakes(wrong, cause):
    with pytest.raises(CheckFailed, match=cause):
        interview_drills.check_finite_difference_cost(wrong, seed=0)
