"""Compare MLP.gradients (forward + backward) with MLP.forward on the same batch.

Every layer has the same width n, so with L layers the forward pass does L
products of an (n, n) matrix by an (n, m) batch and gradients does 3L − 1 of
that size: L forward, L for dW[l] = δ[l] a[l-1]ᵀ and L − 1 for W[l]ᵀ δ[l]
(the input layer needs no δ[0]). Where those products dominate, the ratio
approaches (3L − 1)/L, between 2.5 for L = 2 and 2.875 for L = 8.

Usage: python benchmarks/bench_gradients_vs_forward.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from common import (
    disturbance,
    disturbance_line,
    interleaved_samples,
    machine_summary,
    paired_ratio,
    print_machine,
    save_json,
)

from backprop_lib import MLP

DEPTHS = (2, 4, 8)
WIDTHS = (32, 128, 256, 1024)
BATCHES = (1, 32, 256, 1024)
QUICK_WIDTHS = (32, 1024)
QUICK_BATCHES = (1, 1024)


def measure(depth: int, width: int, batch: int, repeats: int) -> dict[str, float]:
    """Return median seconds of forward and gradients, and the median of their paired ratios, for one shape."""
    rng = np.random.default_rng(0)
    net = MLP([width] * (depth + 1), hidden_activation="relu", output_activation="identity", loss="mse")
    X = rng.standard_normal((width, batch))
    Y = rng.standard_normal((width, batch))
    samples = interleaved_samples(
        {"forward": lambda: net.forward(X), "gradients": lambda: net.gradients(X, Y)},
        repeats=repeats,
    )
    return {
        "depth": depth,
        "width": width,
        "batch": batch,
        "forward_s": statistics.median(samples["forward"]),
        "gradients_s": statistics.median(samples["gradients"]),
        "ratio": paired_ratio(samples, "gradients", "forward"),
        "product_ratio": (3 * depth - 1) / depth,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="measure only the corner shapes")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved repetitions per shape (default 7)")
    args = parser.parse_args()
    widths = QUICK_WIDTHS if args.quick else WIDTHS
    batches = QUICK_BATCHES if args.quick else BATCHES

    summary = machine_summary()
    print_machine(summary)
    print("gradients / forward: median of the ratios of interleaved samples; relu hidden, identity output, mse, float64")

    rows = []
    for depth in DEPTHS:
        print(f"\nL = {depth}, (3L-1)/L = {(3 * depth - 1) / depth:.3f}")
        print("width \\ batch " + "".join(f"{batch:>16}" for batch in batches))
        for width in widths:
            cells = []
            for batch in batches:
                row = measure(depth, width, batch, args.repeats)
                rows.append(row)
                cells.append(f"{row['ratio']:5.2f} ({row['forward_s'] * 1e3:7.3f} ms)")
            print(f"{width:>13} " + "".join(f"{cell:>16}" for cell in cells), flush=True)

    summary["load_average_after"] = machine_summary()["load_average_1_5_15_min"]
    summary["disturbance"] = dict(disturbance)
    print(f"\n# {disturbance_line()}")
    path = save_json("gradients_vs_forward", {"machine": summary, "rows": rows})
    print(f"\nCells are ratio (forward time). Saved {path}")


if __name__ == "__main__":
    main()
