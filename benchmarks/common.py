"""Timing and machine description shared by the benchmark scripts.

Every script compares two or more callables. They are timed in turns (A, B,
A, B, ...) rather than one after the other, so a slow change of load from
other processes hits all of them alike, and the median of the repetitions is
kept. On Linux each sample also measures how much CPU time other processes
(and the hypervisor, as steal time) took while it ran, from /proc/stat and
/proc/self/stat. A sample during which they took more than
MAX_FOREIGN_SHARE of the machine is taken again, up to RETAKES times.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"

# A sample is disturbed when other processes used more than this share of all cores while it ran.
MAX_FOREIGN_SHARE = 0.1
RETAKES = 5
CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

# Counts over the whole run, for the report that each script prints at its end.
disturbance = {"samples": 0, "retaken": 0, "kept_disturbed": 0}


def calls_per_sample(function: Callable[[], object], min_seconds: float) -> int:
    """Return how many calls of ``function`` take at least ``min_seconds`` (at least 1)."""
    function()  # warm-up: first-call allocations and lazy imports
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            function()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return calls
        calls = max(calls * 2, int(calls * min_seconds / max(elapsed, 1e-9)) + 1)


def cpu_ticks() -> tuple[int, int] | None:
    """Return the busy clock ticks of the whole machine and of this process, or None without /proc."""
    try:
        machine = Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()[1:]
        own = Path("/proc/self/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in machine[:8])
    # The fields after the command name start at field 3, so utime (14) and stime (15) are at 11 and 12.
    return user + nice + system + irq + softirq + steal, int(own[11]) + int(own[12])


def timed_sample(function: Callable[[], object], calls: int) -> tuple[float, float]:
    """Run ``function`` ``calls`` times; return seconds per call and the share of CPU that others took.

    The share is the CPU time used by other processes during the loop divided
    by the time all cores had, less one clock tick, because /proc counts in
    ticks (10 ms on most Linux systems). It is 0 where /proc is missing.
    """
    before = cpu_ticks()
    start = time.perf_counter()
    for _ in range(calls):
        function()
    elapsed = time.perf_counter() - start
    after = cpu_ticks()
    if before is None or after is None:
        return elapsed / calls, 0.0

    foreign_ticks = (after[0] - before[0]) - (after[1] - before[1])
    capacity_ticks = elapsed * CLOCK_TICKS_PER_SECOND * (os.cpu_count() or 1)
    return elapsed / calls, max(foreign_ticks - 1, 0) / capacity_ticks


def interleaved_samples(
    candidates: dict[str, Callable[[], object]],
    repeats: int = 7,
    min_seconds: float = 0.05,
    pause: float = 0.0,
) -> dict[str, list[float]]:
    """Time the candidates in turns and return each one's seconds per call, one value per repetition.

    Each repetition takes one sample of every candidate. A sample is a loop of
    as many calls as fill ``min_seconds``, counted once per candidate before
    timing starts. The order rotates from one repetition to the next, so no
    candidate always runs right after the same other one. ``pause`` seconds of
    sleep before each sample let worker threads of a BLAS or OpenMP runtime
    stop spinning before another library's sample starts. A disturbed sample
    is taken again after a short sleep; when every retake is disturbed too,
    the least disturbed one is kept and counted in :data:`disturbance`.
    """
    names = list(candidates)
    calls = {name: calls_per_sample(candidates[name], min_seconds) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}

    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(clean_sample(candidates[name], calls[name], pause))

    return samples


def clean_sample(function: Callable[[], object], calls: int, pause: float) -> float:
    """Return seconds per call from the first sample that other processes did not disturb."""
    disturbance["samples"] += 1
    attempts = []
    for attempt in range(RETAKES + 1):
        if pause:
            time.sleep(pause)
        seconds, foreign_share = timed_sample(function, calls)
        if foreign_share <= MAX_FOREIGN_SHARE:
            return seconds
        attempts.append((foreign_share, seconds))
        if attempt < RETAKES:
            disturbance["retaken"] += 1
            time.sleep(0.2)

    disturbance["kept_disturbed"] += 1
    return min(attempts)[1]


def interleaved_medians(
    candidates: dict[str, Callable[[], object]],
    repeats: int = 7,
    min_seconds: float = 0.05,
    pause: float = 0.0,
) -> dict[str, float]:
    """Return each candidate's median seconds per call from :func:`interleaved_samples`."""
    samples = interleaved_samples(candidates, repeats, min_seconds, pause)
    return {name: statistics.median(values) for name, values in samples.items()}


def paired_ratio(samples: dict[str, list[float]], numerator: str, denominator: str) -> float:
    """Return the median over repetitions of numerator time / denominator time.

    The two samples of one repetition ran moments apart, so a change of load
    between repetitions cancels in their ratio.
    """
    return statistics.median(a / b for a, b in zip(samples[numerator], samples[denominator]))


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo, or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_description() -> str:
    """Return the BLAS that NumPy was built with, its version and, when known, threads and kernel."""
    config = np.show_config(mode="dicts")
    blas = config.get("Build Dependencies", {}).get("blas", {})
    text = f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return text + " (install threadpoolctl to see its threads and kernel)"
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            return f"{text}, {pool.get('num_threads')} threads, {pool.get('architecture', '?')} kernel"
    return text


def machine_summary() -> dict[str, object]:
    """Describe the machine and the load on it right now."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_description(),
        "load_average_1_5_15_min": [round(value, 2) for value in os.getloadavg()],
    }


def print_machine(summary: dict[str, object]) -> None:
    """Print a machine description as ``key: value`` lines."""
    for key, value in summary.items():
        print(f"# {key}: {value}")
    sys.stdout.flush()


def disturbance_line() -> str:
    """Return how many samples were taken, retaken and kept although disturbed, as one line."""
    return (
        f"samples: {disturbance['samples']}, retaken because other processes used over "
        f"{MAX_FOREIGN_SHARE:.0%} of the CPU: {disturbance['retaken']}, "
        f"kept although disturbed after {RETAKES} retakes: {disturbance['kept_disturbed']}"
    )


def save_json(name: str, payload: dict[str, object]) -> Path:
    """Write ``payload`` to ``results/<name>.json`` and return the path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return path
