"""Time the course: each solution notebook's execution and one grading of each assignment.

Executing a notebook costs a kernel start plus the notebook's own code. The
kernel start is measured on a one-cell notebook that runs ``pass``. The
notebook's own code time is the sum of its cells' execution times, from the
timestamps that nbclient records in each cell's metadata.

Grading (``backprop-course check``) runs nbgrader several times in fresh
processes. The script reads the phase boundaries from the ``-v`` log, whose
timestamps have one-second resolution, and also times the import that every
nbgrader process pays before it starts work.

Usage: python benchmarks/bench_notebooks.py [--skip-grading] [ASSIGNMENT ...]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from common import machine_summary, print_machine, save_json
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
CLI = Path(sys.executable).parent / "backprop-course"
KERNEL_STARTS = 3
LOG_LINE = re.compile(r"^(\d\d:\d\d:\d\d) (?:DEBUG|INFO) (.*)$")


def execute(notebook: nbformat.NotebookNode, folder: Path) -> tuple[float, list[float]]:
    """Execute ``notebook`` in ``folder``; return the wall seconds and each code cell's seconds."""
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    start = time.perf_counter()
    # The kernel's own stderr only repeats a warning about unencrypted local TCP.
    client.execute(stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start

    cell_seconds = []
    for cell in notebook.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.status.busy" in timing and "shell.execute_reply" in timing:
            busy = datetime.fromisoformat(timing["iopub.status.busy"].replace("Z", "+00:00"))
            reply = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            cell_seconds.append((reply - busy).total_seconds())
    return wall, cell_seconds


def kernel_start_seconds(repeats: int) -> float:
    """Return the median wall time to execute a notebook whose one cell is ``pass``."""
    empty = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
    times = [execute(nbformat.from_dict(empty), ROOT)[0] for _ in range(repeats)]
    return statistics.median(times)


def import_seconds(statement: str, block_rfc3987_syntax: bool = False) -> float:
    """Return the wall time of a fresh Python process that runs ``statement``.

    With ``block_rfc3987_syntax`` the process cannot import rfc3987_syntax,
    which jsonschema then skips (it only adds the "iri" format check).
    """
    prelude = "import sys; sys.modules['rfc3987_syntax'] = None; " if block_rfc3987_syntax else ""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", prelude + statement], check=True)
    return time.perf_counter() - start


def _phase_name(message: str) -> str:
    """Name the nbgrader commands of one "running ..." log line, for example "generate_assignment + autograde"."""
    arguments = message.split("_nbgrader_main", 1)[1].split(" in ", 1)[0].split()
    if arguments[0] != "--steps":
        return arguments[0] + (" --no-execute" if "--no-execute" in arguments else "")
    steps = json.loads(" ".join(arguments[1:]))
    return " + ".join(step[0] + (" --no-execute" if "--no-execute" in step else "") for step in steps)


def grade_phases(notebook: Path) -> dict[str, object]:
    """Run ``backprop-course -v check`` on ``notebook``; return its wall time, score and phase times."""
    start = time.perf_counter()
    result = subprocess.run([str(CLI), "-v", "check", str(notebook)], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"check failed on {notebook} (exit {result.returncode}):\n{result.stderr[-2000:]}")

    # Each "running ... <nbgrader command> <assignment>" line starts a phase, and the "graded" line ends the last one.
    events: list[tuple[datetime, str]] = []
    for line in result.stderr.splitlines():
        match = LOG_LINE.match(line)
        if not match:
            continue
        stamp = datetime.strptime(match.group(1), "%H:%M:%S")
        message = match.group(2)
        if message.startswith("running ") and "_nbgrader_main" in message:
            events.append((stamp, _phase_name(message)))
        elif message.startswith("graded "):
            events.append((stamp, "end"))
    phases = [(name, (events[k + 1][0] - stamp).total_seconds()) for k, (stamp, name) in enumerate(events[:-1])]
    # Before its first nbgrader process, check starts, reads and screens the notebook.
    phases.insert(0, ("start", wall - sum(seconds for _, seconds in phases)))
    score = next((line for line in result.stdout.splitlines() if line.startswith("score:")), "score: ?")
    return {"wall_s": wall, "score": score, "phases": phases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignment names (default: every folder in solutions/)")
    parser.add_argument("--skip-grading", action="store_true", help="time notebook execution only")
    args = parser.parse_args()
    assignments = args.assignments or sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").is_file())

    summary = machine_summary()
    print_machine(summary)

    imports = {
        "python -c pass": import_seconds("pass"),
        "import nbformat": import_seconds("import nbformat"),
        "import nbformat, without rfc3987_syntax": import_seconds("import nbformat", block_rfc3987_syntax=True),
        "import nbgrader.apps": import_seconds("import nbgrader.apps"),
        "import nbgrader.apps, without rfc3987_syntax": import_seconds("import nbgrader.apps", block_rfc3987_syntax=True),
    }
    print("\nfresh-process import times")
    for name, seconds in imports.items():
        print(f"  {name:<46} {seconds:6.2f} s")

    kernel_start = kernel_start_seconds(KERNEL_STARTS)
    print(f"\nkernel start, stop and one 'pass' cell (median of {KERNEL_STARTS}): {kernel_start:.2f} s")
    print(f"\n{'assignment':<26} {'execute':>8} {'cells':>7} {'slowest code cell':>17} {'grade':>7}  {'score':<14} grading phases (s)")

    rows = []
    for assignment in assignments:
        path = SOLUTIONS / assignment / f"{assignment}.ipynb"
        wall, cell_seconds = execute(nbformat.read(path, as_version=4), path.parent)
        cells = sum(cell_seconds)
        slowest = max(range(len(cell_seconds)), key=cell_seconds.__getitem__)
        row: dict[str, object] = {
            "assignment": assignment,
            "execute_s": wall,
            "cells_s": cells,
            "cell_seconds": cell_seconds,
        }
        line = f"{assignment:<26} {wall:6.2f} s {cells:5.2f} s {cell_seconds[slowest]:5.2f} s (#{slowest + 1:<2})"
        if not args.skip_grading:
            grading = grade_phases(path)
            row.update(grading)
            phases = ", ".join(f"{name} {seconds:.0f}" for name, seconds in grading["phases"])
            line += f" {grading['wall_s']:5.1f} s  {grading['score']:<14} {phases}"
        rows.append(row)
        print(line, flush=True)

    summary["load_average_after"] = machine_summary()["load_average_1_5_15_min"]
    path = save_json(
        "notebooks", {"machine": summary, "imports_s": imports, "kernel_start_s": kernel_start, "rows": rows}
    )
    print(
        "\nexecute = wall time with kernel start; cells = sum of the code cells' own execution times;"
        "\nslowest code cell = its time and its number among the code cells."
        "\ngrading phases: start = before the first nbgrader process (CLI start and screening), then the seconds"
        "\nfrom one logged nbgrader process to the next (1 s resolution)."
        f"\nSaved {path}"
    )


if __name__ == "__main__":
    main()
