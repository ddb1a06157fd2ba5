"""Checks for the notebook 10_interview_drills.

Every fixture comes from a real forward pass of the reference :class:`MLP`.
The δ of each layer is computed here by the recurrence, from the network's
own caches, and the tests confirm that δ[l] a[l-1]ᵀ equals ``MLP.gradients``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..activations import sigmoid, sigmoid_prime
from ..losses import binary_cross_entropy_delta, cross_entropy_delta, mse_prime
from ..mlp import MLP
from .core import CheckFailed, call_learner, expect_array, new_rng, passed

# Reference code that would compute a drill's answer for the learner. Calling it inside an
# answer raises TamperDetected; the grading package's own functions are always forbidden.
REFERENCE_CODE = (MLP, binary_cross_entropy_delta, cross_entropy_delta, mse_prime)


def _tuple_of(name: str, result: object, names: Sequence[str]) -> tuple:
    if not isinstance(result, tuple) or len(result) != len(names):
        raise CheckFailed(
            f"{name} should return a tuple ({', '.join(names)}), got {type(result).__name__}"
            + (f" of length {len(result)}" if isinstance(result, tuple) else "")
        )
    return result


def _call_with_transpose_hint(function: Callable, *args, name: str, hint: str):
    """Call the learner; when NumPy rejects the shapes of a product, add ``hint`` to the message."""
    try:
        return call_learner(function, *args, name=name, forbidden=REFERENCE_CODE)
    except CheckFailed as failure:
        text = str(failure)
        if "raised ValueError" in text and ("mismatch" in text or "not aligned" in text or "shapes" in text):
            raise CheckFailed(f"{text}. Likely cause: {hint}") from None
        raise


def reference_deltas(net: MLP, X: np.ndarray, Y: np.ndarray) -> tuple[list, list, list]:
    """Return (zs, activations, deltas) of a real forward pass, with deltas[l-1] = δ[l] by the recurrence."""
    zs, activations = net.forward_with_cache(X)
    L = net.num_layers
    deltas: list[np.ndarray] = [np.empty(0)] * L
    if net.loss_name == "binary_cross_entropy":
        deltas[L - 1] = binary_cross_entropy_delta(zs[L - 1], Y)
    elif net.loss_name == "mse" and net.output_activation.name == "sigmoid":
        deltas[L - 1] = mse_prime(activations[L], Y) * sigmoid_prime(zs[L - 1])
    else:
        raise ValueError(f"reference_deltas supports sigmoid outputs with mse or binary_cross_entropy, got {net!r}")
    for l in range(L - 1, 0, -1):
        deltas[l - 1] = net.hidden_activation.backward(zs[l - 1], net.weights[l].T @ deltas[l])
    return zs, activations, deltas


def _random_sizes(rng: np.random.Generator, depth: int, low: int = 2, high: int = 6) -> list[int]:
    """Layer sizes in which neighbouring widths differ, so no W[l] is square."""
    sizes = [int(rng.integers(low, high))]
    for _ in range(depth):
        size = int(rng.integers(low, high))
        while size == sizes[-1]:
            size = int(rng.integers(low, high))
        sizes.append(size)
    return sizes


# ---------------------------------------------------------------------------
# Drill 1: one neuron, sigmoid output with binary cross-entropy
# ---------------------------------------------------------------------------


def check_neuron_drill(neuron_drill: Callable, seed: int | None = None) -> None:
    """Check (a, loss, dw, db) of one sigmoid neuron with binary cross-entropy on one example."""
    rng, seed = new_rng(seed)
    n_cases = 5

    for case in range(n_cases):
        n = int(rng.integers(2, 5))
        net = MLP([n, 1], output_activation="sigmoid", loss="binary_cross_entropy")
        net.weights[0][...] = rng.normal(0.0, 1.0, size=(1, n))
        net.biases[0][...] = rng.normal(0.0, 0.5, size=(1, 1))
        w, b = net.weights[0].copy(), net.biases[0].copy()
        x = rng.normal(0.0, 1.0, size=(n, 1))
        y = np.array([[float(case % 2)]])

        z = w @ x + b
        a = net.forward(x)
        loss = np.asarray(net.loss(x, y))
        dW, db = net.gradients(x, y)
        result = call_learner(neuron_drill, w, b, x, y, name="neuron_drill", forbidden=REFERENCE_CODE)
        a_got, loss_got, dw_got, db_got = _tuple_of("neuron_drill", result, ("a", "loss", "dw", "db"))
        context = f"n = {n} inputs, y = {y.item():g}, seed {seed}"
        with np.errstate(divide="ignore"):
            log10_loss = -(y * np.log10(a) + (1 - y) * np.log10(1 - a))

        expect_array("a", a_got, a, mistakes={"a should be σ(z), not z.": z}, context=context)
        expect_array(
            "loss",
            loss_got,
            loss,
            mistakes={
                "used log10; cross-entropy uses the natural log.": np.asarray(log10_loss.item()),
                "computed the squared error ½(a − y)²; this drill's loss is binary cross-entropy.":
                    np.asarray((0.5 * (a - y) ** 2).item()),
            },
            context=context,
        )
        if isinstance(dw_got, np.ndarray) and dw_got.size == 1 and n > 1:
            raise CheckFailed(
                f"dw has shape {dw_got.shape}, expected {w.shape}: one entry per weight. "
                f"Likely cause: the factor xᵀ is missing, dw = δ xᵀ ({context})"
            )
        sigma_twice = "multiplied by σ'(z); with a sigmoid output and cross-entropy σ' cancels, so δ = a − y."
        expect_array(
            "dw",
            dw_got,
            dW[0],
            mistakes={sigma_twice: (a - y) * sigmoid_prime(z) @ x.T, "the sign is flipped: δ = a − y, not y − a.": (y - a) @ x.T},
            context=context,
        )
        expect_array("db", db_got, db[0], mistakes={sigma_twice: (a - y) * sigmoid_prime(z)}, context=context)
    passed("neuron_drill", n_cases, seed)


# ---------------------------------------------------------------------------
# Drill 2: one weight's gradient in an n0-n1-1 network
# ---------------------------------------------------------------------------


def _two_layer_gradients(W1, b1, W2, b2, x, y, *, prime_at_a=False, output_prime=True, hidden_prime=True,
                         z_for_a=False):
    """dW1, dW2 of the sigmoid–sigmoid network with L = ½(a − y)², optionally with a known mistake."""
    z1 = W1 @ x + b1
    a1 = sigmoid(z1)
    z2 = W2 @ a1 + b2
    a2 = sigmoid(z2)

    def prime(z, a):
        return sigmoid_prime(a) if prime_at_a else sigmoid_prime(z)

    delta2 = (a2 - y) * (prime(z2, a2) if output_prime else 1.0)
    delta1 = (W2.T @ delta2) * (prime(z1, a1) if hidden_prime else 1.0)
    return delta1 @ x.T, delta2 @ (z1 if z_for_a else a1).T


def check_grad_w_entry(grad_w_entry: Callable, seed: int | None = None) -> None:
    """Check ∂L/∂W[layer][i, j] of random n0-n1-1 sigmoid networks with L = ½(a − y)²."""
    rng, seed = new_rng(seed)
    n_cases = 6

    for case in range(n_cases):
        n0, n1 = _random_sizes(rng, 1, 2, 5)
        net = MLP([n0, n1, 1], hidden_activation="sigmoid", output_activation="sigmoid", loss="mse")
        for l in (1, 2):
            net.weights[l - 1][...] = rng.normal(0.0, 1.0, size=net.weights[l - 1].shape)
            net.biases[l - 1][...] = rng.normal(0.0, 0.5, size=net.biases[l - 1].shape)
        W1, W2 = net.weights[0].copy(), net.weights[1].copy()
        b1, b2 = net.biases[0].copy(), net.biases[1].copy()
        x = rng.normal(0.0, 1.0, size=(n0, 1))
        y = np.array([[float(rng.uniform())]])
        layer = 1 if case % 2 == 0 else 2
        rows, cols = net.weights[layer - 1].shape
        i, j = int(rng.integers(rows)), int(rng.integers(cols))

        dW, _ = net.gradients(x, y)
        want = np.asarray(dW[layer - 1][i, j])
        got = call_learner(
            grad_w_entry, W1, b1, W2, b2, x, y, layer, i, j, name="grad_w_entry", forbidden=REFERENCE_CODE
        )

        mistakes = {}
        variants = {
            "σ' evaluated at a instead of z.": {"prime_at_a": True},
            "the output layer's σ'(z²) is missing from δ².": {"output_prime": False},
            "the hidden layer's σ'(z¹) is missing from δ¹.": {"hidden_prime": False},
            "multiplied δ² by z¹ instead of the activation a¹ = σ(z¹).": {"z_for_a": True},
        }
        for cause, options in variants.items():
            wrong = _two_layer_gradients(W1, b1, W2, b2, x, y, **options)[layer - 1]
            mistakes[cause] = np.asarray(wrong[i, j])
        if j < rows and i < cols:
            mistakes["read dW[j, i] instead of dW[i, j]: i is the row (the unit), j the column (its input)."] = np.asarray(
                dW[layer - 1][j, i]
            )
        mistakes["forgot the ½ in L = ½(a − y)², which doubles the gradient."] = 2.0 * want

        expect_array(
            f"∂L/∂W[{layer}][{i}, {j}]",
            got,
            want,
            mistakes=mistakes,
            context=f"{n0}-{n1}-1 network, seed {seed}",
        )
    passed("grad_w_entry", n_cases, seed)


# ---------------------------------------------------------------------------
# Drill 3: shapes
# ---------------------------------------------------------------------------


def _as_shape_list(label: str, value: object) -> list[tuple[int, ...]]:
    if not isinstance(value, (list, tuple)):
        raise CheckFailed(f"{label} should be a list of shape tuples, got {type(value).__name__}")
    shapes = []
    for entry in value:
        try:
            shapes.append(tuple(int(size) for size in entry))
        except (TypeError, ValueError):
            raise CheckFailed(f"{label} should contain shape tuples such as (3, 5), got {entry!r}") from None
    return shapes


def check_gradient_shapes(gradient_shapes: Callable, seed: int | None = None) -> None:
    """Check the shapes of every δ[l] and dW[l] against a real forward and backward pass."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for _ in range(n_cases):
        sizes = _random_sizes(rng, int(rng.integers(2, 5)), 2, 9)
        m = int(rng.integers(2, 9))
        while m in sizes:
            m += 1
        net = MLP(sizes, output_activation="sigmoid", loss="mse")
        X = rng.normal(size=(sizes[0], m))
        Y = rng.uniform(size=(sizes[-1], m))
        zs, _, deltas = reference_deltas(net, X, Y)
        dW, _ = net.gradients(X, Y)
        delta_want = [delta.shape for delta in deltas]
        dW_want = [grad.shape for grad in dW]

        result = call_learner(gradient_shapes, list(sizes), m, name="gradient_shapes", forbidden=REFERENCE_CODE)
        delta_got, dW_got = _tuple_of("gradient_shapes", result, ("delta_shapes", "dW_shapes"))
        delta_got = _as_shape_list("delta_shapes", delta_got)
        dW_got = _as_shape_list("dW_shapes", dW_got)
        context = f"layer_sizes {sizes}, m = {m}, seed {seed}"

        for label, got, want in (("delta_shapes", delta_got, delta_want), ("dW_shapes", dW_got, dW_want)):
            if len(got) != len(want):
                raise CheckFailed(
                    f"{label} has {len(got)} entries, expected {len(want)}: one per layer l = 1..L; "
                    f"the input layer has no δ and no W ({context})"
                )
        for l, (got, want) in enumerate(zip(delta_got, delta_want), start=1):
            if got == want:
                continue
            cause = ""
            if got == (want[0], 1):
                cause = " Likely cause: δ[l] has one column per example, like z[l]: (n_l, m)."
            elif got == want[::-1]:
                cause = " Likely cause: it is transposed; examples are columns."
            raise CheckFailed(f"δ[{l}] has shape {got}, expected {want}.{cause} ({context})")
        for l, (got, want) in enumerate(zip(dW_got, dW_want), start=1):
            if got == want:
                continue
            cause = ""
            if got == want[::-1]:
                cause = " Likely cause: it is transposed; dW[l] has the shape of W[l], (n_l, n_{l-1})."
            elif m in got:
                cause = " Likely cause: dW[l] = δ[l] a[l-1]ᵀ sums over the m examples, so m is not in its shape."
            raise CheckFailed(f"dW[{l}] has shape {got}, expected {want}.{cause} ({context})")
    passed("gradient_shapes", n_cases, seed)


# ---------------------------------------------------------------------------
# The recurrence from memory
# ---------------------------------------------------------------------------


def _output_case(rng: np.random.Generator, loss: str):
    n_L = int(rng.integers(2, 5))
    m = n_L + int(rng.integers(1, 5))
    sizes = [int(rng.integers(2, 6)), n_L]
    net = MLP(sizes, output_activation="sigmoid", loss=loss, seed=int(rng.integers(2**31)))
    X = rng.normal(0.0, 1.5, size=(sizes[0], m))
    Y = (rng.uniform(size=(n_L, m)) > 0.5).astype(np.float64) if loss == "binary_cross_entropy" else rng.uniform(size=(n_L, m))
    zs, activations, deltas = reference_deltas(net, X, Y)
    return zs[-1], activations[-1], Y, deltas[-1]


def check_output_delta(output_delta: Callable, seed: int | None = None) -> None:
    """Check δ[L] for a sigmoid output with mse and with binary cross-entropy."""
    rng, seed = new_rng(seed)
    losses = ["mse", "binary_cross_entropy", "mse", "binary_cross_entropy"]

    for loss in losses:
        z, a, y, want = _output_case(rng, loss)
        m = a.shape[1]
        got = call_learner(output_delta, a, y, z, loss, name="output_delta", forbidden=REFERENCE_CODE)
        mistakes = {
            "the 1/m of the mean loss is missing.": want * m,
            "divided by m twice.": want / m,
        }
        if loss == "mse":
            mistakes.update({
                "σ' is missing: for mse, δ[L] = (a − y)/m ⊙ σ'(z).": (a - y) / m,
                "σ' evaluated at a instead of z.": (a - y) / m * sigmoid_prime(a),
            })
        else:
            mistakes.update({
                "multiplied by σ'(z); with a sigmoid output and cross-entropy σ' cancels, so δ[L] = (a − y)/m.":
                    (a - y) / m * sigmoid_prime(z),
            })
        expect_array(
            f"output_delta(a, y, z, {loss!r})",
            got,
            want,
            mistakes=mistakes,
            context=f"a of shape {a.shape}, seed {seed}",
        )
    passed("output_delta", len(losses), seed)


def _hidden_case(rng: np.random.Generator):
    sizes = _random_sizes(rng, int(rng.integers(2, 4)), 2, 7)
    m = int(rng.integers(2, 8))
    net = MLP(sizes, hidden_activation="sigmoid", output_activation="sigmoid", loss="mse", seed=int(rng.integers(2**31)))
    for W in net.weights:
        W *= 1.5
    X = rng.normal(0.0, 1.0, size=(sizes[0], m))
    Y = rng.uniform(size=(sizes[-1], m))
    zs, activations, deltas = reference_deltas(net, X, Y)
    return net, X, Y, zs, activations, deltas


def check_delta_hidden(delta_hidden: Callable, seed: int | None = None) -> None:
    """Check δ[l] = (W[l+1]ᵀ δ[l+1]) ⊙ σ'(z[l]) for sigmoid hidden layers of random non-square networks."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for _ in range(n_cases):
        net, _, _, zs, _, deltas = _hidden_case(rng)
        l = int(rng.integers(1, net.num_layers))
        W_next, delta_next, z = net.weights[l], deltas[l], zs[l - 1]
        got = _call_with_transpose_hint(
            delta_hidden, W_next, delta_next, z, name="delta_hidden",
            hint="W_next needs a transpose: δ[l] = (W[l+1]ᵀ δ[l+1]) ⊙ σ'(z[l]).",
        )
        back = W_next.T @ delta_next
        expect_array(
            f"delta_hidden for layer {l}",
            got,
            deltas[l - 1],
            mistakes={
                "σ' evaluated at a = σ(z) instead of z.": back * sigmoid_prime(sigmoid(z)),
                "σ' is missing: multiply W_nextᵀ δ_next by σ'(z) element-wise.": back,
                "computed z(1 − z); that formula needs a = σ(z), not z.": back * z * (1.0 - z),
                "applied σ'(z) twice.": back * sigmoid_prime(z) ** 2,
            },
            context=f"layer sizes {net.layer_sizes}, seed {seed}",
        )
    passed("delta_hidden", n_cases, seed)


def check_layer_gradients(layer_gradients: Callable, seed: int | None = None) -> None:
    """Check dW[l] = δ[l] a[l-1]ᵀ and db[l] = Σ over columns of δ[l] (a column)."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for _ in range(n_cases):
        net, X, Y, _, activations, deltas = _hidden_case(rng)
        l = int(rng.integers(1, net.num_layers + 1))
        delta, a_prev = deltas[l - 1], activations[l - 1]
        m = delta.shape[1]
        dW_all, db_all = net.gradients(X, Y)
        result = call_learner(
            layer_gradients, delta, a_prev, name="layer_gradients", forbidden=REFERENCE_CODE, repeat=True
        )
        dW, db = _tuple_of("layer_gradients", result, ("dW", "db"))
        context = f"layer {l}, δ of shape {delta.shape}, a_prev of shape {a_prev.shape}, seed {seed}"

        expect_array(
            f"dW[{l}]",
            dW,
            dW_all[l - 1],
            mistakes={
                "divided by m, but the 1/m is already inside δ.": dW_all[l - 1] / m,
                "multiplied by m.": dW_all[l - 1] * m,
            },
            context=context,
        )
        if isinstance(db, np.ndarray) and db.shape == (1, m):
            raise CheckFailed(
                f"db[{l}] has shape {db.shape}, expected {db_all[l - 1].shape}. "
                f"Likely cause: summed over the wrong axis; sum δ over the examples, axis=1 ({context})"
            )
        if isinstance(db, np.ndarray) and db.shape == (1, 1) and db_all[l - 1].shape != (1, 1):
            raise CheckFailed(
                f"db[{l}] has shape (1, 1), expected {db_all[l - 1].shape}. "
                f"Likely cause: summed over both axes; sum over the examples only, axis=1 ({context})"
            )
        expect_array(
            f"db[{l}]",
            db,
            db_all[l - 1],
            mistakes={"took the mean over the examples; db sums them, because the 1/m is already inside δ.": db_all[l - 1] / m},
            context=context,
        )
    passed("layer_gradients", n_cases, seed)


# ---------------------------------------------------------------------------
# The cost of finite differences
# ---------------------------------------------------------------------------


def check_finite_difference_cost(finite_difference_cost: Callable, seed: int | None = None) -> None:
    """Check 2·P loss evaluations, P = Σ n_l (n_{l-1} + 1), against a real network's parameter count."""
    rng, seed = new_rng(seed)
    n_cases = 4

    for _ in range(n_cases):
        sizes = _random_sizes(rng, int(rng.integers(1, 5)), 1, 40)
        net = MLP(sizes)
        n_weights = sum(W.size for W in net.weights)
        n_parameters = n_weights + sum(b.size for b in net.biases)
        want = 2 * n_parameters
        got = call_learner(finite_difference_cost, list(sizes), name="finite_difference_cost")
        if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
            raise CheckFailed(f"finite_difference_cost should return a number, got {type(got).__name__}")
        if got == want:
            continue
        causes = {
            n_parameters: "counted one evaluation per parameter; the centered difference needs two, f(θ + h) and f(θ − h).",
            n_parameters + 1: "that is the one-sided count, f(θ) once plus f(θ + h) per parameter; the centered difference needs two per parameter.",
            2 * n_weights: "the biases are missing; every b[l] has n_l entries to perturb too.",
            n_weights: "counted the weights only, once each; count the biases too, twice each.",
        }
        message = f"finite_difference_cost({sizes}) returned {got}, expected {want}"
        if got in causes:
            message += f". Likely cause: {causes[got]}"
        raise CheckFailed(f"{message} (seed {seed})")
    passed("finite_difference_cost", n_cases, seed)
