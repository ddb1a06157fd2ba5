"""Compare one forward + backward pass of the reference MLP with PyTorch on the CPU.

Both run the same network: L = 4 layers of equal width, ReLU hidden, identity
output, mse loss L = 1/(2m) Σ ‖a − y‖², examples as columns. The reference
computes in float64 only (its input checks and activations convert to
float64), so it is compared with PyTorch in float64, and PyTorch's float32
time is shown beside it. Before timing, the script checks that both give the
same gradients in float64.

PyTorch is optional: without it the script prints that it is missing and exits 0.

Usage: python benchmarks/bench_torch.py [--quick]
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

DEPTH = 4
SHAPES = ((128, 8), (128, 64), (128, 512), (1024, 8), (1024, 64), (1024, 512))
QUICK_SHAPES = ((128, 64), (1024, 512))
# Seconds of sleep before each timed sample, longer than OpenBLAS and OpenMP worker threads spin after a call.
PAUSE = 0.2


def torch_pass(torch, weights, biases, X, Y):
    """Return a function that runs forward, loss and backward in PyTorch on copies of the reference parameters."""
    m = X.shape[1]
    L = len(weights)

    def run():
        for parameter in weights + biases:
            parameter.grad = None
        a = X
        for l in range(1, L + 1):
            z = torch.addmm(biases[l - 1], weights[l - 1], a)
            a = torch.relu(z) if l < L else z
        loss = torch.sum((a - Y) ** 2) / (2 * m)
        loss.backward()
        return [W.grad for W in weights], [b.grad for b in biases]

    return run


def measure(torch, width: int, batch: int, repeats: int) -> dict[str, float]:
    """Return median seconds of the reference and of PyTorch (float64 and float32), and paired ratios, for one shape."""
    rng = np.random.default_rng(0)
    net = MLP([width] * (DEPTH + 1), hidden_activation="relu", output_activation="identity", loss="mse")
    X = rng.standard_normal((width, batch))
    Y = rng.standard_normal((width, batch))

    passes = {"reference float64": lambda: net.gradients(X, Y)}
    for dtype_name, dtype in (("float64", torch.float64), ("float32", torch.float32)):
        weights = [torch.tensor(W, dtype=dtype, requires_grad=True) for W in net.weights]
        biases = [torch.tensor(b, dtype=dtype, requires_grad=True) for b in net.biases]
        passes[f"torch {dtype_name}"] = torch_pass(
            torch, weights, biases, torch.tensor(X, dtype=dtype), torch.tensor(Y, dtype=dtype)
        )

    dW, db = net.gradients(X, Y)
    torch_dW, torch_db = passes["torch float64"]()
    for ours, theirs in zip(dW + db, torch_dW + torch_db):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-12)

    samples = interleaved_samples(passes, repeats=repeats, pause=PAUSE)
    return {
        "width": width,
        "batch": batch,
        "depth": DEPTH,
        **{f"{name} s": statistics.median(values) for name, values in samples.items()},
        "reference/torch float64": paired_ratio(samples, "reference float64", "torch float64"),
        "reference/torch float32": paired_ratio(samples, "reference float64", "torch float32"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="measure two shapes only")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved repetitions per shape (default 7)")
    args = parser.parse_args()

    try:
        import torch
    except ImportError:
        print("PyTorch is not installed; skipping. Install it with: pip install torch==2.13.0")
        return

    summary = machine_summary()
    summary["torch"] = f"{torch.__version__}, {torch.get_num_threads()} threads, {torch.backends.cpu.get_cpu_capability()}"
    print_machine(summary)
    print(f"one forward + backward, L = {DEPTH}, relu hidden, identity output, mse; medians; ratios are medians of paired samples")
    print(
        f"{'width':>6} {'batch':>6} {'reference f64':>14} {'torch f64':>11} {'torch f32':>11}"
        f" {'ref/torch f64':>14} {'ref/torch f32':>14}"
    )

    rows = []
    for width, batch in QUICK_SHAPES if args.quick else SHAPES:
        row = measure(torch, width, batch, args.repeats)
        rows.append(row)
        print(
            f"{width:>6} {batch:>6} {row['reference float64 s'] * 1e3:11.3f} ms {row['torch float64 s'] * 1e3:8.3f} ms"
            f" {row['torch float32 s'] * 1e3:8.3f} ms {row['reference/torch float64']:14.2f}"
            f" {row['reference/torch float32']:14.2f}",
            flush=True,
        )

    summary["load_average_after"] = machine_summary()["load_average_1_5_15_min"]
    summary["disturbance"] = dict(disturbance)
    print(f"\n# {disturbance_line()}")
    path = save_json("torch", {"machine": summary, "rows": rows})
    print(f"\nSaved {path}")


if __name__ == "__main__":
    main()
