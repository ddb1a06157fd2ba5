"""Grade a synthetic class two ways: plain sequential nbgrader against ``backprop-course grade --jobs N``.

The class has ``--students`` students (60 by default), each with one notebook
per assignment. Student k hands in the notebook of the demo student
k mod n among the n demo students of examples/submitted/ who have that
assignment, so the class mixes full marks, named mistakes and blanks in the
demo class's proportions.

Plain nbgrader runs in a course folder of its own, the way an instructor
would run it: ``nbgrader generate_assignment`` and then, timed,
``nbgrader autograde`` for each assignment in turn, one student at a time,
and ``nbgrader generate_feedback``. ``backprop-course grade`` is timed as a
whole, from discovery to the CSV files, feedback and histograms.

The script then compares each student's score. The two differ only for a
notebook that static screening flags, or that plain nbgrader credits
although a hidden check never printed its pass line. The demo class has
neither.

Usage: python benchmarks/bench_grading.py [--students N] [--jobs N] [--skip-plain] [ASSIGNMENT ...]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine_summary, print_machine, save_json

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "submitted"
SCRIPTS = Path(sys.executable).parent

PLAIN_CONFIG = """\
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "backprop-course"
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.OverwriteCells.add_missing_cells = True
c.Execute.timeout = 120
"""


def build_class(target: Path, students: int, assignments: list[str]) -> None:
    """Write ``target/<student>/<assignment>/<assignment>.ipynb`` for every student and assignment."""
    for assignment in assignments:
        demo = sorted(p for p in DEMO.glob(f"*/{assignment}/{assignment}.ipynb"))
        if not demo:
            raise SystemExit(f"no demo submission of {assignment} in {DEMO}")
        for k in range(students):
            folder = target / f"student{k + 1:03d}" / assignment
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(demo[k % len(demo)], folder / f"{assignment}.ipynb")


def run(command: list[str], cwd: Path) -> float:
    """Run ``command`` in ``cwd`` with this Python's scripts first on PATH and return its wall seconds."""
    env = dict(os.environ, PATH=str(SCRIPTS) + os.pathsep + os.environ.get("PATH", ""))
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    (cwd / "bench.log").open("a", encoding="utf-8").write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {result.returncode}; see {cwd / 'bench.log'}")
    return seconds


def grade_plain(course: Path, submitted: Path, assignments: list[str]) -> dict[str, float]:
    """Grade the class with plain nbgrader commands, one assignment after another; return the timings."""
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(PLAIN_CONFIG.format(root=str(course)), encoding="utf-8")
    shutil.copytree(submitted, course / "submitted")
    nbgrader = str(SCRIPTS / "nbgrader")
    timings = {"generate_assignment": 0.0, "autograde": 0.0, "generate_feedback": 0.0}
    for assignment in assignments:
        shutil.copytree(ROOT / "solutions" / assignment, course / "source" / assignment)
        timings["generate_assignment"] += run([nbgrader, "generate_assignment", assignment, "--force"], course)
        seconds = run([nbgrader, "autograde", assignment, "--force"], course)
        timings["autograde"] += seconds
        timings[f"autograde {assignment}"] = seconds
        timings["generate_feedback"] += run([nbgrader, "generate_feedback", assignment, "--force"], course)
        print(f"  plain nbgrader autograde {assignment}: {seconds:.1f} s", flush=True)
    return timings


def plain_scores(course: Path) -> dict[tuple[str, str], float]:
    """Read every (student, assignment) score from the plain run's gradebook."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                scores[(submission.student.id, assignment.name)] = float(submission.score)
    return scores


def tool_scores(out: Path) -> dict[tuple[str, str], float]:
    """Read every (student, assignment) score from the grades.csv of ``backprop-course grade``."""
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {(row["student_id"], row["assignment"]): float(row["score"]) for row in csv.DictReader(handle)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("assignments", nargs="*", help="assignments to grade (default: all ten)")
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-plain", action="store_true", help="time only backprop-course grade")
    args = parser.parse_args()
    assignments = args.assignments or sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())

    summary = machine_summary()
    print_machine(summary)
    print(f"class: {args.students} students x {len(assignments)} assignments = {args.students * len(assignments)} notebooks")

    with tempfile.TemporaryDirectory(prefix="backprop-bench-grading-") as scratch:
        scratch_path = Path(scratch)
        submitted = scratch_path / "submitted"
        build_class(submitted, args.students, assignments)

        out = scratch_path / "tool"
        out.mkdir()
        command = [str(SCRIPTS / "backprop-course"), "grade", str(submitted), "--out", str(out / "grades"), "--jobs", str(args.jobs)]
        tool_seconds = run(command, out)
        print(f"backprop-course grade --jobs {args.jobs}: {tool_seconds:.1f} s", flush=True)
        payload: dict[str, object] = {
            "machine": summary,
            "students": args.students,
            "assignments": assignments,
            "jobs": args.jobs,
            "tool_seconds": tool_seconds,
        }

        if not args.skip_plain:
            timings = grade_plain(scratch_path / "plain", submitted, assignments)
            plain_total = timings["autograde"]
            with_feedback = plain_total + timings["generate_feedback"]
            print(f"plain nbgrader autograde, sequential: {plain_total:.1f} s (generate_assignment {timings['generate_assignment']:.1f} s, generate_feedback {timings['generate_feedback']:.1f} s)")
            print(f"speed-up, autograde only: {plain_total / tool_seconds:.2f}x")
            print(f"speed-up, autograde and generate_feedback: {with_feedback / tool_seconds:.2f}x")

            plain = plain_scores(scratch_path / "plain")
            tool = tool_scores(out / "grades")
            differing = sorted(key for key in plain.keys() | tool.keys() if plain.get(key) != tool.get(key))
            print(f"scores compared: {len(plain.keys() | tool.keys())}, differing: {len(differing)}")
            for student, assignment in differing[:10]:
                print(f"  {student}/{assignment}: plain {plain.get((student, assignment))}, tool {tool.get((student, assignment))}")
            payload.update(plain=timings, speedup=plain_total / tool_seconds, speedup_with_feedback=with_feedback / tool_seconds, differing=len(differing))

    path = save_json("grading", payload)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
