"""Checks for the notebook 02_single_neuron.

The neuron: w shape (1, n), b shape (1, 1), one example x shape (n, 1) with
target y shape (1, 1); z = w @ x + b, a = σ(z), L = ½(a − y)².
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..activations import sigmoid, sigmoid_prime
from ..gradcheck import gradcheck, numerical_gradient
from ..mlp import MLP
from .core import CheckFailed, call_learner, expect_array, new_rng, passed

REFERENCE_CODE = [MLP, gradcheck, numerical_gradient]
"""Library code that computes a neuron's gradients or updates, which answers must not call."""


def _neuron_case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = int(rng.integers(2, 6))
    w = rng.normal(0.0, 1.0, size=(1, n))
    b = rng.normal(0.0, 0.5, size=(1, 1))
    x = rng.normal(0.0, 1.0, size=(n, 1))
    y = rng.uniform(0.0, 1.0, size=(1, 1))
    return w, b, x, y


def _pair(name: str, result: object, first: str, second: str) -> tuple:
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(f"{name} should return a tuple ({first}, {second}), got {type(result).__name__}")
    return result


def reference_backward(w, b, x, y):
    """Return (dw, db) of L = ½(a − y)² for one neuron: δ = (a − y)σ'(z), dw = δ xᵀ, db = δ."""
    z = w @ x + b
    delta = (sigmoid(z) - y) * sigmoid_prime(z)
    return delta @ x.T, delta


def check_neuron_forward(neuron_forward: Callable, seed: int | None = None) -> None:
    """Check (z, a) = (w @ x + b, σ(z)) on random neurons with 2 to 5 inputs."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for _ in range(n_cases):
        w, b, x, _ = _neuron_case(rng)
        z_want = w @ x + b
        result = call_learner(neuron_forward, w, b, x, name="neuron_forward")
        z, a = _pair("neuron_forward", result, "z", "a")
        context = f"n = {x.shape[0]} inputs, seed {seed}"
        expect_array("z", z, z_want, mistakes={"the bias b is missing from z.": w @ x}, context=context)
        expect_array(
            "a", a, sigmoid(z_want),
            mistakes={"a should be σ(z), not z.": z_want, "b was added after σ: a = σ(w x + b).": sigmoid(w @ x) + b},
            context=context,
        )
    passed("neuron_forward", n_cases, seed)


def check_neuron_backward(neuron_backward: Callable, seed: int | None = None) -> None:
    """Check (dw, db) = ((a − y)σ'(z) xᵀ, (a − y)σ'(z)) on random neurons."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for _ in range(n_cases):
        w, b, x, y = _neuron_case(rng)
        z = w @ x + b
        a = sigmoid(z)
        dw_want, db_want = reference_backward(w, b, x, y)
        result = call_learner(
            neuron_backward, w, b, x, y, name="neuron_backward", forbidden=REFERENCE_CODE, repeat=True
        )
        dw, db = _pair("neuron_backward", result, "dw", "db")
        context = f"n = {x.shape[0]} inputs, seed {seed}"

        if isinstance(dw, np.ndarray) and dw.size == 1 and w.size > 1:
            raise CheckFailed(
                f"dw has shape {dw.shape}, expected {w.shape}: one entry per weight. "
                f"Likely cause: the factor x is missing (∂z/∂w = xᵀ) ({context})"
            )
        expect_array(
            "dw", dw, dw_want,
            mistakes={
                "σ' evaluated at a instead of z.": (a - y) * sigmoid_prime(a) @ x.T,
                "σ' is missing: ∂L/∂z = (a − y)·σ'(z).": (a - y) @ x.T,
                "used the gradient of (a − y)² without the ½, which doubles it.": 2 * dw_want,
            },
            context=context,
        )
        expect_array(
            "db", db, db_want,
            mistakes={
                "σ' evaluated at a instead of z.": (a - y) * sigmoid_prime(a),
                "σ' is missing: ∂L/∂z = (a − y)·σ'(z).": a - y,
            },
            context=context,
        )
    passed("neuron_backward", n_cases, seed)


def check_gradient_step(gradient_step: Callable, seed: int | None = None) -> None:
    """Check (w − η dw, b − η db), returned as new arrays with the inputs untouched."""
    rng, seed = new_rng(seed)
    n_cases = 3

    for _ in range(n_cases):
        w, b, x, y = _neuron_case(rng)
        dw, db = reference_backward(w, b, x, y)
        learning_rate = float(rng.uniform(0.05, 2.0))
        result = call_learner(
            gradient_step, w, b, dw, db, learning_rate, name="gradient_step", forbidden=REFERENCE_CODE
        )
        w_new, b_new = _pair("gradient_step", result, "w_new", "b_new")
        context = f"learning rate {learning_rate:.3f}, seed {seed}"
        uphill = "added the gradient: gradient descent subtracts η·∇L."
        expect_array("w_new", w_new, w - learning_rate * dw, mistakes={uphill: w + learning_rate * dw}, context=context)
        expect_array("b_new", b_new, b - learning_rate * db, mistakes={uphill: b + learning_rate * db}, context=context)
    passed("gradient_step", n_cases, seed)


def reference_train(w, b, X, Y, epochs, learning_rate):
    """Per-example gradient descent in column order; the mean loss after each epoch."""
    losses = []
    for _ in range(epochs):
        for j in range(X.shape[1]):
            dw, db = reference_backward(w, b, X[:, j : j + 1], Y[:, j : j + 1])
            w, b = w - learning_rate * dw, b - learning_rate * db
        losses.append(float(np.mean(0.5 * (sigmoid(w @ X + b) - Y) ** 2)))
    return w, b, losses


def check_train_neuron(train_neuron: Callable, seed: int | None = None) -> None:
    """Check the weights, bias and loss history after a few epochs of training."""
    rng, seed = new_rng(seed)
    n, m = int(rng.integers(2, 4)), int(rng.integers(4, 8))
    w = rng.normal(0.0, 1.0, size=(1, n))
    b = rng.normal(0.0, 0.5, size=(1, 1))
    X = rng.normal(0.0, 1.0, size=(n, m))
    Y = (rng.uniform(size=(1, m)) > 0.5).astype(np.float64)
    epochs = int(rng.integers(3, 6))
    learning_rate = float(rng.uniform(0.5, 2.0))

    w_want, b_want, losses_want = reference_train(w, b, X, Y, epochs, learning_rate)
    result = call_learner(
        train_neuron, w, b, X, Y, epochs, learning_rate, name="train_neuron", forbidden=REFERENCE_CODE
    )
    if not isinstance(result, tuple) or len(result) != 3:
        raise CheckFailed(f"train_neuron should return a tuple (w, b, losses), got {type(result).__name__}")
    w_got, b_got, losses_got = result

    context = f"{m} examples, {epochs} epochs, learning rate {learning_rate:.3f}, seed {seed}"
    try:
        losses_array = np.asarray(losses_got, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise CheckFailed(f"losses should be a list of numbers, got {type(losses_got).__name__}") from None
    if losses_array.shape != (epochs,):
        raise CheckFailed(f"losses should hold one number per epoch ({epochs}), got {losses_array.size} ({context})")

    expect_array("losses", losses_array, np.asarray(losses_want), context=context)
    expect_array("w", w_got, w_want, context=context)
    expect_array("b", b_got, b_want, context=context)
    passed("train_neuron", 1, seed)
