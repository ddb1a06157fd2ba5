"""Checks for the notebook 08_softmax_cross_entropy.

Logits Z and probabilities A = softmax(Z) have shape (n, m), one example per
column; targets Y are one-hot columns of the same shape. The loss is
L = −1/m Σ Y ⊙ log A, so δᴸ = ∂L/∂Z = (A − Y)/m.

The logits come from real forward passes of the reference MLP, with layer
widths that differ from m, so a softmax over the wrong axis fails on its
values or its shape.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import losses
from ..activations import log_softmax, softmax, softmax_backward
from ..datasets import one_hot
from ..mlp import MLP
from .core import CheckFailed, call_learner, expect_array, new_rng, passed

REFERENCE_CODE = [
    softmax,
    softmax_backward,
    log_softmax,
    losses.cross_entropy,
    losses.cross_entropy_prime,
    losses.cross_entropy_from_logits,
    losses.cross_entropy_delta,
    MLP,
]
"""Library code that computes these exercises' results, which the learner's functions must not call."""


def real_logits(rng: np.random.Generator, n_classes: int, m: int, scale: float = 1.0) -> np.ndarray:
    """Return the output pre-activations z[L] of a random MLP on random inputs, shape (n_classes, m)."""
    n_inputs = int(rng.integers(2, 5))
    net = MLP([n_inputs, int(rng.integers(3, 7)), n_classes], "tanh", "softmax", "cross_entropy", seed=int(rng.integers(2**31)))
    net.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in net.biases]
    X = rng.normal(0.0, 1.5, size=(n_inputs, m))
    zs, _ = net.forward_with_cache(X)
    return scale * zs[-1]


def random_shape(rng: np.random.Generator) -> tuple[int, int]:
    """Return (n_classes, m) with 2 ≤ n_classes ≤ 6 and m ≥ 2 different from n_classes."""
    n_classes = int(rng.integers(2, 7))
    m = int(rng.integers(2, 9))
    if m == n_classes:
        m += 1
    return n_classes, m


def random_one_hot(rng: np.random.Generator, n_classes: int, m: int) -> np.ndarray:
    return one_hot(rng.integers(0, n_classes, size=m), n_classes)


def check_softmax(softmax_function: Callable, seed: int | None = None) -> None:
    """Check softmax column by column on real logits, on logits scaled to ±1000, and on one column."""
    rng, seed = new_rng(seed)
    cases = []
    for _ in range(2):
        n_classes, m = random_shape(rng)
        cases.append(("logits from a forward pass", real_logits(rng, n_classes, m)))
    n_classes, m = random_shape(rng)
    large = real_logits(rng, n_classes, m)
    large = 1000.0 * large / np.max(np.abs(large), axis=0, keepdims=True)
    large[:, 0] = 1000.0 + rng.normal(0.0, 3.0, size=n_classes)
    large[:, -1] = -1000.0 + rng.normal(0.0, 3.0, size=n_classes)
    cases.append(("logits up to ±1000, where np.exp overflows unless each column's maximum is subtracted first", large))
    n_classes, _ = random_shape(rng)
    cases.append(("one column", real_logits(rng, n_classes, 1)))

    for description, Z in cases:
        want = softmax(Z)
        exp_z = np.exp(Z - Z.max())
        with np.errstate(all="ignore"):
            row_shifted = np.exp(Z - Z.max(axis=1, keepdims=True))
            mistakes = {
                "normalized each row instead of each column; every column is one example, so sum over axis=0.": exp_z
                / exp_z.sum(axis=1, keepdims=True),
                "divided by the sum over all entries; normalize each column separately (axis=0, keepdims=True).": exp_z
                / exp_z.sum(),
                "subtracted each row's maximum (axis=1); subtract each column's maximum, which leaves its softmax unchanged.": row_shifted
                / row_shifted.sum(axis=0, keepdims=True),
                "returned e^z without dividing by the column sums.": np.exp(Z - Z.max(axis=0, keepdims=True)),
            }
        got = call_learner(softmax_function, Z, name="softmax", forbidden=REFERENCE_CODE)
        context = f"{description}, Z of shape {Z.shape}, seed {seed}"
        expect_array("softmax(Z)", got, want, mistakes=mistakes, context=context)
    passed("softmax", len(cases), seed)


def check_cross_entropy(cross_entropy: Callable, seed: int | None = None) -> None:
    """Check L = −1/m Σ Y log A for softmax outputs A and one-hot Y."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for _ in range(n_cases):
        n_classes, m = random_shape(rng)
        A = softmax(real_logits(rng, n_classes, m))
        Y = random_one_hot(rng, n_classes, m)
        want = -np.sum(Y * np.log(A)) / m
        context = f"A and Y of shape {A.shape}, seed {seed}"
        got = call_learner(cross_entropy, A, Y, name="cross_entropy", forbidden=REFERENCE_CODE)
        if isinstance(got, np.ndarray) and got.size > 1:
            raise CheckFailed(
                f"cross_entropy returned an array of shape {got.shape}; return one number, the mean over "
                f"the m examples of −Σ_k y_k log a_k ({context})"
            )
        expect_array(
            "cross_entropy(A, Y)",
            got,
            np.asarray(want),
            mistakes={
                "summed over the examples instead of averaging; divide by m.": np.asarray(m * want),
                "averaged over all n·m entries; sum over the classes, then average over the m examples.": np.asarray(want / n_classes),
                "added the (1 − y) log(1 − a) terms of binary cross-entropy; with softmax only −Σ y log a counts.": np.asarray(
                    want - np.sum((1 - Y) * np.log1p(-A)) / m
                ),
            },
            context=context,
        )
    passed("cross_entropy", n_cases, seed)


def check_softmax_jacobian(softmax_jacobian: Callable, seed: int | None = None) -> None:
    """Check J = diag(a) − a aᵀ for one column z of shape (n, 1)."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for case in range(n_cases):
        n_classes = case + 2 + int(rng.integers(0, 2))
        z = real_logits(rng, n_classes, 1)
        a = softmax(z)
        want = np.diagflat(a) - a @ a.T
        context = f"z of shape {z.shape}, seed {seed}"
        got = call_learner(softmax_jacobian, z, name="softmax_jacobian", forbidden=REFERENCE_CODE, repeat=True)
        expect_array(
            "softmax_jacobian(z)",
            got,
            want,
            mistakes={
                "only the diagonal a_i(1 − a_i) is there. Softmax couples the classes: ∂a_i/∂z_j = −a_i a_j for i ≠ j.": np.diagflat(
                    a * (1 - a)
                ),
                "the diag(a) term is missing: J = diag(a) − a aᵀ.": -a @ a.T,
                "the sign of a aᵀ is flipped: J = diag(a) − a aᵀ.": np.diagflat(a) + a @ a.T,
            },
            context=context,
        )
    passed("softmax_jacobian", n_cases, seed)


def check_softmax_backward(softmax_backward_function: Callable, seed: int | None = None) -> None:
    """Check dZ = Jᵀ dA per column, for an upstream gradient dA that is not one-hot."""
    rng, seed = new_rng(seed)
    n_cases = 3

    for _ in range(n_cases):
        n_classes, m = random_shape(rng)
        n_classes = max(n_classes, 3)
        if m == n_classes:
            m += 1
        Z = real_logits(rng, n_classes, m)
        dA = rng.normal(0.0, 1.0, size=Z.shape)
        A = softmax(Z)
        want = softmax_backward(Z, dA)
        context = f"Z and dA of shape {Z.shape}, dA drawn at random (not from a one-hot target), seed {seed}"
        got = call_learner(
            softmax_backward_function, Z, dA, name="softmax_backward", forbidden=REFERENCE_CODE, repeat=True
        )
        expect_array(
            "dZ",
            got,
            want,
            mistakes={
                "used only the diagonal of the Jacobian, dA ⊙ a(1 − a). Each a_i depends on every z_j, so dZ = a ⊙ (dA − Σ_k a_k dA_k).": dA
                * A
                * (1 - A),
                "the −Σ_k a_k dA_k term is missing: dZ = a ⊙ (dA − Σ_k a_k dA_k).": A * dA,
                "summed a ⊙ dA over the examples (axis=1); sum over the classes of each column, axis=0.": A
                * (dA - np.sum(A * dA, axis=1, keepdims=True)),
                "summed a ⊙ dA over the whole array; sum each column separately (axis=0, keepdims=True).": A
                * (dA - np.sum(A * dA)),
                "the sum Σ_k dA_k is not weighted by a_k: dZ = a ⊙ (dA − Σ_k a_k dA_k).": A
                * (dA - np.sum(dA, axis=0, keepdims=True)),
            },
            context=context,
        )
    passed("softmax_backward", n_cases, seed)


def check_softmax_ce_delta(softmax_ce_delta: Callable, seed: int | None = None) -> None:
    """Check δ = ∂L/∂Z = (softmax(Z) − Y)/m for softmax with cross-entropy."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for _ in range(n_cases):
        n_classes, m = random_shape(rng)
        Z = real_logits(rng, n_classes, m)
        Y = random_one_hot(rng, n_classes, m)
        A = softmax(Z)
        want = (A - Y) / m
        context = f"Z and Y of shape {Z.shape}, seed {seed}"
        got = call_learner(softmax_ce_delta, Z, Y, name="softmax_ce_delta", forbidden=REFERENCE_CODE, repeat=True)
        expect_array(
            "delta",
            got,
            want,
            mistakes={
                "σ' was applied again. (a − y)/m already is ∂L/∂z: the softmax derivative cancelled against ∂L/∂a.": want
                * A
                * (1 - A),
                "the softmax Jacobian was applied again. (a − y)/m already is ∂L/∂z, so do not backpropagate it through softmax.": softmax_backward(
                    Z, want
                ),
                "the 1/m is missing: the loss is a mean over the m examples.": A - Y,
                "the sign is flipped: δ = (a − y)/m, not (y − a)/m.": -want,
                "divided by n·m; the loss averages over the m examples only, so divide by m.": want / n_classes,
            },
            context=context,
        )
    passed("softmax_ce_delta", n_cases, seed)

