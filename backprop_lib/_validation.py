"""Argument checks shared by the library.

Every check raises ``ValueError`` with a message that names the argument,
shows the value it received and says how to fix the call.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def describe(value: object) -> str:
    """Return a short description of ``value`` for an error message."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def as_float_matrix(name: str, value: object, rows: int | None = None) -> np.ndarray:
    """Convert ``value`` to a finite float64 matrix, or raise ``ValueError``.

    Parameters
    ----------
    name : str
        Argument name used in the error message, for example ``"X"``.
    value : array_like
        The argument as the caller passed it.
    rows : int, optional
        Required number of rows (features or units); any count when omitted.

    Returns
    -------
    ndarray, shape (rows, m)
        A float64 array. It is a new array unless ``value`` already was a
        float64 ndarray.
    """
    try:
        matrix = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a numeric array, got {describe(value)}; "
            f"pass a NumPy array of numbers."
        ) from None

    if matrix.ndim != 2:
        hint = f"reshape it to ({rows}, m)" if rows is not None else "reshape it to (n, m)"
        raise ValueError(
            f"{name} must be 2-D with one example per column, got shape "
            f"{matrix.shape}; {hint}, for example {name}.reshape(-1, 1) for one example."
        )

    if rows is not None and matrix.shape[0] != rows:
        raise ValueError(
            f"{name} must have {rows} rows (one per unit), got shape {matrix.shape}; "
            f"examples are columns, so pass {name}.T if you stored them as rows."
        )

    if matrix.shape[1] == 0:
        raise ValueError(f"{name} has no examples (shape {matrix.shape}); pass at least one column.")

    if not np.all(np.isfinite(matrix)):
        raise ValueError(
            f"{name} contains NaN or infinite values; clean or rescale the data before passing it."
        )
    return matrix


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError``."""
    options = sorted(choices)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(options)}.")
    return value


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an int ≥ 1, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {describe(value)}.")
    return int(value)


def check_positive_float(name: str, value: object) -> float:
    """Return ``value`` as a float if it is finite and > 0, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive number, got {describe(value)}.")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number greater than 0, got {value!r}.")
    return float(value)


def check_seed(name: str, value: object) -> int | None:
    """Return ``value`` if it is None or a non-negative int, else raise ``ValueError``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be None or a non-negative integer, got {describe(value)}.")
    return int(value)
