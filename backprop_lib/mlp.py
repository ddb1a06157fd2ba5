"""The reference multi-layer perceptron: forward pass and the δ recurrence.

Notation (examples are columns, layers are numbered l = 1..L):

    z[l] = W[l] @ a[l-1] + b[l]        a[l] = f(z[l])        a[0] = X
    δ[L] = ∂L/∂a[L] ⊙ f'(z[L])         (the 1/m lives in ∂L/∂a[L])
    δ[l] = (W[l+1]ᵀ δ[l+1]) ⊙ f'(z[l])
    dW[l] = δ[l] a[l-1]ᵀ               db[l] = Σ over columns of δ[l]

Python lists are 0-based, so ``weights[l - 1]`` is W[l]. The loops below
use the book's l and do that shift explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _validation as check
from .activations import ACTIVATIONS, Activation
from .losses import FUSED_OUTPUT_LOSSES, LOSSES

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")


class MLP:
    """A fully connected network with one activation for hidden layers and one for the output.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_0, n_1, ..., n_L]``: inputs, hidden widths, outputs. At least two.
    hidden_activation : {"sigmoid", "tanh", "relu", "identity"}
        Activation f of layers 1..L−1.
    output_activation : {"sigmoid", "tanh", "relu", "identity", "softmax"}
        Activation of layer L. ``softmax`` requires ``loss="cross_entropy"``.
    loss : {"mse", "binary_cross_entropy", "cross_entropy"}
        Mean over the m examples. ``binary_cross_entropy`` requires a sigmoid
        output and ``cross_entropy`` a softmax output, so that a stays in (0, 1).
    seed : int or None
        Seed for the initial weights; ``None`` draws a fresh seed.

    Attributes
    ----------
    weights : list of ndarray
        ``weights[l-1]`` is W[l], shape (n_l, n_{l-1}), drawn from
        N(0, 1/n_{l-1}) so each z starts with unit variance for unit inputs.
    biases : list of ndarray
        ``biases[l-1]`` is b[l], shape (n_l, 1), initially zero.

    Examples
    --------
    >>> net = MLP([2, 3, 1], seed=0)
    >>> net.forward(np.zeros((2, 4))).shape
    (1, 4)
    >>> dW, db = net.gradients(np.ones((2, 4)), np.zeros((1, 4)))
    >>> [g.shape for g in dW], [g.shape for g in db]
    ([(3, 2), (1, 3)], [(3, 1), (1, 1)])
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        hidden_activation: str = "sigmoid",
        output_activation: str = "sigmoid",
        loss: str = "mse",
        seed: int | None = 0,
    ) -> None:
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        check.check_choice("hidden_activation", hidden_activation, HIDDEN_ACTIVATIONS)
        check.check_choice("output_activation", output_activation, ACTIVATIONS)
        check.check_choice("loss", loss, LOSSES)
        _check_output_loss_pair(output_activation, loss)
        seed = check.check_seed("seed", seed)

        self.hidden_activation: Activation = ACTIVATIONS[hidden_activation]
        self.output_activation: Activation = ACTIVATIONS[output_activation]
        self.loss_name = loss

        rng = np.random.default_rng(seed)
        self.weights: list[np.ndarray] = [
            rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
            for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:])
        ]
        self.biases: list[np.ndarray] = [np.zeros((n_out, 1)) for n_out in self.layer_sizes[1:]]

    @property
    def num_layers(self) -> int:
        """L, the number of weight layers."""
        return len(self.layer_sizes) - 1

    def __repr__(self) -> str:
        return (
            f"MLP({self.layer_sizes}, hidden_activation={self.hidden_activation.name!r}, "
            f"output_activation={self.output_activation.name!r}, loss={self.loss_name!r})"
        )

    def _activation(self, l: int) -> Activation:
        return self.output_activation if l == self.num_layers else self.hidden_activation

    def forward_with_cache(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Run the forward pass and keep every z and a for the backward pass.

        Parameters
        ----------
        X : ndarray, shape (n_0, m)

        Returns
        -------
        zs : list of ndarray
            ``zs[l-1]`` is z[l], shape (n_l, m), for l = 1..L.
        activations : list of ndarray
            ``activations[l]`` is a[l], shape (n_l, m), for l = 0..L (a[0] = X).
        """
        X = check.as_float_matrix("X", X, rows=self.layer_sizes[0])
        return self._forward_unchecked(X)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Compute the network's output a[L] for a batch.

        Parameters
        ----------
        X : ndarray, shape (n_0, m)

        Returns
        -------
        ndarray, shape (n_L, m)
        """
        _, activations = self.forward_with_cache(X)
        return activations[-1]

    def loss(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Compute the loss, a mean over the m examples, for inputs X and targets Y.

        Parameters
        ----------
        X : ndarray, shape (n_0, m)
        Y : ndarray, shape (n_L, m)

        Returns
        -------
        float
        """
        zs, activations = self.forward_with_cache(X)
        Y = self._check_targets(Y, activations[-1].shape[1])
        return self._loss_from_cache(zs[-1], activations[-1], Y)

    def gradients(self, X: np.ndarray, Y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Compute the exact gradient of the loss by backpropagation.

        Parameters
        ----------
        X : ndarray, shape (n_0, m)
        Y : ndarray, shape (n_L, m)

        Returns
        -------
        dW : list of ndarray
            ``dW[l-1]`` is ∂L/∂W[l], shape (n_l, n_{l-1}).
        db : list of ndarray
            ``db[l-1]`` is ∂L/∂b[l], shape (n_l, 1).
        """
        zs, activations = self.forward_with_cache(X)
        Y = self._check_targets(Y, activations[-1].shape[1])
        return self._backward(zs, activations, Y)

    def _check_targets(self, Y: np.ndarray, m: int) -> np.ndarray:
        Y = check.as_float_matrix("Y", Y, rows=self.layer_sizes[-1])
        if Y.shape[1] != m:
            raise ValueError(
                f"Y has {Y.shape[1]} examples but X has {m}; pass one target column per input column."
            )
        return Y

    def _loss_from_cache(self, z_L: np.ndarray, a_L: np.ndarray, Y: np.ndarray) -> float:
        fused = FUSED_OUTPUT_LOSSES.get((self.output_activation.name, self.loss_name))
        if fused is not None:
            loss_from_logits, _ = fused
            return loss_from_logits(z_L, Y)
        loss_value, _ = LOSSES[self.loss_name]
        return loss_value(a_L, Y)

    def _output_delta(self, z_L: np.ndarray, a_L: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """δ[L] = ∂L/∂z[L]: (a − y)/m for the natural pairs, else ∂L/∂a ⊙ f'(z)."""
        fused = FUSED_OUTPUT_LOSSES.get((self.output_activation.name, self.loss_name))
        if fused is not None:
            _, delta_from_logits = fused
            return delta_from_logits(z_L, Y)
        _, loss_prime = LOSSES[self.loss_name]
        return self.output_activation.backward(z_L, loss_prime(a_L, Y))

    def _backward(
        self, zs: list[np.ndarray], activations: list[np.ndarray], Y: np.ndarray
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        L = self.num_layers
        dW: list[np.ndarray] = [np.empty(0)] * L
        db: list[np.ndarray] = [np.empty(0)] * L

        delta = self._output_delta(zs[L - 1], activations[L], Y)
        for l in range(L, 0, -1):
            dW[l - 1] = delta @ activations[l - 1].T
            db[l - 1] = delta.sum(axis=1, keepdims=True)
            if l > 1:
                # δ[l-1] = (W[l]ᵀ δ[l]) ⊙ f'(z[l-1]). The product is a new array, so ⊙
                # updates it in place. Hidden activations are element-wise (softmax is
                # allowed only at the output), so f' exists. It is computed from the
                # cached a[l-1] = f(z[l-1]), which gives the same numbers as f'(z[l-1])
                # without a second tanh or exp.
                delta = self.weights[l - 1].T @ delta
                delta *= self.hidden_activation.derivative_from_output(activations[l - 1])

        return dW, db

    def sgd_step(self, dW: Sequence[np.ndarray], db: Sequence[np.ndarray], learning_rate: float) -> None:
        """Apply one gradient-descent update in place: W ← W − η dW, b ← b − η db.

        Parameters
        ----------
        dW, db : sequence of ndarray
            Gradients shaped like :attr:`weights` and :attr:`biases`.
        learning_rate : float
            η > 0.
        """
        learning_rate = check.check_positive_float("learning_rate", learning_rate)
        for name, params, grads in (("dW", self.weights, dW), ("db", self.biases, db)):
            if len(grads) != len(params):
                raise ValueError(
                    f"{name} has {len(grads)} arrays but the network has {len(params)} layers; "
                    f"pass the lists returned by gradients()."
                )
            for l, (param, grad) in enumerate(zip(params, grads), start=1):
                if np.shape(grad) != param.shape:
                    raise ValueError(
                        f"{name}[{l}] has shape {np.shape(grad)} but the parameter has shape "
                        f"{param.shape}; pass the lists returned by gradients()."
                    )
                param -= learning_rate * grad

    def fit(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        epochs: int,
        learning_rate: float,
        batch_size: int | None = None,
        seed: int | None = 0,
    ) -> list[float]:
        """Train with gradient descent and return the loss after each epoch.

        Parameters
        ----------
        X : ndarray, shape (n_0, m)
        Y : ndarray, shape (n_L, m)
        epochs : int
            Passes over the data.
        learning_rate : float
            η > 0.
        batch_size : int or None
            ``None`` for full-batch gradient descent (one step per epoch);
            otherwise mini-batch SGD on shuffled batches of this many columns.
        seed : int or None
            Seed for the shuffling of mini-batches.

        Returns
        -------
        list of float
            The full-data loss after each epoch. Training stops early when the
            loss becomes NaN or infinite (divergence); that value is the last one.
        """
        X = check.as_float_matrix("X", X, rows=self.layer_sizes[0])
        m = X.shape[1]
        Y = self._check_targets(Y, m)
        epochs = check.check_positive_int("epochs", epochs)
        check.check_positive_float("learning_rate", learning_rate)
        batch_size = m if batch_size is None else min(check.check_positive_int("batch_size", batch_size), m)
        rng = np.random.default_rng(check.check_seed("seed", seed))

        history: list[float] = []
        # A diverging run overflows to inf and then NaN; that is reported through
        # the history, so NumPy's floating-point warnings are silenced here.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            # The full-data forward pass that gives an epoch's loss is also the one
            # the next full-batch step needs, so full-batch training runs it once per epoch.
            full_batch = batch_size == m
            if full_batch:
                zs, activations = self._forward_unchecked(X)
            for _ in range(epochs):
                if full_batch:
                    dW, db = self._backward(zs, activations, Y)
                    self.sgd_step(dW, db, learning_rate)
                else:
                    order = rng.permutation(m)
                    for start in range(0, m, batch_size):
                        columns = order[start : start + batch_size]
                        batch_zs, batch_activations = self._forward_unchecked(X[:, columns])
                        dW, db = self._backward(batch_zs, batch_activations, Y[:, columns])
                        self.sgd_step(dW, db, learning_rate)

                zs, activations = self._forward_unchecked(X)
                history.append(self._loss_from_cache(zs[-1], activations[-1], Y))
                if not np.isfinite(history[-1]):
                    break

        return history

    def _forward_unchecked(self, a: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        zs, activations = [], [a]
        for l in range(1, self.num_layers + 1):
            z = self.weights[l - 1] @ a
            z += self.biases[l - 1]
            a = self._activation(l).forward(z)
            zs.append(z)
            activations.append(a)
        return zs, activations


def _check_layer_sizes(layer_sizes: Sequence[int]) -> list[int]:
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
        raise ValueError(
            f"layer_sizes must be a list of layer widths such as [2, 3, 1], got "
            f"{check.describe(layer_sizes)}."
        )
    if len(layer_sizes) < 2:
        raise ValueError(
            f"layer_sizes must list at least the input and output widths, got {list(layer_sizes)!r}; "
            f"for example [2, 3, 1]."
        )
    for size in layer_sizes:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(
                f"layer_sizes must contain positive integers, got {list(layer_sizes)!r}; "
                f"every layer needs at least one unit."
            )
    return [int(size) for size in layer_sizes]


def _check_output_loss_pair(output_activation: str, loss: str) -> None:
    if output_activation == "softmax" and loss != "cross_entropy":
        raise ValueError(
            f"output_activation 'softmax' needs loss 'cross_entropy', got loss {loss!r}; "
            f"use softmax with cross_entropy, or a sigmoid or identity output with {loss!r}."
        )
    if loss == "cross_entropy" and output_activation != "softmax":
        raise ValueError(
            f"loss 'cross_entropy' needs output_activation 'softmax', got {output_activation!r}; "
            f"for one 0/1 output use output_activation='sigmoid' with loss='binary_cross_entropy'."
        )
    if loss == "binary_cross_entropy" and output_activation != "sigmoid":
        raise ValueError(
            f"loss 'binary_cross_entropy' needs output_activation 'sigmoid' so that a lies in (0, 1), "
            f"got {output_activation!r}; set output_activation='sigmoid'."
        )
