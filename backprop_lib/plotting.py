"""Matplotlib helpers for loss curves and 2-D decision boundaries.

Each function draws on the ``ax`` it is given, or on a new figure from
``plt.subplots()`` when ``ax`` is None, and returns the Axes. The module never
selects a backend: notebooks use their inline backend, and scripts or tests
choose one themselves, for example ``matplotlib.use("Agg")``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from backprop_lib._validation import as_float_matrix, check_positive_int, describe

__all__ = ["plot_loss", "plot_decision_boundary"]

# Opacity of the predicted-class regions, so the data points drawn on top stay visible.
_REGION_ALPHA = 0.3
# Fraction of the data range added on each side of the decision-boundary grid.
_GRID_MARGIN = 0.1
# Opacity of the bands that mark epochs with a non-finite loss.
_NON_FINITE_ALPHA = 0.15
# Matplotlib 3.11 warns about a slow "best" legend search (over one second) only when loc was
# left at its default. Passing "best" explicitly keeps the plots warning-free.
_LEGEND_LOCATION = "best"


def _check_axes(ax: object) -> None:
    """Raise ``ValueError`` unless ``ax`` is None or a matplotlib Axes."""
    if ax is not None and not isinstance(ax, Axes):
        raise ValueError(
            f"ax must be a matplotlib Axes, got {describe(ax)}; pass the Axes from "
            f"plt.subplots(), or None to draw on a new figure."
        )


def _resolve_axes(ax: object) -> Axes:
    """Return ``ax``, or the Axes of a new figure when ``ax`` is None."""
    _check_axes(ax)
    if ax is not None:
        return ax
    # Imported here so that callers who always pass ax never load pyplot and its global figure state.
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots()
    return new_ax


def _as_history(history: object) -> np.ndarray:
    """Convert ``history`` to a non-empty 1-D float64 array, or raise ``ValueError``."""
    try:
        losses = np.asarray(history, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"history must be a sequence of loss values, got {describe(history)}; "
            f"pass a list or 1-D array with one loss per epoch."
        ) from None
    if losses.ndim != 1:
        raise ValueError(
            f"history must be 1-D with one loss per epoch, got shape {losses.shape}; "
            f"pass np.ravel(history) if it holds one value per epoch."
        )
    if losses.size == 0:
        raise ValueError("history is empty; record at least one epoch's loss before plotting it.")
    return losses


def _true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Return (first, last) index pairs, inclusive, of each run of True values in ``mask``."""
    padded = np.concatenate([[0], mask.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return [(int(start), int(stop) - 1) for start, stop in zip(edges[::2], edges[1::2])]


def plot_loss(
    history: object,
    ax: Axes | None = None,
    label: str | None = None,
    log_scale: bool = False,
) -> Axes:
    """Plot the loss of each epoch as a line, with epochs numbered from 1.

    NaN and infinite losses, for example after training diverged, leave a gap
    in the line, and a light band in the line's colour covers their epochs.
    With ``log_scale=True``, losses <= 0 also leave a gap, because a log axis
    cannot show them, but they get no band. Call the function again with the
    same ``ax`` to compare runs.

    Parameters
    ----------
    history : array_like, shape (n_epochs,)
        One loss value per epoch. NaN and inf are allowed.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when omitted.
    label : str, optional
        Legend entry for this curve. The legend is drawn whenever the Axes
        has a labelled artist, such as this label or a non-finite-loss band.
    log_scale : bool, default False
        Use a logarithmic y axis.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes that was drawn on.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = plot_loss([0.9, 0.5, float("nan"), 0.2], ax=Figure().add_subplot(), label="train")
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('epoch', 'loss')
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['train', 'non-finite loss (train)']
    """
    losses = _as_history(history)
    ax = _resolve_axes(ax)

    epochs = np.arange(1, losses.size + 1)
    finite = np.isfinite(losses)
    plottable = finite & (losses > 0) if log_scale else finite
    # Every value that cannot be drawn becomes NaN, which Matplotlib draws as a gap in the line.
    curve = np.where(plottable, losses, np.nan)
    (line,) = ax.plot(epochs, curve, label=label, marker="o" if losses.size == 1 else None)

    band_label = "non-finite loss" if label is None else f"non-finite loss ({label})"
    for first, last in _true_runs(~finite):
        ax.axvspan(
            epochs[first] - 0.5,
            epochs[last] + 0.5,
            color=line.get_color(),
            alpha=_NON_FINITE_ALPHA,
            linewidth=0,
            label=band_label,
        )
        # Only the first band gets a legend entry, because Matplotlib leaves labels that start
        # with an underscore out of legends.
        band_label = "_" + band_label

    if log_scale:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    # Matplotlib warns when asked for a legend that has no entries, for example label="_hidden".
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc=_LEGEND_LOCATION)
    return ax


def _class_count(n_rows: int) -> int:
    """Return the number of classes that an output layout with ``n_rows`` rows encodes."""
    return 2 if n_rows == 1 else n_rows


def _classes_from_outputs(outputs: np.ndarray) -> np.ndarray:
    """Convert outputs of shape (1, k) or (n_classes, k) to class indices of shape (k,)."""
    if outputs.shape[0] == 1:
        return (outputs[0] >= 0.5).astype(np.int64)
    return np.argmax(outputs, axis=0)


def _class_colors(n_classes: int) -> list[tuple[float, ...]]:
    """Return one distinct RGBA colour per class."""
    if n_classes <= 10:
        return [colormaps["tab10"](i) for i in range(n_classes)]
    if n_classes <= 20:
        return [colormaps["tab20"](i) for i in range(n_classes)]
    return [tuple(color) for color in colormaps["viridis"].resampled(n_classes)(np.arange(n_classes))]


def _predict_grid(predict: Callable[[np.ndarray], object], grid: np.ndarray) -> np.ndarray:
    """Call ``predict`` on the grid points and check the shape of its outputs."""
    raw = predict(grid)
    try:
        outputs = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"predict must return a numeric array, got {describe(raw)}; return the network's "
            f"output activations as a NumPy array."
        ) from None

    k = grid.shape[1]
    if outputs.ndim != 2 or outputs.shape[1] != k:
        raise ValueError(
            f"predict must map input of shape {grid.shape} to outputs of shape (1, {k}) or "
            f"(n_classes, {k}), got shape {outputs.shape}; keep one example per column, and "
            f"reshape 1-D output with .reshape(1, -1)."
        )
    if not np.all(np.isfinite(outputs)):
        raise ValueError(
            "predict returned NaN or infinite values on the plotting grid; check the "
            "network's parameters, for example after a diverged training run."
        )
    return outputs


def plot_decision_boundary(
    predict: Callable[[np.ndarray], object],
    X: object,
    Y: object,
    ax: Axes | None = None,
    resolution: int = 200,
) -> Axes:
    """Plot the regions a classifier assigns to each class, with the data on top.

    ``predict`` is evaluated once on a ``resolution x resolution`` grid that
    covers the points in ``X`` plus a margin of 10 % of their range on each
    side. A prediction of shape (1, k) is read as the probability of class 1
    and thresholded at 0.5. A prediction of shape (n_classes, k) gives the
    class with the largest value in each column. ``Y`` is read the same way,
    and each point is coloured by its class.

    Parameters
    ----------
    predict : callable
        Maps an array of shape (2, k) to outputs of shape (1, k) or
        (n_classes, k), for example a trained network's forward pass.
    X : array_like, shape (2, m)
        The points to draw, one per column.
    Y : array_like, shape (1, m) or (n_classes, m)
        Their labels: 0/1 values, or one-hot columns. Both layouts must
        encode the same number of classes as the output of ``predict``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when omitted.
    resolution : int, default 200
        Number of grid points along each axis, at least 2.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes that was drawn on. Its ``collections`` hold the filled
        regions (a ``ContourSet``) followed by one scatter per class present
        in ``Y``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from backprop_lib.datasets import xor
    >>> X, Y = xor(m=40)
    >>> def predict(points):
    ...     return (points[0:1] * points[1:2] < 0).astype(float)
    >>> ax = plot_decision_boundary(predict, X, Y, ax=Figure().add_subplot(), resolution=50)
    >>> len(ax.collections)
    3
    """
    if not callable(predict):
        raise ValueError(
            f"predict must be a function that maps an array of shape (2, k) to outputs of "
            f"shape (1, k) or (n_classes, k), got {describe(predict)}."
        )
    X = as_float_matrix("X", X, rows=2)
    Y = as_float_matrix("Y", Y)
    if Y.shape[1] != X.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of columns (examples), got X shape {X.shape} "
            f"and Y shape {Y.shape}; column i of Y must label column i of X."
        )
    resolution = check_positive_int("resolution", resolution)
    if resolution < 2:
        raise ValueError(
            f"resolution must be at least 2 grid points per axis, got {resolution}; "
            f"the default of 200 draws smooth boundaries."
        )
    _check_axes(ax)

    low = X.min(axis=1)
    high = X.max(axis=1)
    span = high - low
    margin = np.where(span > 0, _GRID_MARGIN * span, 0.5)
    grid_x, grid_y = np.meshgrid(
        np.linspace(low[0] - margin[0], high[0] + margin[0], resolution),
        np.linspace(low[1] - margin[1], high[1] + margin[1], resolution),
    )
    grid = np.vstack([grid_x.ravel(), grid_y.ravel()])

    outputs = _predict_grid(predict, grid)
    n_classes = _class_count(outputs.shape[0])
    if _class_count(Y.shape[0]) != n_classes:
        raise ValueError(
            f"predict returns outputs with {outputs.shape[0]} rows ({n_classes} classes) but "
            f"Y has shape {Y.shape} ({_class_count(Y.shape[0])} classes); pass labels with the "
            f"same classes as the model's output."
        )
    predicted = _classes_from_outputs(outputs).reshape(grid_x.shape)
    colors = _class_colors(n_classes)

    # The figure is created only after every check passed, so a failed call leaves none behind.
    ax = _resolve_axes(ax)

    # One band per class: band c spans c - 0.5 to c + 0.5, so its colour is colors[c].
    ax.contourf(
        grid_x,
        grid_y,
        predicted,
        levels=np.arange(n_classes + 1) - 0.5,
        colors=colors,
        alpha=_REGION_ALPHA,
    )

    true_classes = _classes_from_outputs(Y)
    for class_index in range(n_classes):
        members = true_classes == class_index
        if not members.any():
            continue
        ax.scatter(
            X[0, members],
            X[1, members],
            color=colors[class_index],
            edgecolors="black",
            linewidths=0.5,
            s=20,
            label=f"class {class_index}",
        )

    ax.set_xlim(grid_x[0, 0], grid_x[0, -1])
    ax.set_ylim(grid_y[0, 0], grid_y[-1, 0])
    ax.set_xlabel("$x_1$ (X[0])")
    ax.set_ylabel("$x_2$ (X[1])")
    ax.legend(loc=_LEGEND_LOCATION)
    return ax
