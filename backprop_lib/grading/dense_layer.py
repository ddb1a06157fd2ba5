"""Checks for the notebook 04_dense_layer.

One dense layer l over a batch of m examples (columns):
W is (n_l, n_prev), b is (n_l, 1), a_prev is (n_prev, m), z = W @ a_prev + b.
Given delta = ∂L/∂z of shape (n_l, m), which already contains the loss's 1/m:
dW = delta @ a_prevᵀ, db = Σ over the columns of delta, da_prev = Wᵀ @ delta.

Every case comes from a real forward pass of the reference :class:`~backprop_lib.MLP`
(random biases, mean squared error on a sigmoid output), and the expected dW
and db are the MLP's own gradients of that layer. The shapes n_prev, n_l and
m are drawn per case and differ from each other. The exception is one case of
``check_dense_backward`` with a square W, because there a product with W in
place of Wᵀ runs, and its values name the mistake.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..activations import ACTIVATIONS, sigmoid, sigmoid_prime
from ..gradcheck import gradcheck, numerical_gradient
from ..losses import mse, mse_prime
from ..mlp import MLP
from .core import CheckFailed, call_learner, expect_array, new_rng, passed

REFERENCE_CODE = [MLP, gradcheck, numerical_gradient]
"""Library code that computes a layer's gradients or a numerical gradient, which answers must not call."""

_EXTRA_1_OVER_M = "divided by m again (np.mean or / m); delta already contains the loss's 1/m."
_TIMES_M = "multiplied by m; delta already contains the loss's 1/m, so no factor m belongs here."


def _distinct_sizes(rng: np.random.Generator, count: int, low: int = 2, high: int = 8) -> list[int]:
    return [int(v) for v in rng.choice(np.arange(low, high), size=count, replace=False)]


def layer_case(rng: np.random.Generator, square_weights: bool = False) -> dict[str, np.ndarray]:
    """Run a real forward and backward pass of a 2-layer MLP and return one layer's arrays.

    Returns a dict with W, b, a_prev, z, delta (= ∂L/∂z, 1/m included) and
    the MLP's own gradients dW and db of that layer. With ``square_weights``
    the returned layer has n_l = n_prev (still different from m).
    """
    if square_weights:
        width, n_out, m = _distinct_sizes(rng, 3, low=3, high=9)
        layer_sizes, layer = [width, width, n_out], 1
    else:
        n_in, n_hidden, n_out, m = _distinct_sizes(rng, 4, low=2, high=9)
        layer_sizes, layer = [n_in, n_hidden, n_out], int(rng.integers(1, 3))

    hidden = str(rng.choice(["sigmoid", "tanh", "relu"]))
    net = MLP(layer_sizes, hidden_activation=hidden, output_activation="sigmoid", loss="mse",
              seed=int(rng.integers(2**31)))
    net.biases = [rng.normal(0.0, 0.5, size=bias.shape) for bias in net.biases]
    X = rng.normal(0.0, 1.0, size=(layer_sizes[0], m))
    Y = rng.uniform(0.0, 1.0, size=(layer_sizes[-1], m))

    zs, activations = net.forward_with_cache(X)
    delta = mse_prime(activations[2], Y) * sigmoid_prime(zs[1])
    if layer == 1:
        delta = (net.weights[1].T @ delta) * ACTIVATIONS[hidden].derivative(zs[0])
    dW, db = net.gradients(X, Y)

    return {
        "W": net.weights[layer - 1].copy(),
        "b": net.biases[layer - 1].copy(),
        "a_prev": activations[layer - 1].copy(),
        "z": zs[layer - 1].copy(),
        "delta": delta,
        "dW": dW[layer - 1],
        "db": db[layer - 1],
        "Y": Y,
    }


def _shapes_context(case: dict[str, np.ndarray], seed: int) -> str:
    n_l, n_prev = case["W"].shape
    return f"n_l = {n_l}, n_prev = {n_prev}, m = {case['a_prev'].shape[1]}, seed {seed}"


def _triple(name: str, result: object, names: str) -> tuple:
    if not isinstance(result, tuple) or len(result) != 3:
        raise CheckFailed(f"{name} should return a tuple ({names}), got {type(result).__name__}")
    return result


def check_dense_forward(dense_forward: Callable, seed: int | None = None) -> None:
    """Check z = W @ a_prev + b on layers of real forward passes, shapes drawn per case."""
    rng, seed = new_rng(seed)
    n_cases = 3

    for _ in range(n_cases):
        case = layer_case(rng)
        W, b, a_prev, z = case["W"], case["b"], case["a_prev"], case["z"]
        got = call_learner(dense_forward, W, b, a_prev, name="dense_forward", forbidden=REFERENCE_CODE)
        expect_array(
            "z", got, z,
            mistakes={
                "the bias b is missing: z = W @ a_prev + b.": W @ a_prev,
                "b was subtracted: z = W @ a_prev + b.": W @ a_prev - b,
                "returned σ(z); dense_forward returns z, and the activation is applied afterwards.": sigmoid(z),
            },
            context=_shapes_context(case, seed),
        )
    passed("dense_forward", n_cases, seed)


def _expect_dW(dW: object, case: dict[str, np.ndarray], context: str) -> None:
    W, a_prev, delta, want = case["W"], case["a_prev"], case["delta"], case["dW"]
    m = a_prev.shape[1]
    if isinstance(dW, np.ndarray) and dW.shape == W.shape[::-1] and W.shape[0] != W.shape[1]:
        raise CheckFailed(
            f"dW has shape {dW.shape}, expected {W.shape}, the shape of W: it is transposed. "
            f"dW = delta @ a_prev.T; a_prev @ delta.T is its transpose ({context})"
        )
    expect_array(
        "dW", dW, want,
        mistakes={
            "dW is transposed: dW = delta @ a_prev.T has the shape of W, and a_prev @ delta.T is its transpose.":
                (a_prev @ delta.T),
            _EXTRA_1_OVER_M: want / m,
            _TIMES_M: want * m,
        },
        context=context,
    )


def _expect_db(db: object, case: dict[str, np.ndarray], context: str) -> None:
    delta, want = case["delta"], case["db"]
    n_l, m = delta.shape
    if isinstance(db, (int, float, np.number)) or (isinstance(db, np.ndarray) and db.size == 1):
        raise CheckFailed(
            f"db is one number, expected shape {want.shape}. Likely cause: δ was summed over all entries; "
            f"sum over the examples only, axis=1, keepdims=True ({context})"
        )
    if isinstance(db, np.ndarray) and db.shape != want.shape:
        if db.shape == (n_l,):
            cause = "the sum lost its axis; use keepdims=True so db keeps the column shape of b."
        elif db.shape == (1, m) or db.shape == (m,):
            cause = "δ was summed over the units (axis=0); sum over the examples, axis=1, keepdims=True."
        elif db.shape == (n_l, m):
            cause = "db is δ itself; sum δ over the m examples (axis=1, keepdims=True)."
        else:
            cause = "db has the shape of b: one entry per unit."
        raise CheckFailed(f"db has shape {db.shape}, expected {want.shape}. Likely cause: {cause} ({context})")
    expect_array(
        "db", db, want,
        mistakes={_EXTRA_1_OVER_M: want / m, _TIMES_M: want * m},
        context=context,
    )


def _expect_da_prev(da_prev: object, case: dict[str, np.ndarray], context: str) -> None:
    W, delta = case["W"], case["delta"]
    m = delta.shape[1]
    want = W.T @ delta
    mistakes = {_EXTRA_1_OVER_M: want / m, _TIMES_M: want * m}
    if W.shape[0] == W.shape[1]:
        mistakes["used W instead of W.T: da_prev = W.T @ delta."] = W @ delta
    expect_array("da_prev", da_prev, want, mistakes=mistakes, context=context)


def check_dense_backward(dense_backward: Callable, seed: int | None = None) -> None:
    """Check (dW, db, da_prev) = (delta @ a_prevᵀ, Σ_columns delta, Wᵀ @ delta) for real layers.

    The first case has a square W, so that W in place of Wᵀ produces values
    that name the mistake. The other cases are non-square in every dimension.
    The function is called twice per case and must return the same result.
    """
    rng, seed = new_rng(seed)
    cases = [layer_case(rng, square_weights=True), layer_case(rng), layer_case(rng)]

    for case in cases:
        context = _shapes_context(case, seed)
        try:
            result = call_learner(
                dense_backward, case["delta"], case["W"], case["a_prev"],
                name="dense_backward", forbidden=REFERENCE_CODE, repeat=True,
            )
        except CheckFailed as failure:
            if "matmul" in str(failure) or "not aligned" in str(failure):
                raise CheckFailed(
                    f"{failure}. Likely cause: a missing or extra transpose; with W of shape (n_l, n_prev), "
                    f"the products are delta @ a_prev.T and W.T @ delta ({context})"
                ) from None
            raise
        dW, db, da_prev = _triple("dense_backward", result, "dW, db, da_prev")
        _expect_dW(dW, case, context)
        _expect_db(db, case, context)
        _expect_da_prev(da_prev, case, context)
    passed("dense_backward", len(cases), seed)


_SHAPE_MISTAKES = {
    "dW": lambda n_l, n_prev, m: {
        (n_prev, n_l): "it is transposed; dW has the shape of W, (n_l, n_prev).",
        (n_l, m): "that is the shape of z; dW has the shape of W, (n_l, n_prev).",
    },
    "db": lambda n_l, n_prev, m: {
        (n_l,): "db keeps the column shape of b, (n_l, 1): sum with keepdims=True.",
        (n_l, m): "db sums δ over the m examples, so it has the shape of b, (n_l, 1).",
        (1, m): "that is a sum over the units; db sums over the examples and has the shape of b.",
        (1, n_l): "db is a column like b, (n_l, 1), not a row.",
    },
    "da_prev": lambda n_l, n_prev, m: {
        (n_l, m): "that is the shape of delta; da_prev has the shape of a_prev, (n_prev, m).",
        (m, n_prev): "it is transposed; da_prev has the shape of a_prev, (n_prev, m).",
        (n_prev, n_l): "that is the shape of Wᵀ; da_prev has the shape of a_prev, (n_prev, m).",
    },
}


def _as_shape(label: str, value: object, context: str) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise CheckFailed(f"the shape of {label} should be a tuple of ints such as (3, 2), got {value!r} ({context})")
    shape = []
    for entry in value:
        if isinstance(entry, bool) or not isinstance(entry, (int, np.integer)):
            raise CheckFailed(f"the shape of {label} should contain ints, got {value!r} ({context})")
        shape.append(int(entry))
    return tuple(shape)


def check_gradient_shapes(gradient_shapes: Callable, seed: int | None = None) -> None:
    """Check the shapes ((n_l, n_prev), (n_l, 1), (n_prev, m)) for random distinct sizes."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for _ in range(n_cases):
        n_l, n_prev, m = _distinct_sizes(rng, 3, low=2, high=40)
        context = f"n_l = {n_l}, n_prev = {n_prev}, m = {m}, seed {seed}"
        result = call_learner(gradient_shapes, n_l, n_prev, m, name="gradient_shapes")
        shapes = _triple("gradient_shapes", result, "shape of dW, shape of db, shape of da_prev")
        wanted = {"dW": (n_l, n_prev), "db": (n_l, 1), "da_prev": (n_prev, m)}
        for (label, want), got in zip(wanted.items(), shapes):
            got_shape = _as_shape(label, got, context)
            if got_shape != want:
                cause = _SHAPE_MISTAKES[label](n_l, n_prev, m).get(got_shape, "a gradient has the shape of the "
                                                                   "array it differentiates.")
                raise CheckFailed(
                    f"the shape of {label} is wrong: expected {want}, got {got_shape}. Likely cause: {cause} ({context})"
                )
    passed("gradient_shapes", n_cases, seed)


def _simulate(f: Callable, x: np.ndarray, h: float, *, one_sided: bool = False, denominator: float = 2.0,
              restore: bool = True) -> np.ndarray:
    """Run a numerical gradient with one of the usual slips, to name the mistake a learner made."""
    x = x.copy()
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        if one_sided:
            x[index] = original
            grad[index] = (f_plus - f(x)) / h
            continue
        x[index] = original - h
        f_minus = f(x)
        if restore:
            x[index] = original
        grad[index] = (f_plus - f_minus) / (denominator * h)
    return grad


def check_numerical_gradient(numerical_gradient: Callable, seed: int | None = None) -> None:
    """Check centered differences over every entry of 2-D arrays, against exact gradients.

    The functions are the mean squared error of a real sigmoid layer as a
    function of W, of b and of a_prev, with exact gradients from the δ of
    that layer. The fourth is Σ c·sin(x), whose second derivative is large
    enough that the one-sided difference misses the tolerance. With
    h = 1e-4 the centered difference is off by about h²/6·|f'''| ≈
    2e-9·|f'''|, the one-sided one by about h/2·|f''| ≈ 5e-5·|f''|, and the
    tolerance is rtol = atol = 1e-6.

    ``x`` may change during the call but must afterwards equal its input up
    to rounding (1e-12 relative), because restoring an entry by adding and
    subtracting h again can leave one rounding step behind.
    """
    rng, seed = new_rng(seed)
    h = 1e-4
    case = layer_case(rng)
    W, b, a_prev = case["W"], case["b"], case["a_prev"]
    m = a_prev.shape[1]
    Y = rng.uniform(0.0, 1.0, size=(W.shape[0], m))
    delta_out = (sigmoid(W @ a_prev + b) - Y) / m * sigmoid_prime(W @ a_prev + b)
    weights = rng.uniform(0.5, 2.0, size=(int(rng.integers(2, 5)), int(rng.integers(5, 8))))
    x_sin = rng.uniform(-2.0, 2.0, size=weights.shape)

    # Closures, not module-level helpers: functions of this module count as reference code while the learner runs.
    problems = [
        ("L(W), the layer's loss as a function of W", lambda V: mse(sigmoid(V @ a_prev + b), Y), W,
         delta_out @ a_prev.T),
        ("L(b)", lambda V: mse(sigmoid(W @ a_prev + V), Y), b, delta_out.sum(axis=1, keepdims=True)),
        ("L(a_prev)", lambda V: mse(sigmoid(W @ V + b), Y), a_prev, W.T @ delta_out),
        ("f(x) = Σ c·sin(x)", lambda V: float(np.sum(weights * np.sin(V))), x_sin, weights * np.cos(x_sin)),
    ]

    for label, f, x, exact in problems:
        context = f"{label}, x of shape {x.shape}, h = {h:g}, seed {seed}"
        x_given = x.copy()
        got = call_learner(lambda: numerical_gradient(f, x_given, h), name="numerical_gradient",
                           forbidden=REFERENCE_CODE)
        expect_array(
            f"numerical_gradient for {label}", got, exact, rtol=1e-6, atol=1e-6,
            mistakes={
                "this is the one-sided difference (f(x + h) − f(x)) / h; use the centered one.":
                    _simulate(f, x, h, one_sided=True),
                "the denominator should be 2h, not h.": _simulate(f, x, h, denominator=1.0),
                "each entry stays moved by −h after its turn, so later entries are measured at a shifted "
                "point; restore x[index] to its old value.": _simulate(f, x, h, restore=False),
            },
            context=context,
        )
        moved = np.abs(x_given - x) > 1e-12 * np.abs(x) + 1e-300
        if np.any(moved):
            index = tuple(int(i) for i in np.argwhere(moved)[0])
            raise CheckFailed(
                f"numerical_gradient left x changed: x{list(index)} moved by {x_given[index] - x[index]:.3g}. "
                f"Put each entry back to its saved value after perturbing it, or perturb a copy ({context})"
            )
    passed("numerical_gradient", len(problems), seed)


def check_layer_loss(layer_loss: Callable, seed: int | None = None) -> None:
    """Check L = 1/(2m) Σ ‖σ(W @ a_prev + b) − Y‖² on layers of real forward passes, n_l ≥ 2."""
    rng, seed = new_rng(seed)
    n_cases = 3

    for _ in range(n_cases):
        case = layer_case(rng)
        W, b, a_prev = case["W"], case["b"], case["a_prev"]
        n_l, m = W.shape[0], a_prev.shape[1]
        Y = rng.uniform(0.0, 1.0, size=(n_l, m))
        a = sigmoid(W @ a_prev + b)
        squares = float(np.sum((a - Y) ** 2))
        got = call_learner(layer_loss, W, b, a_prev, Y, name="layer_loss", forbidden=REFERENCE_CODE)
        expect_array(
            "layer_loss", got, np.asarray(mse(a, Y)),
            mistakes={
                "np.mean averages over all n_l · m entries; the loss averages over the m examples only: "
                "divide the sum by 2m.": np.asarray(squares / (2 * n_l * m)),
                "the ½ is missing: L = 1/(2m) Σ ‖a − y‖².": np.asarray(squares / m),
                "the 1/m is missing: the loss is a mean over the m examples.": np.asarray(squares / 2),
                "the activation is missing: a = σ(z).": np.asarray(mse(W @ a_prev + b, Y)),
            },
            context=_shapes_context(case, seed),
        )
    passed("layer_loss", n_cases, seed)
