"""The hidden checks of 07_training on correct and wrong answers.

Correct answers written in different styles must pass for several seeds;
each common mistake must fail with its cause named in the message.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_lib import MLP
from backprop_lib.grading import training
from backprop_lib.grading.core import CheckFailed, TamperDetected

SEEDS = [0, 1, 2, 12345]


# ----------------------------------------------------------------------------
# Correct answers, written in several styles
# ----------------------------------------------------------------------------


def minibatches_slices(m, batch_size, rng):
    order = rng.permutation(m)
    return [order[start : start + batch_size] for start in range(0, m, batch_size)]


def minibatches_shuffle_loop(m, batch_size, rng):
    indices = np.arange(m)
    rng.shuffle(indices)
    batches = []
    while indices.size:
        batches.append(indices[:batch_size])
        indices = indices[batch_size:]
    return batches


def minibatches_split_points(m, batch_size, rng):
    order = rng.choice(m, size=m, replace=False)
    return np.split(order, np.arange(batch_size, m, batch_size))


def sgd_epoch_library(net, X, Y, batches, learning_rate):
    for batch in batches:
        dW, db = net.gradients(X[:, batch], Y[:, batch])
        net.sgd_step(dW, db, learning_rate)


def sgd_epoch_manual_update(net, X, Y, batches, learning_rate):
    for batch in batches:
        X_batch = np.take(X, batch, axis=1)
        Y_batch = np.take(Y, batch, axis=1)
        dW, db = net.gradients(X_batch, Y_batch)
        net.weights = [W - learning_rate * g for W, g in zip(net.weights, dW)]
        net.biases = [b - learning_rate * g for b, g in zip(net.biases, db)]
    return net


def train_with_break(net, X, Y, epochs, batch_size, learning_rate, rng):
    losses = []
    for _ in range(epochs):
        sgd_epoch_library(net, X, Y, minibatches_slices(X.shape[1], batch_size, rng), learning_rate)
        losses.append(net.loss(X, Y))
        if not np.isfinite(losses[-1]):
            break
    return losses


def train_while_loop(net, X, Y, epochs, batch_size, learning_rate, rng):
    history = np.zeros(0)
    epoch = 0
    while epoch < epochs and (history.size == 0 or math.isfinite(history[-1])):
        sgd_epoch_manual_update(net, X, Y, minibatches_shuffle_loop(X.shape[1], batch_size, rng), learning_rate)
        history = np.append(history, net.loss(X, Y))
        epoch += 1
    return history


def first_divergent_step_loop(losses, factor=10.0):
    for k, loss in enumerate(losses):
        if not np.isfinite(loss) or loss > factor * losses[0]:
            return k
    return None


def first_divergent_step_vectorized(losses, factor=10.0):
    losses = np.asarray(losses, dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(losses) | (losses > factor * losses[0])
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None


def accuracy_mean(A, labels):
    return np.mean(np.argmax(A, axis=0) == labels)


def accuracy_loop(A, labels):
    correct = 0
    for j in range(A.shape[1]):
        if max(range(A.shape[0]), key=lambda k: A[k, j]) == labels[j]:
            correct += 1
    return correct / len(labels)


# ----------------------------------------------------------------------------
# The visible-example helper
# ----------------------------------------------------------------------------


def test_show_exact_accepts_numpy_integers(capsys):
    training.show_exact("sizes", [np.int64(4), 2], [4, 2])
    assert "ok" in capsys.readouterr().out


def test_show_exact_rejects_none():
    with pytest.raises(CheckFailed, match="expected 3, got None"):
        training.show_exact("step", None, 3)


# ----------------------------------------------------------------------------
# minibatches
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [minibatches_slices, minibatches_shuffle_loop, minibatches_split_points])
def test_minibatches_accepts_variants(answer, seed):
    training.check_minibatches(answer, seed=seed)


def test_minibatches_names_missing_shuffle():
    def in_order(m, batch_size, rng):
        return [np.arange(start, min(start + batch_size, m)) for start in range(0, m, batch_size)]

    with pytest.raises(CheckFailed, match="original order"):
        training.check_minibatches(in_order, seed=0)


def test_minibatches_names_array_split():
    with pytest.raises(CheckFailed, match="np.array_split"):
        training.check_minibatches(lambda m, size, rng: np.array_split(rng.permutation(m), max(1, m // size)), seed=0)


def test_minibatches_names_dropped_last_batch():
    def drop_last(m, batch_size, rng):
        order = rng.permutation(m)
        return [order[start : start + batch_size] for start in range(0, m - batch_size + 1, batch_size)]

    with pytest.raises(CheckFailed, match="last, smaller batch was dropped"):
        training.check_minibatches(drop_last, seed=0)


def test_minibatches_names_sampling_with_replacement():
    def with_replacement(m, batch_size, rng):
        return [rng.integers(0, m, size=min(batch_size, m - start)) for start in range(0, m, batch_size)]

    with pytest.raises(CheckFailed, match="drawn with replacement"):
        training.check_minibatches(with_replacement, seed=0)


def test_minibatches_names_global_random_state():
    with pytest.raises(CheckFailed, match="from the rng argument"):
        training.check_minibatches(lambda m, size, rng: minibatches_slices(m, size, np.random.default_rng()), seed=0)


def test_minibatches_names_reseeded_generator():
    with pytest.raises(CheckFailed, match="do not create a new generator"):
        training.check_minibatches(lambda m, size, rng: minibatches_slices(m, size, np.random.default_rng(7)), seed=0)


def test_minibatches_rejects_float_indices():
    with pytest.raises(CheckFailed, match="must be integers"):
        training.check_minibatches(lambda m, size, rng: [b.astype(float) for b in minibatches_slices(m, size, rng)], seed=0)


# ----------------------------------------------------------------------------
# sgd_epoch
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [sgd_epoch_library, sgd_epoch_manual_update])
def test_sgd_epoch_accepts_variants(answer, seed):
    training.check_sgd_epoch(answer, seed=seed)


def test_sgd_epoch_names_full_batch_steps():
    def whole_data(net, X, Y, batches, learning_rate):
        for _ in batches:
            dW, db = net.gradients(X, Y)
            net.sgd_step(dW, db, learning_rate)

    with pytest.raises(CheckFailed, match="step 1 used columns .* but batches\\[0\\] is"):
        training.check_sgd_epoch(whole_data, seed=0)


def test_sgd_epoch_names_last_step_only():
    def last_only(net, X, Y, batches, learning_rate):
        for batch in batches:
            dW, db = net.gradients(X[:, batch], Y[:, batch])
        net.sgd_step(dW, db, learning_rate)

    with pytest.raises(CheckFailed, match="only the last batch's step"):
        training.check_sgd_epoch(last_only, seed=0)


def test_sgd_epoch_names_uphill_steps():
    def uphill(net, X, Y, batches, learning_rate):
        for batch in batches:
            dW, db = net.gradients(X[:, batch], Y[:, batch])
            net.weights = [W + learning_rate * g for W, g in zip(net.weights, dW)]
            net.biases = [b + learning_rate * g for b, g in zip(net.biases, db)]

    with pytest.raises(CheckFailed, match="W\\[1\\] after sgd_epoch is wrong.*went uphill"):
        training.check_sgd_epoch(uphill, seed=0)


def test_sgd_epoch_names_missing_learning_rate():
    with pytest.raises(CheckFailed, match="learning rate is missing"):
        training.check_sgd_epoch(lambda net, X, Y, batches, rate: sgd_epoch_library(net, X, Y, batches, 1.0), seed=0)


def test_sgd_epoch_names_mismatched_targets():
    def shifted_targets(net, X, Y, batches, learning_rate):
        for batch in batches:
            dW, db = net.gradients(X[:, batch], Y[:, (batch + 1) % Y.shape[1]])
            net.sgd_step(dW, db, learning_rate)

    with pytest.raises(CheckFailed, match="targets that do not belong to its inputs"):
        training.check_sgd_epoch(shifted_targets, seed=0)


def test_sgd_epoch_names_batch_order():
    with pytest.raises(CheckFailed, match="taken out of order"):
        training.check_sgd_epoch(lambda net, X, Y, batches, rate: sgd_epoch_library(net, X, Y, batches[::-1], rate), seed=0)


def test_sgd_epoch_rejects_in_place_input():
    def scale_inputs(net, X, Y, batches, learning_rate):
        X *= 2.0
        sgd_epoch_library(net, X, Y, batches, learning_rate)

    with pytest.raises(CheckFailed, match="changed its argument 'X' in place"):
        training.check_sgd_epoch(scale_inputs, seed=0)


def test_sgd_epoch_flags_library_fit():
    def through_fit(net, X, Y, batches, learning_rate):
        MLP.fit(net, X[:, batches[0]], Y[:, batches[0]], 1, learning_rate)

    with pytest.raises(TamperDetected, match="MLP.fit"):
        training.check_sgd_epoch(through_fit, seed=0)


# ----------------------------------------------------------------------------
# train
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [train_with_break, train_while_loop])
def test_train_accepts_variants(answer, seed):
    training.check_train(answer, seed=seed)


def test_train_names_missing_stop():
    def never_stops(net, X, Y, epochs, batch_size, learning_rate, rng):
        losses = []
        for _ in range(epochs):
            sgd_epoch_library(net, X, Y, minibatches_slices(X.shape[1], batch_size, rng), learning_rate)
            losses.append(net.loss(X, Y))
        return losses

    with pytest.raises(CheckFailed, match="should stop there"):
        training.check_train(never_stops, seed=0)


def test_train_names_loss_before_epoch():
    def loss_first(net, X, Y, epochs, batch_size, learning_rate, rng):
        losses = []
        for _ in range(epochs):
            losses.append(net.loss(X, Y))
            sgd_epoch_library(net, X, Y, minibatches_slices(X.shape[1], batch_size, rng), learning_rate)
            if not np.isfinite(losses[-1]):
                break
        return losses

    with pytest.raises(CheckFailed, match="recorded the loss before its steps"):
        training.check_train(loss_first, seed=0)


@pytest.mark.parametrize("seed", range(40))
def test_train_names_dropped_last_batch(seed):
    def drops_last(net, X, Y, epochs, batch_size, learning_rate, rng):
        m = X.shape[1]
        losses = []
        for _ in range(epochs):
            order = rng.permutation(m)
            batches = [order[start : start + batch_size] for start in range(0, m - batch_size + 1, batch_size)]
            sgd_epoch_library(net, X, Y, batches, learning_rate)
            losses.append(net.loss(X, Y))
            if not np.isfinite(losses[-1]):
                break
        return losses

    with pytest.raises(CheckFailed, match="no epoch had its last, smaller batch.*minibatches drops the last batch"):
        training.check_train(drops_last, seed=seed)


def test_ragged_batch_size_leaves_a_remainder():
    for m in range(3, 40):
        for batch_size in range(1, m):
            size = training.ragged_batch_size(m, batch_size)
            assert m % size != 0
            assert batch_size <= size < m


def test_train_names_reseeded_shuffle():
    def reseeded(net, X, Y, epochs, batch_size, learning_rate, rng):
        losses = []
        for _ in range(epochs):
            batches = minibatches_slices(X.shape[1], batch_size, np.random.default_rng(0))
            sgd_epoch_library(net, X, Y, batches, learning_rate)
            losses.append(net.loss(X, Y))
            if not np.isfinite(losses[-1]):
                break
        return losses

    with pytest.raises(CheckFailed, match="every epoch used the same batches"):
        training.check_train(reseeded, seed=0)


def test_train_names_ignored_rng():
    with pytest.raises(CheckFailed, match="ignores the rng"):
        training.check_train(lambda net, X, Y, e, size, rate, rng: train_with_break(net, X, Y, e, size, rate, np.random.default_rng(3)), seed=0)


def test_train_names_full_batch_steps():
    with pytest.raises(CheckFailed, match="not a whole number of epochs"):
        training.check_train(lambda net, X, Y, e, size, rate, rng: train_with_break(net, X, Y, e, X.shape[1], rate, rng), seed=0)


def test_train_names_missing_losses():
    with pytest.raises(CheckFailed, match="returned 1 losses but trained"):
        training.check_train(lambda net, X, Y, e, size, rate, rng: train_with_break(net, X, Y, e, size, rate, rng)[-1:], seed=0)


def test_train_requires_net_gradients():
    def own_loop(net, X, Y, epochs, batch_size, learning_rate, rng):
        return [0.0] * epochs

    with pytest.raises(CheckFailed, match="never called net.gradients"):
        training.check_train(own_loop, seed=0)


def test_train_flags_library_fit():
    def through_fit(net, X, Y, epochs, batch_size, learning_rate, rng):
        return MLP.fit(net, X, Y, epochs, learning_rate, batch_size)

    with pytest.raises(TamperDetected, match="MLP.fit"):
        training.check_train(through_fit, seed=0)


# ----------------------------------------------------------------------------
# first_divergent_step
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [first_divergent_step_loop, first_divergent_step_vectorized])
def test_first_divergent_step_accepts_variants(answer, seed):
    training.check_first_divergent_step(answer, seed=seed)


def test_first_divergent_step_names_missed_nan():
    def misses_nan(losses, factor=10.0):
        for k, loss in enumerate(losses):
            if np.isinf(loss) or loss > factor * losses[0]:
                return k
        return None

    with pytest.raises(CheckFailed, match="NaN was not detected"):
        training.check_first_divergent_step(misses_nan, seed=0)


def test_first_divergent_step_names_previous_loss():
    def against_previous(losses, factor=10.0):
        for k, loss in enumerate(losses):
            if not np.isfinite(loss) or (k > 0 and loss > factor * losses[k - 1]):
                return k
        return None

    with pytest.raises(CheckFailed, match="compared with losses\\[0\\]"):
        training.check_first_divergent_step(against_previous, seed=0)


def test_first_divergent_step_names_off_by_one():
    def epoch_number(losses, factor=10.0):
        step = first_divergent_step_loop(losses, factor)
        return None if step is None else step + 1

    with pytest.raises(CheckFailed, match="off by one"):
        training.check_first_divergent_step(epoch_number, seed=0)


def test_first_divergent_step_names_minus_one():
    def minus_one(losses, factor=10.0):
        step = first_divergent_step_loop(losses, factor)
        return -1 if step is None else step

    with pytest.raises(CheckFailed, match="return None when no loss diverges"):
        training.check_first_divergent_step(minus_one, seed=0)


def test_first_divergent_step_names_ignored_factor():
    with pytest.raises(CheckFailed, match="factor argument was ignored"):
        training.check_first_divergent_step(lambda losses, factor=10.0: first_divergent_step_loop(losses), seed=0)


def test_first_divergent_step_rejects_missing_start():
    def absolute(losses, factor=10.0):
        for k, loss in enumerate(losses):
            if not np.isfinite(loss) or loss > factor:
                return k
        return None

    with pytest.raises(CheckFailed, match="returned"):
        training.check_first_divergent_step(absolute, seed=0)


def test_first_divergent_step_rejects_float_index():
    with pytest.raises(CheckFailed, match="int index or None"):
        training.check_first_divergent_step(lambda losses, factor=10.0: 0.0, seed=0)


# ----------------------------------------------------------------------------
# accuracy
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [accuracy_mean, accuracy_loop])
def test_accuracy_accepts_variants(answer, seed):
    training.check_accuracy(answer, seed=seed)


def test_accuracy_names_count():
    with pytest.raises(CheckFailed, match="number of correct columns"):
        training.check_accuracy(lambda A, labels: float(np.sum(np.argmax(A, axis=0) == labels)), seed=0)


def test_accuracy_names_percentage():
    with pytest.raises(CheckFailed, match="percentage"):
        training.check_accuracy(lambda A, labels: 100 * accuracy_mean(A, labels), seed=0)


def test_accuracy_names_error_rate():
    with pytest.raises(CheckFailed, match="error rate"):
        training.check_accuracy(lambda A, labels: 1 - accuracy_mean(A, labels), seed=0)


def test_accuracy_names_argmin():
    with pytest.raises(CheckFailed, match="argmin for argmax"):
        training.check_accuracy(lambda A, labels: np.mean(np.argmin(A, axis=0) == labels), seed=0)


def test_accuracy_rejects_wrong_axis():
    with pytest.raises(CheckFailed, match="raised ValueError|axis=0"):
        training.check_accuracy(lambda A, labels: np.mean(np.argmax(A, axis=1) == labels), seed=0)


def test_accuracy_rejects_integer_count():
    with pytest.raises(CheckFailed, match="integer dtype"):
        training.check_accuracy(lambda A, labels: np.sum(np.argmax(A, axis=0) == labels), seed=0)


def test_train_names_uphill_steps():
    def uphill_epoch(net, X, Y, batches, learning_rate):
        for batch in batches:
            dW, db = net.gradients(X[:, batch], Y[:, batch])
            net.weights = [W + learning_rate * g for W, g in zip(net.weights, dW)]
            net.biases = [b + learning_rate * g for b, g in zip(net.biases, db)]

    def uphill_train(net, X, Y, epochs, batch_size, learning_rate, rng):
        losses = []
        for _ in range(epochs):
            uphill_epoch(net, X, Y, minibatches_slices(X.shape[1], batch_size, rng), learning_rate)
            losses.append(net.loss(X, Y))
            if not np.isfinite(losses[-1]):
                break
        return losses

    with pytest.raises(CheckFailed, match="steps went uphill"):
        training.check_train(uphill_train, seed=0)
