"""Static screening of a submitted notebook's unlocked code cells, run outside the learner's kernel.

nbgrader restores locked cells (setup and test cells) from its gradebook, so
what a learner controls is the answer cells and any cell they add. This
module parses those cells and reports code that can change how the checks
run instead of answering the exercise: replacing NumPy, builtins or the
grading code, importing the grading code, IPython hooks and input
transformers, ending the kernel, dynamic code (``exec``, ``eval``,
``__import__``), reaching into interpreter internals, redefining names the
test cells use, and reading nbgrader's files. Honest answers use none of
these; the test suite screens every solution and every honest demo
submission to keep it that way.

Limits: static screening sees only code written in the cells. It is one of
three layers; the others are the trusted references in
:mod:`backprop_lib.grading.integrity` and the grader's demand that every
passing test cell printed its hidden check's result line.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

FORBIDDEN_MODULES = {
    "backprop_lib.grading": "imports the grading code",
    "builtins": "imports builtins",
    "ctypes": "imports ctypes",
    "gc": "imports gc",
    "importlib": "imports importlib",
    "inspect": "imports inspect",
    "IPython": "imports IPython",
    "signal": "imports signal",
    "subprocess": "imports subprocess",
    "threading": "imports threading",
    "multiprocessing": "imports multiprocessing",
}
FORBIDDEN_CALLS = {
    "exec", "eval", "compile", "__import__", "setattr", "delattr", "globals", "vars", "locals",
    "get_ipython", "breakpoint", "exit", "quit",
}
FORBIDDEN_ATTRIBUTES = {
    "_exit", "abort", "kill", "system", "excepthook", "settrace", "setprofile", "modules",
    "showtraceback", "input_transformers_cleanup", "input_transformers_post", "ast_transformers", "events",
    "__builtins__", "__globals__", "__code__", "__subclasses__", "__class__", "__bases__", "__mro__",
    "__dict__", "__closure__", "f_globals", "f_locals", "f_back", "stdout", "stderr",
}
ALLOWED_MAGICS = {"matplotlib", "time", "timeit", "precision"}
PROTECTED_PATHS = re.compile(r"gradebook|solutions|autograded|release|submitted|\.db\b|nbgrader", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """One piece of screened code: the cell's position, its grade_id if any, and why it was flagged."""

    cell_index: int
    grade_id: str | None
    reason: str

    def __str__(self) -> str:
        where = f"cell {self.cell_index}" + (f" ({self.grade_id})" if self.grade_id else "")
        return f"{where}: {self.reason}"


def screen_notebook(source: Path, submitted: Path) -> list[Finding]:
    """Screen the unlocked code cells of ``submitted`` against its source notebook.

    Parameters
    ----------
    source : Path
        The instructor's source notebook (solutions/), which fixes the locked cells.
    submitted : Path
        The learner's notebook.

    Returns
    -------
    list of Finding
        Empty when nothing was flagged.
    """
    source_cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
    submitted_cells = json.loads(submitted.read_text(encoding="utf-8"))["cells"]

    locked_ids = {
        _nbgrader(cell).get("grade_id")
        for cell in source_cells
        if _nbgrader(cell).get("locked") and not _nbgrader(cell).get("solution")
    }
    context = _ScreenContext.from_source(source_cells)

    findings: list[Finding] = []
    for index, cell in enumerate(submitted_cells):
        if cell.get("cell_type") != "code":
            continue
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id in locked_ids:
            continue
        for reason in screen_code(_source_text(cell), context):
            findings.append(Finding(index, grade_id, reason))
    return findings


@dataclass
class _ScreenContext:
    """What the locked cells define: module aliases, and names the tests read but answers must not rebind."""

    module_aliases: dict[str, str]
    protected_names: set[str]

    @classmethod
    def from_source(cls, cells: list[dict]) -> "_ScreenContext":
        aliases: dict[str, str] = {"np": "numpy", "numpy": "numpy", "plt": "matplotlib.pyplot"}
        used_by_tests: set[str] = set()
        assigned_by_tests: set[str] = set()
        answer_names: set[str] = set()

        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            tree = _parse(_source_text(cell))
            if tree is None:
                continue
            meta = _nbgrader(cell)
            if meta.get("solution"):
                answer_names |= _top_level_bindings(tree)
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for alias in node.names:
                        module = node.module + "." + alias.name if isinstance(node, ast.ImportFrom) else alias.name
                        aliases[alias.asname or alias.name.split(".")[0]] = module
                if isinstance(node, ast.Name):
                    (assigned_by_tests if isinstance(node.ctx, ast.Store) else used_by_tests).add(node.id)
        protected = (used_by_tests - assigned_by_tests - answer_names) & ({"np", "numpy"} | _grading_names(cells))
        return cls(module_aliases=aliases, protected_names=protected)


def _grading_names(cells: list[dict]) -> set[str]:
    """Names the notebook imports from the grading package, such as ``show_example`` or ``chain_rule``.

    Library names such as ``sigmoid`` are not included: a learner may define
    their own ``sigmoid`` over an imported one.
    """
    names = set()
    for cell in cells:
        for match in re.finditer(r"from backprop_lib\.grading import ([\w, ]+)", _source_text(cell)):
            names |= {name.strip() for name in match.group(1).split(",")}
    return names


def screen_code(code: str, context: _ScreenContext | None = None) -> list[str]:
    """Return the reasons to flag one cell's code (empty when it is clean)."""
    context = context or _ScreenContext({"np": "numpy", "numpy": "numpy"}, set())
    reasons: list[str] = []
    python_lines = []

    for line in code.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("!"):
            reasons.append(f"runs a shell command ({stripped[:40]})")
            python_lines.append("")
        elif stripped.startswith("%"):
            magic = stripped.lstrip("%").split()[0] if stripped.lstrip("%") else ""
            if magic not in ALLOWED_MAGICS:
                reasons.append(f"uses the IPython magic %{magic}")
            python_lines.append("")
        else:
            python_lines.append(line)

    tree = _parse("\n".join(python_lines))
    if tree is None:
        return reasons

    aliases = dict(context.module_aliases)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases.update({alias.asname or alias.name.split(".")[0]: alias.name for alias in node.names})
        elif isinstance(node, ast.ImportFrom) and node.module:
            aliases.update({alias.asname or alias.name: f"{node.module}.{alias.name}" for alias in node.names})
    context = _ScreenContext(aliases, context.protected_names)

    for node in ast.walk(tree):
        reasons.extend(_node_reasons(node, context))
    for name in sorted(_top_level_bindings(tree, imports=False) & context.protected_names):
        reasons.append(f"redefines {name!r}, which the test cells use")
    return list(dict.fromkeys(reasons))


def _node_reasons(node: ast.AST, context: _ScreenContext) -> list[str]:
    reasons = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            reasons.extend(_module_reason(alias.name))
    elif isinstance(node, ast.ImportFrom) and node.module:
        reasons.extend(_module_reason(node.module))
        for alias in node.names:
            reasons.extend(_module_reason(f"{node.module}.{alias.name}"))
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
        reasons.append(f"calls {node.func.id}()")
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
        if node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in context.module_aliases:
            reasons.append(f"uses getattr on the module {node.args[0].id}")
    elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
        reasons.append(f"uses .{node.attr}")
    elif isinstance(node, ast.Name) and node.id in FORBIDDEN_ATTRIBUTES:
        reasons.append(f"uses {node.id}")
    elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        for target in targets:
            root = _attribute_root(target)
            if root in context.module_aliases:
                reasons.append(f"modifies the module {context.module_aliases[root]} ({ast.unparse(target)})")
    elif isinstance(node, ast.Raise) and node.exc is not None:
        raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if isinstance(raised, ast.Name) and raised.id in {"SystemExit", "KeyboardInterrupt"}:
            reasons.append(f"raises {raised.id}")
    elif isinstance(node, ast.Constant) and isinstance(node.value, str) and PROTECTED_PATHS.search(node.value):
        reasons.append(f"names nbgrader's files ({node.value[:40]!r})")
    return reasons


def _module_reason(module: str) -> list[str]:
    for forbidden, reason in FORBIDDEN_MODULES.items():
        if module == forbidden or module.startswith(forbidden + "."):
            return [reason]
    return []


def _attribute_root(target: ast.AST) -> str | None:
    node = target
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    if node is target:
        return None
    return node.id if isinstance(node, ast.Name) else None


def _top_level_bindings(tree: ast.Module, imports: bool = True) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= _bound_names(target)
        elif imports and isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    return names


def _bound_names(target: ast.AST) -> set[str]:
    """Names that an assignment target binds: ``a`` and ``(a, b)``, not the ``np`` of ``np.x``."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_bound_names(element) for element in target.elts))
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return set()


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except SyntaxError:
        return None


def _source_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})
