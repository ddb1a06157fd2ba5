"""Tests for backprop_lib.plotting, drawn with the Agg backend so no display is needed."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from backprop_lib.datasets import moons, spirals, xor  # noqa: E402
from backprop_lib.plotting import plot_decision_boundary, plot_loss  # noqa: E402

NAN = float("nan")
INF = float("inf")


@pytest.fixture
def ax():
    figure, axes = plt.subplots()
    yield axes
    plt.close(figure)


def _legend_texts(axes):
    legend = axes.get_legend()
    return [] if legend is None else [text.get_text() for text in legend.get_texts()]


def _xor_predict(points):
    """Return the exact XOR rule as a probability row of shape (1, k)."""
    return (points[0:1] * points[1:2] < 0).astype(float)


# plot_loss


def test_plot_loss_draws_history(ax):
    history = [0.9, 0.6, 0.4, 0.3]
    returned = plot_loss(history, ax=ax)
    assert returned is ax
    assert len(ax.lines) == 1
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), history)
    assert ax.get_xlabel() == "epoch"
    assert ax.get_ylabel() == "loss"
    assert ax.get_yscale() == "linear"


def test_plot_loss_no_label_no_legend(ax):
    plot_loss([1.0, 0.5], ax=ax)
    assert ax.get_legend() is None


def test_plot_loss_labels_two_runs(ax):
    plot_loss([1.0, 0.5, 0.3], ax=ax, label="train")
    plot_loss([1.1, 0.7, 0.6], ax=ax, label="validation")
    assert len(ax.lines) == 2
    assert _legend_texts(ax) == ["train", "validation"]
    assert ax.lines[0].get_color() != ax.lines[1].get_color()


def test_plot_loss_integer_epoch_ticks(ax):
    plot_loss([1.0, 0.8, 0.5], ax=ax)
    ax.figure.canvas.draw()
    ticks = ax.get_xticks()
    np.testing.assert_array_equal(ticks, np.round(ticks))


def test_plot_loss_single_epoch_visible(ax):
    plot_loss([0.7], ax=ax)
    assert ax.lines[0].get_marker() == "o"


def test_plot_loss_non_finite_gaps_and_bands(ax):
    history = [1.0, 0.5, INF, NAN, 0.3, NAN]
    plot_loss(history, ax=ax, label="train")
    line_y = ax.lines[0].get_ydata()
    np.testing.assert_array_equal(np.isnan(line_y), [False, False, True, True, False, True])
    # Epochs 3-4 and epoch 6 are two runs, so two bands.
    assert len(ax.patches) == 2
    band_extents = sorted(
        (patch.get_x(), patch.get_x() + patch.get_width()) for patch in ax.patches
    )
    assert band_extents == [(2.5, 4.5), (5.5, 6.5)]
    assert _legend_texts(ax) == ["train", "non-finite loss (train)"]
    ax.figure.canvas.draw()


def test_plot_loss_hidden_label_no_legend(ax):
    plot_loss([1.0, 0.5], ax=ax, label="_hidden")
    assert ax.get_legend() is None


def test_plot_loss_non_finite_without_label(ax):
    plot_loss([NAN, 0.5], ax=ax)
    assert _legend_texts(ax) == ["non-finite loss"]


def test_plot_loss_log_scale_gaps_at_zero(ax):
    plot_loss([1.0, 0.1, 0.0, 0.01], ax=ax, log_scale=True)
    assert ax.get_yscale() == "log"
    line_y = ax.lines[0].get_ydata()
    np.testing.assert_array_equal(np.isnan(line_y), [False, False, True, False])
    # A zero loss is finite, so it gets no band.
    assert len(ax.patches) == 0
    ax.figure.canvas.draw()


@pytest.mark.parametrize("log_scale", [False, True])
def test_plot_loss_all_non_finite_draws(ax, log_scale):
    plot_loss([NAN, INF, -INF], ax=ax, log_scale=log_scale)
    assert len(ax.patches) == 1
    ax.figure.canvas.draw()


def test_plot_loss_long_history_draws(ax):
    history = np.exp(-np.arange(20000) / 2000)
    history[15000:] = np.nan
    plot_loss(history, ax=ax, label="train", log_scale=True)
    ax.figure.canvas.draw()
    assert len(ax.patches) == 1


def test_plot_loss_new_figure_without_ax():
    before = set(plt.get_fignums())
    created = plot_loss([1.0, 0.5])
    try:
        assert set(plt.get_fignums()) - before == {created.figure.number}
        assert len(created.lines) == 1
    finally:
        plt.close(created.figure)


@pytest.mark.parametrize(
    ("history", "pattern"),
    [
        ([], r"history is empty"),
        ([[1.0, 0.5], [0.4, 0.3]], r"history must be 1-D .* got shape \(2, 2\)"),
        (["high", "low"], r"history must be a sequence of loss values"),
        ({"loss": [1.0]}, r"history must be a sequence of loss values, got \{'loss'"),
        (0.5, r"history must be 1-D .* got shape \(\)"),
    ],
)
def test_plot_loss_bad_history(ax, history, pattern):
    with pytest.raises(ValueError, match=pattern):
        plot_loss(history, ax=ax)


def test_plot_loss_bad_history_no_new_figure():
    before = set(plt.get_fignums())
    with pytest.raises(ValueError, match=r"history is empty"):
        plot_loss([])
    assert set(plt.get_fignums()) == before


def test_plot_loss_bad_ax():
    with pytest.raises(ValueError, match=r"ax must be a matplotlib Axes, got 'axes' \(str\)"):
        plot_loss([1.0], ax="axes")


# plot_decision_boundary


def test_boundary_binary_artists(ax):
    X, Y = xor(m=60)
    returned = plot_decision_boundary(_xor_predict, X, Y, ax=ax, resolution=40)
    assert returned is ax
    assert isinstance(ax.collections[0], ContourSet)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 2
    assert [len(s.get_offsets()) for s in scatters] == [int((Y == 0).sum()), int((Y == 1).sum())]
    assert _legend_texts(ax) == ["class 0", "class 1"]
    ax.figure.canvas.draw()


def test_boundary_points_at_data(ax):
    X, Y = moons(m=50)
    plot_decision_boundary(lambda P: np.full((1, P.shape[1]), 0.2), X, Y, ax=ax, resolution=10)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    np.testing.assert_array_equal(scatters[0].get_offsets(), X[:, Y[0] == 0].T)
    np.testing.assert_array_equal(scatters[1].get_offsets(), X[:, Y[0] == 1].T)


def test_boundary_colours_match(ax):
    X, Y = xor(m=40)
    plot_decision_boundary(_xor_predict, X, Y, ax=ax, resolution=20)
    regions = ax.collections[0]
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    for class_index, scatter in enumerate(scatters):
        region_rgb = regions.get_facecolor()[class_index][:3]
        point_rgb = scatter.get_facecolor()[0][:3]
        np.testing.assert_allclose(region_rgb, point_rgb)
        np.testing.assert_allclose(point_rgb, to_rgba(f"C{class_index}")[:3])


def test_boundary_grid_covers_data_with_margin(ax):
    X = np.array([[0.0, 2.0, 1.0], [-1.0, 1.0, 0.0]])
    Y = np.array([[0.0, 1.0, 1.0]])
    seen = []

    def predict(points):
        seen.append(points.copy())
        return np.full((1, points.shape[1]), 0.7)

    plot_decision_boundary(predict, X, Y, ax=ax, resolution=30)
    assert len(seen) == 1, "predict should be called once on the whole grid"
    grid = seen[0]
    assert grid.shape == (2, 900)
    np.testing.assert_allclose(grid.min(axis=1), [-0.2, -1.2])
    np.testing.assert_allclose(grid.max(axis=1), [2.2, 1.2])
    np.testing.assert_allclose(ax.get_xlim(), (-0.2, 2.2))
    np.testing.assert_allclose(ax.get_ylim(), (-1.2, 1.2))


def test_boundary_zero_range_gets_unit_margin(ax):
    X = np.array([[1.0, 1.0], [3.0, 3.0]])
    Y = np.array([[0.0, 1.0]])
    plot_decision_boundary(_xor_predict, X, Y, ax=ax, resolution=5)
    np.testing.assert_allclose(ax.get_xlim(), (0.5, 1.5))
    np.testing.assert_allclose(ax.get_ylim(), (2.5, 3.5))


def test_boundary_threshold_at_half(ax):
    X, Y = xor(m=20)
    plot_decision_boundary(lambda P: np.full((1, P.shape[1]), 0.5), X, Y, ax=ax, resolution=10)
    band_sizes = [len(path.vertices) for path in ax.collections[0].get_paths()]
    assert band_sizes[0] == 0, "an output of exactly 0.5 must be class 1"
    assert band_sizes[1] > 0
    ax.figure.canvas.draw()


def test_boundary_multiclass_argmax(ax):
    X, Y = spirals(m_per_class=20, n_classes=3)

    def predict(points):
        # Class 2 wins everywhere.
        return np.vstack([np.full(points.shape[1], value) for value in (0.2, 0.3, 0.5)])

    plot_decision_boundary(predict, X, Y, ax=ax, resolution=15)
    regions = ax.collections[0]
    np.testing.assert_allclose(regions.levels, [-0.5, 0.5, 1.5, 2.5])
    band_sizes = [len(path.vertices) for path in regions.get_paths()]
    assert band_sizes[0] == 0
    assert band_sizes[1] == 0
    assert band_sizes[2] > 0
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(s.get_offsets()) for s in scatters] == [20, 20, 20]
    ax.figure.canvas.draw()


def test_boundary_two_rows_binary_labels(ax):
    X, Y = xor(m=20)

    def predict(points):
        probability = _xor_predict(points)
        return np.vstack([1.0 - probability, probability])

    plot_decision_boundary(predict, X, Y, ax=ax, resolution=10)
    assert _legend_texts(ax) == ["class 0", "class 1"]


def test_boundary_missing_class_skipped(ax):
    X = np.array([[0.0, 1.0], [0.0, 1.0]])
    Y = np.array([[1.0, 1.0]])
    plot_decision_boundary(_xor_predict, X, Y, ax=ax, resolution=5)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 1
    assert _legend_texts(ax) == ["class 1"]


def test_boundary_many_classes_distinct_colours(ax):
    X, Y = spirals(m_per_class=3, n_classes=12)
    plot_decision_boundary(lambda P: np.eye(12)[:, np.zeros(P.shape[1], int)], X, Y, ax=ax, resolution=5)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    colours = {tuple(s.get_facecolor()[0]) for s in scatters}
    assert len(colours) == 12


def test_boundary_new_figure_without_ax():
    X, Y = xor(m=20)
    created = plot_decision_boundary(_xor_predict, X, Y, resolution=10)
    try:
        assert created.figure.number in plt.get_fignums()
        assert isinstance(created.collections[0], ContourSet)
    finally:
        plt.close(created.figure)


@pytest.mark.parametrize(
    ("predict", "X", "Y", "kwargs", "pattern"),
    [
        ("model", np.zeros((2, 3)), np.zeros((1, 3)), {}, r"predict must be a function .* got 'model'"),
        (_xor_predict, np.zeros((3, 4)), np.zeros((1, 4)), {}, r"X must have 2 rows .*\(3, 4\)"),
        (_xor_predict, np.zeros((2, 4)), np.zeros((1, 3)), {}, r"same number of columns .*\(1, 3\)"),
        (_xor_predict, np.zeros((2, 4)), np.zeros((1, 4)), {"resolution": 1}, r"resolution must be at least 2"),
        (_xor_predict, np.zeros((2, 4)), np.zeros((1, 4)), {"resolution": 0}, r"resolution must be a positive"),
        (_xor_predict, np.zeros((2, 4)), np.zeros((1, 4)), {"ax": "axes"}, r"ax must be a matplotlib Axes"),
        (
            lambda P: P[0],
            np.zeros((2, 4)),
            np.zeros((1, 4)),
            {"resolution": 3},
            r"predict must map input of shape \(2, 9\) .* got shape \(9,\); .*reshape\(1, -1\)",
        ),
        (
            lambda P: P.T,
            np.zeros((2, 4)),
            np.zeros((1, 4)),
            {"resolution": 3},
            r"got shape \(9, 2\)",
        ),
        (
            lambda P: np.full((1, P.shape[1]), np.nan),
            np.zeros((2, 4)),
            np.zeros((1, 4)),
            {"resolution": 3},
            r"predict returned NaN or infinite values",
        ),
        (
            lambda P: [["a"] * P.shape[1]],
            np.zeros((2, 4)),
            np.zeros((1, 4)),
            {"resolution": 3},
            r"predict must return a numeric array",
        ),
        (
            lambda P: np.ones((3, P.shape[1])),
            np.zeros((2, 4)),
            np.zeros((1, 4)),
            {"resolution": 3},
            r"3 rows \(3 classes\) but Y has shape \(1, 4\) \(2 classes\)",
        ),
    ],
)
def test_boundary_bad_arguments(predict, X, Y, kwargs, pattern):
    before = set(plt.get_fignums())
    with pytest.raises(ValueError, match=pattern):
        plot_decision_boundary(predict, X, Y, **kwargs)
    assert set(plt.get_fignums()) == before, "a failed call must not leave a new figure open"
