"""Numerical gradients by centered differences, and a per-parameter report.

The centered difference (f(x + h) − f(x − h)) / 2h has error O(h²) where
the one-sided difference has O(h). In float64, h = 1e-6 balances that
truncation error against rounding error (about ε/h with ε ≈ 2.2e-16).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _validation as check


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Estimate ∇f(x) by centered differences, one coordinate at a time, in float64.

    ``f`` is called on a private float64 copy of ``x``, so the caller's array
    is never written to, and integer or float32 input works.

    Parameters
    ----------
    f : callable
        Maps an array shaped like ``x`` to a scalar.
    x : array_like, any shape
        The point at which to differentiate.
    h : float
        Step size.

    Returns
    -------
    ndarray, float64, shaped like ``x``

    Examples
    --------
    >>> g = numerical_gradient(lambda v: float(np.sum(v ** 2)), np.array([1, 2]))
    >>> np.round(g, 6)
    array([2., 4.])
    """
    h = check.check_positive_float("h", h)
    point = np.array(x, dtype=np.float64, copy=True)
    gradient = np.zeros_like(point)

    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + h
        f_plus = float(f(point))
        point[index] = original - h
        f_minus = float(f(point))
        point[index] = original
        gradient[index] = (f_plus - f_minus) / (2.0 * h)

    return gradient


@dataclass(frozen=True)
class ParameterCheck:
    """The comparison of one parameter's analytic gradient with its numerical one.

    Attributes
    ----------
    name : str
        For example ``"W[2]"``.
    max_abs_error : float
        max |analytic − numerical|.
    max_rel_error : float
        max |analytic − numerical| / max(|analytic| + |numerical|, tiny).
    passed : bool
        Whether every entry satisfies |analytic − numerical| ≤ atol + rtol·|numerical|.
    """

    name: str
    max_abs_error: float
    max_rel_error: float
    passed: bool


@dataclass(frozen=True)
class GradcheckReport:
    """Per-parameter results of a gradient check; true in a boolean context when all pass."""

    parameters: list[ParameterCheck]
    rtol: float
    atol: float

    @property
    def passed(self) -> bool:
        """Whether every parameter passed."""
        return all(p.passed for p in self.parameters)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        lines = [f"{'parameter':<10} {'max abs err':>12} {'max rel err':>12}  result"]
        for p in self.parameters:
            verdict = "ok" if p.passed else "WRONG"
            lines.append(f"{p.name:<10} {p.max_abs_error:12.2e} {p.max_rel_error:12.2e}  {verdict}")
        lines.append(f"criterion: |analytic - numerical| <= {self.atol:g} + {self.rtol:g} * |numerical|")
        return "\n".join(lines)


def compare_gradients(
    analytic: dict[str, np.ndarray],
    numerical: dict[str, np.ndarray],
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> GradcheckReport:
    """Compare gradients parameter by parameter with the criterion atol + rtol·|numerical|.

    Parameters
    ----------
    analytic, numerical : dict of str to ndarray
        Gradients with the same keys and shapes, for example ``{"W[1]": dW1}``.
    rtol, atol : float
        Relative and absolute tolerance.

    Returns
    -------
    GradcheckReport
    """
    results = []
    for name, numeric in numerical.items():
        if name not in analytic:
            raise ValueError(f"analytic gradients have no entry {name!r}; pass one array per parameter.")
        got = np.asarray(analytic[name], dtype=np.float64)
        numeric = np.asarray(numeric, dtype=np.float64)
        if got.shape != numeric.shape:
            raise ValueError(
                f"analytic gradient {name} has shape {got.shape} but the parameter has shape "
                f"{numeric.shape}; a gradient has the shape of its parameter."
            )
        abs_error = np.abs(got - numeric)
        scale = np.maximum(np.abs(got) + np.abs(numeric), np.finfo(np.float64).tiny)
        passed = bool(np.all(np.isfinite(got)) and np.all(abs_error <= atol + rtol * np.abs(numeric)))
        results.append(
            ParameterCheck(
                name=name,
                max_abs_error=float(abs_error.max(initial=0.0)),
                max_rel_error=float((abs_error / scale).max(initial=0.0)),
                passed=passed,
            )
        )
    return GradcheckReport(parameters=results, rtol=rtol, atol=atol)


def gradcheck(net, X: np.ndarray, Y: np.ndarray, h: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-8) -> GradcheckReport:
    """Check ``net.gradients(X, Y)`` against centered differences of ``net.loss``.

    The numerical side perturbs a deep copy of ``net``, so ``net`` itself is
    never modified. Cost: two loss evaluations per parameter.

    Parameters
    ----------
    net : MLP
        Any object with ``weights``, ``biases``, ``loss(X, Y)`` and ``gradients(X, Y)``.
    X : ndarray, shape (n_0, m)
    Y : ndarray, shape (n_L, m)
    h, rtol, atol : float
        Step size and tolerances.

    Returns
    -------
    GradcheckReport
        One entry per parameter: ``W[1]``, ``b[1]``, ..., ``W[L]``, ``b[L]``.

    Examples
    --------
    >>> from backprop_lib import MLP
    >>> net = MLP([3, 4, 2], seed=1)
    >>> rng = np.random.default_rng(0)
    >>> gradcheck(net, rng.standard_normal((3, 5)), rng.random((2, 5))).passed
    True
    """
    dW, db = net.gradients(X, Y)
    probe = copy.deepcopy(net)
    analytic: dict[str, np.ndarray] = {}
    numerical: dict[str, np.ndarray] = {}

    for l in range(1, len(probe.weights) + 1):
        for kind, params, grads in (("W", probe.weights, dW), ("b", probe.biases, db)):
            name = f"{kind}[{l}]"
            analytic[name] = grads[l - 1]
            numerical[name] = _parameter_gradient(probe, params, l - 1, X, Y, h)

    return compare_gradients(analytic, numerical, rtol=rtol, atol=atol)


def _parameter_gradient(net, params: list[np.ndarray], index: int, X, Y, h: float) -> np.ndarray:
    """Centered differences of net.loss with respect to params[index], restored afterwards."""
    original = params[index]

    def loss_at(value: np.ndarray) -> float:
        params[index] = value
        return net.loss(X, Y)

    try:
        return numerical_gradient(loss_at, original, h=h)
    finally:
        params[index] = original
