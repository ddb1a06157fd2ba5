"""backprop_lib: the reference library behind the backprop course.

Examples are columns: ``X`` has shape ``(n_0, m)``. See :class:`MLP` for the
network, :mod:`backprop_lib.activations` and :mod:`backprop_lib.losses` for
the building blocks and their derivatives, :func:`gradcheck` for numerical
gradient checks and :mod:`backprop_lib.grading` for the course's checks.
"""

from .activations import identity, relu, sigmoid, sigmoid_prime, softmax, tanh
from .gradcheck import GradcheckReport, compare_gradients, gradcheck, numerical_gradient
from .mlp import MLP

__all__ = [
    "MLP",
    "GradcheckReport",
    "compare_gradients",
    "gradcheck",
    "identity",
    "numerical_gradient",
    "relu",
    "sigmoid",
    "sigmoid_prime",
    "softmax",
    "tanh",
]

__version__ = "0.1.0"
