"""Compare backpropagation with the numerical gradient as the parameter count P grows.

backprop_lib.gradcheck evaluates the loss twice per parameter (centered
differences), so its cost is about 2P forward passes, while MLP.gradients
costs one forward and one backward pass whatever P is. Their ratio should
grow linearly in P. The script counts the loss evaluations to confirm the 2P,
prints the table and saves a log-log plot.

Usage: python benchmarks/bench_gradcheck.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from common import (  # noqa: E402
    RESULTS,
    disturbance,
    disturbance_line,
    interleaved_samples,
    machine_summary,
    paired_ratio,
    print_machine,
    save_json,
)

from backprop_lib import MLP, gradcheck  # noqa: E402

INPUTS, OUTPUTS, BATCH = 8, 4, 16
HIDDEN_WIDTHS = (2, 4, 8, 16, 24, 32, 48, 64)
QUICK_HIDDEN_WIDTHS = (2, 8, 32)


class CountingMLP(MLP):
    """An MLP that counts its loss evaluations in a class attribute, so deep copies count too."""

    loss_calls = 0

    def loss(self, X, Y):
        type(self).loss_calls += 1
        return super().loss(X, Y)


def measure(hidden: int, repeats: int) -> dict[str, float]:
    """Return the parameter count, loss evaluations and median times for one [8, h, h, 4] network."""
    rng = np.random.default_rng(0)
    net = CountingMLP([INPUTS, hidden, hidden, OUTPUTS], hidden_activation="tanh", output_activation="identity")
    X = rng.standard_normal((INPUTS, BATCH))
    Y = rng.standard_normal((OUTPUTS, BATCH))
    parameters = sum(W.size for W in net.weights) + sum(b.size for b in net.biases)

    CountingMLP.loss_calls = 0
    report = gradcheck(net, X, Y)
    loss_calls = CountingMLP.loss_calls
    if not report.passed:
        raise RuntimeError(f"gradcheck failed for hidden width {hidden}:\n{report}")

    samples = interleaved_samples(
        {"backprop": lambda: net.gradients(X, Y), "gradcheck": lambda: gradcheck(net, X, Y)},
        repeats=repeats,
        min_seconds=0.02,
    )
    return {
        "hidden": hidden,
        "parameters": parameters,
        "loss_calls": loss_calls,
        "backprop_s": statistics.median(samples["backprop"]),
        "gradcheck_s": statistics.median(samples["gradcheck"]),
        "ratio": paired_ratio(samples, "gradcheck", "backprop"),
    }


def plot(rows: list[dict[str, float]], slope: float, path) -> None:
    """Save a log-log plot of the time ratio against P, with a slope-1 line c·P for comparison."""
    parameters = np.array([row["parameters"] for row in rows], dtype=float)
    ratios = np.array([row["ratio"] for row in rows])
    per_parameter = np.median(ratios / parameters)

    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    axes.loglog(parameters, ratios, "o-", label="measured: gradcheck time / gradients time")
    axes.loglog(parameters, per_parameter * parameters, "--", color="gray", label=f"{per_parameter:.2f} · P (slope 1)")
    axes.set_xlabel("parameters P")
    axes.set_ylabel("time ratio")
    axes.set_title(f"Numerical vs backprop gradient, [{INPUTS}, h, h, {OUTPUTS}], m = {BATCH}\nfitted slope {slope:.2f}")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="measure three network sizes only")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repetitions per size (default 5)")
    args = parser.parse_args()

    summary = machine_summary()
    print_machine(summary)
    print(f"[{INPUTS}, h, h, {OUTPUTS}] network, tanh hidden, identity output, mse, batch {BATCH}, float64")
    print(f"{'h':>5} {'P':>7} {'loss calls':>11} {'gradients':>12} {'gradcheck':>12} {'ratio':>9} {'ratio/P':>8}")

    rows = []
    for hidden in QUICK_HIDDEN_WIDTHS if args.quick else HIDDEN_WIDTHS:
        row = measure(hidden, args.repeats)
        rows.append(row)
        print(
            f"{row['hidden']:>5} {row['parameters']:>7} {row['loss_calls']:>11} "
            f"{row['backprop_s'] * 1e3:9.3f} ms {row['gradcheck_s'] * 1e3:9.1f} ms "
            f"{row['ratio']:9.0f} {row['ratio'] / row['parameters']:8.2f}",
            flush=True,
        )

    # Slope of log(ratio) against log(P): 1 means the ratio grows linearly in P.
    slope = float(np.polyfit(np.log([r["parameters"] for r in rows]), np.log([r["ratio"] for r in rows]), 1)[0])
    print(f"\nlog-log slope of ratio against P: {slope:.3f}")

    # The plot goes where docs/benchmarks.md shows it, so a new run replaces the figure there.
    plot_path = RESULTS.parent.parent / "docs" / "images" / "gradcheck_ratio.png"
    plot_path.parent.mkdir(parents=True, exist_ok=True)
    plot(rows, slope, plot_path)
    summary["load_average_after"] = machine_summary()["load_average_1_5_15_min"]
    summary["disturbance"] = dict(disturbance)
    print(f"\n# {disturbance_line()}")
    path = save_json("gradcheck", {"machine": summary, "rows": rows, "loglog_slope": slope})
    print(f"Saved {path} and {plot_path}")


if __name__ == "__main__":
    main()
