"""The scalar reverse-mode engine: forward values, local rules, order and backward pass."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest

from backprop_lib import scalar
from backprop_lib.scalar import Value, backpropagate, draw_graph, topological_order

matplotlib.use("Agg")


def centered(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


UNARY = [
    ("exp", math.exp, lambda v: v.exp()),
    ("tanh", math.tanh, lambda v: v.tanh()),
    ("sigmoid", lambda t: 1 / (1 + math.exp(-t)), lambda v: v.sigmoid()),
    ("square", lambda t: t**2, lambda v: v**2),
    ("cube", lambda t: t**3, lambda v: v**3),
    ("reciprocal", lambda t: 1 / t, lambda v: v**-1),
    ("square root", math.sqrt, lambda v: v**0.5),
]


@pytest.mark.parametrize("name, f, build", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("x", [0.3, 1.7])
def test_unary_gradient_matches_difference(name, f, build, x):
    leaf = Value(x)
    root = build(leaf)
    root.backward()
    assert root.data == pytest.approx(f(x), rel=1e-12)
    assert leaf.grad == pytest.approx(centered(f, x), rel=1e-7)


@pytest.mark.parametrize(
    "f",
    [
        lambda a, b: a * b + b,
        lambda a, b: a - b,
        lambda a, b: a / b,
        lambda a, b: 2.0 / a - 3.0 * b,
        lambda a, b: (a * b).tanh() + (a + 1.0).sigmoid() * b.exp(),
        lambda a, b: -a * a + 1.0 - b,
    ],
)
def test_binary_gradients_match_differences(f):
    a, b = Value(0.8), Value(-1.3)
    root = f(a, b)
    root.backward()

    def as_float(x, y):
        return f(Value(x), Value(y)).data

    assert a.grad == pytest.approx(centered(lambda t: as_float(t, -1.3), 0.8), rel=1e-6)
    assert b.grad == pytest.approx(centered(lambda t: as_float(0.8, t), -1.3), rel=1e-6)


def test_local_rules_values():
    assert scalar.add_backward(2.0, 5.0, 3.0) == (3.0, 3.0)
    assert scalar.mul_backward(2.0, 5.0, 3.0) == (15.0, 6.0)
    assert scalar.pow_backward(3.0, 2.0, 0.5) == pytest.approx(3.0)
    assert scalar.exp_backward(0.0, 2.0) == pytest.approx(2.0)
    assert scalar.tanh_backward(0.0, 2.0) == pytest.approx(2.0)
    assert scalar.sigmoid_backward(math.log(3.0), 1.0) == pytest.approx(0.1875)


def test_sigmoid_saturates_without_overflow():
    # math.exp(1000) raises OverflowError, so these pass only with the stable form.
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert scalar.sigmoid_backward(-1000.0, 1.0) == 0.0


def test_reused_node_adds_contributions():
    a = Value(1.5)
    b = a + a
    c = b * a
    c.backward()
    # c = 2a², so ∂c/∂a = 4a.
    assert a.grad == pytest.approx(6.0)
    assert b.grad == pytest.approx(1.5)


def test_backward_twice_gives_same_grads():
    a, b = Value(0.4), Value(-0.7)
    root = (a * b).tanh() + a
    root.backward()
    first = (a.grad, b.grad)
    root.backward()
    assert (a.grad, b.grad) == first


def test_shared_leaf_keeps_no_stale_grad():
    w = Value(0.9)
    first = w * 3.0
    first.backward()
    assert w.grad == pytest.approx(3.0)
    second = w * w
    second.backward()
    assert w.grad == pytest.approx(1.8)


def test_topological_order_lists_each_node_once():
    a = Value(2.0, label="a")
    b = a + a
    c = b * a
    d = c.exp() + b
    order = topological_order(d)
    assert len(order) == len(set(order)) == 5
    assert order[-1] is d
    position = {node: index for index, node in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node]


def test_topological_order_handles_deep_chain():
    node = Value(0.1)
    for _ in range(5000):
        node = node.tanh()
    order = topological_order(node)
    assert len(order) == 5001
    node.backward()
    assert np.isfinite(order[0].grad)


def test_backpropagate_resets_every_grad():
    a = Value(1.0)
    root = a * 2.0
    a.grad = 100.0
    root.grad = 7.0
    backpropagate(topological_order(root))
    assert root.grad == 1.0
    assert a.grad == 2.0


def test_leaf_has_no_parent_grads():
    assert Value(3.0).parent_grads() == ()


def test_unknown_operation_raises():
    node = Value(1.0, parents=(Value(2.0),), op="log")
    with pytest.raises(ValueError, match="unknown operation 'log'"):
        node.parent_grads()


def test_value_exponent_raises():
    with pytest.raises(TypeError, match="exponent must be a constant number"):
        Value(2.0) ** Value(3.0)


def test_combining_with_string_raises():
    with pytest.raises(TypeError, match="cannot combine a Value with str"):
        Value(2.0) + "1"


def test_draw_graph_labels_every_node():
    x = Value(2.0, label="x")
    w = Value(0.5, label="w")
    loss = (w * x).sigmoid() ** 2
    loss.label = "L"
    loss.backward()
    ax = draw_graph(loss, title="test")
    # The arrows are annotations with empty text; the boxes carry the node text.
    texts = [text.get_text() for text in ax.texts if text.get_text()]
    assert len(texts) == 5
    assert any(text.startswith("x\n") and "grad" in text for text in texts)
    assert any(text.startswith("L (**2)") for text in texts)
    assert ax.get_title() == "test"
    matplotlib.pyplot.close(ax.figure)
