"""Trusted references, taken when the grading package is first imported, and the test that they still hold.

The setup cell of every notebook imports :mod:`backprop_lib.grading` before
any answer cell runs, so this module records the NumPy functions, builtins
and ``sys.modules`` entries that the checks rely on at a moment when learner
code cannot yet have touched them. :func:`verify` raises
:class:`TamperDetected` when any of them has been replaced since.

Limits: a cell that the learner inserts above the setup cell runs first and
could patch NumPy before the snapshot. The grading command's static
screening of every unlocked cell (:mod:`backprop_lib.screening`) covers that
case; plain nbgrader without it does not.
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Sequence
from types import CodeType, FunctionType, ModuleType
from typing import Any

import numpy as np

from .core import TamperDetected


WATCHED_NUMPY = (
    "abs", "all", "allclose", "any", "argmax", "array", "array_equal", "asarray", "errstate", "full",
    "float64", "isclose", "isfinite", "max", "median", "ndarray", "unravel_index", "zeros", "ones",
    "exp", "log", "sum", "mean", "where", "maximum", "tanh", "dot", "matmul",
)
WATCHED_BUILTINS = (
    "isinstance", "len", "print", "callable", "type", "float", "int", "tuple", "list", "abs", "max", "min",
    "sum", "repr", "range", "zip", "enumerate", "AssertionError", "Exception", "BaseException",
    "NotImplementedError", "__import__",
)
WATCHED_MODULES = ("numpy", "builtins", "backprop_lib", "backprop_lib.grading", "backprop_lib.grading.core")


def _snapshot() -> dict[str, Any]:
    trusted: dict[str, Any] = {}
    for name in WATCHED_NUMPY:
        trusted[f"numpy.{name}"] = getattr(np, name)
    for name in WATCHED_BUILTINS:
        trusted[f"builtins.{name}"] = getattr(builtins, name)
    for name in WATCHED_MODULES:
        trusted[f"sys.modules[{name!r}]"] = sys.modules.get(name)
    trusted["numpy.testing.assert_allclose"] = np.testing.assert_allclose
    return trusted


_TRUSTED = _snapshot()


def forbidden_code_objects(extra: Sequence[Any] = ()) -> dict[CodeType, str]:
    """Map the code of every function in backprop_lib.grading, and of ``extra``, to a readable name.

    ``extra`` holds functions or classes (all of whose methods count).
    """
    codes: dict[CodeType, str] = {}
    modules = [m for n, m in list(sys.modules.items()) if n.startswith("backprop_lib.grading.") and m is not None]
    for item in [*modules, *extra]:
        _collect_codes(item, codes)
    return codes


def _collect_codes(item: Any, codes: dict[CodeType, str]) -> None:
    if isinstance(item, ModuleType):
        for value in vars(item).values():
            if getattr(value, "__module__", None) == item.__name__:
                _collect_codes(value, codes)
    elif isinstance(item, type):
        for value in vars(item).values():
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property):
                value = value.fget
            if isinstance(value, FunctionType):
                codes[value.__code__] = f"{item.__module__}.{item.__qualname__}"
    elif isinstance(item, FunctionType):
        codes[item.__code__] = f"{item.__module__}.{item.__qualname__}"


def watch_module(module_name: str) -> None:
    """Add a module's current ``sys.modules`` entry and functions to the trusted references."""
    module = sys.modules[module_name]
    _TRUSTED[f"sys.modules[{module_name!r}]"] = module
    for attribute, value in vars(module).items():
        if callable(value) and getattr(value, "__module__", None) == module_name:
            _TRUSTED[f"{module_name}.{attribute}"] = value


def _current(key: str) -> Any:
    if key.startswith("sys.modules["):
        return sys.modules.get(key[len("sys.modules[") + 1 : -2])
    if key.startswith("numpy.testing."):
        return getattr(np.testing, key.rsplit(".", 1)[1], None)
    if key.startswith("numpy."):
        return getattr(np, key[len("numpy.") :], None)
    if key.startswith("builtins."):
        return getattr(builtins, key[len("builtins.") :], None)
    module_name, attribute = key.rsplit(".", 1)
    return getattr(sys.modules.get(module_name), attribute, None)


def tampered() -> list[str]:
    """Return the names of trusted references that no longer hold (empty when all hold)."""
    return [key for key, value in _TRUSTED.items() if _current(key) is not value]


def verify() -> None:
    """Raise :class:`TamperDetected` when learner code replaced something the checks rely on."""
    changed = tampered()
    if changed:
        raise TamperDetected(
            f"flagged: {', '.join(changed[:5])} was replaced after the notebook's setup cell ran. "
            f"Answers must not modify NumPy, builtins or the grading code; restart the kernel and remove that code."
        )
