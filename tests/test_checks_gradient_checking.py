"""The hidden checks of 06_gradient_checking on correct and wrong answers.

Correct answers written in different styles must pass for several seeds;
each common mistake must fail with its cause named in the message.
"""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest

from backprop_lib.gradcheck import numerical_gradient
from backprop_lib.grading import gradient_checking
from backprop_lib.grading.core import CheckFailed

SEEDS = [0, 1, 2, 12345]


def failure_messages(check, answer, seeds):
    """Run a check for each seed and return the messages of the seeds that failed."""
    messages = []
    for seed in seeds:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                check(answer, seed=seed)
        except CheckFailed as error:
            messages.append(str(error))
    return messages


# numerical_gradient_array ----------------------------------------------------------


def gradient_ndindex(f, x, h=1e-5):
    point = np.array(x, dtype=np.float64)
    gradient = np.zeros(point.shape)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + h
        f_plus = f(point)
        point[index] = original - h
        f_minus = f(point)
        point[index] = original
        gradient[index] = (f_plus - f_minus) / (2.0 * h)
    return gradient


def gradient_unit_vectors(f, x, h=1e-5):
    flat = np.asarray(x, dtype=float).ravel()
    gradient = np.empty(flat.size)
    for i in range(flat.size):
        step = np.zeros(flat.size)
        step[i] = h
        gradient[i] = (f((flat + step).reshape(np.shape(x))) - f((flat - step).reshape(np.shape(x)))) / (2 * h)
    return gradient.reshape(np.shape(x))


def gradient_nditer(f, x, h=1e-5):
    work = x.astype(np.float64)
    result = np.zeros(work.shape, dtype=np.float64)
    iterator = np.nditer(work, flags=["multi_index"])
    for _ in iterator:
        i = iterator.multi_index
        saved = work[i]
        work[i] = saved + h
        up = f(work)
        work[i] = saved - h
        down = f(work)
        work[i] = saved
        result[i] = (up - down) / (2 * h)
    return result


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [gradient_ndindex, gradient_unit_vectors, gradient_nditer])
def test_numerical_gradient_accepts_variants(answer, seed):
    gradient_checking.check_numerical_gradient_array(answer, seed=seed)


def gradient_forward(f, x, h=1e-5):
    point = np.array(x, dtype=np.float64)
    gradient = np.zeros(point.shape)
    f_0 = f(point)
    for index in np.ndindex(point.shape):
        moved = point.copy()
        moved[index] += h
        gradient[index] = (f(moved) - f_0) / h
    return gradient


def gradient_denominator_h(f, x, h=1e-5):
    return gradient_ndindex(f, x, h) * 2.0


def gradient_all_at_once(f, x, h=1e-5):
    point = np.array(x, dtype=np.float64)
    return np.full(point.shape, (f(point + h) - f(point - h)) / (2 * h))


def gradient_same_dtype(f, x, h=1e-5):
    gradient = np.zeros(np.shape(x))
    for index in np.ndindex(np.shape(x)):
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        gradient[index] = (f(plus) - f(minus)) / (2 * h)
    return gradient


def gradient_in_place(f, x, h=1e-5):
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        x[index] += h
        f_plus = f(x)
        x[index] -= 2 * h
        f_minus = f(x)
        gradient[index] = (f_plus - f_minus) / (2 * h)
    return gradient


def gradient_zeros_like(f, x, h=1e-5):
    gradient = np.zeros_like(x)
    gradient[...] = gradient_ndindex(f, x, h)
    return gradient


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (gradient_forward, "one-sided difference"),
        (gradient_denominator_h, "denominator should be 2h"),
        (gradient_all_at_once, "every entry of x was moved at once"),
        (gradient_same_dtype, "perturbed in its own dtype (int64|float32)"),
        (gradient_in_place, "changed its argument 'x' in place"),
        (gradient_zeros_like, "returned dtype (int64|float32) for x"),
        (lambda f, x, h=1e-5: np.zeros(np.shape(x)), "all zeros"),
    ],
    ids=["forward", "denominator_h", "all_at_once", "same_dtype", "in_place", "zeros_like", "zeros"],
)
def test_numerical_gradient_names_mistake(answer, cause):
    with pytest.raises(CheckFailed, match=cause):
        gradient_checking.check_numerical_gradient_array(answer, seed=0)


def test_library_numerical_gradient_is_flagged():
    with pytest.raises(CheckFailed, match="reference code"):
        gradient_checking.check_numerical_gradient_array(
            lambda f, x, h=1e-5: numerical_gradient(f, x, h), seed=0
        )


# relative_error -------------------------------------------------------------------


def relative_error_vectorized(analytic, numerical, floor=1e-6):
    analytic = np.asarray(analytic, dtype=np.float64)
    numerical = np.asarray(numerical, dtype=np.float64)
    return float(np.max(np.abs(analytic - numerical) / np.maximum(np.abs(analytic) + np.abs(numerical), floor)))


def relative_error_loop(analytic, numerical, floor=1e-6):
    worst = 0.0
    for a, n in zip(np.ravel(analytic), np.ravel(numerical)):
        worst = max(worst, abs(a - n) / max(abs(a) + abs(n), floor))
    return worst


def relative_error_clip(analytic, numerical, floor=1e-6):
    a, n = np.array(analytic), np.array(numerical)
    return (np.abs(a - n) / np.clip(np.abs(a) + np.abs(n), floor, None)).max()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [relative_error_vectorized, relative_error_loop, relative_error_clip])
def test_relative_error_accepts_variants(answer, seed):
    gradient_checking.check_relative_error(answer, seed=seed)


def abs_difference(a, n):
    return np.abs(np.asarray(a, dtype=float) - np.asarray(n, dtype=float))


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (lambda a, n, floor=1e-6: np.max(abs_difference(a, n) / (np.abs(a) + np.abs(n))), "has no floor"),
        (lambda a, n, floor=1e-6: np.max(abs_difference(a, n) / (np.abs(a) + np.abs(n) + floor)), "floor was added"),
        (lambda a, n, floor=1e-6: np.max(abs_difference(a, n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)),
         r"max\(\|a\|, \|n\|, floor\)"),
        (lambda a, n, floor=1e-6: np.max(abs_difference(a, n) / np.maximum(np.abs(n), floor)), r"\|numerical\| alone"),
        (lambda a, n, floor=1e-6: np.mean(abs_difference(a, n) / np.maximum(np.abs(a) + np.abs(n), floor)),
         "mean over the entries"),
        (lambda a, n, floor=1e-6: abs_difference(a, n) / np.maximum(np.abs(a) + np.abs(n), floor), "returned an array"),
    ],
    ids=["no_floor", "floor_added", "max_denominator", "numerical_only", "mean", "array"],
)
def test_relative_error_names_mistake(answer, cause):
    messages = failure_messages(gradient_checking.check_relative_error, answer, range(8))
    assert messages, "the mistake passed for every seed"
    assert any(re.search(cause, message) for message in messages), messages


def test_relative_error_names_norm_based():
    def norm_based(a, n, floor=1e-6):
        a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
        return np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), floor)

    messages = failure_messages(gradient_checking.check_relative_error, norm_based, range(8))
    assert any("norm-based error" in message for message in messages), messages


# gradient_report -------------------------------------------------------------------


def report_with_relative_error(analytic, numerical, tol=1e-4, floor=1e-6):
    return {name: relative_error_vectorized(analytic[name], numerical[name], floor) <= tol for name in numerical}


def report_elementwise(analytic, numerical, tol=1e-4, floor=1e-6):
    report = {}
    for name in sorted(numerical):
        a, n = analytic[name], numerical[name]
        report[name] = np.all(np.abs(a - n) <= tol * np.maximum(np.abs(a) + np.abs(n), floor))
    return report


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [report_with_relative_error, report_elementwise])
def test_gradient_report_accepts_variants(answer, seed):
    gradient_checking.check_gradient_report(answer, seed=seed)


def test_gradient_report_names_inverted_verdicts():
    def inverted(analytic, numerical, tol=1e-4, floor=1e-6):
        return {name: not ok for name, ok in report_with_relative_error(analytic, numerical, tol, floor).items()}

    with pytest.raises(CheckFailed, match="every verdict is inverted"):
        gradient_checking.check_gradient_report(inverted, seed=0)


def test_gradient_report_names_missing_floor():
    def no_floor(analytic, numerical, tol=1e-4, floor=1e-6):
        with np.errstate(all="ignore"):
            return {
                name: bool(np.max(np.abs(analytic[name] - numerical[name]) / (np.abs(analytic[name]) + np.abs(numerical[name]))) <= tol)
                for name in numerical
            }

    with pytest.raises(CheckFailed, match="(0/0 must not count|below the floor)"):
        gradient_checking.check_gradient_report(no_floor, seed=0)


def test_gradient_report_names_wrong_keys():
    def failures_only(analytic, numerical, tol=1e-4, floor=1e-6):
        return {name: ok for name, ok in report_with_relative_error(analytic, numerical, tol, floor).items() if not ok}

    with pytest.raises(CheckFailed, match="expected one per parameter"):
        gradient_checking.check_gradient_report(failures_only, seed=0)


def test_gradient_report_names_ignored_tol():
    def fixed_tol(analytic, numerical, tol=1e-4, floor=1e-6):
        return report_with_relative_error(analytic, numerical, 1e-2, floor)

    with pytest.raises(CheckFailed, match="relative error is above tol"):
        gradient_checking.check_gradient_report(fixed_tol, seed=0)


# find_bugs -------------------------------------------------------------------------


def parameter_gradients(backward, loss, weights, biases, X, Y, gradient=gradient_ndindex):
    dW, db = backward(weights, biases, X, Y)
    analytic, numerical = {}, {}
    for l in range(1, len(weights) + 1):
        def loss_of_W(W, l=l):
            return loss([W if k == l - 1 else w for k, w in enumerate(weights)], biases, X, Y)

        def loss_of_b(b, l=l):
            return loss(weights, [b if k == l - 1 else c for k, c in enumerate(biases)], X, Y)

        analytic[f"W[{l}]"], numerical[f"W[{l}]"] = dW[l - 1], gradient(loss_of_W, weights[l - 1])
        analytic[f"b[{l}]"], numerical[f"b[{l}]"] = db[l - 1], gradient(loss_of_b, biases[l - 1])
    return analytic, numerical


def find_bugs_allclose(backward, loss, weights, biases, X, Y):
    analytic, numerical = parameter_gradients(backward, loss, weights, biases, X, Y)
    bugs = {}
    for name, ok in report_with_relative_error(analytic, numerical).items():
        if ok:
            continue
        mask = np.abs(numerical[name]) > 1e-6
        ratios = analytic[name][mask] / numerical[name][mask]
        constant = ratios.size > 0 and np.allclose(ratios, ratios[0], rtol=1e-3, atol=1e-6)
        bugs[name] = float(np.median(ratios)) if constant else None
    return bugs


def find_bugs_least_squares(backward, loss, weights, biases, X, Y):
    """Fit analytic ≈ c · numerical by least squares and accept c when the residual is tiny."""
    analytic, numerical = parameter_gradients(
        backward, loss, weights, biases, X, Y, gradient=lambda f, x: numerical_gradient(f, x, h=1e-6)
    )
    wrong = {}
    for name in numerical:
        a, n = analytic[name].ravel(), numerical[name].ravel()
        if relative_error_loop(a, n) <= 1e-4:
            continue
        c = float(a @ n / (n @ n))
        residual = np.linalg.norm(a - c * n) / np.linalg.norm(n)
        wrong[name] = c if residual < 1e-4 else None
    return wrong


@pytest.mark.parametrize("seed", SEEDS + [3, 4, 5, 6, 7])
@pytest.mark.parametrize("answer", [find_bugs_allclose, find_bugs_least_squares])
def test_find_bugs_accepts_variants(answer, seed):
    gradient_checking.check_find_bugs(answer, seed=seed)


def test_find_bugs_names_report_of_everything():
    def everything(backward, loss, weights, biases, X, Y):
        analytic, numerical = parameter_gradients(backward, loss, weights, biases, X, Y)
        return {name: None for name in numerical}

    with pytest.raises(CheckFailed, match="whose gradient is correct"):
        gradient_checking.check_find_bugs(everything, seed=0)


def test_find_bugs_names_missed_parameter():
    with pytest.raises(CheckFailed, match="find_bugs missed"):
        gradient_checking.check_find_bugs(lambda *args: {}, seed=0)


def test_find_bugs_names_factor_for_transpose():
    def always_median(backward, loss, weights, biases, X, Y):
        analytic, numerical = parameter_gradients(backward, loss, weights, biases, X, Y)
        return {
            name: float(np.median(analytic[name] / numerical[name]))
            for name, ok in report_with_relative_error(analytic, numerical).items()
            if not ok
        }

    messages = failure_messages(gradient_checking.check_find_bugs, always_median, range(12))
    assert any("expected None" in message for message in messages), messages


def test_find_bugs_names_inverted_factor():
    def inverted_ratio(backward, loss, weights, biases, X, Y):
        bugs = find_bugs_allclose(backward, loss, weights, biases, X, Y)
        return {name: (None if c is None or c == 0 else 1.0 / c) for name, c in bugs.items()}

    messages = failure_messages(gradient_checking.check_find_bugs, inverted_ratio, range(40))
    assert len(messages) == 40, messages
    assert any("times the numerical one" in message for message in messages), messages


def test_find_bugs_names_no_factors():
    def never_factor(backward, loss, weights, biases, X, Y):
        return {name: None for name in find_bugs_allclose(backward, loss, weights, biases, X, Y)}

    messages = failure_messages(gradient_checking.check_find_bugs, never_factor, range(12))
    assert any("times the numerical one" in message for message in messages), messages


def test_find_bugs_rejects_one_sided_differences():
    def one_sided(backward, loss, weights, biases, X, Y):
        analytic, numerical = parameter_gradients(
            backward, loss, weights, biases, X, Y, gradient=lambda f, x: gradient_forward(f, x, h=1e-3)
        )
        return {name: None for name, ok in report_with_relative_error(analytic, numerical).items() if not ok}

    with pytest.raises(CheckFailed, match="whose gradient is correct"):
        gradient_checking.check_find_bugs(one_sided, seed=0)


@pytest.mark.parametrize("seed", range(40))
def test_planted_bugs_match_their_description(seed):
    """Each planted bug breaks exactly the parameters it is expected to break, by its factor."""
    rng = np.random.default_rng(seed)
    widths, weights, biases, X, Y, bugs, expected = gradient_checking._bug_case(rng, int(rng.integers(0, 3)))
    backward, loss = gradient_checking._make_network_functions(bugs)
    exact = gradient_checking._exact_gradients(weights, biases, X, Y)
    dW, db = backward(weights, biases, X, Y)
    planted = {}
    for l in range(1, 4):
        planted[f"W[{l}]"], planted[f"b[{l}]"] = dW[l - 1], db[l - 1]

    for name, gradient in planted.items():
        if name not in expected:
            np.testing.assert_array_equal(gradient, exact[name])
        elif expected[name][0] is not None:
            np.testing.assert_allclose(gradient, expected[name][0] * exact[name], rtol=1e-12, atol=1e-15)
        else:
            assert not np.allclose(gradient, exact[name])


def test_exact_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    widths, weights, biases, X, Y, bugs, expected = gradient_checking._bug_case(rng, 0)
    _, loss = gradient_checking._make_network_functions([])
    exact = gradient_checking._exact_gradients(weights, biases, X, Y)

    def numerical_bias_3(b):
        return loss(weights, [biases[0], biases[1], b], X, Y)

    def numerical_weight_1(W):
        return loss([W, weights[1], weights[2]], biases, X, Y)

    np.testing.assert_allclose(exact["b[3]"], numerical_gradient(numerical_bias_3, biases[2]), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(exact["W[1]"], numerical_gradient(numerical_weight_1, weights[0]), rtol=1e-6, atol=1e-10)
