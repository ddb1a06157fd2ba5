"""Checks that grade the course's exercises.

Each notebook has one module of checks (``chain_rule`` for 01_chain_rule,
``single_neuron`` for 02_single_neuron, ...). A hidden test cell calls, for
example, ``chain_rule.check_sigmoid(sigmoid)``. The check draws fresh random
cases, compares the learner's outputs with the reference library's and
raises :class:`CheckFailed` with one readable sentence on the first mismatch.

Importing this package (every notebook's setup cell does, before any answer
cell runs) imports every check module and records trusted references to
them and to NumPy; see :mod:`backprop_lib.grading.integrity`.
"""

import importlib
import pkgutil

from . import integrity
from .core import CheckFailed, TamperDetected, call_learner, diagnose, expect_array, new_rng, show_example

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("core", "integrity"):
        importlib.import_module(f"{__name__}.{_module.name}")
        integrity.watch_module(f"{__name__}.{_module.name}")
integrity.watch_module(f"{__name__}.core")
integrity.watch_module(f"{__name__}.integrity")
del _module

__all__ = [
    "CheckFailed",
    "TamperDetected",
    "call_learner",
    "diagnose",
    "expect_array",
    "new_rng",
    "show_example",
]
