"""Checks that grade the course's exercises.

Each notebook has one module of checks (``chain_rule`` for 01_chain_rule,
``single_neuron`` for 02_single_neuron, ...). A hidden test cell calls, for
example, ``chain_rule.check_sigmoid(sigmoid)``. The check draws fresh random
cases, compares the learner's outputs with the reference library's and
raises :class:`CheckFailed` with one readable sentence on the first mismatch.
"""

from .core import CheckFailed, call_learner, diagnose, expect_array, new_rng, show_example

__all__ = ["CheckFailed", "call_learner", "diagnose", "expect_array", "new_rng", "show_example"]
