"""The hidden checks of 08_softmax_cross_entropy on correct and wrong answers.

Correct answers written in different styles must pass for several seeds;
each common mistake must fail with its cause named in the message.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop_lib
from backprop_lib.grading import softmax_cross_entropy as checks
from backprop_lib.grading.core import CheckFailed, TamperDetected

SEEDS = [0, 1, 2, 12345]


# ----------------------------------------------------------------------------
# Correct answers, written in several styles
# ----------------------------------------------------------------------------


def softmax_shifted(Z):
    exp_shifted = np.exp(Z - Z.max(axis=0, keepdims=True))
    return exp_shifted / exp_shifted.sum(axis=0, keepdims=True)


def softmax_loop(Z):
    A = np.empty_like(Z)
    for j in range(Z.shape[1]):
        column = Z[:, j]
        e = np.exp(column - np.max(column))
        A[:, j] = e / np.sum(e)
    return A


def softmax_log_sum_exp(Z):
    z_max = Z.max(axis=0)
    log_norm = z_max + np.log(np.sum(np.exp(Z - z_max), axis=0))
    return np.exp(Z - log_norm)


def cross_entropy_sum(A, Y):
    return -np.sum(Y * np.log(A)) / A.shape[1]


def cross_entropy_picked(A, Y):
    return float(-np.mean(np.log(np.sum(A * Y, axis=0))))


def cross_entropy_einsum(A, Y):
    return -np.einsum("km,km->", Y, np.log(A)) / Y.shape[1]


def jacobian_outer(z):
    a = softmax_shifted(z)
    return np.diagflat(a) - a @ a.T


def jacobian_loop(z):
    a = softmax_loop(z)[:, 0]
    n = a.size
    J = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            J[i, j] = a[i] * ((1.0 if i == j else 0.0) - a[j])
    return J


def backward_vectorized(Z, dA):
    A = softmax_shifted(Z)
    return A * (dA - np.sum(A * dA, axis=0, keepdims=True))


def backward_jacobian_per_column(Z, dA):
    dZ = np.zeros_like(Z)
    for j in range(Z.shape[1]):
        dZ[:, j : j + 1] = jacobian_loop(Z[:, j : j + 1]).T @ dA[:, j : j + 1]
    return dZ


def backward_einsum(Z, dA):
    A = softmax_log_sum_exp(Z)
    return A * dA - A * np.einsum("km,km->m", A, dA)


def delta_direct(Z, Y):
    return (softmax_shifted(Z) - Y) / Z.shape[1]


def delta_through_jacobian(Z, Y):
    A = softmax_loop(Z)
    return backward_jacobian_per_column(Z, -Y / (A * Z.shape[1]))


# ----------------------------------------------------------------------------
# softmax
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [softmax_shifted, softmax_loop, softmax_log_sum_exp])
def test_softmax_accepts_variants(answer, seed):
    checks.check_softmax(answer, seed=seed)


def test_softmax_names_overflow():
    with pytest.raises(CheckFailed, match="NaN or inf.*maximum is subtracted first"):
        checks.check_softmax(lambda Z: np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True), seed=0)


def test_softmax_names_global_maximum():
    def global_shift(Z):
        e = np.exp(Z - Z.max())
        return e / e.sum(axis=0, keepdims=True)

    with pytest.raises(CheckFailed, match="NaN or inf.*maximum is subtracted first"):
        checks.check_softmax(global_shift, seed=0)


def test_softmax_names_row_normalization():
    def rows(Z):
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    with pytest.raises(CheckFailed, match="normalized each row"):
        checks.check_softmax(rows, seed=0)


def test_softmax_names_row_maximum():
    def row_max(Z):
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    with pytest.raises(CheckFailed, match="subtracted each row's maximum"):
        checks.check_softmax(row_max, seed=0)


def test_softmax_names_missing_normalization():
    with pytest.raises(CheckFailed, match="without dividing"):
        checks.check_softmax(lambda Z: np.exp(Z - Z.max(axis=0, keepdims=True)), seed=0)


def test_softmax_rejects_in_place_shift():
    def in_place(Z):
        Z -= Z.max(axis=0, keepdims=True)
        e = np.exp(Z)
        return e / e.sum(axis=0, keepdims=True)

    with pytest.raises(CheckFailed, match="changed its argument 'Z' in place"):
        checks.check_softmax(in_place, seed=0)


def test_softmax_flags_library_softmax():
    with pytest.raises(TamperDetected, match="activations.softmax"):
        checks.check_softmax(lambda Z: backprop_lib.softmax(Z), seed=0)


# ----------------------------------------------------------------------------
# cross_entropy
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [cross_entropy_sum, cross_entropy_picked, cross_entropy_einsum])
def test_cross_entropy_accepts_variants(answer, seed):
    checks.check_cross_entropy(answer, seed=seed)


def test_cross_entropy_names_sum():
    with pytest.raises(CheckFailed, match="summed over the examples"):
        checks.check_cross_entropy(lambda A, Y: -np.sum(Y * np.log(A)), seed=0)


def test_cross_entropy_names_mean_over_entries():
    with pytest.raises(CheckFailed, match="averaged over all n·m entries"):
        checks.check_cross_entropy(lambda A, Y: -np.mean(Y * np.log(A)), seed=0)


def test_cross_entropy_names_binary_terms():
    def binary(A, Y):
        return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / A.shape[1]

    with pytest.raises(CheckFailed, match="binary cross-entropy"):
        checks.check_cross_entropy(binary, seed=0)


def test_cross_entropy_names_sign():
    with pytest.raises(CheckFailed, match="sign is flipped"):
        checks.check_cross_entropy(lambda A, Y: -cross_entropy_sum(A, Y), seed=0)


def test_cross_entropy_rejects_per_example_array():
    with pytest.raises(CheckFailed, match="return one number"):
        checks.check_cross_entropy(lambda A, Y: -np.sum(Y * np.log(A), axis=0), seed=0)


# ----------------------------------------------------------------------------
# softmax_jacobian
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [jacobian_outer, jacobian_loop])
def test_softmax_jacobian_accepts_variants(answer, seed):
    checks.check_softmax_jacobian(answer, seed=seed)


def test_softmax_jacobian_names_diagonal_only():
    def diagonal(z):
        a = softmax_shifted(z)
        return np.diagflat(a * (1 - a))

    with pytest.raises(CheckFailed, match="only the diagonal"):
        checks.check_softmax_jacobian(diagonal, seed=0)


def test_softmax_jacobian_names_missing_diag_term():
    def outer_only(z):
        a = softmax_shifted(z)
        return -a @ a.T

    with pytest.raises(CheckFailed, match="diag\\(a\\) term is missing"):
        checks.check_softmax_jacobian(outer_only, seed=0)


def test_softmax_jacobian_names_sign():
    with pytest.raises(CheckFailed, match="sign is flipped"):
        checks.check_softmax_jacobian(lambda z: -jacobian_outer(z), seed=0)


def test_softmax_jacobian_rejects_flat_vector():
    with pytest.raises(CheckFailed, match="has shape"):
        checks.check_softmax_jacobian(lambda z: softmax_shifted(z)[:, 0], seed=0)


# ----------------------------------------------------------------------------
# softmax_backward
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [backward_vectorized, backward_jacobian_per_column, backward_einsum])
def test_softmax_backward_accepts_variants(answer, seed):
    checks.check_softmax_backward(answer, seed=seed)


def test_softmax_backward_names_diagonal_jacobian():
    def diagonal(Z, dA):
        A = softmax_shifted(Z)
        return dA * A * (1 - A)

    with pytest.raises(CheckFailed, match="only the diagonal of the Jacobian"):
        checks.check_softmax_backward(diagonal, seed=0)


def test_softmax_backward_names_missing_sum_term():
    with pytest.raises(CheckFailed, match="term is missing"):
        checks.check_softmax_backward(lambda Z, dA: softmax_shifted(Z) * dA, seed=0)


def test_softmax_backward_names_wrong_sum_axis():
    def examples_axis(Z, dA):
        A = softmax_shifted(Z)
        return A * (dA - np.sum(A * dA, axis=1, keepdims=True))

    with pytest.raises(CheckFailed, match="over the examples \\(axis=1\\)"):
        checks.check_softmax_backward(examples_axis, seed=0)


def test_softmax_backward_names_total_sum():
    def total(Z, dA):
        A = softmax_shifted(Z)
        return A * (dA - np.sum(A * dA))

    with pytest.raises(CheckFailed, match="over the whole array"):
        checks.check_softmax_backward(total, seed=0)


def test_softmax_backward_names_unweighted_sum():
    def unweighted(Z, dA):
        A = softmax_shifted(Z)
        return A * (dA - np.sum(dA, axis=0, keepdims=True))

    with pytest.raises(CheckFailed, match="not weighted by a_k"):
        checks.check_softmax_backward(unweighted, seed=0)


def test_softmax_backward_flags_library_backward():
    with pytest.raises(TamperDetected, match="softmax_backward"):
        checks.check_softmax_backward(lambda Z, dA: backprop_lib.activations.softmax_backward(Z, dA), seed=0)


# ----------------------------------------------------------------------------
# softmax_ce_delta
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [delta_direct, delta_through_jacobian])
def test_softmax_ce_delta_accepts_variants(answer, seed):
    checks.check_softmax_ce_delta(answer, seed=seed)


def test_softmax_ce_delta_names_extra_sigma_prime():
    def extra_prime(Z, Y):
        A = softmax_shifted(Z)
        return (A - Y) / Z.shape[1] * A * (1 - A)

    with pytest.raises(CheckFailed, match="σ' was applied again"):
        checks.check_softmax_ce_delta(extra_prime, seed=0)


def test_softmax_ce_delta_names_extra_jacobian():
    with pytest.raises(CheckFailed, match="Jacobian was applied again"):
        checks.check_softmax_ce_delta(lambda Z, Y: backward_vectorized(Z, delta_direct(Z, Y)), seed=0)


def test_softmax_ce_delta_names_missing_mean():
    with pytest.raises(CheckFailed, match="1/m is missing"):
        checks.check_softmax_ce_delta(lambda Z, Y: softmax_shifted(Z) - Y, seed=0)


def test_softmax_ce_delta_names_sign():
    with pytest.raises(CheckFailed, match="sign is flipped"):
        checks.check_softmax_ce_delta(lambda Z, Y: (Y - softmax_shifted(Z)) / Z.shape[1], seed=0)


def test_softmax_ce_delta_names_accumulation():
    totals = []

    def accumulating(Z, Y):
        totals.append(delta_direct(Z, Y))
        return sum(totals)

    with pytest.raises(CheckFailed, match="different result when called again"):
        checks.check_softmax_ce_delta(accumulating, seed=0)


def test_softmax_ce_delta_flags_library_delta():
    with pytest.raises(TamperDetected, match="cross_entropy_delta"):
        checks.check_softmax_ce_delta(lambda Z, Y: backprop_lib.losses.cross_entropy_delta(Z, Y), seed=0)
