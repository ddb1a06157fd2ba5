"""Compare one training step of the reference MLP with its matrix products alone.

A step is ``net.gradients(X, Y)`` followed by ``net.sgd_step``. The baseline
runs only the 3L − 1 products of the same shapes, W[l] a[l-1], δ[l] a[l-1]ᵀ
and W[l]ᵀ δ[l], through the same transposed views and into preallocated
outputs, so it is the BLAS time with nothing else. The fraction
baseline / step is the share of the machine's matrix-product speed that the
step reaches. The script also times the pieces of a step (input checks,
forward, backward, update) and the peak memory that a step allocates.

Usage: python benchmarks/bench_training_step.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import tracemalloc
from collections.abc import Callable

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
from backprop_lib import _validation as check

DEPTH = 4
LEARNING_RATE = 1e-3
SHAPES = ((1024, 512), (256, 64), (64, 16))
QUICK_SHAPES = ((1024, 512),)
ACTIVATIONS = ("relu", "tanh", "sigmoid")


def matmul_baseline(net: MLP, X: np.ndarray) -> Callable[[], None]:
    """Return a function that runs the step's 3L − 1 products into preallocated arrays."""
    L = net.num_layers
    m = X.shape[1]
    activations = [X] + [np.ones((n, m)) for n in net.layer_sizes[1:]]
    deltas = [np.ones((n, m)) for n in net.layer_sizes[1:]]
    products_forward = [np.empty((n, m)) for n in net.layer_sizes[1:]]
    products_dW = [np.empty_like(W) for W in net.weights]
    products_back = [np.empty((n, m)) for n in net.layer_sizes[:-1]]

    def run() -> None:
        for l in range(1, L + 1):
            np.matmul(net.weights[l - 1], activations[l - 1], out=products_forward[l - 1])
        for l in range(L, 0, -1):
            np.matmul(deltas[l - 1], activations[l - 1].T, out=products_dW[l - 1])
            if l > 1:
                np.matmul(net.weights[l - 1].T, deltas[l - 1], out=products_back[l - 1])

    return run


def peak_step_memory(net: MLP, X: np.ndarray, Y: np.ndarray) -> int:
    """Return the peak bytes that NumPy allocates during one training step (tracemalloc)."""
    tracemalloc.start()
    dW, db = net.gradients(X, Y)
    net.sgd_step(dW, db, LEARNING_RATE)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def measure(activation: str, width: int, batch: int, repeats: int) -> dict[str, object]:
    """Time a step, its pieces and the matmul baseline for one activation and shape."""
    rng = np.random.default_rng(0)
    net = MLP([width] * (DEPTH + 1), hidden_activation=activation, output_activation="identity", loss="mse")
    X = rng.standard_normal((width, batch))
    Y = rng.standard_normal((width, batch))
    zs, activations = net.forward_with_cache(X)
    dW, db = net.gradients(X, Y)

    def step() -> None:
        gradients_W, gradients_b = net.gradients(X, Y)
        net.sgd_step(gradients_W, gradients_b, LEARNING_RATE)

    # The step and its baseline alternate on their own, so that each pair of samples is close in time.
    samples = interleaved_samples({"step": step, "matmuls": matmul_baseline(net, X)}, repeats=repeats)
    pieces = interleaved_samples(
        {
            "check X and Y": lambda: (check.as_float_matrix("X", X), check.as_float_matrix("Y", Y)),
            "forward": lambda: net._forward_unchecked(X),
            "backward": lambda: net._backward(zs, activations, Y),
            "sgd_step": lambda: net.sgd_step(dW, db, LEARNING_RATE),
        },
        repeats=max(3, repeats // 2),
    )
    medians = {name: statistics.median(values) for name, values in (samples | pieces).items()}
    products = 3 * DEPTH - 1
    flops = products * 2.0 * width * width * batch
    cache_bytes = sum(z.nbytes for z in zs) + sum(a.nbytes for a in activations[1:])
    gradient_bytes = sum(g.nbytes for g in dW + db)
    return {
        "activation": activation,
        "width": width,
        "batch": batch,
        "depth": DEPTH,
        "medians_s": medians,
        "fraction": paired_ratio(samples, "matmuls", "step"),
        "matmul_gflops": flops / medians["matmuls"] / 1e9,
        "step_gflops": flops / medians["step"] / 1e9,
        "examples_per_s": batch / medians["step"],
        "peak_step_bytes": peak_step_memory(net, X, Y),
        "cache_and_gradient_bytes": cache_bytes + gradient_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="measure width 1024, batch 512 only")
    parser.add_argument("--repeats", type=int, default=9, help="interleaved repetitions of step and baseline per case (default 9)")
    args = parser.parse_args()

    summary = machine_summary()
    print_machine(summary)
    print(f"L = {DEPTH} layers of equal width, identity output, mse, float64; times are medians per call")

    rows = []
    for width, batch in QUICK_SHAPES if args.quick else SHAPES:
        print(f"\nwidth {width}, batch {batch}")
        print(
            f"{'hidden':>8} {'matmuls':>10} {'step':>10} {'fraction':>9} {'GFLOP/s':>8} {'examples/s':>11}"
            f" {'checks':>8} {'forward':>9} {'backward':>9} {'sgd_step':>9} {'peak MiB':>9} {'needed MiB':>10}"
        )
        for activation in ACTIVATIONS:
            row = measure(activation, width, batch, args.repeats)
            rows.append(row)
            t = row["medians_s"]
            print(
                f"{activation:>8} {t['matmuls'] * 1e3:7.2f} ms {t['step'] * 1e3:7.2f} ms {row['fraction']:8.1%}"
                f" {row['step_gflops']:8.1f} {row['examples_per_s']:11.0f}"
                f" {t['check X and Y'] * 1e3:5.2f} ms {t['forward'] * 1e3:6.2f} ms {t['backward'] * 1e3:6.2f} ms"
                f" {t['sgd_step'] * 1e3:6.2f} ms {row['peak_step_bytes'] / 2**20:9.1f}"
                f" {row['cache_and_gradient_bytes'] / 2**20:10.1f}",
                flush=True,
            )

    summary["load_average_after"] = machine_summary()["load_average_1_5_15_min"]
    summary["disturbance"] = dict(disturbance)
    print(f"\n# {disturbance_line()}")
    path = save_json("training_step", {"machine": summary, "rows": rows})
    print(
        "\nfraction = median of matmuls / step over interleaved repetitions. checks = as_float_matrix on X and Y, as gradients() runs them."
        "\npeak MiB = tracemalloc peak of one step; needed MiB = the caches z, a and the gradients it returns."
        f"\nSaved {path}"
    )


if __name__ == "__main__":
    main()
