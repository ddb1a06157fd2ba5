"""The hidden checks of 04_dense_layer on correct and wrong answers.

Correct answers written in different styles must pass for several seeds;
each common mistake must fail with its cause named in the message.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.activations import sigmoid
from backprop_lib.grading import dense_layer
from backprop_lib.grading.core import CheckFailed

SEEDS = [0, 1, 2, 12345]


# dense_forward

def forward_matmul(W, b, a_prev):
    return W @ a_prev + b


def forward_dot(W, b, a_prev):
    return np.dot(W, a_prev) + b


def forward_einsum(W, b, a_prev):
    return np.einsum("ik,kj->ij", W, a_prev) + b


def forward_column_loop(W, b, a_prev):
    z = np.zeros((W.shape[0], a_prev.shape[1]))
    for j in range(a_prev.shape[1]):
        z[:, j:j + 1] = W @ a_prev[:, j:j + 1] + b
    return z


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [forward_matmul, forward_dot, forward_einsum, forward_column_loop])
def test_dense_forward_accepts_variants(answer, seed):
    dense_layer.check_dense_forward(answer, seed=seed)


def test_dense_forward_names_missing_bias():
    with pytest.raises(CheckFailed, match="bias b is missing"):
        dense_layer.check_dense_forward(lambda W, b, a_prev: W @ a_prev, seed=0)


def test_dense_forward_names_activation():
    with pytest.raises(CheckFailed, match="returned σ\\(z\\)"):
        dense_layer.check_dense_forward(lambda W, b, a_prev: sigmoid(W @ a_prev + b), seed=0)


def test_dense_forward_names_transposed_result():
    with pytest.raises(CheckFailed, match="it looks transposed"):
        dense_layer.check_dense_forward(lambda W, b, a_prev: a_prev.T @ W.T + b.T, seed=0)


# dense_backward

def backward_matmul(delta, W, a_prev):
    return delta @ a_prev.T, np.sum(delta, axis=1, keepdims=True), W.T @ delta


def backward_outer_products(delta, W, a_prev):
    """Sum of one outer product per example, as the derivation reads."""
    dW = np.zeros((delta.shape[0], a_prev.shape[0]))
    db = np.zeros((delta.shape[0], 1))
    for j in range(delta.shape[1]):
        dW += np.outer(delta[:, j], a_prev[:, j])
        db[:, 0] += delta[:, j]
    return dW, db, np.dot(W.T, delta)


def backward_einsum(delta, W, a_prev):
    m = delta.shape[1]
    return (
        np.einsum("ij,kj->ik", delta, a_prev),
        delta @ np.ones((m, 1)),
        np.einsum("ik,ij->kj", W, delta),
    )


def backward_transposed_products(delta, W, a_prev):
    return (a_prev @ delta.T).T, delta.sum(1).reshape(-1, 1), (delta.T @ W).T


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "answer", [backward_matmul, backward_outer_products, backward_einsum, backward_transposed_products]
)
def test_dense_backward_accepts_variants(answer, seed):
    dense_layer.check_dense_backward(answer, seed=seed)


def test_dense_backward_names_transposed_dW():
    def transposed(delta, W, a_prev):
        _, db, da_prev = backward_matmul(delta, W, a_prev)
        return a_prev @ delta.T, db, da_prev

    with pytest.raises(CheckFailed, match="dW is wrong.*dW is transposed"):
        dense_layer.check_dense_backward(transposed, seed=0)


def test_dense_backward_names_transposed_dW_shape():
    def transposed(delta, W, a_prev):
        _, db, da_prev = backward_matmul(delta, W, a_prev)
        return a_prev @ delta.T, db, da_prev

    # The first case of every seed has a square W; call the shape check on a non-square layer directly.
    case = dense_layer.layer_case(np.random.default_rng(0))
    dW, _, _ = transposed(case["delta"], case["W"], case["a_prev"])
    with pytest.raises(CheckFailed, match="it is transposed"):
        dense_layer._expect_dW(dW, case, "test")


def test_dense_backward_names_extra_one_over_m():
    def extra_mean(delta, W, a_prev):
        m = delta.shape[1]
        return delta @ a_prev.T / m, np.mean(delta, axis=1, keepdims=True), W.T @ delta

    with pytest.raises(CheckFailed, match="dW is wrong.*divided by m again"):
        dense_layer.check_dense_backward(extra_mean, seed=0)


def test_dense_backward_names_db_without_keepdims():
    def no_keepdims(delta, W, a_prev):
        dW, _, da_prev = backward_matmul(delta, W, a_prev)
        return dW, delta.sum(axis=1), da_prev

    with pytest.raises(CheckFailed, match="use keepdims=True"):
        dense_layer.check_dense_backward(no_keepdims, seed=0)


def test_dense_backward_names_db_wrong_axis():
    def wrong_axis(delta, W, a_prev):
        dW, _, da_prev = backward_matmul(delta, W, a_prev)
        return dW, delta.sum(axis=0, keepdims=True), da_prev

    with pytest.raises(CheckFailed, match="summed over the units \\(axis=0\\)"):
        dense_layer.check_dense_backward(wrong_axis, seed=0)


def test_dense_backward_names_db_total_sum():
    def total(delta, W, a_prev):
        dW, _, da_prev = backward_matmul(delta, W, a_prev)
        return dW, np.sum(delta), da_prev

    with pytest.raises(CheckFailed, match="db is one number"):
        dense_layer.check_dense_backward(total, seed=0)


def test_dense_backward_names_W_for_W_transpose():
    def untransposed(delta, W, a_prev):
        dW, db, _ = backward_matmul(delta, W, a_prev)
        return dW, db, W @ delta

    with pytest.raises(CheckFailed, match="used W instead of W.T"):
        dense_layer.check_dense_backward(untransposed, seed=0)


def test_dense_backward_hints_transpose_on_crash():
    def missing_transpose(delta, W, a_prev):
        _, db, da_prev = backward_matmul(delta, W, a_prev)
        return delta @ a_prev, db, da_prev

    with pytest.raises(CheckFailed, match="raised ValueError.*missing or extra transpose"):
        dense_layer.check_dense_backward(missing_transpose, seed=0)


def test_dense_backward_rejects_accumulated_gradients():
    total = {}

    def accumulating(delta, W, a_prev):
        dW, db, da_prev = backward_matmul(delta, W, a_prev)
        key = (delta.shape, W.shape)
        total[key] = total.get(key, 0) + dW
        return total[key], db, da_prev

    with pytest.raises(CheckFailed, match="different result when called again"):
        dense_layer.check_dense_backward(accumulating, seed=0)


def test_dense_backward_rejects_in_place_delta():
    def scales_delta(delta, W, a_prev):
        delta *= 1.0 + 1e-3
        return backward_matmul(delta / (1.0 + 1e-3), W, a_prev)

    with pytest.raises(CheckFailed, match="changed its argument 'delta' in place"):
        dense_layer.check_dense_backward(scales_delta, seed=0)


def test_dense_backward_rejects_visible_example():
    def hard_coded(delta, W, a_prev):
        return (np.array([[0.25, -0.25, -0.25], [0.75, 0.5, 0.25]]), np.array([[0.0], [0.25]]),
                np.zeros((3, 4)))

    with pytest.raises(CheckFailed, match="dW has shape|dW is wrong"):
        dense_layer.check_dense_backward(hard_coded, seed=0)


# gradient_shapes

def shapes_tuples(n_l, n_prev, m):
    return (n_l, n_prev), (n_l, 1), (n_prev, m)


def shapes_from_arrays(n_l, n_prev, m):
    W, a_prev = np.zeros((n_l, n_prev)), np.zeros((n_prev, m))
    delta = W @ a_prev
    return (delta @ a_prev.T).shape, delta.sum(axis=1, keepdims=True).shape, (W.T @ delta).shape


def shapes_lists(n_l, n_prev, m):
    return ([n_l, n_prev], [n_l, 1], [n_prev, m])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [shapes_tuples, shapes_from_arrays, shapes_lists])
def test_gradient_shapes_accepts_variants(answer, seed):
    dense_layer.check_gradient_shapes(answer, seed=seed)


def test_gradient_shapes_names_transposed_dW():
    with pytest.raises(CheckFailed, match="dW is wrong.*it is transposed"):
        dense_layer.check_gradient_shapes(lambda n_l, n_prev, m: ((n_prev, n_l), (n_l, 1), (n_prev, m)), seed=0)


def test_gradient_shapes_names_flat_db():
    with pytest.raises(CheckFailed, match="db is wrong.*keepdims=True"):
        dense_layer.check_gradient_shapes(lambda n_l, n_prev, m: ((n_l, n_prev), (n_l,), (n_prev, m)), seed=0)


def test_gradient_shapes_names_delta_shape_for_da_prev():
    with pytest.raises(CheckFailed, match="da_prev is wrong.*shape of delta"):
        dense_layer.check_gradient_shapes(lambda n_l, n_prev, m: ((n_l, n_prev), (n_l, 1), (n_l, m)), seed=0)


def test_gradient_shapes_rejects_arrays():
    with pytest.raises(CheckFailed, match="should be a tuple of ints"):
        dense_layer.check_gradient_shapes(lambda n_l, n_prev, m: (np.zeros((n_l, n_prev)),) * 3, seed=0)


# numerical_gradient

def gradient_save_restore(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        f_plus = f(x)
        x[index] = saved - h
        f_minus = f(x)
        x[index] = saved
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def gradient_copies(f, x, h=1e-5):
    grad = np.empty(x.shape)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            plus, minus = x.copy(), x.copy()
            plus[i, j] += h
            minus[i, j] -= h
            grad[i, j] = (f(plus) - f(minus)) / (2 * h)
    return grad


def gradient_add_subtract(f, x, h=1e-5):
    """Moves each entry by +h, −2h and +h, which can leave it one rounding step off."""
    grad = np.zeros(x.size)
    flat = x.reshape(-1)
    for k in range(x.size):
        flat[k] += h
        f_plus = f(x)
        flat[k] -= 2 * h
        f_minus = f(x)
        flat[k] += h
        grad[k] = (f_plus - f_minus) / (2 * h)
    return grad.reshape(x.shape)


def gradient_nditer(f, x, h=1e-5):
    grad = np.zeros_like(x)
    iterator = np.nditer(x, flags=["multi_index"])
    for _ in iterator:
        index = iterator.multi_index
        step = np.zeros_like(x)
        step[index] = h
        grad[index] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "answer", [gradient_save_restore, gradient_copies, gradient_add_subtract, gradient_nditer]
)
def test_numerical_gradient_accepts_variants(answer, seed):
    dense_layer.check_numerical_gradient(answer, seed=seed)


def test_numerical_gradient_names_one_sided():
    def one_sided(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[index] = h
            grad[index] = (f(x + step) - f(x)) / h
        return grad

    with pytest.raises(CheckFailed, match="one-sided difference"):
        dense_layer.check_numerical_gradient(one_sided, seed=0)


def test_numerical_gradient_names_missing_two():
    with pytest.raises(CheckFailed, match="denominator should be 2h"):
        dense_layer.check_numerical_gradient(lambda f, x, h=1e-5: 2 * gradient_save_restore(f, x, h), seed=0)


def test_numerical_gradient_names_unrestored_entries():
    def unrestored(f, x, h=1e-5):
        x = x.copy()
        grad = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            x[index] += h
            f_plus = f(x)
            x[index] -= 2 * h
            grad[index] = (f_plus - f(x)) / (2 * h)
        return grad

    with pytest.raises(CheckFailed, match="restore x\\[index\\]"):
        dense_layer.check_numerical_gradient(unrestored, seed=0)


def test_numerical_gradient_rejects_changed_input():
    def scales_input(f, x, h=1e-5):
        grad = gradient_copies(f, x, h)
        x *= 1.01
        return grad

    with pytest.raises(CheckFailed, match="left x changed"):
        dense_layer.check_numerical_gradient(scales_input, seed=0)


def test_numerical_gradient_rejects_zeros():
    with pytest.raises(CheckFailed, match="all zeros"):
        dense_layer.check_numerical_gradient(lambda f, x, h=1e-5: np.zeros_like(x), seed=0)


# layer_loss

def loss_sum(W, b, a_prev, Y):
    a = sigmoid(W @ a_prev + b)
    return float(np.sum((a - Y) ** 2) / (2 * a_prev.shape[1]))


def loss_mean_of_column_norms(W, b, a_prev, Y):
    a = 1 / (1 + np.exp(-(np.dot(W, a_prev) + b)))
    return 0.5 * np.mean(np.sum((a - Y) ** 2, axis=0))


def loss_loop(W, b, a_prev, Y):
    m = a_prev.shape[1]
    total = 0.0
    for j in range(m):
        a_j = sigmoid(W @ a_prev[:, [j]] + b)
        total += np.linalg.norm(a_j - Y[:, [j]]) ** 2
    return total / (2 * m)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [loss_sum, loss_mean_of_column_norms, loss_loop])
def test_layer_loss_accepts_variants(answer, seed):
    dense_layer.check_layer_loss(answer, seed=seed)


def test_layer_loss_names_mean_over_all_entries():
    def mean_everything(W, b, a_prev, Y):
        return float(np.mean((sigmoid(W @ a_prev + b) - Y) ** 2) / 2)

    with pytest.raises(CheckFailed, match="np.mean averages over all n_l · m entries"):
        dense_layer.check_layer_loss(mean_everything, seed=0)


def test_layer_loss_names_missing_half():
    with pytest.raises(CheckFailed, match="the ½ is missing"):
        dense_layer.check_layer_loss(lambda W, b, a_prev, Y: 2 * loss_sum(W, b, a_prev, Y), seed=0)


def test_layer_loss_names_missing_one_over_m():
    def no_mean(W, b, a_prev, Y):
        return float(np.sum((sigmoid(W @ a_prev + b) - Y) ** 2) / 2)

    with pytest.raises(CheckFailed, match="the 1/m is missing"):
        dense_layer.check_layer_loss(no_mean, seed=0)
