"""Checks for the notebook 07_training.

The exercises drive the library's :class:`~backprop_lib.MLP` with mini-batch
stochastic gradient descent:

- ``minibatches(m, batch_size, rng)``: shuffled index arrays that cover each
  of the m columns exactly once, all of ``batch_size`` entries except a
  smaller last one;
- ``sgd_epoch(net, X, Y, batches, learning_rate)``: one step per batch, in
  order, with ``net.gradients`` and ``net.sgd_step``;
- ``train(net, X, Y, epochs, batch_size, learning_rate, rng)``: the full-data
  loss after each epoch, stopping after the first non-finite one;
- ``first_divergent_step(losses, factor=10.0)``;
- ``accuracy(A, labels)``.

A shuffle can be drawn from ``rng`` in many correct ways, so the checks never
compare batches with a reference shuffle. ``minibatches`` is checked by its
properties. ``train`` runs on a network that records the columns behind each
``net.gradients`` call; the check reads the learner's batches from that
record, tests that each epoch's batches partition the columns, and replays
the reference training on the same batches.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..mlp import MLP
from .core import CheckFailed, call_learner, expect_array, new_rng, passed

REFERENCE_CODE = [MLP.fit]
"""The library's own training loop, which sgd_epoch and train must not call."""

DIVERGENCE_FACTOR = 10.0
"""The default ``factor`` of ``first_divergent_step``: a loss above 10 × losses[0] counts as divergent."""


def show_exact(label: str, got: Any, expected: Any) -> None:
    """Print a worked example whose answer is exact (an int, None or a list of ints), and fail if it differs.

    :func:`~backprop_lib.grading.core.show_example` compares floating-point
    arrays and rejects integers. Indices, counts and None need an exact
    comparison, which this function makes. NumPy integers and arrays compare
    equal to the same Python ints and lists.
    """
    print(f"{label}\n  expected: {expected!r}\n  got:      {_plain(got)!r}")
    if _plain(got) != expected:
        raise CheckFailed(f"{label} is wrong: expected {expected!r}, got {_plain(got)!r}")
    print("  ok")


def _plain(value: Any) -> Any:
    """Convert NumPy integers and integer arrays to Python ints and lists, recursively."""
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.integer):
        return int(value)
    return value


# ----------------------------------------------------------------------------
# minibatches
# ----------------------------------------------------------------------------


def expected_batch_sizes(m: int, batch_size: int) -> list[int]:
    """Return the sizes of the batches over m examples: full batches, then the remainder if any."""
    sizes = [batch_size] * (m // batch_size)
    if m % batch_size:
        sizes.append(m % batch_size)
    return sizes


def _index_arrays(name: str, batches: Any, context: str) -> list[np.ndarray]:
    """Return ``batches`` as a list of 1-D integer arrays, or raise CheckFailed."""
    if isinstance(batches, np.ndarray) and batches.ndim == 2:
        batches = list(batches)
    if not isinstance(batches, (list, tuple)):
        raise CheckFailed(
            f"{name} should return a list of index arrays, got {type(batches).__name__} ({context})"
        )
    arrays = []
    for position, batch in enumerate(batches):
        array = np.asarray(batch)
        if array.ndim != 1:
            raise CheckFailed(
                f"batch {position} has shape {array.shape}; each batch should be a 1-D array of "
                f"column indices ({context})"
            )
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise CheckFailed(
                f"batch {position} has dtype {array.dtype}; column indices must be integers, "
                f"for example from rng.permutation(m) ({context})"
            )
        arrays.append(array.astype(np.int64))
    return arrays


def check_partition(batches: list[np.ndarray], m: int, batch_size: int, context: str) -> None:
    """Fail unless ``batches`` cover 0..m−1 exactly once, with the course's batch sizes."""
    covered = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
    counts = np.bincount(covered[(covered >= 0) & (covered < m)], minlength=m)
    outside = covered[(covered < 0) | (covered >= m)]
    if outside.size:
        raise CheckFailed(f"the batches contain index {int(outside[0])}, outside 0..{m - 1} ({context})")
    if np.any(counts > 1):
        repeated = int(np.flatnonzero(counts > 1)[0])
        raise CheckFailed(
            f"index {repeated} appears {int(counts[repeated])} times in one epoch. Likely cause: the "
            f"indices were drawn with replacement; shuffle a permutation of 0..m−1 instead ({context})"
        )

    sizes = [int(batch.size) for batch in batches]
    want = expected_batch_sizes(m, batch_size)
    if np.any(counts == 0):
        missing = int(np.flatnonzero(counts == 0)[0])
        cause = ""
        if sizes == want[:-1] and m % batch_size:
            cause = (
                " Likely cause: the last, smaller batch was dropped; range(0, m, batch_size) "
                "starts one batch per batch_size columns, including the last partial one."
            )
        raise CheckFailed(
            f"index {missing} is in no batch, so one epoch misses example {missing}.{cause} ({context})"
        )
    if sizes != want:
        raise CheckFailed(
            f"the batches have sizes {sizes}, expected {want}: every batch holds batch_size = "
            f"{batch_size} examples except the last, which takes the remaining {m % batch_size or batch_size}. "
            f"np.array_split makes batches of nearly equal size instead ({context})"
        )


def _call_minibatches(minibatches: Callable, m: int, batch_size: int, rng: np.random.Generator, context: str) -> list[np.ndarray]:
    """Call the learner's minibatches with ``rng`` itself, not a copy, so that its draws advance ``rng``."""
    batches = call_learner(
        lambda m, batch_size: minibatches(m, batch_size, rng), m, batch_size, name="minibatches"
    )
    return _index_arrays("minibatches", batches, context)


def check_minibatches(minibatches: Callable, seed: int | None = None) -> None:
    """Check the batches' sizes and coverage, that they are shuffled, and that the shuffle comes from ``rng``."""
    rng, seed = new_rng(seed)
    cases = [
        (int(rng.integers(40, 60)), int(rng.integers(5, 9))),
        (int(rng.integers(7, 12)) * 3, 3),
        (int(rng.integers(9, 15)), 1),
        (int(rng.integers(3, 7)), int(rng.integers(8, 12))),
        (int(rng.integers(10, 20)), int(rng.integers(3, 5))),
    ]

    for m, batch_size in cases:
        context = f"m = {m}, batch_size = {batch_size}, seed {seed}"
        case_seed = int(rng.integers(2**31))
        batches = _call_minibatches(minibatches, m, batch_size, np.random.default_rng(case_seed), context)
        check_partition(batches, m, batch_size, context)

        replay = _call_minibatches(minibatches, m, batch_size, np.random.default_rng(case_seed), context)
        if not _same_batches(replay, batches):
            raise CheckFailed(
                "two calls with equally seeded generators returned different batches. Draw the shuffle "
                f"from the rng argument, for example rng.permutation(m), not from np.random ({context})"
            )

    m, batch_size = cases[0]
    context = f"m = {m}, batch_size = {batch_size}, seed {seed}"
    shared_rng = np.random.default_rng(int(rng.integers(2**31)))
    first = np.concatenate(_call_minibatches(minibatches, m, batch_size, shared_rng, context))
    if np.array_equal(first, np.arange(m)):
        raise CheckFailed(
            f"the batches take the examples in their original order 0, 1, ..., {m - 1}; "
            f"shuffle them with rng.permutation(m) ({context})"
        )
    second = np.concatenate(_call_minibatches(minibatches, m, batch_size, shared_rng, context))
    if np.array_equal(first, second):
        raise CheckFailed(
            "two calls with the same rng returned the same order, so every epoch would visit the examples "
            f"alike. Draw from the rng argument; do not create a new generator inside ({context})"
        )
    other = np.concatenate(_call_minibatches(minibatches, m, batch_size, np.random.default_rng(seed + 1), context))
    third = np.concatenate(_call_minibatches(minibatches, m, batch_size, np.random.default_rng(seed + 2), context))
    if np.array_equal(other, third):
        raise CheckFailed(
            f"generators with different seeds gave the same order; the shuffle must come from the rng argument ({context})"
        )
    passed("minibatches", len(cases), seed)


# ----------------------------------------------------------------------------
# The recording network and its reference training
# ----------------------------------------------------------------------------


def recording_copy(net: MLP) -> MLP:
    """Return a deep copy of ``net`` whose ``gradients`` also appends its ``(X, Y)`` to ``gradient_calls``.

    The recorder is a closure inside this function and not a method of a class
    of this module. The tamper watch of :func:`~backprop_lib.grading.core.call_learner`
    flags any call into the functions and classes of the grading modules, and
    the learner is meant to call ``net.gradients``.
    """
    twin = copy.deepcopy(net)
    calls: list[tuple[np.ndarray, np.ndarray]] = []
    library_gradients = twin.gradients

    def gradients(X: np.ndarray, Y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        calls.append((np.array(X, dtype=np.float64), np.array(Y, dtype=np.float64)))
        return library_gradients(X, Y)

    twin.gradients = gradients
    twin.gradient_calls = calls
    return twin


def random_network(rng: np.random.Generator, *, diverging: bool = False) -> tuple[MLP, np.ndarray, np.ndarray]:
    """Return a network with random non-square layers and random biases, and data (X, Y) for it.

    Every weight matrix is non-square and m (9 to 14) exceeds every layer
    width, so a transposed gradient fails on its shape. With ``diverging=True``
    the output is linear (identity + MSE), and the learning rates of 2e3 to 5e3
    that :func:`check_train` uses overflow the loss within 7 to 14 epochs (seeds 0 to 59).
    """
    n_0 = int(rng.integers(2, 5))
    n_1 = int(rng.integers(5, 8))
    if diverging:
        sizes, hidden, output = [n_0, n_1, 1], "tanh", "identity"
    elif rng.uniform() < 0.5:
        sizes, hidden, output = [n_0, n_1, int(rng.integers(2, 4))], "tanh", "sigmoid"
    else:
        sizes, hidden, output = [n_0, n_1, n_1 + 1, int(rng.integers(1, 4))], "sigmoid", "identity"
    net = MLP(sizes, hidden, output, "mse", seed=int(rng.integers(2**31)))
    net.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in net.biases]

    m = int(rng.integers(9, 15))
    X = rng.normal(0.0, 1.0, size=(n_0, m))
    Y = rng.uniform(0.0, 1.0, size=(sizes[-1], m))
    return net, X, Y


def reference_epoch(
    net: MLP, X: np.ndarray, Y: np.ndarray, batches: Sequence[np.ndarray], learning_rate: float, *, uphill: bool = False
) -> None:
    """Take one SGD step per batch, in order, on ``net`` in place. With ``uphill=True`` each step adds η·dW, a named mistake."""
    with np.errstate(all="ignore"):
        for batch in batches:
            dW, db = MLP.gradients(net, X[:, batch], Y[:, batch])
            if uphill:
                for param, grad in zip(net.weights + net.biases, dW + db):
                    param += learning_rate * grad
            else:
                net.sgd_step(dW, db, learning_rate)


def _column_lookup(X: np.ndarray) -> dict[bytes, int]:
    return {np.ascontiguousarray(X[:, j]).tobytes(): j for j in range(X.shape[1])}


def recorded_batches(net: MLP, X: np.ndarray, Y: np.ndarray, name: str, context: str) -> list[np.ndarray]:
    """Map each recorded ``gradients`` call back to the columns of X it used; fail on foreign columns or mismatched Y."""
    lookup = _column_lookup(X)
    batches = []
    for step, (X_batch, Y_batch) in enumerate(net.gradient_calls, start=1):
        columns = []
        for j in range(X_batch.shape[1]):
            key = np.ascontiguousarray(X_batch[:, j]).tobytes()
            if key not in lookup:
                raise CheckFailed(
                    f"{name}: step {step} called net.gradients with an X whose column {j} is not a column "
                    f"of X. Pass X[:, batch] ({context})"
                )
            columns.append(lookup[key])
        columns = np.array(columns, dtype=np.int64)
        if Y_batch.shape != (Y.shape[0], columns.size) or not np.array_equal(Y_batch, Y[:, columns]):
            raise CheckFailed(
                f"{name}: step {step} passed targets that do not belong to its inputs. Slice X and Y "
                f"with the same batch: net.gradients(X[:, batch], Y[:, batch]) ({context})"
            )
        batches.append(columns)
    return batches


def _compare_parameters(name: str, got_net: MLP, want_net: MLP, context: str, mistakes: dict[str, MLP]) -> None:
    for l in range(1, want_net.num_layers + 1):
        for label, attribute in ((f"W[{l}]", "weights"), (f"b[{l}]", "biases")):
            got_list = getattr(got_net, attribute)
            if not isinstance(got_list, list) or len(got_list) != want_net.num_layers:
                raise CheckFailed(
                    f"{name} replaced net.{attribute} with {type(got_list).__name__}; keep a list with one "
                    f"array per layer, which net.sgd_step updates in place ({context})"
                )
            expect_array(
                f"{label} after {name}",
                got_list[l - 1],
                getattr(want_net, attribute)[l - 1],
                mistakes={cause: getattr(wrong, attribute)[l - 1] for cause, wrong in mistakes.items()},
                context=context,
            )


# ----------------------------------------------------------------------------
# sgd_epoch
# ----------------------------------------------------------------------------


def _sgd_epoch_mistakes(start: MLP, X, Y, batches, learning_rate) -> dict[str, MLP]:
    """Networks after the likely wrong epochs, keyed by the cause."""
    mistakes: dict[str, MLP] = {}

    whole = copy.deepcopy(start)
    reference_epoch(whole, X, Y, [np.arange(X.shape[1])] * len(batches), learning_rate)
    mistakes["every step used all m columns instead of its batch: pass X[:, batch] and Y[:, batch]."] = whole

    uphill = copy.deepcopy(start)
    reference_epoch(uphill, X, Y, batches, learning_rate, uphill=True)
    mistakes["the steps went uphill: gradient descent subtracts η·dW."] = uphill

    unit_rate = copy.deepcopy(start)
    reference_epoch(unit_rate, X, Y, batches, 1.0)
    if not math.isclose(learning_rate, 1.0):
        mistakes["the learning rate is missing from the step."] = unit_rate

    summed = copy.deepcopy(start)
    totals = None
    for batch in batches:
        dW, db = MLP.gradients(start, X[:, batch], Y[:, batch])
        totals = dW + db if totals is None else [t + g for t, g in zip(totals, dW + db)]
    summed.sgd_step(totals[: start.num_layers], totals[start.num_layers :], learning_rate)
    mistakes["all batch gradients were taken at the starting weights and applied in one step; step after every batch."] = summed

    last_only = copy.deepcopy(start)
    reference_epoch(last_only, X, Y, batches[-1:], learning_rate)
    mistakes["only the last batch's step was applied; call net.sgd_step inside the loop."] = last_only
    return mistakes


def check_sgd_epoch(sgd_epoch: Callable, seed: int | None = None) -> None:
    """Check the network after one epoch over given batches against the reference epoch on the same batches."""
    rng, seed = new_rng(seed)
    n_cases = 3

    for _ in range(n_cases):
        net, X, Y = random_network(rng)
        m = X.shape[1]
        batch_size = int(rng.integers(2, 5))
        if m % batch_size == 0:
            batch_size += 1
        order = rng.permutation(m)
        batches = [order[start : start + batch_size] for start in range(0, m, batch_size)]
        learning_rate = float(rng.uniform(0.2, 1.5))
        context = (
            f"layers {net.layer_sizes}, m = {m}, batch sizes {[b.size for b in batches]}, "
            f"learning rate {learning_rate:.3f}, seed {seed}"
        )

        want = recording_copy(net)
        reference_epoch(want, X, Y, batches, learning_rate)
        got = recording_copy(net)
        call_learner(
            lambda X, Y, batches, learning_rate: sgd_epoch(got, X, Y, batches, learning_rate),
            X, Y, batches, learning_rate,
            name="sgd_epoch",
            forbidden=REFERENCE_CODE,
        )

        if _same_parameters(got, want):
            continue
        if got.gradient_calls:
            _diagnose_sgd_epoch_steps(got, X, Y, batches, context)
        _compare_parameters("sgd_epoch", got, want, context, _sgd_epoch_mistakes(net, X, Y, batches, learning_rate))
    passed("sgd_epoch", n_cases, seed)


def _same_parameters(got: MLP, want: MLP, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    try:
        pairs = list(zip(got.weights + got.biases, want.weights + want.biases, strict=True))
        return all(
            isinstance(g, np.ndarray) and g.shape == w.shape and bool(np.all(np.abs(g - w) <= atol + rtol * np.abs(w)))
            for g, w in pairs
        )
    except (TypeError, ValueError):
        return False


def _diagnose_sgd_epoch_steps(got: MLP, X, Y, batches, context: str) -> None:
    """Name a wrong step count, a wrong batch or a wrong order from the recorded gradient calls."""
    used = recorded_batches(got, X, Y, "sgd_epoch", context)
    if len(used) != len(batches):
        raise CheckFailed(
            f"sgd_epoch called net.gradients {len(used)} times for {len(batches)} batches; take exactly "
            f"one step per batch ({context})"
        )
    for step, (columns, batch) in enumerate(zip(used, batches), start=1):
        if sorted(columns.tolist()) != sorted(batch.tolist()):
            in_batches = [k for k, other in enumerate(batches) if sorted(other.tolist()) == sorted(columns.tolist())]
            hint = (
                f"; that is batches[{in_batches[0]}], so the batches were taken out of order"
                if in_batches
                else "; pass X[:, batch] for each batch of the list, in order"
            )
            raise CheckFailed(
                f"step {step} used columns {sorted(columns.tolist())}, but batches[{step - 1}] is "
                f"{sorted(batch.tolist())}{hint} ({context})"
            )


# ----------------------------------------------------------------------------
# train
# ----------------------------------------------------------------------------


def _losses_array(losses: Any, context: str) -> np.ndarray:
    if isinstance(losses, np.ndarray) and losses.ndim == 1:
        return losses.astype(np.float64)
    if not isinstance(losses, (list, tuple)):
        raise CheckFailed(f"train should return a list of losses, one per epoch, got {type(losses).__name__} ({context})")
    try:
        return np.array([float(np.asarray(value).reshape(())) for value in losses], dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"train should return a list of numbers, one loss per epoch ({context})") from None


def _run_train(train: Callable, net: MLP, X, Y, epochs, batch_size, learning_rate, rng_seed) -> tuple[MLP, Any]:
    trained = recording_copy(net)
    losses = call_learner(
        lambda X, Y, epochs, batch_size, learning_rate, rng: train(trained, X, Y, epochs, batch_size, learning_rate, rng),
        X, Y, epochs, batch_size, learning_rate, np.random.default_rng(rng_seed),
        name="train",
        forbidden=REFERENCE_CODE,
    )
    return trained, losses


def _epochs_from_record(trained: MLP, X, Y, batch_size: int, context: str) -> list[list[np.ndarray]]:
    """Split the recorded steps into epochs and check that each epoch's batches partition the columns."""
    m = X.shape[1]
    if not trained.gradient_calls:
        raise CheckFailed(
            "train never called net.gradients. Train through sgd_epoch, which computes each step with "
            f"net.gradients and applies it with net.sgd_step ({context})"
        )
    used = recorded_batches(trained, X, Y, "train", context)
    if m % batch_size and all(columns.size == batch_size for columns in used):
        raise CheckFailed(
            f"every step of train used batch_size = {batch_size} columns, so no epoch had its last, smaller "
            f"batch of {m % batch_size}, and each epoch skipped examples. Likely cause: minibatches drops the "
            f"last batch; its check names the fix ({context})"
        )
    per_epoch = len(expected_batch_sizes(m, batch_size))
    if len(used) % per_epoch:
        raise CheckFailed(
            f"train took {len(used)} gradient steps, which is not a whole number of epochs: with m = {m} "
            f"and batch_size = {batch_size} an epoch has {per_epoch} batches ({context})"
        )
    epochs = [used[start : start + per_epoch] for start in range(0, len(used), per_epoch)]
    for number, batches in enumerate(epochs, start=1):
        check_partition(batches, m, batch_size, f"epoch {number} of train, {context}")
    return epochs


def _compare_losses(
    got: np.ndarray, want: list[float], initial_loss: float, uphill: list[float], epochs: int, context: str
) -> None:
    diverged = not np.isfinite(want[-1])
    if got.size != len(want):
        if diverged and got.size > len(want):
            raise CheckFailed(
                f"the loss after epoch {len(want)} is not finite, so train should stop there and return "
                f"{len(want)} losses; it returned {got.size} ({context})"
            )
        if got.size < len(want) and got.size < epochs:
            raise CheckFailed(
                f"train returned {got.size} losses but trained {len(want)} epochs; append net.loss(X, Y) "
                f"after every epoch ({context})"
            )
        raise CheckFailed(f"train returned {got.size} losses, expected {len(want)}, one per epoch ({context})")

    want_array = np.array(want)
    finite = np.isfinite(want_array)
    if diverged and np.isfinite(got[-1]):
        raise CheckFailed(f"the last loss should be non-finite (the run diverged), got {got[-1]:.6g} ({context})")
    before = np.array([initial_loss, *want[:-1]])
    mistakes = {"each epoch recorded the loss before its steps; record net.loss(X, Y) after sgd_epoch.": before[finite]}
    if len(uphill) == len(want):
        mistakes["the steps went uphill: gradient descent subtracts η·dW. Check sgd_epoch first."] = np.array(uphill)[finite]
    expect_array("losses", got[finite], want_array[finite], mistakes=mistakes, context=context)


def _reference_losses(net: MLP, X, Y, epochs_of_batches, learning_rate, *, uphill: bool = False) -> tuple[MLP, list[float]]:
    reference = copy.deepcopy(net)
    losses: list[float] = []
    with np.errstate(all="ignore"):
        for batches in epochs_of_batches:
            reference_epoch(reference, X, Y, batches, learning_rate, uphill=uphill)
            losses.append(reference.loss(X, Y))
            if not np.isfinite(losses[-1]):
                break
    return reference, losses


def ragged_batch_size(m: int, batch_size: int) -> int:
    """Return the smallest size from ``batch_size`` up that leaves a last, smaller batch.

    A run whose batches all have ``batch_size`` columns cannot tell a
    ``minibatches`` that drops the last batch from a correct one, so every
    mini-batch run of :func:`check_train` uses a size that does not divide m.
    For m ≥ 3 the search stops at m − 1 at the latest.
    """
    while m % batch_size == 0:
        batch_size += 1
    return batch_size


def check_train(train: Callable, seed: int | None = None) -> None:
    """Check train on mini-batch, full-batch and diverging runs by replaying the learner's own batches.

    The learner's shuffles are read from the recorded ``net.gradients`` calls,
    so any shuffle drawn from ``rng`` passes. Two runs with equally seeded
    generators must agree, and runs with different seeds must differ.
    """
    rng, seed = new_rng(seed)
    cases = [
        ("mini-batch", False, int(rng.integers(2, 5)), int(rng.integers(3, 5)), float(rng.uniform(0.3, 1.5))),
        ("full-batch", False, None, int(rng.integers(2, 4)), float(rng.uniform(0.3, 1.5))),
        ("diverging", True, int(rng.integers(3, 5)), 40, float(rng.uniform(2e3, 5e3))),
    ]

    for kind, diverging, batch_size, epochs, learning_rate in cases:
        net, X, Y = random_network(rng, diverging=diverging)
        m = X.shape[1]
        if batch_size is None:
            batch_size = m
        else:
            batch_size = ragged_batch_size(m, batch_size)
        context = (
            f"{kind} run: layers {net.layer_sizes}, m = {m}, batch_size = {batch_size}, {epochs} epochs, "
            f"learning rate {learning_rate:.4g}, seed {seed}"
        )
        rng_seed = int(rng.integers(2**31))

        trained, losses = _run_train(train, net, X, Y, epochs, batch_size, learning_rate, rng_seed)
        got_losses = _losses_array(losses, context)
        epochs_of_batches = _epochs_from_record(trained, X, Y, batch_size, context)
        reference, want_losses = _reference_losses(net, X, Y, epochs_of_batches, learning_rate)

        if len(epochs_of_batches) < epochs and np.isfinite(want_losses[-1]):
            raise CheckFailed(
                f"train ran {len(epochs_of_batches)} epochs with finite losses, but epochs = {epochs} ({context})"
            )
        if len(epochs_of_batches) > epochs:
            raise CheckFailed(f"train ran {len(epochs_of_batches)} epochs, but epochs = {epochs} ({context})")
        _, uphill_losses = _reference_losses(net, X, Y, epochs_of_batches, learning_rate, uphill=True)
        _compare_losses(got_losses, want_losses, net.loss(X, Y), uphill_losses, epochs, context)
        if np.isfinite(want_losses[-1]):
            _compare_parameters("train", trained, reference, context, {})

        if kind == "mini-batch":
            _check_train_uses_rng(train, net, X, Y, epochs, batch_size, learning_rate, rng_seed, epochs_of_batches, context)
    passed("train", len(cases), seed)


def _check_train_uses_rng(train, net, X, Y, epochs, batch_size, learning_rate, rng_seed, first_run, context) -> None:
    if epochs >= 2 and all(
        all(np.array_equal(a, b) for a, b in zip(batches, first_run[0])) for batches in first_run[1:]
    ):
        raise CheckFailed(
            "every epoch used the same batches in the same order. Pass the one rng to minibatches in every "
            f"epoch; do not create or re-seed a generator inside the loop ({context})"
        )

    again, _ = _run_train(train, net, X, Y, epochs, batch_size, learning_rate, rng_seed)
    if not _same_batches(recorded_batches(again, X, Y, "train", context), [b for e in first_run for b in e]):
        raise CheckFailed(
            "two runs with equally seeded generators used different batches. Draw every shuffle from the "
            f"rng argument, not from np.random ({context})"
        )

    other, _ = _run_train(train, net, X, Y, epochs, batch_size, learning_rate, rng_seed + 1)
    if _same_batches(recorded_batches(other, X, Y, "train", context), [b for e in first_run for b in e]):
        raise CheckFailed(
            "runs with differently seeded generators used the same batches, so the shuffle ignores the rng "
            f"argument. Pass rng to minibatches ({context})"
        )


def _same_batches(first: list[np.ndarray], second: list[np.ndarray]) -> bool:
    return len(first) == len(second) and all(np.array_equal(a, b) for a, b in zip(first, second))


# ----------------------------------------------------------------------------
# first_divergent_step
# ----------------------------------------------------------------------------


def reference_first_divergent_step(losses: Sequence[float], factor: float = DIVERGENCE_FACTOR) -> int | None:
    """Return the first index k with a non-finite loss or losses[k] > factor · losses[0], else None."""
    for k, loss in enumerate(losses):
        if not np.isfinite(loss) or loss > factor * losses[0]:
            return k
    return None


def _divergence_cases(rng: np.random.Generator) -> list[tuple[str, list[float], float | None]]:
    """(description, losses, factor or None for the default) with losses shaped like real training runs."""
    # A start above 10/9 makes a loss of 9 × losses[0] exceed 10, so a rule that leaves out losses[0] fails.
    start = float(rng.uniform(2.0, 5.0))
    length = int(rng.integers(12, 20))
    decay = start * np.exp(-np.arange(length) * rng.uniform(0.05, 0.2))
    k = int(rng.integers(4, length - 3))

    def with_value(index: int, value: float, base: np.ndarray = decay) -> list[float]:
        values = base.copy()
        values[index] = value
        return values.tolist()

    exploding = decay.copy()
    exploding[k:] = start * 12.0 * 1.8 ** np.arange(length - k)
    exploding[-1] = np.inf
    growing = start * 1.4 ** np.arange(length)
    nan_after_explosion = exploding.copy()
    nan_after_explosion[k + 1] = np.nan
    factor = float(rng.uniform(2.5, 4.0))

    return [
        ("a decreasing loss", decay.tolist(), None),
        ("a NaN loss", with_value(k, np.nan), None),
        ("an inf loss", with_value(k, np.inf), None),
        ("a loss that explodes, then overflows", exploding.tolist(), None),
        ("a loss that explodes, then turns NaN", nan_after_explosion.tolist(), None),
        ("a steadily growing loss, ×1.4 per step", growing.tolist(), None),
        ("a loss that rises to 9 × losses[0] and falls again", with_value(k, 9.0 * start), None),
        (f"a loss at 5 × losses[0] with factor {factor:.3g}", with_value(k, 5.0 * start), factor),
        (f"a loss at 0.9 × factor × losses[0] with factor {factor:.3g}", with_value(k, 0.9 * factor * start), factor),
        ("a NaN first loss", with_value(0, np.nan), None),
    ]


def check_first_divergent_step(first_divergent_step: Callable, seed: int | None = None) -> None:
    """Check the first index of a non-finite or exploding loss on lists and arrays, with and without ``factor``."""
    rng, seed = new_rng(seed)
    cases = _divergence_cases(rng)

    for number, (description, losses, factor) in enumerate(cases):
        want = reference_first_divergent_step(losses, DIVERGENCE_FACTOR if factor is None else factor)
        argument: Any = np.array(losses) if number % 2 else list(losses)
        arguments = (argument,) if factor is None else (argument, factor)
        got = call_learner(first_divergent_step, *arguments, name="first_divergent_step")
        losses_text = ", ".join(f"{v:.4g}" for v in losses)
        call = "first_divergent_step(losses)" if factor is None else f"first_divergent_step(losses, factor={factor:.4g})"
        context = f"{description}: losses = [{losses_text}], seed {seed}"
        _expect_step(call, got, want, losses, factor, context)
    passed("first_divergent_step", len(cases), seed)


def _expect_step(call: str, got: Any, want: int | None, losses: list[float], factor: float | None, context: str) -> None:
    if got is not None and not (isinstance(got, (int, np.integer)) and not isinstance(got, bool)):
        raise CheckFailed(f"{call} should return an int index or None, got {type(got).__name__} {got!r} ({context})")
    got = None if got is None else int(got)
    if got == want:
        return

    threshold = DIVERGENCE_FACTOR if factor is None else factor
    variants = [
        ("return None when no loss diverges.", -1 if want is None else want),
        ("return None when no loss diverges.", len(losses) if want is None else want),
        ("off by one; return the index k into losses, not k + 1.", None if want is None else want + 1),
        (
            "NaN was not detected. Every comparison with NaN is False, so test np.isfinite (or np.isnan).",
            _first_index(losses, lambda k, loss: np.isinf(loss) or loss > threshold * losses[0]),
        ),
        (
            "each loss must be compared with losses[0], the loss at the start, not with the previous loss.",
            _first_index(losses, lambda k, loss: not np.isfinite(loss) or (k > 0 and loss > threshold * losses[k - 1])),
        ),
    ]
    if factor is not None:
        variants.append(("the factor argument was ignored.", reference_first_divergent_step(losses, DIVERGENCE_FACTOR)))

    cause = next((f" Likely cause: {text}" for text, value in variants if value == got and value != want), "")
    raise CheckFailed(f"{call} returned {got}, expected {want}.{cause} ({context})")


def _first_index(losses: list[float], diverged: Callable[[int, float], bool]) -> int | None:
    with np.errstate(invalid="ignore"):
        return next((k for k, loss in enumerate(losses) if diverged(k, loss)), None)


# ----------------------------------------------------------------------------
# accuracy
# ----------------------------------------------------------------------------


def check_accuracy(accuracy: Callable, seed: int | None = None) -> None:
    """Check the fraction of columns whose largest output is at the label's row."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for case in range(n_cases):
        n_classes = int(rng.integers(3, 7))
        m = int(rng.integers(n_classes + 4, 25))
        output = "softmax" if case % 2 == 0 else "sigmoid"
        loss = "cross_entropy" if output == "softmax" else "mse"
        net = MLP([3, 5, n_classes], "tanh", output, loss, seed=int(rng.integers(2**31)))
        X = rng.normal(0.0, 2.0, size=(3, m))
        A = net.forward(X)
        predicted = np.argmax(A, axis=0)
        random_labels = rng.integers(0, n_classes, size=m)
        labels = np.where(rng.uniform(size=m) < 0.6, predicted, random_labels).astype(np.int64)
        if np.all(labels == predicted):
            labels[0] = (predicted[0] + 1) % n_classes

        fraction = float(np.mean(predicted == labels))
        context = f"A of shape {A.shape} ({output} outputs), seed {seed}"
        got = call_learner(accuracy, A, labels, name="accuracy")
        if isinstance(got, np.ndarray) and got.size > 1:
            raise CheckFailed(
                f"accuracy returned an array of shape {got.shape}; return one number. Each column is one "
                f"example, so the predicted classes are np.argmax(A, axis=0) ({context})"
            )
        expect_array(
            "accuracy",
            got,
            np.asarray(fraction),
            mistakes={
                "returned the number of correct columns; divide by m for a fraction.": np.asarray(float(np.sum(predicted == labels))),
                "returned a percentage; return a fraction between 0 and 1.": np.asarray(100.0 * fraction),
                "returned the error rate, 1 − accuracy.": np.asarray(1.0 - fraction),
                "took the smallest output, not the largest (argmin for argmax).": np.asarray(float(np.mean(np.argmin(A, axis=0) == labels))),
            },
            context=context,
        )
    passed("accuracy", n_cases, seed)
