"""Checks for the notebook 03_computational_graph.

The local backward rules are plain functions of floats:
``rule(inputs..., out_grad)`` returns out_grad · ∂out/∂input for each input.
:func:`check_topological_order` and :func:`check_backpropagate` build random
graphs with the reference :class:`~backprop_lib.scalar.Value` and hand them to
the learner's function. Those graphs use the reference local rules, so each
exercise is graded on its own: a mistake in ``mul_backward`` does not cost
the points of ``backpropagate``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence

import numpy as np

from .. import scalar
from ..scalar import Value
from .core import CheckFailed, call_learner, diagnose, expect_array, new_rng, passed

_OUT_GRAD_MISSING = "out_grad is missing: the rule returns out_grad · (local derivative)."


def _number(name: str, result: object) -> object:
    """Raise CheckFailed when ``result`` is a tuple or list where one number is expected."""
    if isinstance(result, (tuple, list)):
        raise CheckFailed(f"{name} should return one number, got a {type(result).__name__} of {len(result)}")
    return result


def _pair(name: str, result: object, first: str, second: str) -> tuple:
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(f"{name} should return a tuple ({first}, {second}), got {type(result).__name__}")
    return result


def _out_grad(rng: np.random.Generator) -> float:
    """Draw a random out_grad away from 0 and ±1, so that a missing factor out_grad shows."""
    return float(rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 2.5))


def check_mul_backward(mul_backward: Callable, seed: int | None = None) -> None:
    """Check (da, db) = (b · out_grad, a · out_grad) for out = a · b on random floats."""
    rng, seed = new_rng(seed)
    n_cases = 5

    for _ in range(n_cases):
        a, b = (float(v) for v in rng.uniform(-3.0, 3.0, size=2))
        g = _out_grad(rng)
        result = call_learner(mul_backward, a, b, g, name="mul_backward", forbidden=[scalar.mul_backward])
        da, db = _pair("mul_backward", result, "da", "db")
        context = f"a={a:.4f}, b={b:.4f}, out_grad={g:.4f}, seed {seed}"
        swapped = "the factors are swapped: ∂(a·b)/∂a = b, so da = b · out_grad and db = a · out_grad."
        expect_array("da", da, np.asarray(b * g), mistakes={swapped: np.asarray(a * g), _OUT_GRAD_MISSING: np.asarray(b)},
                     context=context)
        expect_array("db", db, np.asarray(a * g), mistakes={swapped: np.asarray(b * g), _OUT_GRAD_MISSING: np.asarray(a)},
                     context=context)
    passed("mul_backward", n_cases, seed)


def _pow_case(rng: np.random.Generator) -> tuple[float, float]:
    """Draw a base a and exponent k, with a > 0 for a fractional k and |a| ≥ 0.4 so that negative powers stay moderate."""
    k = float(rng.choice([2.0, 3.0, -1.0, -2.0, 0.5, 1.5]))
    a = float(rng.uniform(0.4, 2.0))
    if k == round(k):
        a *= float(rng.choice([-1.0, 1.0]))
    return a, k


def check_pow_backward(pow_backward: Callable, seed: int | None = None) -> None:
    """Check da = k · a^(k − 1) · out_grad for out = a^k, with integer and fractional k."""
    rng, seed = new_rng(seed)
    n_cases = 6

    for _ in range(n_cases):
        a, k = _pow_case(rng)
        g = _out_grad(rng)
        result = _number("pow_backward", call_learner(pow_backward, a, k, g, name="pow_backward", forbidden=[scalar.pow_backward]))
        expect_array(
            f"pow_backward(a={a:.4f}, k={k:g}, out_grad={g:.4f})",
            result,
            np.asarray(k * a ** (k - 1) * g),
            mistakes={
                "the factor k is missing: d(a^k)/da = k · a^(k − 1).": np.asarray(a ** (k - 1) * g),
                "the exponent was not lowered: d(a^k)/da = k · a^(k − 1), not k · a^k.": np.asarray(k * a**k * g),
                _OUT_GRAD_MISSING: np.asarray(k * a ** (k - 1)),
            },
            context=f"seed {seed}",
        )
    passed("pow_backward", n_cases, seed)


def _unary_inputs(rng: np.random.Generator, n_cases: int) -> list[float]:
    """Draw inputs between −3 and 3, and a saturated one at ±30 for the last case."""
    xs = [float(v) for v in rng.uniform(-3.0, 3.0, size=n_cases - 1)]
    return xs + [float(rng.choice([-30.0, 30.0]))]


def check_tanh_backward(tanh_backward: Callable, seed: int | None = None) -> None:
    """Check dx = (1 − tanh²(x)) · out_grad, with the derivative taken at the input x."""
    rng, seed = new_rng(seed)
    n_cases = 5

    for x in _unary_inputs(rng, n_cases):
        g = _out_grad(rng)
        t = math.tanh(x)
        result = _number("tanh_backward", call_learner(tanh_backward, x, g, name="tanh_backward", forbidden=[scalar.tanh_backward]))
        expect_array(
            f"tanh_backward(x={x:.4f}, out_grad={g:.4f})",
            result,
            np.asarray((1.0 - t * t) * g),
            mistakes={
                "computed 1 − x² from the input x; the rule needs t = tanh(x): 1 − t².": np.asarray((1.0 - x * x) * g),
                "the derivative was taken at the output tanh(x) instead of at the input x.":
                    np.asarray((1.0 - math.tanh(t) ** 2) * g),
                "returned tanh(x) · out_grad; the derivative of tanh is 1 − tanh²(x).": np.asarray(t * g),
                _OUT_GRAD_MISSING: np.asarray(1.0 - t * t),
            },
            context=f"seed {seed}",
        )
    passed("tanh_backward", n_cases, seed)


def check_sigmoid_backward(sigmoid_backward: Callable, seed: int | None = None) -> None:
    """Check dx = σ(x)(1 − σ(x)) · out_grad, with the derivative taken at the input x."""
    rng, seed = new_rng(seed)
    n_cases = 5

    for x in _unary_inputs(rng, n_cases):
        g = _out_grad(rng)
        s = scalar._sigmoid(x)
        s_of_s = scalar._sigmoid(s)
        result = _number("sigmoid_backward", call_learner(sigmoid_backward, x, g, name="sigmoid_backward", forbidden=[scalar.sigmoid_backward]))
        expect_array(
            f"sigmoid_backward(x={x:.4f}, out_grad={g:.4f})",
            result,
            np.asarray(s * (1.0 - s) * g),
            mistakes={
                "computed x(1 − x) from the input x; the rule needs s = σ(x): s(1 − s).": np.asarray(x * (1.0 - x) * g),
                "σ' was evaluated at the output σ(x) instead of at the input x.": np.asarray(s_of_s * (1.0 - s_of_s) * g),
                "returned σ(x) · out_grad; the derivative of σ is σ(x)(1 − σ(x)).": np.asarray(s * g),
                _OUT_GRAD_MISSING: np.asarray(s * (1.0 - s)),
            },
            context=f"seed {seed}",
        )
    passed("sigmoid_backward", n_cases, seed)


# Random graphs built from the reference Value. Every node gets a label that
# is unique across the graphs of one check, so a learner's result can be
# validated by labels even when the function ran on a deep copy of the graph.

def _label_nodes(root: Value, prefix: str) -> Value:
    """Label the unlabelled nodes of root's graph (constants, intermediate nodes) and prefix every label."""
    for index, node in enumerate(scalar.topological_order(root)):
        if not node.label:
            node.label = f"c{index}" if not node.parents else f"n{index}"
        node.label = prefix + node.label
    return root


def random_graph(rng: np.random.Generator, n_leaves: int, n_operations: int, prefix: str = "") -> Value:
    """Build a random graph of reference Values and return its root.

    Leaves are labelled x1, x2, ... and the other nodes v1, v2, ..., each
    with ``prefix`` in front. Every graph reuses one node twice in one
    operation (``v + v`` or ``v * v``), and later operations prefer recent
    nodes, so most nodes end up below the root. A node whose value has grown
    beyond ±4 is passed through tanh before it is used again, so exp and the
    powers stay finite.
    """
    leaves = [Value(float(rng.uniform(-1.5, 1.5)), label=f"x{i + 1}") for i in range(n_leaves)]
    return grow_graph(rng, leaves, n_operations, prefix)


def grow_graph(rng: np.random.Generator, leaves: Sequence[Value], n_operations: int, prefix: str = "") -> Value:
    """Combine ``leaves`` with ``n_operations`` random operations and return the last node, labelled."""
    nodes = list(leaves)
    reuse_at = int(rng.integers(0, n_operations))

    for step in range(n_operations):
        recent = nodes[-3:]
        first = recent[int(rng.integers(len(recent)))] if rng.uniform() < 0.7 else nodes[int(rng.integers(len(nodes)))]
        if abs(first.data) > 4.0:
            node = first.tanh()
        elif step == reuse_at:
            node = first + first if rng.uniform() < 0.5 else first * first
        else:
            node = _random_operation(rng, first, nodes)
        node.label = f"v{step + 1}"
        nodes.append(node)

    return _label_nodes(nodes[-1], prefix)


def _random_operation(rng: np.random.Generator, first: Value, nodes: list[Value]) -> Value:
    second = nodes[int(rng.integers(len(nodes)))]
    choice = str(rng.choice(["+", "*", "**", "exp", "tanh", "sigmoid"]))
    if choice == "+":
        return first + second
    if choice == "*":
        return first * second
    if choice == "**":
        k = 2.0 if abs(first.data) < 0.4 else float(rng.choice([2.0, 3.0, -1.0]))
        return first**k
    if choice == "exp":
        return first.exp() if first.data < 2.0 else first.tanh()
    if choice == "tanh":
        return first.tanh()
    return first.sigmoid()


def _reuse_graph(rng: np.random.Generator, prefix: str = "") -> Value:
    """x1 feeds the root along three paths: s = x1 + x1, p = s * x2, q = p + x1, root = σ(q)."""
    x1 = Value(float(rng.uniform(-1.5, 1.5)), label="x1")
    x2 = Value(float(rng.uniform(-1.5, 1.5)), label="x2")
    s = x1 + x1
    s.label = "s"
    p = s * x2
    p.label = "p"
    q = p + x1
    q.label = "q"
    root = q.sigmoid()
    root.label = "root"
    return _label_nodes(root, prefix)


def _chain_graph(rng: np.random.Generator, length: int, prefix: str = "") -> Value:
    """Build a chain of ``length`` alternating tanh and ×1.5 steps, deeper than the random graphs."""
    node = Value(float(rng.uniform(-1.0, 1.0)), label="x1")
    for step in range(length):
        node = node.tanh() if step % 2 == 0 else node * 1.5
        node.label = f"v{step + 1}"
    return _label_nodes(node, prefix)


# topological_order

def _validate_order(result: object, root: Value, earlier_labels: set[str], context: str) -> None:
    """Raise CheckFailed unless ``result`` lists the graph of ``root`` in a valid topological order.

    The learner's function ran on a deep copy of the graph, so its nodes are
    matched to the original ones by their labels.
    """
    if not isinstance(result, (list, tuple)):
        raise CheckFailed(f"topological_order should return a list of nodes, got {type(result).__name__} ({context})")
    for position, node in enumerate(result):
        if not hasattr(node, "parents"):
            raise CheckFailed(
                f"order[{position}] is a {type(node).__name__}; list the Value nodes themselves, "
                f"not their data or labels ({context})"
            )

    reachable = scalar.topological_order(root)
    # A node of another Value class (the notebook's own, say) cannot belong to the check's graph.
    labels = [node.label if isinstance(node, Value) else repr(node) for node in result]
    wanted = {node.label for node in reachable}

    stale = [label for label in labels if label in earlier_labels and label not in wanted]
    if stale:
        raise CheckFailed(
            f"the order contains {len(stale)} node(s) from the graph of an earlier call, such as {stale[0]}. "
            f"Likely cause: a list or set that survives between calls (a mutable default argument such as "
            f"order=[] or visited=set(), or a global); create them inside the function ({context})"
        )
    foreign = [label for label in labels if label not in wanted]
    if foreign:
        raise CheckFailed(
            f"the order contains {len(foreign)} node(s) that the root does not depend on, such as {foreign[0]}; "
            f"follow only node.parents from the root. If they come from an earlier call, a list or set survives "
            f"between calls (a mutable default argument such as order=[], or a global) ({context})"
        )

    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    repeated = [label for label, count in counts.items() if count > 1]
    if repeated:
        raise CheckFailed(
            f"node {repeated[0]} appears {counts[repeated[0]]} times; list every node once. A node reached "
            f"along several paths (x in x + x, or a node two others use) must be marked as visited the first "
            f"time ({context})"
        )

    missing = [node.label for node in reachable if node.label not in counts]
    if missing:
        raise CheckFailed(
            f"the order misses {len(missing)} of the {len(reachable)} nodes, such as {', '.join(missing[:3])}; "
            f"every node the root depends on, leaves and root included, must be listed ({context})"
        )

    position = {label: index for index, label in enumerate(labels)}
    if labels[0] == root.label:
        raise CheckFailed(
            f"the root {root.label} comes first, so the order looks reversed; every node must come after "
            f"its parents, with the root last ({context})"
        )
    for node in reachable:
        for parent in node.parents:
            if position[parent.label] > position[node.label]:
                raise CheckFailed(
                    f"node {node.label} (position {position[node.label]}) comes before its parent {parent.label} "
                    f"(position {position[parent.label]}); append a node only after all of its parents ({context})"
                )


def check_topological_order(topological_order: Callable, seed: int | None = None) -> None:
    """Check the order on graphs with reused nodes, a deep chain, and several calls in a row.

    Any valid topological order passes: each node once, every node after its
    parents, the root last. A call must not return nodes of the graph of an
    earlier call.
    """
    rng, seed = new_rng(seed)
    graphs = [
        ("a graph in which x1 feeds three nodes", _reuse_graph(rng, prefix="a.")),
        ("a random graph", random_graph(rng, int(rng.integers(2, 4)), int(rng.integers(6, 10)), prefix="b.")),
        ("a second random graph, after a first call", random_graph(rng, int(rng.integers(3, 5)),
                                                                   int(rng.integers(8, 13)), prefix="c.")),
        ("a chain of 60 operations", _chain_graph(rng, 60, prefix="d.")),
    ]

    earlier_labels: set[str] = set()
    for description, root in graphs:
        context = f"{description}, seed {seed}"
        result = call_learner(topological_order, root, name="topological_order",
                              forbidden=[scalar.topological_order])
        _validate_order(result, root, earlier_labels, context)
        earlier_labels.update(node.label for node in scalar.topological_order(root))
    passed("topological_order", len(graphs), seed)


# backpropagate

class _SharedOrder(list):
    """A list of nodes that deep-copies to itself.

    ``call_learner`` hands the learner deep copies of its arguments, but
    ``backpropagate`` returns nothing and writes ``grad`` into the nodes it
    receives, so the check must read those same nodes afterwards.
    """

    def __deepcopy__(self, memo: dict) -> _SharedOrder:
        return self


def _variant_backpropagate(order: Sequence[Value], *, reset: bool = True, accumulate: bool = True,
                           backwards: bool = True, seed_root: bool = True) -> None:
    """Run the reference sweep with one of its steps left out, to name the mistake a learner made."""
    if reset:
        for node in order:
            node.grad = 0.0
    if seed_root:
        order[-1].grad = 1.0
    for node in (reversed(order) if backwards else order):
        for parent, contribution in zip(node.parents, node.parent_grads()):
            parent.grad = parent.grad + contribution if accumulate else contribution


_MISTAKE_VARIANTS = {
    "a node used more than once (x1 in x1 + x1) must add up its contributions: "
    "write parent.grad += contribution, not parent.grad = contribution.": {"accumulate": False},
    "the sweep ran from the leaves to the root; walk the order backwards, from the root (last) to the leaves.":
        {"backwards": False},
    "the grads were not reset to 0 first, so this backward pass added onto the previous one; "
    "set every node's grad in order to 0 before the sweep.": {"reset": False},
    "the root's grad was not set to 1 (∂root/∂root = 1), so nothing flows back.": {"seed_root": False},
}


def _grads(order: Sequence[Value], context: str) -> np.ndarray:
    grads = []
    for node in order:
        grad = node.grad
        if isinstance(grad, bool) or not isinstance(grad, (int, float, np.integer, np.floating)):
            raise CheckFailed(
                f"{node.label}.grad is a {type(grad).__name__}; a grad must stay a number. Add the numbers "
                f"that node.parent_grads() returns ({context})"
            )
        grads.append(float(grad))
    return np.array(grads)


def _compare_grads(got: np.ndarray, want: np.ndarray, order: Sequence[Value], mistakes: dict[str, np.ndarray],
                   context: str) -> None:
    """Fail at the wrong grad nearest the root, naming the mistake the whole graph matches, if any."""
    if not np.all(np.isfinite(got)):
        bad = int(np.flatnonzero(~np.isfinite(got))[-1])
        raise CheckFailed(f"{order[bad].label}.grad is {got[bad]} (non-finite output) ({context})")
    wrong = np.abs(got - want) > 1e-9 + 1e-6 * np.abs(want)
    if not np.any(wrong):
        return
    index = int(np.flatnonzero(wrong)[-1])
    message = f"{order[index].label}.grad is wrong: expected {want[index]:.6g}, got {got[index]:.6g}"
    cause = diagnose(got, want, mistakes)
    if cause:
        message += f". Likely cause: {cause}"
    raise CheckFailed(f"{message} ({context})")


def _sweep_each(backpropagate: Callable, roots: Sequence[Value]) -> None:
    for root in roots:
        backpropagate(scalar.topological_order(root))


def _check_scenario(backpropagate: Callable, roots: Sequence[Value], context: str) -> None:
    """Run the learner's sweep once per root, in turn, then compare every grad of the last root's graph."""
    pristine = copy.deepcopy(list(roots))
    reference = copy.deepcopy(pristine)
    _sweep_each(scalar.backpropagate, reference)
    want = np.array([node.grad for node in scalar.topological_order(reference[-1])])

    mistakes = {}
    for cause, flags in _MISTAKE_VARIANTS.items():
        variant = copy.deepcopy(pristine)
        with np.errstate(all="ignore"):
            _sweep_each(lambda order, flags=flags: _variant_backpropagate(order, **flags), variant)
        mistakes[cause] = np.array([node.grad for node in scalar.topological_order(variant[-1])])

    data_before = [node.data for root in roots for node in scalar.topological_order(root)]
    for root in roots:
        order = _SharedOrder(scalar.topological_order(root))
        call_learner(backpropagate, order, name="backpropagate", forbidden=[scalar.backpropagate])
    if [node.data for root in roots for node in scalar.topological_order(root)] != data_before:
        raise CheckFailed(f"backpropagate changed the data of a node; the backward pass only writes grad ({context})")

    order = scalar.topological_order(roots[-1])
    _compare_grads(_grads(order, context), want, order, mistakes, context)


def check_backpropagate(backpropagate: Callable, seed: int | None = None) -> None:
    """Check every grad after the sweep, on graphs with reused nodes, repeated calls and shared leaves.

    The scenarios are a node used along three paths, whose contributions must
    add up, and two random graphs. Then the same graph is swept twice, and the
    grads must not double. Last, two fresh graphs that share their leaves are
    swept one after the other, and the second must not inherit the first
    one's gradients.
    """
    rng, seed = new_rng(seed)

    shared = [Value(float(rng.uniform(-1.5, 1.5)), label=f"x{i + 1}") for i in range(3)]
    first_graph = grow_graph(rng, shared, int(rng.integers(5, 9)), prefix="first.")
    for leaf in shared:
        leaf.label = leaf.label.removeprefix("first.")
    second_graph = grow_graph(rng, shared, int(rng.integers(5, 9)), prefix="second.")
    for leaf in shared:
        leaf.label = leaf.label.removeprefix("second.")
    twice = random_graph(rng, 3, int(rng.integers(6, 10)))

    scenarios = [
        ("a graph in which x1 feeds three nodes", [_reuse_graph(rng)]),
        ("a random graph", [random_graph(rng, int(rng.integers(2, 4)), int(rng.integers(6, 10)))]),
        ("a random graph with more leaves", [random_graph(rng, int(rng.integers(4, 6)), int(rng.integers(8, 12)))]),
        ("the same graph swept twice", [twice, twice]),
        ("a second graph that shares the leaves x1, x2, x3 with a graph swept just before", [first_graph, second_graph]),
    ]
    for description, roots in scenarios:
        _check_scenario(backpropagate, roots, f"{description}, seed {seed}")
    passed("backpropagate", len(scenarios), seed)
