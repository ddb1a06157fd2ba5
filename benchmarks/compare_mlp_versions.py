"""Compare the working tree's MLP with backprop_lib/mlp.py at an earlier git revision.

The old file is read with ``git show REV:backprop_lib/mlp.py`` and imported
as a module of backprop_lib, so both versions share the activations, losses
and checks of the working tree. The script first confirms that both compute
bit-identical gradients and training histories, then times them in turns
and measures the peak memory of one gradients() call.

Usage: python benchmarks/compare_mlp_versions.py REV    (for example 8938c2a)
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
from common import disturbance_line, interleaved_medians, machine_summary, print_machine

import backprop_lib
from backprop_lib.mlp import MLP

ROOT = Path(__file__).resolve().parent.parent
GRADIENT_CASES = (("relu", 1024, 512), ("sigmoid", 1024, 512), ("sigmoid", 64, 16))
FIT_CASES = (([2, 8, 1], 4, 300), ([64, 128, 128, 10], 256, 20))


def load_old_mlp(revision: str) -> type:
    """Return the MLP class of backprop_lib/mlp.py at ``revision``."""
    source = subprocess.run(
        ["git", "show", f"{revision}:backprop_lib/mlp.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="old-mlp-"))
    path = folder / "mlp_old.py"
    path.write_text(source, encoding="utf-8")
    # A name inside the package lets the file's relative imports (from . import ...) resolve.
    spec = importlib.util.spec_from_file_location(f"{backprop_lib.__name__}.mlp_old", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MLP


def peak_bytes(function) -> int:
    """Return the peak bytes traced by tracemalloc while ``function`` runs."""
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def check_identical(old_class: type) -> None:
    """Raise AssertionError unless both versions give the same gradients and fit histories, bit for bit."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((5, 40))
    Y = np.eye(3)[:, rng.integers(0, 3, 40)]
    for hidden in ("sigmoid", "tanh", "relu", "identity"):
        for output, loss in (("sigmoid", "mse"), ("identity", "mse"), ("softmax", "cross_entropy")):
            for batch_size in (None, 7):
                new = MLP([5, 7, 6, 3], hidden, output, loss, seed=3)
                old = old_class([5, 7, 6, 3], hidden, output, loss, seed=3)
                new_history = new.fit(X, Y, epochs=30, learning_rate=0.3, batch_size=batch_size, seed=2)
                old_history = old.fit(X, Y, epochs=30, learning_rate=0.3, batch_size=batch_size, seed=2)
                # A diverging run ends its history with NaN, which equals nothing, so compare as arrays.
                assert np.array_equal(new_history, old_history, equal_nan=True), (hidden, output, loss, batch_size)
                new_dW, new_db = new.gradients(X, Y)
                old_dW, old_db = old.gradients(X, Y)
                for new_grad, old_grad in zip(new_dW + new_db, old_dW + old_db):
                    assert np.array_equal(new_grad, old_grad, equal_nan=True), (hidden, output, loss, batch_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="git revision of the old backprop_lib/mlp.py, for example 8938c2a")
    args = parser.parse_args()

    old_class = load_old_mlp(args.revision)
    check_identical(old_class)
    print_machine(machine_summary())
    print(f"working tree against {args.revision}: identical gradients and fit histories; times are interleaved medians")

    rng = np.random.default_rng(0)
    for activation, width, batch in GRADIENT_CASES:
        X = rng.standard_normal((width, batch))
        Y = rng.standard_normal((width, batch))
        new = MLP([width] * 5, activation, "identity")
        old = old_class([width] * 5, activation, "identity")
        medians = interleaved_medians({"new": lambda: new.gradients(X, Y), "old": lambda: old.gradients(X, Y)})
        print(
            f"gradients, {activation}, width {width}, batch {batch}, L = 4: old {medians['old'] * 1e3:.3f} ms, "
            f"new {medians['new'] * 1e3:.3f} ms ({medians['new'] / medians['old']:.2f}x); peak "
            f"{peak_bytes(lambda: old.gradients(X, Y)) / 2**20:.1f} -> {peak_bytes(lambda: new.gradients(X, Y)) / 2**20:.1f} MiB",
            flush=True,
        )

    for sizes, batch, epochs in FIT_CASES:
        X = rng.standard_normal((sizes[0], batch))
        Y = rng.uniform(0.1, 0.9, (sizes[-1], batch))

        def fit_new(sizes=sizes, X=X, Y=Y, epochs=epochs):
            MLP(sizes, "tanh", "sigmoid", seed=0).fit(X, Y, epochs=epochs, learning_rate=0.1)

        def fit_old(sizes=sizes, X=X, Y=Y, epochs=epochs):
            old_class(sizes, "tanh", "sigmoid", seed=0).fit(X, Y, epochs=epochs, learning_rate=0.1)

        medians = interleaved_medians({"new": fit_new, "old": fit_old})
        print(
            f"fit, full batch, {sizes}, m = {batch}, {epochs} epochs: old {medians['old'] * 1e3:.1f} ms, "
            f"new {medians['new'] * 1e3:.1f} ms ({medians['new'] / medians['old']:.2f}x)",
            flush=True,
        )
    print(f"\n# {disturbance_line()}")


if __name__ == "__main__":
    sys.exit(main())
