"""The machinery every exercise check is built from.

A check for an exercise is a short function that

1. draws fresh random cases with :func:`new_rng` (the seed is printed, so a
   failure can be replayed with ``seed=...``) and builds their fixtures from
   a real forward pass of the reference library;
2. calls the learner's function through :func:`call_learner`, which passes
   copies, fails if the function wrote into its inputs and turns a crash
   into one readable line;
3. compares each output with :func:`expect_array`: type, shape, finiteness
   and dtype first, then values with |got − want| ≤ atol + rtol·|want|;
   on a mismatch it names the most likely mistake from a list of candidate
   wrong answers.

Every failure raises :class:`CheckFailed`, an ``AssertionError``, so the
nbgrader test cell that ran the check shows an error and earns 0 points.
"""

from __future__ import annotations

import copy
import inspect
import secrets
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

RTOL = 1e-6
"""Default relative tolerance for float64 answers."""

ATOL = 1e-9
"""Default absolute tolerance for float64 answers."""


class CheckFailed(AssertionError):
    """A learner's answer did not pass a check; the message says what is wrong."""


class TamperDetected(CheckFailed):
    """Learner code replaced or called something it must not; the exercise earns nothing and is flagged."""


def new_rng(seed: int | None = None) -> tuple[np.random.Generator, int]:
    """Return a random generator and its seed; a fresh seed is drawn when ``seed`` is None."""
    if seed is None:
        seed = secrets.randbelow(2**31)
    return np.random.default_rng(seed), seed


def call_learner(
    function: Callable[..., Any],
    *args: Any,
    name: str | None = None,
    forbidden: Sequence[Any] = (),
    repeat: bool = False,
) -> Any:
    """Call the learner's ``function`` on copies of ``args`` and return its result.

    Floating-point warnings are silenced during the call, so an answer that is
    correct but prints an overflow warning (a naive sigmoid at z = −1000) is
    judged on its values alone.

    Parameters
    ----------
    function : callable
        The learner's answer.
    *args
        Its arguments; the function receives deep copies.
    name : str, optional
        The name used in messages; ``function.__name__`` by default.
    forbidden : sequence of functions or classes
        Reference code that computes this exercise's answer. Calling any of
        it, or any function of :mod:`backprop_lib.grading`, during the call
        raises :class:`TamperDetected`.
    repeat : bool
        Call the function a second time on fresh copies and fail unless both
        results are equal: a function that keeps state between calls (for
        example gradients that accumulate) is wrong.

    Raises
    ------
    CheckFailed
        When the function is not callable, is not answered yet, raises, or
        writes into one of its array arguments.
    TamperDetected
        When it calls forbidden reference code, or NumPy, builtins or the
        grading code were replaced.
    """
    from . import integrity

    name = name or getattr(function, "__name__", "your function")
    if not callable(function):
        raise CheckFailed(f"{name} is not a function (got {type(function).__name__}); run its cell first.")

    integrity.verify()
    pristine = [copy.deepcopy(arg) for arg in args]
    working = [copy.deepcopy(arg) for arg in args]
    result = _run_learner(function, working, name, args, forbidden)
    integrity.verify()

    if repeat:
        first = copy.deepcopy(result)
        again = _run_learner(function, [copy.deepcopy(arg) for arg in args], name, args, forbidden)
        if not _same_result(first, again):
            raise CheckFailed(
                f"{name} returned a different result when called again with the same inputs. "
                f"Likely cause: a value kept between calls, such as gradients that accumulate; "
                f"start each call from fresh arrays."
            )

    for position, (before, after) in enumerate(zip(pristine, working)):
        changed = _first_change(before, after)
        if changed is not None:
            argument = _parameter_name(function, position) + changed
            raise CheckFailed(
                f"{name} changed its argument {argument!r} in place. "
                f"Leave inputs untouched: build new arrays (w = w - ..., not w -= ...)."
            )
    return result


def _run_learner(
    function: Callable[..., Any], working: list[Any], name: str, args: tuple, forbidden: Sequence[Any]
) -> Any:
    """Call ``function(*working)`` with warnings silenced and reference calls watched."""
    from .integrity import TamperDetected, forbidden_code_objects

    watched = forbidden_code_objects(forbidden)
    called: list[str] = []

    def watch(frame, event, arg):  # noqa: ARG001  (the signature sys.setprofile requires)
        if event == "call" and frame.f_code in watched and not called:
            called.append(watched[frame.f_code])

    previous = sys.getprofile()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            sys.setprofile(watch)
            try:
                result = function(*working)
            finally:
                sys.setprofile(previous)
    except NotImplementedError:
        raise CheckFailed(
            f"{name} is not answered yet: it still raises NotImplementedError. "
            f"Replace the `raise NotImplementedError()` line with your code."
        ) from None
    except CheckFailed:
        raise
    except Exception as error:
        shapes = ", ".join(_describe_argument(arg) for arg in args)
        raise CheckFailed(
            f"{name}({shapes}) raised {type(error).__name__}: {error}"
        ) from None

    if called:
        raise TamperDetected(
            f"flagged: {name} calls the course's reference code ({called[0]}). "
            f"Write the computation yourself; the reference earns no credit."
        )
    return result


def _first_change(before: Any, after: Any, path: str = "") -> str | None:
    """Return the index path (``""``, ``"[0]"``, ...) of the first array in ``before`` that changed, or None.

    Arrays inside lists, tuples and dicts are compared too.
    """
    if isinstance(before, np.ndarray):
        unchanged = isinstance(after, np.ndarray) and np.array_equal(before, after, equal_nan=True)
        return None if unchanged else path
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(before) != len(after):
            return path
        for index, (b, a) in enumerate(zip(before, after)):
            changed = _first_change(b, a, f"{path}[{index}]")
            if changed is not None:
                return changed
    if isinstance(before, dict):
        if not isinstance(after, dict) or before.keys() != after.keys():
            return path
        for key in before:
            changed = _first_change(before[key], after[key], f"{path}[{key!r}]")
            if changed is not None:
                return changed
    return None


def _same_result(first: Any, second: Any) -> bool:
    if isinstance(first, (tuple, list)) and isinstance(second, (tuple, list)):
        return len(first) == len(second) and all(_same_result(a, b) for a, b in zip(first, second))
    try:
        return bool(np.array_equal(np.asarray(first), np.asarray(second), equal_nan=True))
    except (TypeError, ValueError):
        return first == second


def expect_array(
    label: str,
    got: Any,
    want: np.ndarray,
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    mistakes: Mapping[str, np.ndarray] | None = None,
    context: str = "",
) -> None:
    """Compare one output with the expected array, or raise :class:`CheckFailed`.

    Checks run in this order: type, shape, finite values, dtype, then values
    with |got − want| ≤ atol + rtol·|want| element-wise. An expected array
    of size 1 also accepts a Python or NumPy scalar and any size-1 array.

    Parameters
    ----------
    label : str
        What the output is, for example ``"dW[2]"``.
    got : object
        The learner's output.
    want : ndarray
        The expected value.
    rtol, atol : float
        Tolerances.
    mistakes : mapping of str to ndarray, optional
        Known wrong answers for this case, each keyed by the sentence that
        explains it; the first one that ``got`` matches is named in the message.
    context : str
        Appended to the message, for example the seed of the case.
    """
    want = np.asarray(want, dtype=np.float64)
    suffix = f" ({context})" if context else ""
    got_array = _as_array(label, got, want, suffix)

    if got_array.shape != want.shape:
        raise CheckFailed(f"{label} has shape {got_array.shape}, expected {want.shape}{_shape_hint(got_array, want)}{suffix}")

    if not np.all(np.isfinite(got_array)):
        raise CheckFailed(f"{label} contains NaN or inf (non-finite output){suffix}")

    if got_array.dtype.kind not in "fc":
        raise CheckFailed(
            f"{label} has integer dtype {got_array.dtype}; return floating-point numbers{suffix}"
        )

    got_array = got_array.astype(np.float64)
    if _close(got_array, want, rtol, atol):
        return

    error = np.abs(got_array - want)
    worst = np.unravel_index(int(np.argmax(error - rtol * np.abs(want))), want.shape)
    where = f" at index {tuple(int(i) for i in worst)}" if want.ndim else ""
    message = (
        f"{label} is wrong{where}: expected {want[worst]:.6g}, got {got_array[worst]:.6g} "
        f"(max abs error {error.max():.3g})"
    )
    cause = diagnose(got_array, want, mistakes, rtol=rtol, atol=atol)
    if cause:
        message += f". Likely cause: {cause}"
    raise CheckFailed(message + suffix)


def diagnose(
    got: np.ndarray,
    want: np.ndarray,
    mistakes: Mapping[str, np.ndarray] | None = None,
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> str | None:
    """Name the known mistake that ``got`` matches, or return None.

    The exercise's own ``mistakes`` are tried first, then generic ones: all
    zeros, sign flipped, transposed, and off by a constant factor.
    """
    for cause, wrong in (mistakes or {}).items():
        wrong = np.asarray(wrong, dtype=np.float64)
        if wrong.shape == got.shape and _close(got, wrong, rtol, atol) and not _close(wrong, want, rtol, atol):
            return cause

    if not np.any(got) and np.any(want):
        return "the result is all zeros; is the computation still missing?"
    if _close(got, -want, rtol, atol):
        return "the sign is flipped."
    if want.ndim == 2 and want.shape[0] == want.shape[1] and _close(got, want.T, rtol, atol):
        return "the result is the transpose of the correct one."

    ratio = _constant_ratio(got, want)
    if ratio is not None:
        return f"every entry is {ratio:.4g} times the correct value; check for a missing or extra factor."
    return None


def show_example(label: str, got: Any, expected: Any, *, rtol: float = 5e-4, atol: float = 1e-6) -> None:
    """Print a small worked example as expected against got, and fail if they differ.

    Used by the visible part of a test cell. ``expected`` is written in the
    notebook rounded to 4 significant digits, which is off by up to 5e-4
    relative, hence the looser default tolerance.
    """
    want = np.asarray(expected, dtype=np.float64)
    print(f"{label}\n  expected: {_compact(want)}\n  got:      {_compact(got)}")
    expect_array(label, got, want, rtol=rtol, atol=atol)
    print("  ok")


def passed(name: str, n_cases: int, seed: int) -> None:
    """Print the one-line success message of a hidden check."""
    cases = "case" if n_cases == 1 else "cases"
    print(f"{name}: passed {n_cases} hidden random {cases} (seed {seed}).")


def _as_array(label: str, got: Any, want: np.ndarray, suffix: str) -> np.ndarray:
    if want.size == 1 and isinstance(got, (int, float, np.number)) and not isinstance(got, bool):
        return np.full(want.shape, got)

    if not isinstance(got, np.ndarray):
        raise CheckFailed(
            f"{label} should be a NumPy array of shape {want.shape}, got {type(got).__name__}; "
            f"return an ndarray{suffix}"
        )

    if want.size == 1 and got.size == 1:
        return got.reshape(want.shape)
    return got


def _shape_hint(got: np.ndarray, want: np.ndarray) -> str:
    if got.ndim == 2 and got.shape == want.shape[::-1]:
        return ": it looks transposed"
    if got.ndim == want.ndim - 1 and want.ndim == 2 and 1 in want.shape:
        return ": a sum lost its axis; use keepdims=True or reshape to a column"
    if got.size == want.size:
        return ": same numbers of entries, wrong layout; check your reshape or transpose"
    return ""


def _close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    return bool(np.all(np.abs(got - want) <= atol + rtol * np.abs(want)))


def _constant_ratio(got: np.ndarray, want: np.ndarray) -> float | None:
    """Return c when got = c · want for one constant c ≠ 1, else None.

    At least two nonzero entries are needed: any wrong single number is some
    multiple of the right one, which says nothing about the mistake.
    """
    mask = np.abs(want) > 1e-12
    if np.count_nonzero(mask) < 2 or np.any(np.abs(got[~mask]) > 1e-12):
        return None
    ratios = got[mask] / want[mask]
    c = float(np.median(ratios))
    if abs(c) < 1e-12 or abs(c - 1.0) < 1e-6:
        return None
    if np.all(np.abs(ratios - c) <= 1e-6 * abs(c)):
        return c
    return None


def _compact(value: Any) -> str:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return repr(value)
    return np.array2string(
        array, separator=", ", formatter={"float_kind": lambda v: f"{v:.4g}"}
    ).replace("\n", "")


def _parameter_name(function: Callable[..., Any], position: int) -> str:
    try:
        names = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        names = []
    return names[position] if position < len(names) else f"number {position + 1}"


def _describe_argument(arg: Any) -> str:
    if isinstance(arg, np.ndarray):
        return f"array {arg.shape}"
    if callable(arg):
        return "a function"
    return type(arg).__name__
