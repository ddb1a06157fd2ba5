"""Activation functions, each with its derivative written beside it.

Every activation ``f`` acts on the pre-activation ``z`` of shape ``(n_l, m)``.
For the element-wise ones, ``f_prime(z)`` is σ'(z) and backprop multiplies it
element by element: ``dz = da * f_prime(z)``. Softmax mixes the units of one
example, so it has a Jacobian–vector product (:func:`softmax_backward`) in
place of an element-wise derivative.

ReLU convention: ReLU'(0) is taken to be 0. Both 0 and 1 are valid
subgradients at the kink, and the course's checks accept either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Compute σ(z) = 1 / (1 + e^(−z)) element-wise, without overflow.

    For z < 0 the equal form e^z / (1 + e^z) is used, so ``exp`` only ever
    gets non-positive numbers and σ(±1000) returns 1 and 0 with no warning.

    Parameters
    ----------
    z : ndarray, shape (n, m)
        Pre-activations.

    Returns
    -------
    ndarray, shape (n, m)
        Values in [0, 1].

    Examples
    --------
    >>> sigmoid(np.array([[0.0, -1000.0, 1000.0]]))
    array([[0.5, 0. , 1. ]])
    """
    z = np.asarray(z, dtype=np.float64)
    exp_neg_abs = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + exp_neg_abs), exp_neg_abs / (1.0 + exp_neg_abs))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """Compute σ'(z) = σ(z)(1 − σ(z)) element-wise.

    Examples
    --------
    >>> sigmoid_prime(np.array([[0.0]]))
    array([[0.25]])
    """
    a = sigmoid(z)
    return a * (1.0 - a)


def tanh(z: np.ndarray) -> np.ndarray:
    """Compute tanh(z) element-wise.

    Examples
    --------
    >>> tanh(np.array([[0.0, 1000.0]]))
    array([[0., 1.]])
    """
    return np.tanh(np.asarray(z, dtype=np.float64))


def tanh_prime(z: np.ndarray) -> np.ndarray:
    """Compute tanh'(z) = 1 − tanh²(z) element-wise.

    Examples
    --------
    >>> tanh_prime(np.array([[0.0]]))
    array([[1.]])
    """
    a = np.tanh(np.asarray(z, dtype=np.float64))
    return 1.0 - a * a


def relu(z: np.ndarray) -> np.ndarray:
    """Compute ReLU(z) = max(0, z) element-wise.

    Examples
    --------
    >>> relu(np.array([[-2.0, 0.0, 3.0]]))
    array([[0., 0., 3.]])
    """
    return np.maximum(np.asarray(z, dtype=np.float64), 0.0)


def relu_prime(z: np.ndarray) -> np.ndarray:
    """Compute ReLU'(z): 1 where z > 0, else 0 (so ReLU'(0) = 0).

    Examples
    --------
    >>> relu_prime(np.array([[-2.0, 0.0, 3.0]]))
    array([[0., 0., 1.]])
    """
    return (np.asarray(z) > 0).astype(np.float64)


def identity(z: np.ndarray) -> np.ndarray:
    """Return z unchanged, as float64 (a linear output unit)."""
    return np.array(z, dtype=np.float64)


def identity_prime(z: np.ndarray) -> np.ndarray:
    """Return ones shaped like z: the derivative of the identity."""
    return np.ones(np.shape(z), dtype=np.float64)


def softmax(z: np.ndarray) -> np.ndarray:
    """Compute the softmax of each column: a_k = e^(z_k) / Σ_j e^(z_j).

    Subtracting each column's maximum first leaves the result unchanged and
    keeps ``exp`` from overflowing, so logits of ±1000 are fine.

    Parameters
    ----------
    z : ndarray, shape (n_classes, m)
        Logits, one column per example.

    Returns
    -------
    ndarray, shape (n_classes, m)
        Each column is a probability vector summing to 1.

    Examples
    --------
    >>> softmax(np.array([[1000.0], [1000.0]]))
    array([[0.5],
           [0.5]])
    """
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=0, keepdims=True)
    exp_shifted = np.exp(shifted)
    return exp_shifted / exp_shifted.sum(axis=0, keepdims=True)


def softmax_backward(z: np.ndarray, da: np.ndarray) -> np.ndarray:
    """Backpropagate an upstream gradient through softmax: dz = Jᵀ da per column.

    The Jacobian of one column is J = diag(a) − a aᵀ, so
    Jᵀ da = a ⊙ (da − aᵀ da), computed without building J.

    Parameters
    ----------
    z : ndarray, shape (n_classes, m)
        Logits.
    da : ndarray, shape (n_classes, m)
        ∂L/∂a, any values (it need not come from a one-hot target).

    Returns
    -------
    ndarray, shape (n_classes, m)
        ∂L/∂z.
    """
    a = softmax(z)
    return a * (da - np.sum(a * da, axis=0, keepdims=True))


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Compute log softmax(z) per column as z − log Σ e^z (log-sum-exp, stable)."""
    z = np.asarray(z, dtype=np.float64)
    z_max = z.max(axis=0, keepdims=True)
    return z - z_max - np.log(np.sum(np.exp(z - z_max), axis=0, keepdims=True))


@dataclass(frozen=True)
class Activation:
    """An activation by name, with its forward function and its backward rule.

    Attributes
    ----------
    name : str
        The name accepted by :class:`~backprop_lib.MLP`.
    forward : callable
        z ↦ a.
    derivative : callable or None
        z ↦ f'(z) for element-wise activations; None for softmax.
    derivative_from_output : callable or None
        a ↦ f'(z), the same derivative written in terms of the output
        a = f(z): a(1 − a) for σ, 1 − a² for tanh, [a > 0] for ReLU. It
        gives the same numbers as ``derivative(z)`` without evaluating f
        again, and is not f'(a). None for softmax.
    """

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray] | None
    derivative_from_output: Callable[[np.ndarray], np.ndarray] | None

    def backward(self, z: np.ndarray, da: np.ndarray) -> np.ndarray:
        """Return ∂L/∂z from ∂L/∂a: da ⊙ f'(z), or the softmax Jacobian product."""
        if self.derivative is None:
            return softmax_backward(z, da)
        return da * self.derivative(z)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime, lambda a: a * (1.0 - a)),
    "tanh": Activation("tanh", tanh, tanh_prime, lambda a: 1.0 - a * a),
    "relu": Activation("relu", relu, relu_prime, lambda a: (a > 0).astype(np.float64)),
    "identity": Activation("identity", identity, identity_prime, identity_prime),
    "softmax": Activation("softmax", softmax, None, None),
}
"""Activations by the names the public API accepts."""
