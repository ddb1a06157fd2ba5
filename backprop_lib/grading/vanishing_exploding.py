"""Checks for the notebook 09_vanishing_exploding.

Besides one check per exercise, the module holds the reference residual
network that the residual check builds its fixtures from. Each block keeps
the width n and adds its output to the stream a:

    z[l] = W[l] @ a[l-1] + b[l]        a[l] = a[l-1] + tanh(z[l])        a[0] = X

with the loss L = 1/(2m) ‖a[L] − Y‖² read directly from the stream. With
g[l] = ∂L/∂a[l] and δ[l] = ∂L/∂z[l] the backward pass is

    g[L] = (a[L] − Y)/m        δ[l] = g[l] ⊙ tanh'(z[l])        g[l-1] = g[l] + W[l]ᵀ δ[l]
    dW[l] = δ[l] a[l-1]ᵀ       db[l] = Σ over columns of δ[l]
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..activations import tanh_prime
from ..mlp import HIDDEN_ACTIVATIONS, MLP
from .core import CheckFailed, call_learner, expect_array, new_rng, passed

# Relative tolerance on the sample variance of an initializer's entries. The checks draw at
# least 30,000 entries, so for normal entries (N − 1)·s²/σ² follows a chi-square law with
# N − 1 ≥ 29,999 degrees of freedom, and a correct answer falls outside ±6 % with probability
# 3.1e-13 (2.8e-13 above, 3.2e-14 below; exact tail integrals). Uniform entries have a smaller
# spread of s², so their probability is lower still. Every wrong variance the checks name is
# at least 25 % away from the correct one.
VARIANCE_RTOL = 0.06

# The sample mean of N entries with sample standard deviation s must lie within 8·s/√N of 0.
# A correct answer misses that with probability about erfc(8/√2) = 1.2e-15.
MEAN_SIGMAS = 8.0

MIN_INIT_ENTRIES = 30_000


# ---------------------------------------------------------------------------
# Gradient norms of real networks
# ---------------------------------------------------------------------------


def _random_network_gradients(rng: np.random.Generator) -> list[np.ndarray]:
    """Return dW of a random deep MLP on a random batch, from a real forward and backward pass.

    Networks in which a layer gets an all-zero gradient (dead ReLU units) are drawn again,
    so every norm is positive and ratios of norms are finite.
    """
    while True:
        dW = _draw_network_gradients(rng)
        if all(np.any(np.abs(grad) > 1e-8) for grad in dW):
            return dW


def _draw_network_gradients(rng: np.random.Generator) -> list[np.ndarray]:
    depth = int(rng.integers(3, 7))
    sizes = [int(rng.integers(2, 8)) for _ in range(depth + 1)]
    # Neighbouring widths differ, so no dW[l] is square.
    for index in range(1, len(sizes)):
        if sizes[index] == sizes[index - 1]:
            sizes[index] += 1
    activation = str(rng.choice([name for name in HIDDEN_ACTIVATIONS if name != "identity"]))
    net = MLP(sizes, hidden_activation=activation, output_activation="identity", seed=int(rng.integers(2**31)))
    m = int(rng.integers(3, 9))
    X = rng.normal(0.0, 1.0, size=(sizes[0], m))
    Y = rng.normal(0.0, 1.0, size=(sizes[-1], m))
    dW, _ = net.gradients(X, Y)
    return dW


def reference_layer_gradient_norms(dW: list[np.ndarray]) -> np.ndarray:
    """Return the Frobenius norm ‖dW[l]‖_F of each layer, shape (L,)."""
    return np.array([np.sqrt(np.sum(grad * grad)) for grad in dW])


def _as_vector(label: str, got: object) -> object:
    """Turn a list or tuple of numbers into a float array; leave anything else for expect_array to judge."""
    if isinstance(got, (list, tuple)):
        try:
            return np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(f"{label} should be an array of numbers, got a {type(got).__name__} that contains other values") from None
    return got


def check_layer_gradient_norms(layer_gradient_norms: Callable, seed: int | None = None) -> None:
    """Check the per-layer Frobenius norms of dW from random deep networks with non-square layers."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for _ in range(n_cases):
        dW = _random_network_gradients(rng)
        want = reference_layer_gradient_norms(dW)
        got = call_learner(layer_gradient_norms, dW, name="layer_gradient_norms")
        got = _as_vector("layer_gradient_norms(dW)", got)
        shapes = ", ".join(str(grad.shape) for grad in dW)
        expect_array(
            "layer_gradient_norms(dW)",
            got,
            want,
            mistakes={
                "returned the squared norms; take the square root of the sum of squares.": want**2,
                "returned the largest |entry| of each layer, not the Frobenius norm.": np.array(
                    [np.max(np.abs(grad)) for grad in dW]
                ),
                "returned the sum of |entries| (the L1 norm), not the square root of the sum of squares.": np.array(
                    [np.sum(np.abs(grad)) for grad in dW]
                ),
                "divided by the number of entries (a root mean square); the Frobenius norm sums the squares.": np.array(
                    [np.sqrt(np.mean(grad * grad)) for grad in dW]
                ),
                "the layers are in reverse order; entry 0 is layer 1.": want[::-1],
            },
            context=f"dW shapes {shapes}, seed {seed}",
        )
    passed("layer_gradient_norms", n_cases, seed)


def check_norm_ratio(norm_ratio: Callable, seed: int | None = None) -> None:
    """Check norms[0] / norms[-1] on the gradient norms of random deep networks."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for _ in range(n_cases):
        norms = reference_layer_gradient_norms(_random_network_gradients(rng))
        want = np.asarray(norms[0] / norms[-1])
        got = call_learner(norm_ratio, norms, name="norm_ratio")
        expect_array(
            "norm_ratio(norms)",
            got,
            want,
            mistakes={
                "divided the last layer by the first; the ratio is first / last.": np.asarray(norms[-1] / norms[0]),
                "returned the difference first − last, not the ratio.": np.asarray(norms[0] - norms[-1]),
                "returned the logarithm of the ratio; return the ratio itself.": np.asarray(np.log(norms[0] / norms[-1])),
                "divided by norms[1], the second layer; the ratio is first / last.": np.asarray(norms[0] / norms[1]),
            },
            context=f"norms {np.array2string(norms, precision=3)}, seed {seed}",
        )
    passed("norm_ratio", n_cases, seed)


# ---------------------------------------------------------------------------
# Initializers: a statistical check
# ---------------------------------------------------------------------------


def _init_shapes(rng: np.random.Generator) -> list[tuple[int, int]]:
    """Draw the (n_in, n_out) of one wide and one tall layer with at least 30,000 weights, and of one small layer."""
    small = int(rng.integers(100, 151))
    large = int(rng.integers(3 * small, 5 * small + 1))
    other_small = int(rng.integers(100, 151))
    other_large = int(rng.integers(3 * other_small, 5 * other_small + 1))
    return [(large, small), (other_small, other_large), (int(rng.integers(2, 6)), int(rng.integers(6, 10)))]


def _check_initializer(
    name: str,
    initializer: Callable,
    formula: str,
    variance: Callable[[int, int], float],
    wrong_variances: dict[str, Callable[[int, int], float]],
    seed: int | None,
) -> None:
    rng, seed = new_rng(seed)
    shapes = _init_shapes(rng)

    for n_in, n_out in shapes:
        generator_seed = int(rng.integers(2**31))
        label = f"{name}({n_in}, {n_out}, rng)"
        context = f"n_in = {n_in}, n_out = {n_out}, seed {seed}"
        W = call_learner(initializer, n_in, n_out, np.random.default_rng(generator_seed), name=name)

        if not isinstance(W, np.ndarray):
            raise CheckFailed(f"{label} should return a NumPy array, got {type(W).__name__} ({context})")
        if W.shape == (n_in, n_out):
            raise CheckFailed(
                f"{label} has shape {W.shape}, expected {(n_out, n_in)}: it looks transposed. "
                f"W[l] has shape (n_out, n_in) so that z = W @ a works ({context})"
            )
        if W.shape != (n_out, n_in):
            raise CheckFailed(f"{label} has shape {W.shape}, expected {(n_out, n_in)} ({context})")
        if W.dtype.kind != "f":
            raise CheckFailed(f"{label} has dtype {W.dtype}; return floating-point numbers ({context})")
        if not np.all(np.isfinite(W)):
            raise CheckFailed(f"{label} contains NaN or inf ({context})")

        again = call_learner(initializer, n_in, n_out, np.random.default_rng(generator_seed), name=name)
        if not (isinstance(again, np.ndarray) and again.shape == W.shape and np.array_equal(again, W)):
            raise CheckFailed(
                f"{label} returned different weights for two generators with the same seed. "
                f"Draw every random number from the rng argument (rng.normal, rng.uniform), "
                f"not from np.random, so results can be reproduced ({context})"
            )
        other = call_learner(initializer, n_in, n_out, np.random.default_rng(generator_seed + 1), name=name)
        if isinstance(other, np.ndarray) and other.shape == W.shape and np.array_equal(other, W):
            raise CheckFailed(
                f"{label} returned the same weights for generators with different seeds; "
                f"draw the weights from rng ({context})"
            )

        if W.size < MIN_INIT_ENTRIES:
            continue  # A small layer is checked for its shape and the use of rng only.

        want = variance(n_in, n_out)
        values = W.astype(np.float64)
        mean = float(values.mean())
        # The standard error uses the sample's own spread, so a wrong variance is reported as such.
        mean_tolerance = MEAN_SIGMAS * math.sqrt(float(values.var()) / values.size)
        if abs(mean) > mean_tolerance:
            raise CheckFailed(
                f"the entries of {label} have mean {mean:.4g}, expected 0 within ±{mean_tolerance:.2g}; "
                f"draw from a distribution centred at 0 ({context})"
            )

        got = float(values.var())
        if abs(got / want - 1.0) <= VARIANCE_RTOL:
            continue
        message = (
            f"the entries of {label} have variance {got:.4g}, expected {formula} = {want:.4g} "
            f"within ±{VARIANCE_RTOL:.0%}"
        )
        if got == 0.0:
            message += ". Likely cause: every entry is the same; draw them at random"
        for cause, wrong in wrong_variances.items():
            if abs(got / wrong(n_in, n_out) - 1.0) <= VARIANCE_RTOL:
                message += f". Likely cause: {cause}"
                break
        raise CheckFailed(f"{message} ({context})")
    passed(name, len(shapes), seed)


def check_xavier_init(xavier_init: Callable, seed: int | None = None) -> None:
    """Check shape (n_out, n_in), use of rng, mean ≈ 0 and variance ≈ 2/(n_in + n_out).

    Normal and uniform entries both pass. Two of the three layers have at least
    30,000 entries; the probability that a correct answer fails is below 1e-12
    (see VARIANCE_RTOL and MEAN_SIGMAS).
    """
    _check_initializer(
        "xavier_init",
        xavier_init,
        "2/(n_in + n_out)",
        lambda n_in, n_out: 2.0 / (n_in + n_out),
        {
            "used 1/n_in, LeCun's variance; Glorot and Bengio average fan-in and fan-out: 2/(n_in + n_out).":
                lambda n_in, n_out: 1.0 / n_in,
            "used 1/n_out; Glorot's variance is 2/(n_in + n_out).": lambda n_in, n_out: 1.0 / n_out,
            "used He's variance 2/n_in; Glorot's is 2/(n_in + n_out).": lambda n_in, n_out: 2.0 / n_in,
            "used 2/n_out; Glorot's variance is 2/(n_in + n_out).": lambda n_in, n_out: 2.0 / n_out,
            "the factor 2 is missing: the variance is 2/(n_in + n_out), not 1/(n_in + n_out).":
                lambda n_in, n_out: 1.0 / (n_in + n_out),
            "passed the variance where NumPy expects the standard deviation; "
            "use scale=np.sqrt(2 / (n_in + n_out)).": lambda n_in, n_out: (2.0 / (n_in + n_out)) ** 2,
            "drew a normal with standard deviation √(6/(n_in + n_out)), the uniform's limit; "
            "the normal needs √(2/(n_in + n_out)).": lambda n_in, n_out: 6.0 / (n_in + n_out),
            "drew U(−r, r) with r = √(2/(n_in + n_out)); U(−r, r) has variance r²/3, so r = √(6/(n_in + n_out)).":
                lambda n_in, n_out: 2.0 / (3.0 * (n_in + n_out)),
            "the entries have variance 1: the scale factor is missing.": lambda n_in, n_out: 1.0,
        },
        seed,
    )


def check_he_init(he_init: Callable, seed: int | None = None) -> None:
    """Check shape (n_out, n_in), use of rng, mean ≈ 0 and variance ≈ 2/n_in.

    Normal and uniform entries both pass; the false-fail probability is below
    1e-12 as for :func:`check_xavier_init`.
    """
    _check_initializer(
        "he_init",
        he_init,
        "2/n_in",
        lambda n_in, n_out: 2.0 / n_in,
        {
            "used 2/n_out; He et al. scale by the fan-in: 2/n_in.": lambda n_in, n_out: 2.0 / n_out,
            "used 1/n_in; the factor 2 makes up for ReLU zeroing half of its inputs.": lambda n_in, n_out: 1.0 / n_in,
            "used Glorot's variance 2/(n_in + n_out); He's is 2/n_in.": lambda n_in, n_out: 2.0 / (n_in + n_out),
            "used 1/n_out; He's variance is 2/n_in.": lambda n_in, n_out: 1.0 / n_out,
            "passed the variance where NumPy expects the standard deviation; use scale=np.sqrt(2 / n_in).":
                lambda n_in, n_out: (2.0 / n_in) ** 2,
            "drew U(−r, r) with r = √(2/n_in); U(−r, r) has variance r²/3, so r = √(6/n_in).":
                lambda n_in, n_out: 2.0 / (3.0 * n_in),
            "the entries have variance 1: the scale factor is missing.": lambda n_in, n_out: 1.0,
        },
        seed,
    )


# ---------------------------------------------------------------------------
# Residual blocks
# ---------------------------------------------------------------------------


def residual_forward(weights: list[np.ndarray], biases: list[np.ndarray], X: np.ndarray):
    """Run a residual tanh network; return (zs, streams) with zs[l-1] = z[l] and streams[l] = a[l]."""
    zs: list[np.ndarray] = []
    streams = [np.asarray(X, dtype=np.float64)]
    for W, b in zip(weights, biases):
        z = W @ streams[-1] + b
        zs.append(z)
        streams.append(streams[-1] + np.tanh(z))
    return zs, streams


def residual_loss(weights: list[np.ndarray], biases: list[np.ndarray], X: np.ndarray, Y: np.ndarray) -> float:
    """Compute L = 1/(2m) ‖a[L] − Y‖² of the residual network."""
    _, streams = residual_forward(weights, biases, X)
    residual = streams[-1] - Y
    return float(np.sum(residual * residual) / (2.0 * X.shape[1]))


def residual_gradients(weights: list[np.ndarray], biases: list[np.ndarray], X: np.ndarray, Y: np.ndarray):
    """Backpropagate through the residual network; return (dW, db, gs) with gs[l] = ∂L/∂a[l]."""
    zs, streams = residual_forward(weights, biases, X)
    L = len(weights)
    dW: list[np.ndarray] = [np.empty(0)] * L
    db: list[np.ndarray] = [np.empty(0)] * L
    gs: list[np.ndarray] = [np.empty(0)] * (L + 1)
    gs[L] = (streams[L] - Y) / X.shape[1]
    for l in range(L, 0, -1):
        delta = gs[l] * tanh_prime(zs[l - 1])
        dW[l - 1] = delta @ streams[l - 1].T
        db[l - 1] = delta.sum(axis=1, keepdims=True)
        gs[l - 1] = gs[l] + weights[l - 1].T @ delta
    return dW, db, gs


def random_residual_network(rng: np.random.Generator, n: int, depth: int, m: int):
    """Return (weights, biases, X, Y) of a random residual network of width n, with weights N(0, 1/n)."""
    weights = [rng.normal(0.0, 1.0 / math.sqrt(n), size=(n, n)) for _ in range(depth)]
    biases = [rng.normal(0.0, 0.3, size=(n, 1)) for _ in range(depth)]
    X = rng.normal(0.0, 1.0, size=(n, m))
    Y = rng.normal(0.0, 1.0, size=(n, m))
    return weights, biases, X, Y


def check_residual_backward(residual_backward: Callable, seed: int | None = None) -> None:
    """Check g[l-1] = g[l] + W[l]ᵀ (g[l] ⊙ tanh'(z[l])) on random residual networks."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for _ in range(n_cases):
        n = int(rng.integers(3, 7))
        m = n + int(rng.integers(1, 4))
        depth = int(rng.integers(2, 5))
        weights, biases, X, Y = random_residual_network(rng, n, depth, m)
        zs, _ = residual_forward(weights, biases, X)
        _, _, gs = residual_gradients(weights, biases, X, Y)
        l = int(rng.integers(1, depth + 1))
        g_next, W_next, z_next = gs[l], weights[l - 1], zs[l - 1]
        want = gs[l - 1]

        got = call_learner(residual_backward, g_next, W_next, z_next, name="residual_backward")
        derivative = tanh_prime(z_next)
        delta = g_next * derivative
        expect_array(
            "residual_backward(g_next, W_next, z_next)",
            got,
            want,
            mistakes={
                "the identity term g_next is missing; that is the plain network's recurrence. "
                "The skip path adds g_next unchanged.": W_next.T @ delta,
                "W_next is not transposed: the backward pass multiplies by W_nextᵀ.": g_next + W_next @ delta,
                "tanh' is missing: δ = g_next ⊙ tanh'(z_next).": g_next + W_next.T @ g_next,
                "tanh' multiplies the identity term too, but the skip path has no activation.":
                    derivative * (g_next + W_next.T @ g_next),
                "tanh' is applied after multiplying by W_nextᵀ; it belongs to z_next: W_nextᵀ (g_next ⊙ tanh'(z_next)).":
                    g_next + (W_next.T @ g_next) * derivative,
                "tanh' evaluated at tanh(z_next) instead of z_next.": g_next + W_next.T @ (g_next * tanh_prime(np.tanh(z_next))),
                "used 1 − z²; tanh'(z) = 1 − tanh²(z).": g_next + W_next.T @ (g_next * (1.0 - z_next**2)),
            },
            context=f"block {l} of {depth}, width {n}, m = {m}, seed {seed}",
        )
    passed("residual_backward", n_cases, seed)


# ---------------------------------------------------------------------------
# Interpretation
# ---------------------------------------------------------------------------

VANISHING_CAUSE_CHOICES = {
    "A": "The sigmoid network has more parameters, so each weight gets a smaller share of the gradient.",
    "B": "Each sigmoid layer multiplies δ by σ'(z) ≤ 1/4 and by Wᵀ, and the product of many such factors is tiny.",
    "C": "The learning rate is too small for the sigmoid network.",
    "D": "Float64 rounding destroys the small gradients of the early layers.",
}
VANISHING_CAUSE_ANSWER = "B"
_VANISHING_CAUSE_WHY_NOT = {
    "A": "both networks have exactly the same layer shapes, so the same number of parameters.",
    "C": "a gradient does not depend on the learning rate; the rate only scales the step taken afterwards.",
    "D": "a norm of 1e-7 is far above float64's resolution (about 1e-16 relative), and gradcheck confirms these gradients are exact.",
}


def check_vanishing_cause(vanishing_cause: Callable, seed: int | None = None) -> None:
    """Check the letter of the multiple-choice question on the sigmoid network's gradient norms."""
    _, seed = new_rng(seed)
    got = call_learner(vanishing_cause, name="vanishing_cause")
    if not isinstance(got, str):
        raise CheckFailed(f"vanishing_cause() should return one letter as a string, such as \"A\", got {type(got).__name__}")
    letter = got.strip().upper()
    if letter not in VANISHING_CAUSE_CHOICES:
        raise CheckFailed(f"vanishing_cause() returned {got!r}; return one of \"A\", \"B\", \"C\" or \"D\"")
    if letter != VANISHING_CAUSE_ANSWER:
        raise CheckFailed(f"vanishing_cause() returned \"{letter}\", which is not the cause: {_VANISHING_CAUSE_WHY_NOT[letter]}")
    passed("vanishing_cause", 1, seed)
