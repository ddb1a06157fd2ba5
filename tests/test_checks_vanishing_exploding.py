"""The hidden checks of 09_vanishing_exploding on correct and wrong answers.

Correct answers written in different styles must pass for several seeds;
each common mistake must fail with its cause named in the message.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_lib.gradcheck import numerical_gradient
from backprop_lib.grading import vanishing_exploding
from backprop_lib.grading.core import CheckFailed

SEEDS = [0, 1, 2, 12345]


def norms_linalg(dW):
    return np.array([np.linalg.norm(grad) for grad in dW])


def norms_loop(dW):
    norms = []
    for grad in dW:
        total = 0.0
        for value in grad.ravel():
            total += value * value
        norms.append(math.sqrt(total))
    return norms


def norms_einsum_float32(dW):
    return np.sqrt(np.array([np.einsum("ij,ij->", grad, grad) for grad in dW])).astype(np.float32)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [norms_linalg, norms_loop, norms_einsum_float32])
def test_layer_gradient_norms_accepts_variants(answer, seed):
    vanishing_exploding.check_layer_gradient_norms(answer, seed=seed)


@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        (lambda dW: np.array([np.sum(grad**2) for grad in dW]), "squared norms"),
        (lambda dW: np.array([np.abs(grad).max() for grad in dW]), "largest \\|entry\\|"),
        (lambda dW: np.array([np.abs(grad).sum() for grad in dW]), "L1 norm"),
        (lambda dW: np.array([np.sqrt(np.mean(grad**2)) for grad in dW]), "root mean square"),
        (lambda dW: norms_linalg(dW)[::-1], "reverse order"),
        (lambda dW: np.zeros(len(dW)), "all zeros"),
    ],
)
def test_layer_gradient_norms_names_mistakes(wrong, cause):
    with pytest.raises(CheckFailed, match=cause):
        vanishing_exploding.check_layer_gradient_norms(wrong, seed=0)


def test_layer_gradient_norms_rejects_hard_coded_example():
    with pytest.raises(CheckFailed, match="shape"):
        vanishing_exploding.check_layer_gradient_norms(lambda dW: np.array([5.0, 3.0]), seed=0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "answer",
    [lambda norms: norms[0] / norms[-1], lambda norms: float(norms[0]) / float(norms[len(norms) - 1]),
     lambda norms: np.exp(np.log(norms[0]) - np.log(norms[-1]))],
)
def test_norm_ratio_accepts_variants(answer, seed):
    vanishing_exploding.check_norm_ratio(answer, seed=seed)


@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        (lambda norms: norms[-1] / norms[0], "last layer by the first"),
        (lambda norms: norms[0] - norms[-1], "difference"),
        (lambda norms: np.log(norms[0] / norms[-1]), "logarithm"),
        (lambda norms: norms[0] / norms[1], "second layer"),
        (lambda norms: 0.125, "wrong"),
    ],
)
def test_norm_ratio_names_mistakes(wrong, cause):
    with pytest.raises(CheckFailed, match=cause):
        vanishing_exploding.check_norm_ratio(wrong, seed=0)


def xavier_normal(n_in, n_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_out, n_in))


def xavier_uniform(n_in, n_out, rng):
    limit = math.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_out, n_in))


def xavier_standard_normal_float32(n_in, n_out, rng):
    return (rng.standard_normal((n_out, n_in)) * math.sqrt(2.0 / (n_in + n_out))).astype(np.float32)


def he_normal(n_in, n_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))


def he_uniform(n_in, n_out, rng):
    limit = math.sqrt(6.0 / n_in)
    return rng.uniform(-limit, limit, size=(n_out, n_in))


@pytest.mark.parametrize("seed", SEEDS + [7, 8, 9])
@pytest.mark.parametrize("answer", [xavier_normal, xavier_uniform, xavier_standard_normal_float32])
def test_xavier_init_accepts_variants(answer, seed):
    vanishing_exploding.check_xavier_init(answer, seed=seed)


@pytest.mark.parametrize("seed", SEEDS + [7, 8, 9])
@pytest.mark.parametrize("answer", [he_normal, he_uniform])
def test_he_init_accepts_variants(answer, seed):
    vanishing_exploding.check_he_init(answer, seed=seed)


def normal_with_variance(variance):
    return lambda n_in, n_out, rng: rng.normal(0.0, np.sqrt(variance(n_in, n_out)), size=(n_out, n_in))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        (normal_with_variance(lambda n_in, n_out: 1.0 / n_in), "used 1/n_in"),
        (normal_with_variance(lambda n_in, n_out: 1.0 / n_out), "used 1/n_out"),
        (normal_with_variance(lambda n_in, n_out: 2.0 / n_in), "He's variance 2/n_in"),
        (normal_with_variance(lambda n_in, n_out: 2.0 / n_out), "used 2/n_out"),
        (normal_with_variance(lambda n_in, n_out: 1.0 / (n_in + n_out)), "factor 2 is missing"),
        (lambda n_in, n_out, rng: rng.normal(0.0, 2.0 / (n_in + n_out), size=(n_out, n_in)), "standard deviation"),
        (normal_with_variance(lambda n_in, n_out: 6.0 / (n_in + n_out)), "uniform's limit"),
        (lambda n_in, n_out, rng: rng.uniform(-1, 1, (n_out, n_in)) * np.sqrt(2.0 / (n_in + n_out)), "r²/3"),
        (lambda n_in, n_out, rng: rng.standard_normal((n_out, n_in)), "variance 1"),
        (lambda n_in, n_out, rng: np.zeros((n_out, n_in)), "same seed|same weights"),
        (lambda n_in, n_out, rng: np.abs(xavier_normal(n_in, n_out, rng)), "mean"),
        (lambda n_in, n_out, rng: xavier_normal(n_in, n_out, rng).T, "transposed"),
        (lambda n_in, n_out, rng: np.random.default_rng().normal(0.0, np.sqrt(2.0 / (n_in + n_out)), (n_out, n_in)),
         "from the rng argument"),
    ],
)
def test_xavier_init_names_mistakes(wrong, cause, seed):
    with pytest.raises(CheckFailed, match=cause):
        vanishing_exploding.check_xavier_init(wrong, seed=seed)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        (normal_with_variance(lambda n_in, n_out: 2.0 / n_out), "used 2/n_out"),
        (normal_with_variance(lambda n_in, n_out: 1.0 / n_in), "factor 2 makes up for ReLU"),
        (normal_with_variance(lambda n_in, n_out: 2.0 / (n_in + n_out)), "Glorot's variance"),
        (normal_with_variance(lambda n_in, n_out: 1.0 / n_out), "used 1/n_out"),
        (lambda n_in, n_out, rng: rng.normal(0.0, 2.0 / n_in, size=(n_out, n_in)), "standard deviation"),
        (lambda n_in, n_out, rng: rng.uniform(-1, 1, (n_out, n_in)) * np.sqrt(2.0 / n_in), "r²/3"),
        (lambda n_in, n_out, rng: he_normal(n_in, n_out, rng)[:, :-1], "shape"),
        (lambda n_in, n_out, rng: he_normal(n_in, n_out, rng).astype(int), "dtype"),
    ],
)
def test_he_init_names_mistakes(wrong, cause, seed):
    with pytest.raises(CheckFailed, match=cause):
        vanishing_exploding.check_he_init(wrong, seed=seed)


def test_init_tolerance_false_fail_probability_is_tiny():
    # A 6 % band around the variance is more than 7 standard deviations wide for 30,000 normal entries.
    relative_std = math.sqrt(2.0 / (vanishing_exploding.MIN_INIT_ENTRIES - 1))
    assert vanishing_exploding.VARIANCE_RTOL / relative_std > 7.0
    assert math.erfc(vanishing_exploding.MEAN_SIGMAS / math.sqrt(2.0)) < 1e-14


def test_init_shapes_hold_enough_entries():
    rng = np.random.default_rng(0)
    for _ in range(50):
        shapes = vanishing_exploding._init_shapes(rng)
        assert sum(n_in * n_out >= vanishing_exploding.MIN_INIT_ENTRIES for n_in, n_out in shapes) == 2


def residual_vectorized(g_next, W_next, z_next):
    return g_next + W_next.T @ (g_next * (1.0 - np.tanh(z_next) ** 2))


def residual_loop(g_next, W_next, z_next):
    n, m = g_next.shape
    g = np.array(g_next, dtype=float)
    for j in range(m):
        for k in range(n):
            delta = g_next[k, j] / math.cosh(z_next[k, j]) ** 2
            for i in range(n):
                g[i, j] += W_next[k, i] * delta
    return g


def residual_dot(g_next, W_next, z_next):
    delta = np.multiply(g_next, 1.0 - np.square(np.tanh(z_next)))
    return np.add(g_next, np.dot(np.transpose(W_next), delta))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [residual_vectorized, residual_loop, residual_dot])
def test_residual_backward_accepts_variants(answer, seed):
    vanishing_exploding.check_residual_backward(answer, seed=seed)


@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        (lambda g, W, z: W.T @ (g * (1 - np.tanh(z) ** 2)), "identity term g_next is missing"),
        (lambda g, W, z: g + W @ (g * (1 - np.tanh(z) ** 2)), "not transposed"),
        (lambda g, W, z: g + W.T @ g, "tanh' is missing"),
        (lambda g, W, z: (g + W.T @ g) * (1 - np.tanh(z) ** 2), "identity term too"),
        (lambda g, W, z: g + (W.T @ g) * (1 - np.tanh(z) ** 2), "applied after multiplying"),
        (lambda g, W, z: g + W.T @ (g * (1 - np.tanh(np.tanh(z)) ** 2)), "evaluated at tanh"),
        (lambda g, W, z: g + W.T @ (g * (1 - z**2)), "1 − z²"),
        (lambda g, W, z: -residual_vectorized(g, W, z), "sign is flipped"),
        (lambda g, W, z: np.zeros_like(g), "all zeros"),
        (lambda g, W, z: np.array([[2.0], [6.0]]), "shape"),
    ],
)
def test_residual_backward_names_mistakes(wrong, cause):
    with pytest.raises(CheckFailed, match=cause):
        vanishing_exploding.check_residual_backward(wrong, seed=0)


def test_residual_backward_rejects_in_place_update():
    def in_place(g_next, W_next, z_next):
        g_next += W_next.T @ (g_next * (1 - np.tanh(z_next) ** 2))
        return g_next

    with pytest.raises(CheckFailed, match="changed its argument 'g_next' in place"):
        vanishing_exploding.check_residual_backward(in_place, seed=0)


@pytest.mark.parametrize("seed", SEEDS)
def test_residual_reference_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    weights, biases, X, Y = vanishing_exploding.random_residual_network(rng, n=4, depth=3, m=6)
    dW, db, _ = vanishing_exploding.residual_gradients(weights, biases, X, Y)
    for index in range(3):
        def loss_of_weight(W, index=index):
            nudged = list(weights)
            nudged[index] = W
            return vanishing_exploding.residual_loss(nudged, biases, X, Y)

        def loss_of_bias(b, index=index):
            nudged = list(biases)
            nudged[index] = b
            return vanishing_exploding.residual_loss(weights, nudged, X, Y)

        np.testing.assert_allclose(dW[index], numerical_gradient(loss_of_weight, weights[index]), rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(db[index], numerical_gradient(loss_of_bias, biases[index]), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("answer", ["B", "b", " B\n"])
def test_vanishing_cause_accepts_b(answer):
    vanishing_exploding.check_vanishing_cause(lambda: answer, seed=0)


@pytest.mark.parametrize(
    ("answer", "cause"),
    [("A", "same number of parameters"), ("C", "does not depend on the learning rate"), ("D", "float64"),
     ("E", "one of"), (2, "one letter as a string")],
)
def test_vanishing_cause_explains_wrong_choice(answer, cause):
    with pytest.raises(CheckFailed, match=cause):
        vanishing_exploding.check_vanishing_cause(lambda: answer, seed=0)
