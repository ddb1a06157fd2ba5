"""Losses, each a mean over the m examples, with ∂L/∂a beside it.

Shapes: predictions ``a`` and targets ``y`` are ``(n_L, m)``, one example
per column.

- ``mse``: L = 1/(2m) Σ_j ‖a_j − y_j‖², ∂L/∂a = (a − y)/m
- ``binary_cross_entropy``: L = −1/m Σ [y log a + (1 − y) log(1 − a)],
  ∂L/∂a = (a − y) / (a(1 − a) m)
- ``cross_entropy`` (softmax output): L = −1/m Σ y log a, ∂L/∂a = −y/(a m)

The natural pairs (sigmoid + binary cross-entropy, softmax + cross-entropy)
also have a ``*_from_logits`` form that takes the pre-activation z. It
stays exact when a saturates to 0 or 1, where log a would be −inf, and its
δ = ∂L/∂z = (a − y)/m needs no σ'.
"""

from __future__ import annotations

import numpy as np

from .activations import log_softmax, sigmoid, softmax


def mse(a: np.ndarray, y: np.ndarray) -> float:
    """Compute the mean squared error L = 1/(2m) Σ_j ‖a_j − y_j‖².

    Examples
    --------
    >>> mse(np.array([[1.0, 3.0]]), np.array([[0.0, 0.0]]))
    2.5
    """
    m = a.shape[1]
    residual = a - y
    return float(np.sum(residual * residual) / (2.0 * m))


def mse_prime(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Compute ∂L/∂a = (a − y)/m for :func:`mse`, shape (n_L, m)."""
    return (a - y) / a.shape[1]


def binary_cross_entropy(a: np.ndarray, y: np.ndarray) -> float:
    """Compute L = −1/m Σ [y log a + (1 − y) log(1 − a)] from probabilities.

    Returns ``inf`` (without a warning) when a confident prediction is wrong,
    for example a = 0 where y = 1. Use :func:`binary_cross_entropy_from_logits`
    to stay finite and exact when a saturates.

    Examples
    --------
    >>> round(binary_cross_entropy(np.array([[0.5]]), np.array([[1.0]])), 6)
    0.693147
    """
    m = a.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(a), 0.0) + np.where(y < 1, (1.0 - y) * np.log1p(-a), 0.0)
    return float(-np.sum(terms) / m)


def binary_cross_entropy_prime(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Compute ∂L/∂a = (a − y) / (a(1 − a) m) for :func:`binary_cross_entropy`."""
    return (a - y) / (a * (1.0 - a) * a.shape[1])


def binary_cross_entropy_from_logits(z: np.ndarray, y: np.ndarray) -> float:
    """Compute binary cross-entropy of a = σ(z) from z, exactly for any z.

    Uses −log σ(z) = softplus(−z) and −log(1 − σ(z)) = softplus(z), with
    softplus(x) = log(1 + e^x) evaluated by ``np.logaddexp(0, x)``.

    Examples
    --------
    >>> binary_cross_entropy_from_logits(np.array([[40.0]]), np.array([[0.0]]))
    40.0
    """
    m = z.shape[1]
    return float(np.sum(y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z)) / m)


def binary_cross_entropy_delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Compute δ = ∂L/∂z = (σ(z) − y)/m for sigmoid + binary cross-entropy."""
    return (sigmoid(z) - y) / z.shape[1]


def cross_entropy(a: np.ndarray, y: np.ndarray) -> float:
    """Compute L = −1/m Σ y log a from probabilities (columns of a sum to 1).

    Returns ``inf`` (without a warning) when a true class has probability 0.

    Examples
    --------
    >>> round(cross_entropy(np.array([[0.5], [0.5]]), np.array([[1.0], [0.0]])), 6)
    0.693147
    """
    m = a.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y != 0, y * np.log(a), 0.0)
    return float(-np.sum(terms) / m)


def cross_entropy_prime(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Compute ∂L/∂a = −y / (a m) for :func:`cross_entropy`."""
    return -y / (a * a.shape[1])


def cross_entropy_from_logits(z: np.ndarray, y: np.ndarray) -> float:
    """Compute cross-entropy of a = softmax(z) from z, using log-sum-exp.

    Examples
    --------
    >>> cross_entropy_from_logits(np.array([[1000.0], [0.0]]), np.array([[0.0], [1.0]]))
    1000.0
    """
    m = z.shape[1]
    return float(-np.sum(y * log_softmax(z)) / m)


def cross_entropy_delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Compute δ = ∂L/∂z = (softmax(z) − y)/m for softmax + cross-entropy."""
    return (softmax(z) - y) / z.shape[1]


LOSSES = {
    "mse": (mse, mse_prime),
    "binary_cross_entropy": (binary_cross_entropy, binary_cross_entropy_prime),
    "cross_entropy": (cross_entropy, cross_entropy_prime),
}
"""Each loss name mapped to (loss(a, y), ∂L/∂a(a, y))."""

FUSED_OUTPUT_LOSSES = {
    ("sigmoid", "binary_cross_entropy"): (binary_cross_entropy_from_logits, binary_cross_entropy_delta),
    ("softmax", "cross_entropy"): (cross_entropy_from_logits, cross_entropy_delta),
}
"""(output activation, loss) pairs computed from z: (loss(z, y), δᴸ(z, y))."""
