"""Checks for the notebook 01_chain_rule."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..activations import sigmoid as reference_sigmoid
from ..activations import sigmoid_prime as reference_sigmoid_prime
from ..gradcheck import numerical_gradient
from .core import CheckFailed, call_learner, expect_array, new_rng, passed


def _random_shapes(rng: np.random.Generator) -> list[tuple[int, ...]]:
    return [(int(rng.integers(2, 5)), int(rng.integers(3, 7))), (1, int(rng.integers(2, 6))), ()]


def check_sigmoid(sigmoid: Callable, seed: int | None = None) -> None:
    """Check σ(z) = 1 / (1 + e^(−z)) on random arrays and a scalar, z in [−30, 30]."""
    rng, seed = new_rng(seed)
    shapes = _random_shapes(rng)

    for shape in shapes:
        z = rng.uniform(-30.0, 30.0, size=shape) if shape else float(rng.uniform(-6, 6))
        got = call_learner(sigmoid, z, name="sigmoid", forbidden=[reference_sigmoid])
        expect_array(
            "sigmoid(z)",
            got,
            reference_sigmoid(z),
            mistakes={"the exponent's sign is flipped: σ(z) = 1 / (1 + e^(−z)).": reference_sigmoid(-np.asarray(z))},
            context=f"z of shape {np.shape(z)}, seed {seed}",
        )
    passed("sigmoid", len(shapes), seed)


def check_sigmoid_prime(sigmoid_prime: Callable, seed: int | None = None) -> None:
    """Check σ'(z) = σ(z)(1 − σ(z)) on random arrays and a scalar."""
    rng, seed = new_rng(seed)
    shapes = _random_shapes(rng)

    for shape in shapes:
        z = rng.uniform(-6.0, 6.0, size=shape) if shape else float(rng.uniform(-6, 6))
        z_array = np.asarray(z, dtype=np.float64)
        got = call_learner(sigmoid_prime, z, name="sigmoid_prime", forbidden=[reference_sigmoid_prime])
        expect_array(
            "sigmoid_prime(z)",
            got,
            reference_sigmoid_prime(z_array),
            mistakes={
                "computed z(1 − z); that formula needs a = σ(z), not z.": z_array * (1.0 - z_array),
                "returned σ(z) itself, not its derivative.": reference_sigmoid(z_array),
                "σ' evaluated at a = σ(z) instead of at z.": reference_sigmoid_prime(reference_sigmoid(z_array)),
            },
            context=f"z of shape {np.shape(z)}, seed {seed}",
        )
    passed("sigmoid_prime", len(shapes), seed)


# Smooth test functions with exact derivatives, f''' of order 1 to 30.
_FUNCTIONS = [
    ("sin(3x) + x^3", lambda x: np.sin(3 * x) + x**3, lambda x: 3 * np.cos(3 * x) + 3 * x**2),
    ("exp(x) / (1 + x^2)", lambda x: np.exp(x) / (1 + x**2), lambda x: np.exp(x) * (1 + x**2 - 2 * x) / (1 + x**2) ** 2),
    ("log(1 + x^2) * cos(x)", lambda x: np.log(1 + x**2) * np.cos(x),
     lambda x: 2 * x / (1 + x**2) * np.cos(x) - np.log(1 + x**2) * np.sin(x)),
]


def check_numerical_derivative(numerical_derivative: Callable, seed: int | None = None) -> None:
    """Check a centered difference (f(x + h) − f(x − h)) / 2h against exact derivatives.

    With h = 1e-4 the centered error is about h²·|f'''|/6 ≈ 1e-8·|f'''|, while a
    one-sided difference is off by about h·|f''|/2 ≈ 1e-4·|f''|; the tolerance
    (rtol 1e-6, atol 1e-6) lies between the two.
    """
    rng, seed = new_rng(seed)
    h = 1e-4

    for label, f, f_prime in _FUNCTIONS:
        x = float(rng.uniform(-1.5, 1.5))
        got = call_learner(numerical_derivative, f, x, h, name="numerical_derivative", forbidden=[numerical_gradient])
        forward = (f(x + h) - f(x)) / h
        expect_array(
            f"numerical_derivative(f, x={x:.4f}, h={h:g}) for f(x) = {label}",
            got,
            np.asarray(f_prime(x)),
            rtol=1e-6,
            atol=1e-6,
            mistakes={
                "this is the one-sided difference (f(x + h) − f(x)) / h; use the centered one.": np.asarray(forward),
                "the denominator should be 2h, not h.": np.asarray((f(x + h) - f(x - h)) / h),
            },
            context=f"seed {seed}",
        )
    passed("numerical_derivative", len(_FUNCTIONS), seed)


def check_neuron_derivatives(neuron_derivatives: Callable, seed: int | None = None) -> None:
    """Check (∂a/∂w, ∂a/∂b) for a = σ(w·x + b): (σ'(z)·x, σ'(z))."""
    rng, seed = new_rng(seed)
    n_cases = 5

    for _ in range(n_cases):
        w, x, b = (float(v) for v in rng.uniform(-2.0, 2.0, size=3))
        z = w * x + b
        a = reference_sigmoid(z)
        result = call_learner(neuron_derivatives, w, x, b, name="neuron_derivatives", repeat=True)
        if not isinstance(result, tuple) or len(result) != 2:
            raise CheckFailed(
                f"neuron_derivatives should return a tuple (da_dw, da_db), got {type(result).__name__}"
            )
        da_dw, da_db = result
        context = f"w={w:.3f}, x={x:.3f}, b={b:.3f}, seed {seed}"
        expect_array(
            "da_dw",
            da_dw,
            np.asarray(reference_sigmoid_prime(z) * x),
            mistakes={
                "the factor x is missing: ∂z/∂w = x.": np.asarray(reference_sigmoid_prime(z)),
                "σ' evaluated at a instead of z.": np.asarray(reference_sigmoid_prime(a) * x),
                "multiplied by w instead of x: ∂z/∂w = x.": np.asarray(reference_sigmoid_prime(z) * w),
            },
            context=context,
        )
        expect_array(
            "da_db",
            da_db,
            np.asarray(reference_sigmoid_prime(z)),
            mistakes={
                "σ' evaluated at a instead of z.": np.asarray(reference_sigmoid_prime(a)),
                "multiplied by x, but ∂z/∂b = 1.": np.asarray(reference_sigmoid_prime(z) * x),
            },
            context=context,
        )
    passed("neuron_derivatives", n_cases, seed)
