"""Reverse-mode differentiation on scalars: the reference engine of notebook 03.

A :class:`Value` is one node of a computational graph. It stores its number
(``data``), the gradient of the output with respect to it (``grad``), the
nodes it was computed from (``parents``) and the operation that made it
(``op``). Arithmetic on Values builds the graph as a side effect.

The backward pass has two steps:

1. :func:`topological_order` lists the nodes so that every node comes after
   its parents, with the output (the root) last;
2. :func:`backpropagate` walks that list backwards. Each node hands
   ``grad · ∂node/∂parent`` to each parent through its local backward rule
   (:func:`mul_backward` and the others below), and a parent reached along
   several paths adds up what it receives.

:func:`backpropagate` first sets every grad in the graph to 0, so running it
twice, or on a new graph that shares leaves with an old one, gives the same
gradients instead of adding them up. PyTorch differs here: it adds into
``.grad`` across backward calls and expects ``zero_grad()`` in between.

The grading checks of notebook 03 build their graphs with this module. The
notebook defines the same class in a read-only cell, where ``parent_grads``
calls the learner's local rules instead of these.

Examples
--------
>>> x, w, b = Value(2.0, label="x"), Value(0.5, label="w"), Value(-1.0, label="b")
>>> loss = (w * x + b).sigmoid() ** 2
>>> loss.backward()
>>> loss.data, w.grad, x.grad, b.grad
(0.25, 0.5, 0.125, 0.25)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

__all__ = [
    "Value",
    "add_backward",
    "backpropagate",
    "draw_graph",
    "exp_backward",
    "mul_backward",
    "pow_backward",
    "sigmoid_backward",
    "tanh_backward",
    "topological_order",
]


# Local backward rules. Each one receives the inputs of one operation and
# out_grad = ∂L/∂out, and returns ∂L/∂input = out_grad · ∂out/∂input for each input.

def add_backward(a: float, b: float, out_grad: float) -> tuple[float, float]:
    """Apply the rule of out = a + b: both inputs receive out_grad unchanged."""
    return out_grad, out_grad


def mul_backward(a: float, b: float, out_grad: float) -> tuple[float, float]:
    """Apply the rule of out = a · b: ∂out/∂a = b and ∂out/∂b = a."""
    return b * out_grad, a * out_grad


def pow_backward(a: float, k: float, out_grad: float) -> float:
    """Apply the rule of out = a^k for a constant exponent k: ∂out/∂a = k · a^(k − 1)."""
    return k * a ** (k - 1) * out_grad


def exp_backward(x: float, out_grad: float) -> float:
    """Apply the rule of out = e^x: ∂out/∂x = e^x."""
    return math.exp(x) * out_grad


def tanh_backward(x: float, out_grad: float) -> float:
    """Apply the rule of out = tanh(x): ∂out/∂x = 1 − tanh²(x), evaluated at the input x."""
    t = math.tanh(x)
    return (1.0 - t * t) * out_grad


def sigmoid_backward(x: float, out_grad: float) -> float:
    """Apply the rule of out = σ(x): ∂out/∂x = σ(x)(1 − σ(x)), evaluated at the input x."""
    s = _sigmoid(x)
    return s * (1.0 - s) * out_grad


def _sigmoid(x: float) -> float:
    """Compute σ(x) without overflow: e^x is only evaluated for x ≤ 0."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class Value:
    """A scalar node of a computational graph.

    Parameters
    ----------
    data : float
        The node's number.
    parents : tuple of Value, optional
        The nodes this one was computed from, in the order of the operation's
        arguments; empty for a leaf.
    op : str, optional
        The operation that made the node: ``"+"``, ``"*"``, ``"**"``,
        ``"exp"``, ``"tanh"`` or ``"sigmoid"``; empty for a leaf.
    exponent : float, optional
        The constant k of an ``"**"`` node. It is not a node, so it gets no gradient.
    label : str, optional
        A name for drawings and messages.

    Attributes
    ----------
    grad : float
        ∂(root)/∂(this node) after a backward pass from some root; 0.0 before.

    Notes
    -----
    Values compare and hash by identity, so they can be kept in sets and
    dicts. Subtraction, negation and division are built from +, * and **,
    so they add one or two extra nodes to the graph.
    """

    def __init__(
        self,
        data: float,
        parents: tuple[Value, ...] = (),
        op: str = "",
        exponent: float | None = None,
        label: str = "",
    ) -> None:
        self.data = float(data)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.op = op
        self.exponent = exponent
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label}, " if self.label else ""
        return f"Value({name}data={self.data:.4g}, grad={self.grad:.4g})"

    def __add__(self, other: Value | float) -> Value:
        other = _as_value(other)
        return Value(self.data + other.data, (self, other), "+")

    def __mul__(self, other: Value | float) -> Value:
        other = _as_value(other)
        return Value(self.data * other.data, (self, other), "*")

    def __pow__(self, k: float) -> Value:
        if not isinstance(k, Real):
            raise TypeError(f"the exponent must be a constant number, got {type(k).__name__}")
        return Value(self.data ** k, (self,), "**", exponent=float(k))

    def exp(self) -> Value:
        """Return e^self as a new node."""
        return Value(math.exp(self.data), (self,), "exp")

    def tanh(self) -> Value:
        """Return tanh(self) as a new node."""
        return Value(math.tanh(self.data), (self,), "tanh")

    def sigmoid(self) -> Value:
        """Return σ(self) = 1 / (1 + e^(−self)) as a new node."""
        return Value(_sigmoid(self.data), (self,), "sigmoid")

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-_as_value(other))

    def __rsub__(self, other: float) -> Value:
        return _as_value(other) + (-self)

    def __truediv__(self, other: Value | float) -> Value:
        return self * _as_value(other) ** -1.0

    def __rtruediv__(self, other: float) -> Value:
        return _as_value(other) * self ** -1.0

    def parent_grads(self) -> tuple[float, ...]:
        """Return grad · ∂self/∂parent for each parent, in the order of :attr:`parents`.

        This applies the local backward rule of :attr:`op` to the parents'
        data and to this node's current grad. A leaf returns ().
        """
        inputs = [parent.data for parent in self.parents]
        if self.op == "+":
            return add_backward(inputs[0], inputs[1], self.grad)
        if self.op == "*":
            return mul_backward(inputs[0], inputs[1], self.grad)
        if self.op == "**":
            return (pow_backward(inputs[0], self.exponent, self.grad),)
        if self.op == "exp":
            return (exp_backward(inputs[0], self.grad),)
        if self.op == "tanh":
            return (tanh_backward(inputs[0], self.grad),)
        if self.op == "sigmoid":
            return (sigmoid_backward(inputs[0], self.grad),)
        if self.op == "":
            return ()
        raise ValueError(
            f"node {self!r} has the unknown operation {self.op!r}, which has no backward rule; "
            f"build nodes with +, *, **, exp(), tanh() or sigmoid()"
        )

    def backward(self) -> None:
        """Set ``grad`` of every node in this node's graph to ∂self/∂node."""
        backpropagate(topological_order(self))


def _as_value(x: Value | float) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, Real):
        return Value(float(x))
    raise TypeError(f"cannot combine a Value with {type(x).__name__}; use a number or a Value")


def topological_order(root: Value) -> list[Value]:
    """List every node that ``root`` depends on, each once, parents before children.

    The search is a depth-first post-order: a node is appended after all of
    its parents. It runs on an explicit stack, so deep graphs do not reach
    Python's recursion limit.

    Parameters
    ----------
    root : Value
        The output node.

    Returns
    -------
    list of Value
        Every node reachable from ``root`` through ``parents``, exactly once;
        ``root`` is last.

    Examples
    --------
    >>> a = Value(3.0, label="a")
    >>> b = a + a
    >>> [node.label or node.op for node in topological_order(b * a)]
    ['a', '+', '*']
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]

    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in reversed(node.parents):
            if parent not in visited:
                stack.append((parent, False))

    return order


def backpropagate(order: Sequence[Value]) -> None:
    """Run the backward pass over nodes in topological order, root last.

    Every grad in ``order`` is set to 0, the root's to 1, and then each node,
    from the root back to the leaves, adds ``grad · ∂node/∂parent`` to each
    parent's grad. A node that feeds several others (``a`` in ``a + a``)
    collects one contribution per use.

    Parameters
    ----------
    order : sequence of Value
        The output of :func:`topological_order`.
    """
    for node in order:
        node.grad = 0.0
    order[-1].grad = 1.0

    for node in reversed(order):
        for parent, contribution in zip(node.parents, node.parent_grads()):
            parent.grad += contribution


def _layers(order: Sequence[Value]) -> dict[int, int]:
    """Map id(node) to its depth: 0 for leaves, else 1 + the deepest parent."""
    depth: dict[int, int] = {}
    for node in order:
        depth[id(node)] = 1 + max((depth[id(p)] for p in node.parents), default=-1)
    return depth


def draw_graph(root: Value, ax=None, title: str | None = None):
    """Draw the graph of ``root`` with each node's label, data and grad, using matplotlib only.

    Leaves are in the left column and the root in the right one. An edge runs
    from each parent to the node computed from it. A node with two equal
    parents (``a + a``) gets two edges drawn on top of each other.

    Parameters
    ----------
    root : Value
        The output node. Any object with ``data``, ``grad``, ``parents``,
        ``op`` and ``label`` attributes works.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when omitted.
    title : str, optional
        The axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    order = topological_order(root)
    depth = _layers(order)
    columns: dict[int, list[Value]] = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)

    if ax is None:
        width = 2.3 * (len(columns) + 1)
        height = 1.2 * (max(len(c) for c in columns.values()) + 1)
        _, ax = plt.subplots(figsize=(width, height))

    position: dict[int, tuple[float, float]] = {}
    for column, nodes in columns.items():
        for row, node in enumerate(nodes):
            position[id(node)] = (float(column), (len(nodes) - 1) / 2.0 - row)

    for node in order:
        x1, y1 = position[id(node)]
        for parent in node.parents:
            x0, y0 = position[id(parent)]
            ax.annotate(
                "", xy=(x1 - 0.32, y1), xytext=(x0 + 0.32, y0),
                arrowprops={"arrowstyle": "->", "color": "gray", "shrinkA": 0, "shrinkB": 0},
            )

    for node in order:
        x, y = position[id(node)]
        ax.text(x, y, _node_text(node), ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round,pad=0.35", "facecolor": "#eef3fb" if node.parents else "#fdf3e1",
                      "edgecolor": "#4a6fa5" if node.parents else "#c08a2e"})

    ax.set_xlim(-0.6, max(columns) + 0.6)
    rows = max(len(c) for c in columns.values())
    ax.set_ylim(-rows / 2.0 - 0.2, rows / 2.0 + 0.2)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def _node_text(node: Value) -> str:
    if node.op == "**":
        operation = f"**{node.exponent:g}"
    else:
        operation = node.op
    if node.label and operation:
        name = f"{node.label} ({operation})"
    else:
        name = node.label or operation
    return f"{name}\ndata {node.data:.4g}\ngrad {node.grad:.4g}"
