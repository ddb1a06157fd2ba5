"""Mutation test: every non-equivalent mutant of a solution must fail its hidden check.

For each answer cell of each solution notebook, small mutations are applied
to its syntax tree: drop a transpose, flip a sign, swap + and −, drop a
division (a missing 1/m), change a sum's axis or drop keepdims, change a
constant, swap the operands of @, evaluate at a instead of z. Each mutant
runs against the hidden checks of the test cell that follows it.

A mutant that passes is equivalent only if it returns the same values as
the original on every input the check gave it; otherwise it survived, and
the test fails naming it. The kill rate is printed.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import io
import json
import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from backprop_lib.course import CourseLayout
from backprop_lib.grading.core import CheckFailed

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENTS = CourseLayout(REPO).assignments()


class Mutator(ast.NodeTransformer):
    """Apply the mutation at position ``target`` (in visiting order) and describe it."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.seen = -1
        self.description: str | None = None

    def _hit(self, description: str) -> bool:
        self.seen += 1
        if self.seen == self.target:
            self.description = description
            return True
        return False

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr == "T" and self._hit(f"drop .T on {ast.unparse(node.value)}"):
            return node.value
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        text = ast.unparse(node)
        if isinstance(node.op, ast.Sub) and self._hit(f"{text}: − to +"):
            return ast.BinOp(node.left, ast.Add(), node.right)
        if isinstance(node.op, ast.Add) and self._hit(f"{text}: + to −"):
            return ast.BinOp(node.left, ast.Sub(), node.right)
        if isinstance(node.op, ast.Div) and self._hit(f"{text}: drop the division"):
            return node.left
        if isinstance(node.op, ast.Mult) and self._hit(f"{text}: drop the right factor"):
            return node.left
        if isinstance(node.op, ast.MatMult) and self._hit(f"{text}: swap the operands of @"):
            return ast.BinOp(node.right, ast.MatMult(), node.left)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.USub) and self._hit(f"{ast.unparse(node)}: drop the minus"):
            return node.operand
        return node

    def visit_keyword(self, node):
        self.generic_visit(node)
        if node.arg == "axis" and isinstance(node.value, ast.Constant) and node.value.value in (0, 1):
            if self._hit(f"axis={node.value.value} to axis={1 - node.value.value}"):
                return ast.keyword("axis", ast.Constant(1 - node.value.value))
        if node.arg == "keepdims" and isinstance(node.value, ast.Constant) and node.value.value is True:
            if self._hit("keepdims=True to keepdims=False"):
                return ast.keyword("keepdims", ast.Constant(False))
        return node

    def visit_Constant(self, node):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) and node.value in (2, 0.5):
            if self._hit(f"constant {node.value} to 1"):
                return ast.Constant(1)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        for index, argument in enumerate(node.args):
            if isinstance(argument, ast.Name) and argument.id == "z" and self._hit(f"{ast.unparse(node)}: z to a"):
                node = copy.deepcopy(node)
                node.args[index] = ast.Name("a", ast.Load())
                return node
        return node


def _cells(notebook_path: Path):
    return json.loads(notebook_path.read_text(encoding="utf-8"))["cells"]


def _source(cell) -> str:
    text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines())


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _run_quietly(code: str, namespace: dict) -> None:
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        exec(compile(code, "<notebook>", "exec"), namespace)
    import matplotlib.pyplot as plt

    plt.close("all")


def _exercises(notebook_path: Path):
    """Yield (answer cell source, hidden test code, function names defined) per exercise."""
    cells = _cells(notebook_path)
    for index, cell in enumerate(cells):
        meta = _meta(cell)
        if cell["cell_type"] != "code" or not meta.get("solution") or meta.get("grade"):
            continue
        test = next((c for c in cells[index + 1 :] if _meta(c).get("grade") and c["cell_type"] == "code"), None)
        if test is None or "### BEGIN HIDDEN TESTS" not in _source(test):
            continue
        hidden = _source(test).split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
        yield meta["grade_id"], _source(cell).replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), hidden


def _base_namespace(notebook_path: Path) -> dict:
    namespace: dict = {"__name__": "__notebook__"}
    for cell in _cells(notebook_path):
        if cell["cell_type"] == "code" and not _meta(cell).get("grade"):
            code = _source(cell).replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")
            _run_quietly(code, namespace)
    return namespace


def _close(a, b) -> bool:
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    try:
        a_array, b_array = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return a == b
    return a_array.shape == b_array.shape and bool(np.allclose(a_array, b_array, rtol=1e-10, atol=1e-12, equal_nan=True))


def _recording(function, calls: list):
    @functools.wraps(function)
    def recorder(*args):
        calls.append(copy.deepcopy(args))
        return function(*args)

    return recorder


def _mutants(source: str):
    tree = ast.parse(source)
    target = 0
    while True:
        mutator = Mutator(target)
        mutated = mutator.visit(copy.deepcopy(tree))
        if mutator.description is None:
            return
        yield mutator.description, ast.unparse(ast.fix_missing_locations(mutated))
        target += 1


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_mutants_are_killed(assignment, capsys):
    notebook = REPO / "solutions" / assignment / f"{assignment}.ipynb"
    base = _base_namespace(notebook)
    killed, equivalent, survivors = 0, 0, []

    for grade_id, answer, hidden in _exercises(notebook):
        defined = [n.name for n in ast.parse(answer).body if isinstance(n, ast.FunctionDef)]
        for description, mutant in _mutants(answer):
            namespace = dict(base)
            try:
                _run_quietly(mutant, namespace)
            except Exception:
                killed += 1
                continue
            calls: list = []
            for name in defined:
                namespace[name] = _recording(namespace[name], calls)
            try:
                _run_quietly(hidden, namespace)
            except CheckFailed:
                killed += 1
                continue

            original = dict(base)
            _run_quietly(answer, original)
            same = True
            for args in calls:
                for name in defined[:1]:
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")
                        try:
                            same &= _close(namespace[name].__wrapped__(*copy.deepcopy(args)), original[name](*copy.deepcopy(args)))
                        except Exception:
                            same = False
            if same:
                equivalent += 1
            else:
                survivors.append(f"{grade_id}: {description}")

    total = killed + len(survivors)
    with capsys.disabled():
        print(f"\n{assignment}: killed {killed} of {total} non-equivalent mutants ({equivalent} equivalent)")
    assert total > 0, f"no mutants generated for {assignment}"
    assert not survivors, "mutants that passed the hidden checks:\n" + "\n".join(survivors)
