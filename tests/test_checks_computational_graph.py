"""The hidden checks of 03_computational_graph on correct and wrong answers.

Correct answers written in different styles must pass for several seeds;
each common mistake must fail with its cause named in the message.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_lib.grading import computational_graph
from backprop_lib.grading.core import CheckFailed

SEEDS = [0, 1, 2, 12345]


# Local backward rules

def mul_backward_tuple(a, b, out_grad):
    return b * out_grad, a * out_grad


def mul_backward_numpy(a, b, out_grad):
    grads = np.array([b, a]) * out_grad
    return grads[0], grads[1]


def pow_backward_plain(a, k, out_grad):
    return k * a ** (k - 1) * out_grad


def pow_backward_numpy(a, k, out_grad):
    return float(np.multiply(k, np.power(a, k - 1.0)) * out_grad)


def tanh_backward_from_tanh(x, out_grad):
    t = math.tanh(x)
    return (1 - t**2) * out_grad


def tanh_backward_from_cosh(x, out_grad):
    return out_grad / np.cosh(x) ** 2


def sigmoid_backward_naive(x, out_grad):
    s = 1 / (1 + np.exp(-x))
    return s * (1 - s) * out_grad


def sigmoid_backward_from_exp(x, out_grad):
    e = math.exp(-abs(x))
    return out_grad * e / (1 + e) ** 2


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [mul_backward_tuple, mul_backward_numpy])
def test_mul_backward_accepts_variants(answer, seed):
    computational_graph.check_mul_backward(answer, seed=seed)


def test_mul_backward_names_swapped_factors():
    with pytest.raises(CheckFailed, match="factors are swapped"):
        computational_graph.check_mul_backward(lambda a, b, g: (a * g, b * g), seed=0)


def test_mul_backward_names_missing_out_grad():
    with pytest.raises(CheckFailed, match="out_grad is missing"):
        computational_graph.check_mul_backward(lambda a, b, g: (b, a), seed=0)


def test_mul_backward_rejects_single_number():
    with pytest.raises(CheckFailed, match=r"should return a tuple \(da, db\)"):
        computational_graph.check_mul_backward(lambda a, b, g: a * b * g, seed=0)


def test_mul_backward_rejects_visible_example():
    with pytest.raises(CheckFailed, match="da is wrong"):
        computational_graph.check_mul_backward(lambda a, b, g: (-6.0, 4.0), seed=0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [pow_backward_plain, pow_backward_numpy])
def test_pow_backward_accepts_variants(answer, seed):
    computational_graph.check_pow_backward(answer, seed=seed)


def test_pow_backward_names_missing_k():
    with pytest.raises(CheckFailed, match="factor k is missing"):
        computational_graph.check_pow_backward(lambda a, k, g: a ** (k - 1) * g, seed=0)


def test_pow_backward_names_unlowered_exponent():
    with pytest.raises(CheckFailed, match="exponent was not lowered"):
        computational_graph.check_pow_backward(lambda a, k, g: k * a**k * g, seed=0)


def test_pow_backward_rejects_tuple():
    with pytest.raises(CheckFailed, match="should return one number, got a tuple of 1"):
        computational_graph.check_pow_backward(lambda a, k, g: (pow_backward_plain(a, k, g),), seed=0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [tanh_backward_from_tanh, tanh_backward_from_cosh])
def test_tanh_backward_accepts_variants(answer, seed):
    computational_graph.check_tanh_backward(answer, seed=seed)


def test_tanh_backward_names_input_for_output():
    with pytest.raises(CheckFailed, match="computed 1 − x² from the input x"):
        computational_graph.check_tanh_backward(lambda x, g: (1 - x**2) * g, seed=0)


def test_tanh_backward_names_derivative_at_output():
    with pytest.raises(CheckFailed, match="taken at the output tanh"):
        computational_graph.check_tanh_backward(lambda x, g: tanh_backward_from_tanh(math.tanh(x), g), seed=0)


def test_tanh_backward_names_missing_out_grad():
    with pytest.raises(CheckFailed, match="out_grad is missing"):
        computational_graph.check_tanh_backward(lambda x, g: 1 - math.tanh(x) ** 2, seed=0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [sigmoid_backward_naive, sigmoid_backward_from_exp])
def test_sigmoid_backward_accepts_variants(answer, seed):
    computational_graph.check_sigmoid_backward(answer, seed=seed)


def test_sigmoid_backward_names_x_times_one_minus_x():
    with pytest.raises(CheckFailed, match=r"computed x\(1 − x\)"):
        computational_graph.check_sigmoid_backward(lambda x, g: x * (1 - x) * g, seed=0)


def test_sigmoid_backward_names_derivative_at_output():
    def at_output(x, g):
        return sigmoid_backward_naive(1 / (1 + math.exp(-x)), g)

    with pytest.raises(CheckFailed, match="evaluated at the output"):
        computational_graph.check_sigmoid_backward(at_output, seed=0)


def test_sigmoid_backward_names_sigma_itself():
    with pytest.raises(CheckFailed, match=r"returned σ\(x\) · out_grad"):
        computational_graph.check_sigmoid_backward(lambda x, g: g / (1 + np.exp(-x)), seed=0)


# topological_order

def order_recursive(root):
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order


def order_kahn(root):
    """Kahn's algorithm on the reversed edges: repeatedly emit a node whose parents are all emitted."""
    nodes, stack = [], [root]
    seen = {id(root)}
    while stack:
        node = stack.pop()
        nodes.append(node)
        for parent in node.parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    waiting = {id(node): len({id(p) for p in node.parents}) for node in nodes}
    children = {id(node): [] for node in nodes}
    for node in nodes:
        for parent in {id(p): p for p in node.parents}.values():
            children[id(parent)].append(node)
    ready = [node for node in nodes if waiting[id(node)] == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for child in children[id(node)]:
            waiting[id(child)] -= 1
            if waiting[id(child)] == 0:
                ready.append(child)
    return tuple(order)


def order_with_list_membership(root):
    order = []

    def visit(node):
        if any(node is listed for listed in order):
            return
        for parent in node.parents:
            visit(parent)
        if not any(node is listed for listed in order):
            order.append(node)

    visit(root)
    return order


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [order_recursive, order_kahn, order_with_list_membership])
def test_topological_order_accepts_variants(answer, seed):
    computational_graph.check_topological_order(answer, seed=seed)


def test_topological_order_names_duplicates():
    def no_visited_set(root):
        order = []
        for parent in root.parents:
            order.extend(no_visited_set(parent))
        return order + [root]

    with pytest.raises(CheckFailed, match="a.x1 appears 3 times.*marked as visited"):
        computational_graph.check_topological_order(no_visited_set, seed=0)


def test_topological_order_names_mutable_default():
    def leaky(root, order=[], visited=set()):  # noqa: B006 (the mistake under test)
        if root not in visited:
            visited.add(root)
            for parent in root.parents:
                leaky(parent, order, visited)
            order.append(root)
        return order

    with pytest.raises(CheckFailed, match="graph of an earlier call.*mutable default argument"):
        computational_graph.check_topological_order(leaky, seed=0)


def test_topological_order_names_node_from_notebook():
    class NotebookValue:
        def __init__(self, data):
            self.data, self.parents, self.label = data, (), "a"

        def __repr__(self):
            return f"Value(a, data={self.data})"

    earlier_call = [NotebookValue(2.0)]

    def leaky(root, order=earlier_call, visited=set()):  # noqa: B006 (the mistake under test)
        if root not in visited:
            visited.add(root)
            for parent in root.parents:
                leaky(parent, order, visited)
            order.append(root)
        return order

    with pytest.raises(CheckFailed, match=r"such as Value\(a, data=2.0\).*mutable default argument"):
        computational_graph.check_topological_order(leaky, seed=0)


def test_topological_order_names_reversed_order():
    with pytest.raises(CheckFailed, match="looks reversed"):
        computational_graph.check_topological_order(lambda root: order_recursive(root)[::-1], seed=0)


def test_topological_order_names_missing_leaves():
    with pytest.raises(CheckFailed, match="misses 2 of the 6 nodes"):
        computational_graph.check_topological_order(
            lambda root: [node for node in order_recursive(root) if node.parents], seed=0
        )


def test_topological_order_rejects_data_values():
    with pytest.raises(CheckFailed, match=r"order\[0\] is a float"):
        computational_graph.check_topological_order(lambda root: [n.data for n in order_recursive(root)], seed=0)


def test_topological_order_rejects_parent_after_child():
    def parents_last_swapped(root):
        order = order_recursive(root)
        order[0], order[1] = order[1], order[0]
        order[-2], order[-1] = order[-1], order[-2]
        return order

    with pytest.raises(CheckFailed, match="comes before its parent"):
        computational_graph.check_topological_order(parents_last_swapped, seed=0)


# backpropagate

def backpropagate_with_parent_grads(order):
    for node in order:
        node.grad = 0.0
    order[-1].grad = 1.0
    for node in reversed(order):
        for parent, contribution in zip(node.parents, node.parent_grads()):
            parent.grad += contribution


def backpropagate_own_rules(order):
    """Index loop from the end, and the local rules written out per operation."""
    for i in range(len(order)):
        order[i].grad = 0
    order[len(order) - 1].grad = 1
    for i in range(len(order) - 1, -1, -1):
        node = order[i]
        g = node.grad
        if node.op == "+":
            node.parents[0].grad += g
            node.parents[1].grad += g
        elif node.op == "*":
            a, b = node.parents
            a.grad += b.data * g
            b.grad += a.data * g
        elif node.op == "**":
            a = node.parents[0]
            a.grad += node.exponent * a.data ** (node.exponent - 1) * g
        elif node.op == "exp":
            node.parents[0].grad += node.data * g
        elif node.op == "tanh":
            node.parents[0].grad += (1 - node.data**2) * g
        elif node.op == "sigmoid":
            node.parents[0].grad += node.data * (1 - node.data) * g


def backpropagate_numpy_grads(order):
    for node in order:
        node.grad = np.float64(0.0)
    order[-1].grad = np.float64(1.0)
    for node in order[::-1]:
        contributions = node.parent_grads()
        for index, parent in enumerate(node.parents):
            parent.grad = parent.grad + contributions[index]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "answer", [backpropagate_with_parent_grads, backpropagate_own_rules, backpropagate_numpy_grads]
)
def test_backpropagate_accepts_variants(answer, seed):
    computational_graph.check_backpropagate(answer, seed=seed)


def test_backpropagate_names_overwritten_grad():
    def overwrite(order):
        for node in order:
            node.grad = 0.0
        order[-1].grad = 1.0
        for node in reversed(order):
            for parent, contribution in zip(node.parents, node.parent_grads()):
                parent.grad = contribution

    with pytest.raises(CheckFailed, match=r"x1.grad is wrong.*must add up its contributions"):
        computational_graph.check_backpropagate(overwrite, seed=0)


def test_backpropagate_names_forward_sweep():
    def forward(order):
        for node in order:
            node.grad = 0.0
        order[-1].grad = 1.0
        for node in order:
            for parent, contribution in zip(node.parents, node.parent_grads()):
                parent.grad += contribution

    with pytest.raises(CheckFailed, match="ran from the leaves to the root"):
        computational_graph.check_backpropagate(forward, seed=0)


def test_backpropagate_names_missing_reset():
    def no_reset(order):
        order[-1].grad = 1.0
        for node in reversed(order):
            for parent, contribution in zip(node.parents, node.parent_grads()):
                parent.grad += contribution

    for seed in (0, 1):
        with pytest.raises(CheckFailed, match="not reset to 0 first"):
            computational_graph.check_backpropagate(no_reset, seed=seed)


def test_backpropagate_names_missing_seed():
    def no_seed(order):
        for node in order:
            node.grad = 0.0
        for node in reversed(order):
            for parent, contribution in zip(node.parents, node.parent_grads()):
                parent.grad += contribution

    with pytest.raises(CheckFailed, match="root's grad was not set to 1"):
        computational_graph.check_backpropagate(no_seed, seed=0)


def test_backpropagate_rejects_changed_data():
    def also_steps(order):
        backpropagate_with_parent_grads(order)
        for node in order:
            node.data -= 0.1 * node.grad

    with pytest.raises(CheckFailed, match="changed the data of a node"):
        computational_graph.check_backpropagate(also_steps, seed=0)


def test_backpropagate_reports_unanswered():
    def stub(order):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="not answered yet"):
        computational_graph.check_backpropagate(stub, seed=0)
