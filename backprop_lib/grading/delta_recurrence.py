"""Checks for the notebook 05_delta_recurrence.

The network has sigmoid units in every layer and the mean squared error
L = 1/(2m) Σ_j ‖a_j − y_j‖². Lists are 0-based: ``weights[l-1]`` is W[l],
``zs[l-1]`` is z[l] and ``activations[l]`` is a[l], with a[0] = X.

Every case is a random network with non-square weight matrices (adjacent
widths differ, and the batch size m differs from every width), so a missing
transpose changes a shape instead of hiding. The fixtures come from the
reference :class:`~backprop_lib.mlp.MLP`: its forward pass with caches and
its gradients.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable, Sequence

import numpy as np

from ..activations import sigmoid, sigmoid_prime
from ..gradcheck import gradcheck, numerical_gradient
from ..mlp import MLP
from .core import CheckFailed, call_learner, expect_array, new_rng, passed

REFERENCE_CODE = [MLP, gradcheck, numerical_gradient]
"""Library code that computes a network's forward pass, gradients or updates, which answers must not call."""


def random_network(rng: np.random.Generator, num_layers: int = 3) -> tuple[MLP, np.ndarray, np.ndarray]:
    """Draw a sigmoid + MSE network with random non-zero biases, a batch X and targets Y.

    The widths n_0..n_L and the batch size m are distinct numbers from 2 to 9,
    with m ≥ 3, so no weight matrix is square and no width equals m.
    """
    values = [int(v) for v in rng.permutation(np.arange(2, 10))]
    m = next(v for v in values if v >= 3)
    widths = [v for v in values if v != m][: num_layers + 1]
    net = MLP(widths, hidden_activation="sigmoid", output_activation="sigmoid", loss="mse",
              seed=int(rng.integers(2**31)))
    net.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in net.biases]
    X = rng.normal(0.0, 1.0, size=(widths[0], m))
    Y = rng.uniform(0.0, 1.0, size=(widths[-1], m))
    return net, X, Y


def reference_deltas(
    weights: Sequence[np.ndarray], zs: Sequence[np.ndarray], activations: Sequence[np.ndarray], Y: np.ndarray
) -> list[np.ndarray]:
    """Return [δ[1], ..., δ[L]] for sigmoid layers and the MSE loss.

    δ[L] = (a[L] − Y)/m ⊙ σ'(z[L]) and δ[l] = (W[l+1]ᵀ δ[l+1]) ⊙ σ'(z[l]).
    """
    L = len(weights)
    m = Y.shape[1]
    deltas = [np.empty(0)] * L
    deltas[L - 1] = (activations[L] - Y) / m * sigmoid_prime(zs[L - 1])
    for l in range(L - 1, 0, -1):
        deltas[l - 1] = (weights[l].T @ deltas[l]) * sigmoid_prime(zs[l - 1])
    return deltas


def reference_backward(
    weights: Sequence[np.ndarray], zs: Sequence[np.ndarray], activations: Sequence[np.ndarray], Y: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Return (dW, db): dW[l-1] = δ[l] a[l-1]ᵀ and db[l-1] = Σ over columns of δ[l]."""
    deltas = reference_deltas(weights, zs, activations, Y)
    dW = [delta @ activations[l].T for l, delta in enumerate(deltas)]
    db = [delta.sum(axis=1, keepdims=True) for delta in deltas]
    return dW, db


def _call_with_lists(function: Callable, *args, name: str, repeat: bool = False):
    """Call the learner through :func:`call_learner` and also fail if it wrote into an array inside a list argument.

    ``call_learner`` compares only top-level array arguments, so a function
    that runs ``weights[0] -= ...`` would go unnoticed without this wrapper.
    With ``repeat``, the function is called twice on fresh copies and must
    return equal results both times.
    """
    if not callable(function):
        raise CheckFailed(f"{name} is not a function (got {type(function).__name__}); run its cell first.")

    pristine = copy.deepcopy(args)
    received: list[tuple] = []

    @functools.wraps(function)
    def spy(*working):
        # The list contents as passed in, kept before the function can replace list entries.
        received.append(tuple(list(arg) if isinstance(arg, (list, tuple)) else arg for arg in working))
        return function(*working)

    result = call_learner(spy, *args, name=name, forbidden=REFERENCE_CODE)
    try:
        parameter_names = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        parameter_names = []
    for position, (before, after) in enumerate(zip(pristine, received[0])):
        if not isinstance(before, (list, tuple)):
            continue
        for index, (old, new) in enumerate(zip(before, after)):
            if isinstance(old, np.ndarray) and not np.array_equal(old, new, equal_nan=True):
                argument = parameter_names[position] if position < len(parameter_names) else f"number {position + 1}"
                raise CheckFailed(
                    f"{name} changed {argument}[{index}] in place. Leave inputs untouched: build new "
                    f"arrays and new lists (W_new = W - ..., not W -= ...)."
                )

    if repeat:
        # A snapshot, because an answer that accumulates may return the same lists again and add to them.
        result = copy.deepcopy(result)
        again = call_learner(function, *args, name=name, forbidden=REFERENCE_CODE)
        if not _same_nested(result, again):
            raise CheckFailed(
                f"{name} returned different gradients when called twice with the same inputs. "
                f"Likely cause: gradients that accumulate across calls; create dW and db afresh inside "
                f"the function, not in a global list or a default argument."
            )
    return result


def _same_nested(first: object, second: object) -> bool:
    if isinstance(first, (list, tuple)) and isinstance(second, (list, tuple)):
        return len(first) == len(second) and all(_same_nested(a, b) for a, b in zip(first, second))
    if isinstance(first, (list, tuple)) or isinstance(second, (list, tuple)):
        return False
    if first is None or second is None:
        return first is second
    try:
        return bool(np.array_equal(np.asarray(first), np.asarray(second), equal_nan=True))
    except (TypeError, ValueError):
        return False


def _two_lists(name: str, result: object, first: str, second: str, lengths: tuple[int, int]) -> tuple[list, list]:
    """Unpack a returned pair of lists, with a message naming what is missing."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(f"{name} should return a tuple ({first}, {second}), got {type(result).__name__}")
    unpacked = []
    for label, value, length in zip((first, second), result, lengths):
        if value is None:
            raise CheckFailed(f"{name} returned None for {label}; return a list of {length} arrays")
        if isinstance(value, np.ndarray) or not isinstance(value, (list, tuple)):
            raise CheckFailed(
                f"{label} should be a list of {length} arrays, got {type(value).__name__}"
            )
        unpacked.append(list(value))
    return unpacked[0], unpacked[1]


def _layers_text(widths: Sequence[int], m: int) -> str:
    return f"layer widths {list(widths)}, m = {m}"


def check_forward_with_cache(forward_with_cache: Callable, seed: int | None = None) -> None:
    """Check (zs, activations) of a sigmoid network against the reference forward pass."""
    rng, seed = new_rng(seed)
    depths = [3, 3, 4]

    for num_layers in depths:
        net, X, _ = random_network(rng, num_layers)
        zs_want, activations_want = net.forward_with_cache(X)
        L = net.num_layers
        result = _call_with_lists(
            forward_with_cache, net.weights, net.biases, X, name="forward_with_cache"
        )
        zs, activations = _two_lists("forward_with_cache", result, "zs", "activations", (L, L + 1))
        context = f"{_layers_text(net.layer_sizes, X.shape[1])}, seed {seed}"

        if len(zs) != L:
            raise CheckFailed(
                f"zs contains {len(zs)} arrays, expected L = {L}: z[1], ..., z[{L}], one per layer ({context})"
            )
        if len(activations) == L:
            raise CheckFailed(
                f"activations contains {L} arrays, expected L + 1 = {L + 1}: it should start with a[0] = X ({context})"
            )
        if len(activations) != L + 1:
            raise CheckFailed(
                f"activations contains {len(activations)} arrays, expected L + 1 = {L + 1}: a[0] = X, then "
                f"a[1], ..., a[{L}] ({context})"
            )

        expect_array("activations[0] (a[0] = X)", activations[0], X, context=context)
        for l in range(1, L + 1):
            W, b = net.weights[l - 1], net.biases[l - 1]
            a_prev = activations_want[l - 1]
            z_mistakes = {f"the bias b[{l}] is missing from z[{l}].": W @ a_prev}
            if l >= 2:
                z_mistakes[f"z[{l}] was computed from z[{l - 1}] instead of a[{l - 1}] = σ(z[{l - 1}])."] = (
                    W @ zs_want[l - 2] + b
                )
            expect_array(f"z[{l}]", zs[l - 1], zs_want[l - 1], mistakes=z_mistakes, context=context)
            expect_array(
                f"a[{l}]", activations[l], activations_want[l],
                mistakes={
                    f"a[{l}] should be σ(z[{l}]), not z[{l}].": zs_want[l - 1],
                    f"σ was applied twice: a[{l}] = σ(σ(z[{l}])).": sigmoid(activations_want[l]),
                },
                context=context,
            )
    passed("forward_with_cache", len(depths), seed)


def check_output_delta(output_delta: Callable, seed: int | None = None) -> None:
    """Check δ[L] = (a[L] − Y)/m ⊙ σ'(z[L]) for a sigmoid output and the MSE loss."""
    rng, seed = new_rng(seed)
    n_cases = 3

    for _ in range(n_cases):
        net, X, Y = random_network(rng, 3)
        zs, activations = net.forward_with_cache(X)
        z_L, a_L = zs[-1], activations[-1]
        m = X.shape[1]
        want = (a_L - Y) / m * sigmoid_prime(z_L)
        got = call_learner(output_delta, z_L, a_L, Y, name="output_delta", forbidden=REFERENCE_CODE)
        expect_array(
            "δ[L]", got, want,
            mistakes={
                "the 1/m is missing: ∂L/∂a[L] = (a − y)/m for the mean squared error.": (a_L - Y) * sigmoid_prime(z_L),
                "multiplied by m instead of dividing: ∂L/∂a[L] = (a − y)/m.": (a_L - Y) * m * sigmoid_prime(z_L),
                "σ' evaluated at a[L] instead of z[L].": (a_L - Y) / m * sigmoid_prime(a_L),
                "σ'(z[L]) is missing. δ = (a − y)/m is the formula for sigmoid + binary cross-entropy "
                "(or softmax + cross-entropy); with the mean squared error σ'(z[L]) stays.": (a_L - Y) / m,
                "σ' was applied twice: δ[L] = (a − y)/m ⊙ σ'(z) ⊙ σ'(z).": want * sigmoid_prime(z_L),
                "the sign is flipped: the error is a − y, not y − a.": -want,
            },
            context=f"z_L of shape {z_L.shape}, m = {m}, seed {seed}",
        )
    passed("output_delta", n_cases, seed)


def _gradient_mistakes(
    net: MLP, zs: list[np.ndarray], activations: list[np.ndarray], Y: np.ndarray, l: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Known wrong values of dW[l] and db[l], assuming the layers above l are right.

    Each mistake changes δ[l] alone (δ[l+1] is the correct one) or changes how
    dW[l] and db[l] are formed from the correct δ[l].
    """
    L = net.num_layers
    m = Y.shape[1]
    deltas = reference_deltas(net.weights, zs, activations, Y)
    delta = deltas[l - 1]
    a_prev = activations[l - 1]

    if l == L:
        upstream = (activations[L] - Y) / m
        wrong_deltas = {
            "the 1/m is missing from δ[L]: ∂L/∂a[L] = (a − y)/m.": delta * m,
            "σ' evaluated at a instead of z in δ[L].": upstream * sigmoid_prime(activations[L]),
            "σ'(z[L]) is missing from δ[L]. δ[L] = (a − y)/m is the formula for sigmoid + binary "
            "cross-entropy; with the mean squared error σ'(z[L]) stays.": upstream,
            "δ[L] has σ' applied twice.": delta * sigmoid_prime(zs[L - 1]),
        }
    else:
        upstream = net.weights[l].T @ deltas[l]
        wrong_deltas = {
            f"σ'(a[{l}]) instead of σ'(z[{l}]) in δ[{l}].": upstream * sigmoid_prime(activations[l]),
            f"σ'(z[{l}]) is missing from δ[{l}] = (W[{l + 1}]ᵀ δ[{l + 1}]) ⊙ σ'(z[{l}]).": upstream,
            f"δ[{l}] multiplies by a[{l}] instead of σ'(z[{l}]).": upstream * activations[l],
        }

    dW_mistakes = {cause: wrong @ a_prev.T for cause, wrong in wrong_deltas.items()}
    db_mistakes = {cause: wrong.sum(axis=1, keepdims=True) for cause, wrong in wrong_deltas.items()}
    dW_mistakes[f"divided by m again in dW[{l}]: the 1/m is already inside δ[L]."] = delta @ a_prev.T / m
    if l >= 2:
        dW_mistakes[f"dW[{l}] used z[{l - 1}] where it needs the activation a[{l - 1}]: dW[{l}] = δ[{l}] a[{l - 1}]ᵀ."] = (
            delta @ zs[l - 2].T
        )
    db_mistakes[f"db[{l}] is the mean over the columns of δ[{l}]; take the sum, because the 1/m is already inside δ[L]."] = (
        delta.mean(axis=1, keepdims=True)
    )
    return dW_mistakes, db_mistakes


def _expect_dW(l: int, got: object, want: np.ndarray, mistakes: dict[str, np.ndarray], context: str) -> None:
    label = f"dW[{l}]"
    if isinstance(got, np.ndarray) and got.shape == want.T.shape and np.allclose(got, want.T, rtol=1e-6, atol=1e-9):
        raise CheckFailed(
            f"{label} equals the correct {label} transposed: dW[l] = δ[l] a[l−1]ᵀ has the shape of W[l], "
            f"{want.shape} ({context})"
        )
    expect_array(label, got, want, mistakes=mistakes, context=context)


def _expect_db(l: int, got: object, want: np.ndarray, delta: np.ndarray, mistakes: dict[str, np.ndarray], context: str) -> None:
    label = f"db[{l}]"
    if isinstance(got, np.ndarray) and got.shape != want.shape:
        across_units = delta.sum(axis=0)
        if got.size == across_units.size and np.allclose(got.reshape(-1), across_units, rtol=1e-6, atol=1e-9):
            raise CheckFailed(
                f"{label} summed over the wrong axis: it has one entry per example. Sum δ[{l}] over the "
                f"m columns, delta.sum(axis=1, keepdims=True), to get shape {want.shape} ({context})"
            )
        if got.shape == delta.shape:
            raise CheckFailed(
                f"{label} has shape {got.shape}, the shape of δ[{l}]: sum δ[{l}] over the m columns, "
                f"delta.sum(axis=1, keepdims=True), to get shape {want.shape} ({context})"
            )
    expect_array(label, got, want, mistakes=mistakes, context=context)


def check_backward(backward: Callable, seed: int | None = None) -> None:
    """Check (dW, db) of the δ recurrence against the reference gradients.

    The cases are two 3-layer networks and one 4-layer network. The reference
    gradients equal centered finite differences of the loss (the course's
    tests check that). Outputs are compared layer by layer from L down to 1,
    so the first wrong array is the first one the backward pass computed.
    """
    rng, seed = new_rng(seed)
    depths = [3, 3, 4]

    for num_layers in depths:
        net, X, Y = random_network(rng, num_layers)
        zs, activations = net.forward_with_cache(X)
        L = net.num_layers
        dW_want, db_want = net.gradients(X, Y)
        deltas = reference_deltas(net.weights, zs, activations, Y)
        context = f"{_layers_text(net.layer_sizes, X.shape[1])}, seed {seed}"

        result = _call_with_lists(backward, net.weights, zs, activations, Y, name="backward", repeat=True)
        dW, db = _two_lists("backward", result, "dW", "db", (L, L))

        for label, grads in (("dW", dW), ("db", db)):
            if len(grads) == L - 1:
                raise CheckFailed(
                    f"{label} contains {L - 1} arrays but the network has L = {L} layers. Likely cause: the loop "
                    f"over the hidden layers l = L−1, ..., 1 never stores {label}[{L}]; compute the output "
                    f"layer's gradient from δ[L] before the loop ({context})"
                )
            if len(grads) != L:
                raise CheckFailed(
                    f"{label} contains {len(grads)} arrays, expected one per layer, L = {L} ({context})"
                )

        for l in range(L, 0, -1):
            dW_mistakes, db_mistakes = _gradient_mistakes(net, zs, activations, Y, l)
            _expect_dW(l, dW[l - 1], dW_want[l - 1], dW_mistakes, context)
            _expect_db(l, db[l - 1], db_want[l - 1], deltas[l - 1], db_mistakes, context)
    passed("backward", len(depths), seed)


def check_update(update: Callable, seed: int | None = None) -> None:
    """Check one gradient-descent step on every W[l] and b[l], returned as new lists."""
    rng, seed = new_rng(seed)
    depths = [3, 4]

    for num_layers in depths:
        net, X, Y = random_network(rng, num_layers)
        dW, db = net.gradients(X, Y)
        learning_rate = float(rng.uniform(0.1, 3.0))
        L = net.num_layers
        result = _call_with_lists(
            update, net.weights, net.biases, dW, db, learning_rate, name="update"
        )
        weights_new, biases_new = _two_lists("update", result, "new_weights", "new_biases", (L, L))
        context = f"{_layers_text(net.layer_sizes, X.shape[1])}, learning rate {learning_rate:.3f}, seed {seed}"

        for label, got, params in (("new_weights", weights_new, net.weights), ("new_biases", biases_new, net.biases)):
            if len(got) != L:
                raise CheckFailed(f"{label} contains {len(got)} arrays, expected one per layer, L = {L} ({context})")

        uphill = "added the gradient: gradient descent subtracts η times the gradient."
        for l in range(1, L + 1):
            W, b = net.weights[l - 1], net.biases[l - 1]
            expect_array(
                f"W[{l}]", weights_new[l - 1], W - learning_rate * dW[l - 1],
                mistakes={
                    uphill: W + learning_rate * dW[l - 1],
                    f"W[{l}] was returned unchanged: the update must step every layer, the output layer too.": W,
                },
                context=context,
            )
            expect_array(
                f"b[{l}]", biases_new[l - 1], b - learning_rate * db[l - 1],
                mistakes={
                    uphill: b + learning_rate * db[l - 1],
                    f"b[{l}] was returned unchanged: every bias needs its step b[l] − η db[l].": b,
                },
                context=context,
            )
    passed("update", len(depths), seed)
