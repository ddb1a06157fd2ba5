"""Checks for the notebook 06_gradient_checking.

The notebook's criterion: the relative error of one entry is
|a − n| / max(|a| + |n|, floor), and a parameter passes when the largest
relative error over its entries is at most ``tol``. Gradients are passed
around as dicts that map parameter names ("W[1]", "b[1]", ...) to arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..activations import sigmoid, sigmoid_prime
from ..gradcheck import compare_gradients, gradcheck, numerical_gradient
from ..mlp import MLP
from .core import CheckFailed, call_learner, expect_array, new_rng, passed

REFERENCE_CODE = [MLP, gradcheck, numerical_gradient, compare_gradients]
"""Library code that computes numerical gradients or gradient reports, which answers must not call."""

FIND_BUGS_REFERENCE_CODE = [MLP, gradcheck, compare_gradients]
"""Library code that find_bugs must not call. The library's numerical_gradient is allowed there, as a tool like the learner's own."""

DEFAULT_TOL = 1e-4
"""The notebook's default tol: the largest relative error that passes."""

DEFAULT_FLOOR = 1e-6
"""The notebook's default floor of the relative error's denominator."""


def reference_relative_error(analytic, numerical, floor: float = DEFAULT_FLOOR) -> float:
    """Return max over entries of |a − n| / max(|a| + |n|, floor)."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numerical = np.asarray(numerical, dtype=np.float64)
    return float(np.max(np.abs(analytic - numerical) / np.maximum(np.abs(analytic) + np.abs(numerical), floor)))


# numerical_gradient_array ------------------------------------------------------

# Smooth test functions of an array of any shape, with exact gradients. They are
# called while the learner's function runs, so they must not call module-level
# functions of the grading package: the watch for reference calls would flag them.
# The second one uses the coefficients c = 0.5, 0.75, ..., 1.75 in turn.
_FUNCTIONS = [
    (
        "sum(sin(3x) + x³/3)",
        lambda x: float(np.sum(np.sin(3.0 * x) + x**3 / 3.0)),
        lambda x: 3.0 * np.cos(3.0 * x) + x**2,
    ),
    (
        "log(1 + sum((c·x)²))",
        lambda x: float(np.log1p(np.sum(((0.5 + (0.25 * np.arange(x.size)) % 1.5).reshape(x.shape) * x) ** 2))),
        lambda x: 2.0 * (0.5 + (0.25 * np.arange(x.size)) % 1.5).reshape(x.shape) ** 2 * x
        / (1.0 + np.sum(((0.5 + (0.25 * np.arange(x.size)) % 1.5).reshape(x.shape) * x) ** 2)),
    ),
    (
        "sum(tanh(x)) · exp(mean(x) / 2)",
        lambda x: float(np.sum(np.tanh(x)) * np.exp(np.mean(x) / 2.0)),
        lambda x: (1.0 - np.tanh(x) ** 2) * np.exp(np.mean(x) / 2.0)
        + np.sum(np.tanh(x)) * np.exp(np.mean(x) / 2.0) / (2.0 * x.size),
    ),
]


def _float64_view(function: Callable[[np.ndarray], float]) -> Callable[[np.ndarray], float]:
    def f(x):
        return function(np.asarray(x, dtype=np.float64))

    return f


def _perturbed_gradient(f, x: np.ndarray, h: float, *, kind: str) -> np.ndarray:
    """Compute a known wrong numerical gradient, used to name a mistake."""
    point = np.array(x, dtype=np.float64)
    gradient = np.zeros(point.shape)
    if kind == "all_at_once":
        return np.full(point.shape, (f(point + h) - f(point - h)) / (2.0 * h))
    for index in np.ndindex(point.shape):
        if kind == "same_dtype":
            plus = np.array(x, copy=True)
            minus = np.array(x, copy=True)
            plus[index] = plus[index] + h
            minus[index] = minus[index] - h
            gradient[index] = (f(plus) - f(minus)) / (2.0 * h)
            continue
        plus, minus = point.copy(), point.copy()
        plus[index] += h
        minus[index] -= h
        if kind == "forward":
            gradient[index] = (f(plus) - f(point)) / h
        elif kind == "denominator_h":
            gradient[index] = (f(plus) - f(minus)) / h
    return gradient


def check_numerical_gradient_array(numerical_gradient_array: Callable, seed: int | None = None) -> None:
    """Check centered differences on arrays of several shapes and dtypes against exact gradients.

    The cases are a float64 matrix, an int64 vector and a float32 matrix, each
    with h = 1e-4. The centered error is about h²|f'''|/6 ≈ 1e-8, the
    one-sided one about h|f''|/2 ≈ 1e-4, and the tolerance (rtol 1e-6,
    atol 1e-6) lies between them. A float32 copy of x moves by a step that
    rounding has changed by about 1e-3 of h, which the tolerance also rejects.
    """
    rng, seed = new_rng(seed)
    h = 1e-4
    cases = [
        rng.uniform(-1.5, 1.5, size=(int(rng.integers(2, 4)), int(rng.integers(4, 6)))),
        rng.integers(-2, 3, size=int(rng.integers(4, 7))),
        rng.uniform(-1.5, 1.5, size=(int(rng.integers(2, 4)), int(rng.integers(4, 6)))).astype(np.float32),
    ]
    order = rng.permutation(len(_FUNCTIONS))

    for x, function_index in zip(cases, order):
        label, function, gradient = _FUNCTIONS[function_index]
        f = _float64_view(function)
        x64 = np.asarray(x, dtype=np.float64)
        context = f"f(x) = {label}, x of shape {x.shape} and dtype {x.dtype}, h = {h:g}, seed {seed}"
        got = call_learner(numerical_gradient_array, f, x, h, name="numerical_gradient_array", forbidden=REFERENCE_CODE)

        if isinstance(got, np.ndarray) and got.shape == x.shape and got.dtype != np.float64:
            raise CheckFailed(
                f"numerical_gradient_array returned dtype {got.dtype} for x of dtype {x.dtype}; return float64 "
                f"whatever the dtype of x (np.zeros(x.shape) instead of np.zeros_like(x)) ({context})"
            )
        mistakes = {
            "this is the one-sided difference (f(x + h) − f(x)) / h; use the centered one.":
                _perturbed_gradient(f, x64, h, kind="forward"),
            "the denominator should be 2h, not h.": _perturbed_gradient(f, x64, h, kind="denominator_h"),
            "every entry of x was moved at once; move one entry at a time.":
                _perturbed_gradient(f, x64, h, kind="all_at_once"),
        }
        if x.dtype != np.float64:
            mistakes[f"x was perturbed in its own dtype {x.dtype}; copy it to float64 first "
                     f"(np.array(x, dtype=np.float64))."] = _perturbed_gradient(f, x, h, kind="same_dtype")
        expect_array(
            "numerical_gradient_array(f, x, h)", got, gradient(x64),
            rtol=1e-6, atol=1e-6, mistakes=mistakes, context=context,
        )
    passed("numerical_gradient_array", len(cases), seed)


# relative_error ------------------------------------------------------------------


def _relative_error_case(rng: np.random.Generator, kind: str) -> tuple[object, object, float]:
    """Draw (analytic, numerical, floor) for one case of check_relative_error."""
    floor = float(10.0 ** rng.integers(-7, -3))
    shape = (int(rng.integers(2, 4)), int(rng.integers(3, 6)))
    numerical = rng.normal(0.0, 1.0, size=shape)
    analytic = numerical * (1.0 + rng.normal(0.0, 1e-6, size=shape))
    if kind == "zeros":
        # A parameter whose gradient is exactly 0 in some entries, on both sides.
        analytic[0, :2] = 0.0
        numerical[0, :2] = 0.0
    elif kind == "below_floor":
        # The largest relative error sits in an entry far below the floor.
        analytic[1, 0] = 3.0 * floor * 1e-2
        numerical[1, 0] = 1.0 * floor * 1e-2
        analytic[0, 1] = numerical[0, 1] * 1.01
    elif kind == "wrong_factor":
        column = int(rng.integers(0, shape[1]))
        analytic[:, column] = 2.0 * numerical[:, column]
    elif kind == "scalars":
        value = float(rng.uniform(0.5, 2.0))
        return value * (1.0 + 1e-3), value, floor
    return analytic, numerical, floor


def check_relative_error(relative_error: Callable, seed: int | None = None) -> None:
    """Check max |a − n| / max(|a| + |n|, floor) on arrays with zeros, tiny entries and real errors."""
    rng, seed = new_rng(seed)
    kinds = ["zeros", "below_floor", "wrong_factor", "scalars"]

    for kind in kinds:
        analytic, numerical, floor = _relative_error_case(rng, kind)
        a = np.asarray(analytic, dtype=np.float64)
        n = np.asarray(numerical, dtype=np.float64)
        difference = np.abs(a - n)
        want = reference_relative_error(a, n, floor)
        with np.errstate(all="ignore"):
            mistakes = {
                "the denominator has no floor, so entries where both gradients are 0 give 0/0 = NaN, and tiny "
                "entries give large errors; use max(|a| + |n|, floor).": np.max(difference / (np.abs(a) + np.abs(n))),
                "the floor was added to the denominator; take the larger of |a| + |n| and floor.":
                    np.max(difference / (np.abs(a) + np.abs(n) + floor)),
                "the denominator is max(|a|, |n|, floor); this notebook uses max(|a| + |n|, floor).":
                    np.max(difference / np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)),
                "the denominator uses |numerical| alone; use max(|a| + |n|, floor).":
                    np.max(difference / np.maximum(np.abs(n), floor)),
                "this is the mean over the entries; return the largest one.":
                    np.mean(difference / np.maximum(np.abs(a) + np.abs(n), floor)),
                "this is a norm-based error ‖a − n‖ / (‖a‖ + ‖n‖); return the largest element-wise error.":
                    np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), floor),
            }
        got = call_learner(relative_error, analytic, numerical, floor, name="relative_error", forbidden=REFERENCE_CODE)
        if np.size(got) == 1 and isinstance(got, (float, np.floating, np.ndarray)) and not np.all(np.isfinite(got)):
            raise CheckFailed(
                f"relative_error returned {np.asarray(got).item()!r}. Likely cause: {next(iter(mistakes))} "
                f"({kind.replace('_', ' ')} case, floor {floor:g}, seed {seed})"
            )
        if isinstance(got, np.ndarray) and got.size > 1:
            raise CheckFailed(
                f"relative_error returned an array of shape {got.shape}; return one number, the largest "
                f"element-wise relative error (np.max) (floor {floor:g}, seed {seed})"
            )
        expect_array(
            "relative_error(analytic, numerical, floor)", got, np.asarray(want),
            rtol=1e-6, atol=1e-12,
            mistakes={cause: np.asarray(value) for cause, value in mistakes.items()},
            context=f"{kind.replace('_', ' ')} case, analytic of shape {np.shape(analytic)}, floor {floor:g}, seed {seed}",
        )
    passed("relative_error", len(kinds), seed)


# gradient_report -----------------------------------------------------------------


def _report_case(rng: np.random.Generator, tol: float, floor: float) -> tuple[dict, dict, dict]:
    """Draw analytic and numerical gradient dicts with a known verdict per parameter."""
    analytic, numerical, verdict = {}, {}, {}
    names = [f"{kind}[{l}]" for l in range(1, 4) for kind in ("W", "b")]
    rng.shuffle(names)
    situations = ["noise", "noise_below_floor", "exact_zero", "factor", "slightly_over", "one_entry"]
    for name, situation in zip(names, situations):
        shape = (int(rng.integers(2, 5)), int(rng.integers(2, 5))) if name[0] == "W" else (int(rng.integers(2, 5)), 1)
        n = rng.normal(0.0, 0.1, size=shape)
        a = n * (1.0 + rng.uniform(-1.0, 1.0, size=shape) * tol * 1e-2)
        verdict[name] = True
        if situation == "noise_below_floor":
            # Tiny entries whose relative error is large but whose absolute error is far below tol·floor.
            n[0, 0] = 0.05 * tol * floor
            a[0, 0] = 0.15 * tol * floor
        elif situation == "exact_zero":
            n = np.zeros(shape)
            a = np.zeros(shape)
        elif situation == "factor":
            a = n * float(rng.choice([2.0, -1.0, 0.5]))
            verdict[name] = False
        elif situation == "slightly_over":
            a = n.copy()
            a[-1, -1] = n[-1, -1] + 30.0 * tol * (abs(n[-1, -1]) + floor)
            verdict[name] = False
        elif situation == "one_entry":
            a = n.copy()
            a[0, -1] = -n[0, -1]
            verdict[name] = False
        analytic[name], numerical[name] = a, n
    return analytic, numerical, verdict


def check_gradient_report(gradient_report: Callable, seed: int | None = None) -> None:
    """Check the pass/fail verdict per parameter, including zeros and noise below the floor."""
    rng, seed = new_rng(seed)
    settings = [(DEFAULT_TOL, DEFAULT_FLOOR), (float(10.0 ** rng.integers(-6, -2)), float(10.0 ** rng.integers(-8, -4)))]

    for tol, floor in settings:
        analytic, numerical, verdict = _report_case(rng, tol, floor)
        context = f"tol {tol:g}, floor {floor:g}, seed {seed}"
        got = call_learner(gradient_report, analytic, numerical, tol, floor, name="gradient_report",
                           forbidden=REFERENCE_CODE)
        if not isinstance(got, dict):
            raise CheckFailed(f"gradient_report should return a dict name -> bool, got {type(got).__name__} ({context})")
        if set(got) != set(numerical):
            raise CheckFailed(
                f"gradient_report returned the keys {sorted(got)}, expected one per parameter: {sorted(numerical)} ({context})"
            )
        for name in numerical:
            value = got[name]
            if not isinstance(value, (bool, np.bool_)):
                raise CheckFailed(f"report[{name!r}] should be True or False, got {value!r} ({context})")
        inverted = all(bool(got[name]) != verdict[name] for name in numerical)
        if inverted:
            raise CheckFailed(
                f"every verdict is inverted: True should mean the gradient passed, relative error <= tol ({context})"
            )
        for name in numerical:
            if bool(got[name]) == verdict[name]:
                continue
            error = reference_relative_error(analytic[name], numerical[name], floor)
            if verdict[name]:
                hint = "it passes: its relative error is at most tol"
                if np.all(numerical[name] == 0) and np.all(analytic[name] == 0):
                    hint = "both gradients are exactly 0, so it passes; 0/0 must not count as an error"
                elif error <= tol and np.any(np.abs(analytic[name]) + np.abs(numerical[name]) < floor):
                    hint = "its only large ratios sit in entries below the floor, where the floor replaces |a| + |n|"
            else:
                hint = "it fails: its relative error is above tol"
            raise CheckFailed(
                f"report[{name!r}] is {bool(got[name])}, expected {verdict[name]}: {hint} "
                f"(relative error {error:.3g}) ({context})"
            )
    passed("gradient_report", len(settings), seed)


# find_bugs -----------------------------------------------------------------------

_BUG_KINDS = ("bias_factor", "bias_mean", "weight_sign", "transpose", "sigma_prime_at_a", "missing_one_over_m")


def _make_network_functions(bugs: list[tuple[str, int, float]]):
    """Return (backward, loss) closures for a sigmoid + MSE network, with the given bugs planted in backward.

    Both are closures, not module-level functions, so the grading code's
    watch for reference calls does not flag the learner for calling them.
    """
    planted = list(bugs)

    def loss(weights, biases, X, Y):
        a = X
        for W, b in zip(weights, biases):
            a = sigmoid(W @ a + b)
        return float(np.sum((a - Y) ** 2) / (2.0 * X.shape[1]))

    def backward(weights, biases, X, Y):
        kinds = {kind: (layer, factor) for kind, layer, factor in planted}
        zs, activations = [], [X]
        for W, b in zip(weights, biases):
            zs.append(W @ activations[-1] + b)
            activations.append(sigmoid(zs[-1]))
        L = len(weights)
        m = X.shape[1]
        scale = 1.0 if "missing_one_over_m" in kinds else 1.0 / m
        delta = (activations[L] - Y) * scale * sigmoid_prime(zs[L - 1])
        dW, db = [None] * L, [None] * L
        for l in range(L, 0, -1):
            dW[l - 1] = delta @ activations[l - 1].T
            db[l - 1] = delta.sum(axis=1, keepdims=True)
            if l > 1:
                upstream = weights[l - 1].T @ delta
                if kinds.get("sigma_prime_at_a", (0,))[0] == l - 1:
                    delta = upstream * sigmoid_prime(activations[l - 1])
                else:
                    delta = upstream * sigmoid_prime(zs[l - 2])
        for kind, layer, factor in planted:
            if kind == "bias_factor":
                db[layer - 1] = factor * db[layer - 1]
            elif kind == "bias_mean":
                db[layer - 1] = db[layer - 1] / m
            elif kind == "weight_sign":
                dW[layer - 1] = -dW[layer - 1]
            elif kind == "transpose":
                dW[layer - 1] = dW[layer - 1].T
        return dW, db

    return backward, loss


def _bug_effect(kind: str, layer: int, factor: float, m: int, L: int) -> dict[str, tuple[float | None, str]]:
    """Map each parameter a bug breaks to (factor or None, description)."""
    if kind == "bias_factor":
        description = "db[{0}] is never computed (left at 0)" if factor == 0 else f"db[{{0}}] is multiplied by {factor:g}"
        return {f"b[{layer}]": (factor, description.format(layer))}
    if kind == "bias_mean":
        return {f"b[{layer}]": (1.0 / m, f"db[{layer}] is a mean over the m = {m} columns instead of a sum")}
    if kind == "weight_sign":
        return {f"W[{layer}]": (-1.0, f"dW[{layer}] has its sign flipped")}
    if kind == "transpose":
        return {f"W[{layer}]": (None, f"dW[{layer}] is transposed")}
    if kind == "sigma_prime_at_a":
        text = f"δ[{layer}] uses σ'(a[{layer}]) instead of σ'(z[{layer}])"
        return {f"W[{layer}]": (None, text), f"b[{layer}]": (None, text)}
    text = "the 1/m is missing from δ[L]"
    return {f"{kind_name}[{l}]": (float(m), text) for l in range(1, L + 1) for kind_name in ("W", "b")}


def _bug_case(rng: np.random.Generator, n_bugs: int, bias_bug_first: bool = False):
    """Draw a network with a square W[2] and n_bugs planted bugs that break disjoint parameters.

    In about 15 % of the cases with n_bugs > 0 the one bug is the 1/m missing
    from δ[L], which breaks every parameter by the factor m. Otherwise, with
    ``bias_bug_first``, the first bug planted is a bias bug, whose factor (2,
    0.5, 3, 0 or 1/m) is not its own inverse, unlike the −1 of a flipped sign.
    """
    k = int(rng.integers(3, 6))
    n_0 = int(rng.choice([n for n in range(2, 6) if n != k]))
    n_3 = int(rng.choice([n for n in range(1, 4) if n != k]))
    m = int(rng.choice([n for n in range(3, 8) if n not in (n_0, k, n_3)]))
    widths = [n_0, k, k, n_3]
    weights = [rng.normal(0.0, 1.0, size=(n_out, n_in)) for n_in, n_out in zip(widths[:-1], widths[1:])]
    biases = [rng.normal(0.0, 0.5, size=(n_out, 1)) for n_out in widths[1:]]
    X = rng.normal(0.0, 1.0, size=(n_0, m))
    Y = rng.uniform(0.0, 1.0, size=(n_3, m))

    if n_bugs == 0:
        return widths, weights, biases, X, Y, [], {}
    if rng.uniform() < 0.15:
        bugs = [("missing_one_over_m", 3, 1.0)]
    else:
        bugs, broken = [], set()
        kinds = [str(kind) for kind in rng.permutation([kind for kind in _BUG_KINDS if kind != "missing_one_over_m"])]
        if bias_bug_first:
            kinds.sort(key=lambda kind: kind not in ("bias_factor", "bias_mean"))
        for kind in kinds:
            layer = 2 if kind == "transpose" else (1 if kind == "sigma_prime_at_a" else int(rng.integers(1, 4)))
            factor = float(rng.choice([2.0, 0.5, 3.0, 0.0])) if kind == "bias_factor" else 1.0
            effect = _bug_effect(kind, layer, factor, m, 3)
            if broken & set(effect):
                continue
            bugs.append((kind, layer, factor))
            broken |= set(effect)
            if len(bugs) == n_bugs:
                break
    expected: dict[str, tuple[float | None, str]] = {}
    for kind, layer, factor in bugs:
        expected.update(_bug_effect(kind, layer, factor, m, 3))
    return widths, weights, biases, X, Y, bugs, expected


def _exact_gradients(weights, biases, X, Y) -> dict[str, np.ndarray]:
    backward, _ = _make_network_functions([])
    dW, db = backward(weights, biases, X, Y)
    exact = {}
    for l in range(1, len(weights) + 1):
        exact[f"W[{l}]"], exact[f"b[{l}]"] = dW[l - 1], db[l - 1]
    return exact


def _case_is_clear(backward, exact: dict, expected: dict, weights, biases, X, Y) -> bool:
    """Whether every planted bug is far above the tolerance and its factor is clearly constant or clearly not.

    Cases that fall in between are drawn again, so that a correct find_bugs
    with any reasonable tolerance finds exactly the planted set.
    """
    dW, db = backward(weights, biases, X, Y)
    planted = {}
    for l in range(1, len(weights) + 1):
        planted[f"W[{l}]"], planted[f"b[{l}]"] = dW[l - 1], db[l - 1]
    for name, gradient in planted.items():
        if name not in expected:
            continue
        if reference_relative_error(gradient, exact[name], 1e-6) < 0.05:
            return False
        factor = expected[name][0]
        if factor is None:
            mask = np.abs(exact[name]) > 1e-3
            if np.count_nonzero(mask) < 2:
                return False
            ratios = gradient[mask] / exact[name][mask]
            if np.max(ratios) - np.min(ratios) < 0.05 * max(1.0, np.max(np.abs(ratios))):
                return False
        elif np.min(np.abs(exact[name])) <= 1e-5:
            # The numerical side is off by about 1e-11, which is 1e-6 of an entry of 1e-5 and more of smaller ones.
            return False
    return True


def check_find_bugs(find_bugs: Callable, seed: int | None = None) -> None:
    """Plant random bugs in a backward pass and check which parameters find_bugs reports, with their factors.

    The cases are one backward with no bug, and two with one or two bugs each,
    drawn from: a bias gradient scaled by 2, 0.5, 3 or 0 (never computed), a
    bias gradient averaged instead of summed, a weight gradient with its sign
    flipped, the square dW[2] transposed, σ'(a) in place of σ'(z) in δ[1],
    and the 1/m missing from δ[L] (every parameter off by the factor m).
    The second case always has a bug whose factor is not its own inverse (a
    bias bug, or the missing 1/m), so a find_bugs that returns numerical /
    analytic instead of analytic / numerical fails for every seed.
    """
    rng, seed = new_rng(seed)
    bug_counts = [int(rng.integers(1, 3)), 2, 0]

    for number, n_bugs in enumerate(bug_counts):
        for _ in range(50):
            widths, weights, biases, X, Y, bugs, expected = _bug_case(rng, n_bugs, bias_bug_first=number == 1)
            backward, loss = _make_network_functions(bugs)
            exact = _exact_gradients(weights, biases, X, Y)
            if _case_is_clear(backward, exact, expected, weights, biases, X, Y):
                break
        context = f"layer widths {widths}, m = {X.shape[1]}, seed {seed}"
        got = call_learner(find_bugs, backward, loss, weights, biases, X, Y, name="find_bugs",
                           forbidden=FIND_BUGS_REFERENCE_CODE)
        if not isinstance(got, dict):
            raise CheckFailed(
                f"find_bugs should return a dict that maps each wrong parameter's name to its factor or None, "
                f"got {type(got).__name__} ({context})"
            )
        for name in expected:
            if name not in got:
                raise CheckFailed(
                    f"find_bugs missed {name}: its gradient is wrong because {expected[name][1]} ({context})"
                )
        for name in got:
            if name not in expected:
                valid = ", ".join(exact)
                reason = "whose gradient is correct" if name in exact else f"which is not a parameter name ({valid})"
                raise CheckFailed(f"find_bugs reported {name!r}, {reason} ({context})")
        for name, (factor, description) in expected.items():
            value = got[name]
            if factor is None:
                if value is not None:
                    raise CheckFailed(
                        f"find_bugs gave {name} the factor {value!r}, expected None: {description}, so the analytic "
                        f"gradient is no constant multiple of the numerical one ({context})"
                    )
                continue
            try:
                close = abs(float(value) - factor) <= 1e-3 * abs(factor) + 1e-4
            except (TypeError, ValueError):
                close = False
            if isinstance(value, (bool, np.bool_)) or not close:
                raise CheckFailed(
                    f"find_bugs gave {name} the factor {value!r}, expected {factor:.6g}: {description}, so the "
                    f"analytic gradient is {factor:.6g} times the numerical one ({context})"
                )
    passed("find_bugs", len(bug_counts), seed)
