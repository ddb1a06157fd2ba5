"""The grading core: comparisons, named mistakes and the learner-call wrapper."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.grading.core import CheckFailed, call_learner, diagnose, expect_array, show_example

WANT = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])


def test_expect_array_accepts_within_tolerance():
    expect_array("dW[1]", WANT * (1 + 1e-9), WANT)


def test_expect_array_accepts_float32_close_enough():
    expect_array("dW[1]", WANT.astype(np.float32), WANT, rtol=1e-6)


def test_expect_array_rejects_list():
    with pytest.raises(CheckFailed, match="should be a NumPy array of shape \\(2, 3\\), got list"):
        expect_array("dW[1]", WANT.tolist(), WANT)


def test_expect_array_names_transposed_shape():
    with pytest.raises(CheckFailed, match="dW\\[1\\] has shape \\(3, 2\\), expected \\(2, 3\\): it looks transposed"):
        expect_array("dW[1]", WANT.T, WANT)


def test_expect_array_names_missing_keepdims():
    with pytest.raises(CheckFailed, match="keepdims=True"):
        expect_array("db[1]", np.array([1.0, 2.0]), np.array([[1.0], [2.0]]))


def test_expect_array_rejects_nan():
    got = WANT.copy()
    got[1, 1] = np.nan
    with pytest.raises(CheckFailed, match="non-finite output"):
        expect_array("dW[1]", got, WANT)


def test_expect_array_rejects_integer_dtype():
    with pytest.raises(CheckFailed, match="integer dtype"):
        expect_array("z", np.array([[1, 2]]), np.array([[1.0, 2.0]]))


def test_expect_array_reports_worst_entry():
    got = WANT.copy()
    got[1, 2] = 7.0
    with pytest.raises(CheckFailed, match="at index \\(1, 2\\): expected -1.5, got 7"):
        expect_array("dW[1]", got, WANT)


def test_expect_array_scalar_accepts_python_float():
    expect_array("z", 0.25, np.array([[0.25]]))


def test_expect_array_names_custom_mistake():
    wrong = WANT * 0.9 + 0.1
    with pytest.raises(CheckFailed, match="Likely cause: σ' evaluated at a"):
        expect_array("dW[1]", wrong, WANT, mistakes={"σ' evaluated at a instead of z.": wrong})


def test_diagnose_sign_flip():
    assert diagnose(-WANT, WANT) == "the sign is flipped."


def test_diagnose_zeros():
    assert "all zeros" in diagnose(np.zeros_like(WANT), WANT)


def test_diagnose_factor_m():
    assert "4 times the correct value" in diagnose(4 * WANT, WANT)


def test_diagnose_square_transpose():
    square = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert diagnose(square.T, square) == "the result is the transpose of the correct one."


def test_diagnose_unrelated_error_names_nothing():
    assert diagnose(WANT + np.array([[0.1, 0.0, 0.3], [0.0, 0.2, 0.0]]), WANT) is None


def test_call_learner_detects_in_place_change():
    def scale_in_place(w, factor):
        w *= factor
        return w

    with pytest.raises(CheckFailed, match="changed its argument 'w' in place"):
        call_learner(scale_in_place, WANT.copy(), 2.0)


def test_call_learner_leaves_caller_array_untouched():
    original = WANT.copy()

    def scale_in_place(w):
        w *= 2
        return w

    with pytest.raises(CheckFailed):
        call_learner(scale_in_place, original)
    np.testing.assert_array_equal(original, WANT)


def test_call_learner_reports_unanswered():
    def stub(z):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="not answered yet"):
        call_learner(stub, WANT)


def test_call_learner_reports_crash_with_shapes():
    def broken(w, x):
        return w @ x

    with pytest.raises(CheckFailed, match="broken\\(array \\(2, 3\\), array \\(2, 3\\)\\) raised ValueError"):
        call_learner(broken, WANT, WANT)


def test_call_learner_silences_overflow_warnings():
    def naive_sigmoid(z):
        return 1 / (1 + np.exp(-z))

    result = call_learner(naive_sigmoid, np.array([-1000.0, 0.0]))
    np.testing.assert_array_equal(result, [0.0, 0.5])


def test_show_example_prints_both_and_passes(capsys):
    show_example("sigmoid(0)", np.array(0.5), 0.5)
    printed = capsys.readouterr().out
    assert "expected: 0.5" in printed
    assert "got:      0.5" in printed


def test_show_example_fails_on_mismatch():
    with pytest.raises(CheckFailed, match="sigmoid\\(0\\) is wrong"):
        show_example("sigmoid(0)", np.array(0.4), 0.5)
