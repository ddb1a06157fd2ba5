"""What a grading run writes and shows: grade files, the summary, histograms and progress."""

from __future__ import annotations

import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .grade_results import AssignmentResult


def write_grade_files(out: Path, results: list[AssignmentResult]) -> None:
    """Write grades.csv and grades_by_exercise.csv, each replaced atomically."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv_atomically(
        out / "grades.csv",
        ["student_id", "assignment", "score", "max_score"],
        [[r.student_id, r.assignment, _number(r.score), _number(r.max_score)] for r in results],
    )
    write_csv_atomically(
        out / "grades_by_exercise.csv",
        ["student_id", "assignment", "exercise", "points", "max_points", "feedback"],
        [
            [
                r.student_id,
                r.assignment,
                e.exercise,
                "" if e.points is None else _number(e.points),
                _number(e.max_points),
                e.feedback,
            ]
            for r in results
            for e in r.exercises
        ],
    )


def _number(value: float) -> str:
    return f"{value:g}"


def write_csv_atomically(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write a CSV file to a temporary name in the same folder, then rename it into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def summary_lines(results: list[AssignmentResult]) -> list[str]:
    """One line per assignment: students, mean, median, zeros and problems."""
    lines = [f"{'assignment':<26} {'students':>8} {'mean':>7} {'median':>7} {'max':>5} {'zeros':>6} {'problems':>8}"]
    for assignment in sorted({r.assignment for r in results}):
        group = [r for r in results if r.assignment == assignment]
        scores = [r.score for r in group]
        lines.append(
            f"{assignment:<26} {len(group):>8} {statistics.mean(scores):>7.2f} {statistics.median(scores):>7.2f} "
            f"{group[0].max_score:>5g} {sum(1 for s in scores if s == 0):>6} {sum(1 for r in group if r.problems):>8}"
        )
    return lines


def save_histograms(out: Path, results: list[AssignmentResult]) -> list[Path]:
    """Save one score histogram per assignment as ``out/histograms/<assignment>.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = out / "histograms"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for assignment in sorted({r.assignment for r in results}):
        group = [r for r in results if r.assignment == assignment]
        max_score = group[0].max_score
        figure, axes = plt.subplots(figsize=(5, 3))
        axes.hist([r.score for r in group], bins=[x - 0.5 for x in range(int(max_score) + 2)], edgecolor="black")
        axes.set_xlabel(f"score (out of {max_score:g})")
        axes.set_ylabel("students")
        axes.set_title(assignment)
        figure.tight_layout()
        path = folder / f"{assignment}.png"
        figure.savefig(path, dpi=100)
        plt.close(figure)
        paths.append(path)
    return paths


class Progress:
    """A progress bar on a terminal (students done / total, elapsed, remaining); silent otherwise.

    Log lines report progress when the output is not a terminal.
    """

    def __init__(self, total: int, stream=None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more notebooks as graded and redraw the bar."""
        self.done += count
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        remaining = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        filled = int(30 * self.done / max(self.total, 1))
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} notebooks, "
            f"{elapsed:5.0f} s elapsed, about {remaining:4.0f} s left"
        )
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
