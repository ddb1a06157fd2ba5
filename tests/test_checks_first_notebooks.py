"""The hidden checks of 01_chain_rule and 02_single_neuron on correct and wrong answers.

Correct answers written in different styles must pass for several seeds;
each common mistake must fail with its cause named in the message.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_lib.grading import chain_rule, single_neuron
from backprop_lib.grading.core import CheckFailed

SEEDS = [0, 1, 2, 12345]


def sigmoid_vectorized(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_with_tanh(z):
    return 0.5 * (1.0 + np.tanh(np.asarray(z) / 2.0))


def sigmoid_loop(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    for index in np.ndindex(z.shape):
        out[index] = 1.0 / (1.0 + math.exp(-z[index]))
    return out


def sigmoid_prime_correct(z):
    s = sigmoid_vectorized(z)
    return s * (1 - s)


def sigmoid_prime_from_exp(z):
    e = np.exp(-z)
    return e / (1 + e) ** 2


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [sigmoid_vectorized, sigmoid_with_tanh, sigmoid_loop])
def test_check_sigmoid_accepts_variants(answer, seed):
    chain_rule.check_sigmoid(answer, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [sigmoid_prime_correct, sigmoid_prime_from_exp])
def test_check_sigmoid_prime_accepts_variants(answer, seed):
    chain_rule.check_sigmoid_prime(answer, seed=seed)


def test_check_sigmoid_names_flipped_exponent():
    with pytest.raises(CheckFailed, match="exponent's sign is flipped"):
        chain_rule.check_sigmoid(lambda z: 1 / (1 + np.exp(z)), seed=0)


def test_check_sigmoid_prime_names_derivative_at_a():
    with pytest.raises(CheckFailed, match="σ' evaluated at a"):
        chain_rule.check_sigmoid_prime(lambda z: sigmoid_prime_correct(sigmoid_vectorized(z)), seed=0)


def test_check_sigmoid_prime_names_z_times_one_minus_z():
    with pytest.raises(CheckFailed, match="needs a = σ\\(z\\), not z"):
        chain_rule.check_sigmoid_prime(lambda z: z * (1 - z), seed=0)


@pytest.mark.parametrize("seed", SEEDS)
def test_check_numerical_derivative_accepts_centered(seed):
    chain_rule.check_numerical_derivative(lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / (2 * h), seed=seed)


def test_check_numerical_derivative_accepts_five_point_stencil():
    def five_point(f, x, h=1e-5):
        return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)

    chain_rule.check_numerical_derivative(five_point, seed=3)


def test_check_numerical_derivative_names_one_sided():
    with pytest.raises(CheckFailed, match="one-sided difference"):
        chain_rule.check_numerical_derivative(lambda f, x, h=1e-5: (f(x + h) - f(x)) / h, seed=0)


def test_check_numerical_derivative_names_missing_two():
    with pytest.raises(CheckFailed, match="denominator should be 2h"):
        chain_rule.check_numerical_derivative(lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / h, seed=0)


def neuron_derivatives_correct(w, x, b):
    s = 1 / (1 + math.exp(-(w * x + b)))
    return s * (1 - s) * x, s * (1 - s)


@pytest.mark.parametrize("seed", SEEDS)
def test_check_neuron_derivatives_accepts_correct(seed):
    chain_rule.check_neuron_derivatives(neuron_derivatives_correct, seed=seed)


def test_check_neuron_derivatives_names_missing_x():
    with pytest.raises(CheckFailed, match="factor x is missing"):
        chain_rule.check_neuron_derivatives(lambda w, x, b: (neuron_derivatives_correct(w, x, b)[1],) * 2, seed=0)


def test_check_neuron_derivatives_rejects_single_value():
    with pytest.raises(CheckFailed, match="should return a tuple \\(da_dw, da_db\\)"):
        chain_rule.check_neuron_derivatives(lambda w, x, b: 0.0, seed=0)


def forward_matmul(w, b, x):
    z = w @ x + b
    return z, sigmoid_vectorized(z)


def forward_dot_scalar(w, b, x):
    z = float(np.dot(w, x)[0, 0] + b[0, 0])
    return z, 1 / (1 + math.exp(-z))


def backward_matmul(w, b, x, y):
    z, a = forward_matmul(w, b, x)
    delta = (a - y) * a * (1 - a)
    return delta @ x.T, delta


def backward_loop(w, b, x, y):
    z = sum(w[0, i] * x[i, 0] for i in range(w.shape[1])) + b[0, 0]
    a = 1 / (1 + math.exp(-z))
    delta = (a - y[0, 0]) * a * (1 - a)
    dw = np.zeros_like(w)
    for i in range(w.shape[1]):
        dw[0, i] = delta * x[i, 0]
    return dw, np.array([[delta]])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [forward_matmul, forward_dot_scalar])
def test_check_neuron_forward_accepts_variants(answer, seed):
    single_neuron.check_neuron_forward(answer, seed=seed)


def test_check_neuron_forward_names_missing_bias():
    with pytest.raises(CheckFailed, match="bias b is missing"):
        single_neuron.check_neuron_forward(lambda w, b, x: forward_matmul(w, np.zeros_like(b), x), seed=0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [backward_matmul, backward_loop])
def test_check_neuron_backward_accepts_variants(answer, seed):
    single_neuron.check_neuron_backward(answer, seed=seed)


def test_check_neuron_backward_names_derivative_at_a():
    def at_a(w, b, x, y):
        z, a = forward_matmul(w, b, x)
        s = sigmoid_vectorized(a)
        delta = (a - y) * s * (1 - s)
        return delta @ x.T, delta

    with pytest.raises(CheckFailed, match="σ' evaluated at a instead of z"):
        single_neuron.check_neuron_backward(at_a, seed=0)


def test_check_neuron_backward_names_missing_x():
    def no_x(w, b, x, y):
        _, delta = backward_matmul(w, b, x, y)
        return delta, delta

    with pytest.raises(CheckFailed, match="factor x is missing"):
        single_neuron.check_neuron_backward(no_x, seed=0)


def test_check_neuron_backward_names_sign():
    def flipped(w, b, x, y):
        dw, db = backward_matmul(w, b, x, y)
        return -dw, -db

    with pytest.raises(CheckFailed, match="sign is flipped"):
        single_neuron.check_neuron_backward(flipped, seed=0)


def test_check_gradient_step_names_ascent():
    with pytest.raises(CheckFailed, match="added the gradient"):
        single_neuron.check_gradient_step(lambda w, b, dw, db, lr: (w + lr * dw, b + lr * db), seed=0)


def test_check_gradient_step_rejects_in_place_update():
    def in_place(w, b, dw, db, lr):
        w -= lr * dw
        b -= lr * db
        return w, b

    with pytest.raises(CheckFailed, match="changed its argument 'w' in place"):
        single_neuron.check_gradient_step(in_place, seed=0)


def train_correct(w, b, X, Y, epochs, learning_rate):
    losses = []
    for _ in range(epochs):
        for j in range(X.shape[1]):
            dw, db = backward_matmul(w, b, X[:, [j]], Y[:, [j]])
            w, b = w - learning_rate * dw, b - learning_rate * db
        _, A = forward_matmul(w, b, X)
        losses.append(float(np.mean(0.5 * (A - Y) ** 2)))
    return w, b, losses


@pytest.mark.parametrize("seed", SEEDS)
def test_check_train_neuron_accepts_correct(seed):
    single_neuron.check_train_neuron(train_correct, seed=seed)


def test_check_train_neuron_rejects_loss_before_update():
    def loss_before(w, b, X, Y, epochs, learning_rate):
        losses = []
        for _ in range(epochs):
            _, A = forward_matmul(w, b, X)
            losses.append(float(np.mean(0.5 * (A - Y) ** 2)))
            for j in range(X.shape[1]):
                dw, db = backward_matmul(w, b, X[:, [j]], Y[:, [j]])
                w, b = w - learning_rate * dw, b - learning_rate * db
        return w, b, losses

    with pytest.raises(CheckFailed, match="losses is wrong"):
        single_neuron.check_train_neuron(loss_before, seed=0)
