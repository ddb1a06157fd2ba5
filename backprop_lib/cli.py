"""The ``backprop-course`` command: lab, generate, grade and check.

Exit codes: 0 when the command did its job (a score of 0 is not an error),
1 when the result is negative (``generate --check`` found course/ stale),
2 for bad input, with a one-line message that says what to fix.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .course import CourseError, CourseLayout, find_course
from .grade import AssignmentResult, grade_class
from .grade_report import save_histograms, summary_lines
from .workspace import ExecutionLimits, require_nbgrader

log = logging.getLogger("backprop_course")

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    parser = _build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
    try:
        layout = find_course()
        return args.handler(layout, args, extra)
    except CourseError as error:
        print(f"backprop-course: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backprop-course",
        description="Open, regenerate and grade the backpropagation course.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every nbgrader command")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lab = commands.add_parser("lab", help="open course/ in JupyterLab (extra options go to jupyter lab)")
    lab.set_defaults(handler=_run_lab)

    generate = commands.add_parser("generate", help="regenerate course/ from solutions/ with nbgrader")
    generate.add_argument(
        "--check", action="store_true", help="do not write; exit 1 when course/ is out of date"
    )
    generate.set_defaults(handler=_run_generate)

    grade = commands.add_parser(
        "grade", help="autograde SUBMITTED/<student_id>/<assignment>/<notebook>.ipynb for a whole class"
    )
    grade.add_argument("submitted", type=Path, metavar="SUBMITTED", help="folder of submissions")
    grade.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for grades and feedback")
    grade.add_argument(
        "--jobs",
        type=_positive_int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="students graded at once (default: the number of CPU cores)",
    )
    grade.add_argument("--force", action="store_true", help="grade every notebook again, even those a previous run finished")
    grade.add_argument(
        "--db-url",
        metavar="URL",
        help="gradebook database, e.g. postgresql://user@host/course (default: sqlite in DIR)",
    )
    grade.add_argument(
        "--timeout", type=_positive_int, default=60, metavar="SECONDS", help="time one cell may run (default: 60)"
    )
    grade.add_argument(
        "--memory-mb",
        type=_positive_int,
        default=4096,
        metavar="MB",
        help="memory one notebook's kernel may use, in MiB (default: 4096)",
    )
    grade.set_defaults(handler=_run_grade)

    check = commands.add_parser("check", help="grade one notebook with the hidden tests and print the result")
    check.add_argument("notebook", type=Path, metavar="NOTEBOOK", help="path to your .ipynb file")
    check.set_defaults(handler=_run_check)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid job count {text!r}; pass a whole number such as 2") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid job count {value}; pass 1 or more")
    return value


def _run_lab(layout: CourseLayout, args: argparse.Namespace, extra: list[str]) -> int:
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={layout.course}", *extra]
    log.info("starting JupyterLab in %s", layout.course)
    return subprocess.call(command)


def _run_generate(layout: CourseLayout, args: argparse.Namespace, extra: list[str]) -> int:
    from .generate import regenerate, stale_files

    require_nbgrader()
    if args.check:
        stale = stale_files(layout)
        if stale:
            print("course/ is out of date with solutions/; run `backprop-course generate`. Differing files:")
            for path in stale:
                print(f"  {path}")
            return EXIT_NEGATIVE
        print("course/ is up to date with solutions/.")
        return EXIT_OK

    regenerate(layout)
    print(f"regenerated {layout.course} from {layout.solutions}")
    return EXIT_OK


def _run_grade(layout: CourseLayout, args: argparse.Namespace, extra: list[str]) -> int:
    require_nbgrader()
    out = args.out.resolve()
    limits = ExecutionLimits(timeout=args.timeout, memory_mb=args.memory_mb)
    results, problems = grade_class(
        layout, args.submitted.resolve(), out, jobs=args.jobs, force=args.force, db_url=args.db_url, limits=limits
    )
    histograms = save_histograms(out, results)

    print(format_score_table(results))
    print()
    print("\n".join(summary_lines(results)))
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for problem in problems:
            print(f"  {problem}")
    print(f"\ngrades:      {out / 'grades.csv'}")
    print(f"by exercise: {out / 'grades_by_exercise.csv'}")
    print(f"feedback:    {out / 'feedback'}")
    print(f"histograms:  {histograms[0].parent if histograms else '-'}")
    return EXIT_OK


def format_score_table(results: list[AssignmentResult]) -> str:
    """Return a text table with one row per student and one column per assignment."""
    assignments = sorted({r.assignment for r in results})
    students = sorted({r.student_id for r in results})
    scores = {(r.student_id, r.assignment): f"{r.score:g} / {r.max_score:g}" for r in results}
    width = max([len("student")] + [len(s) for s in students]) + 2
    columns = [max(len(a), 9) + 2 for a in assignments]
    lines = ["student".ljust(width) + "".join(a.ljust(c) for a, c in zip(assignments, columns))]
    for student in students:
        cells = [scores.get((student, a), "-").ljust(c) for a, c in zip(assignments, columns)]
        lines.append(student.ljust(width) + "".join(cells))
    return "\n".join(line.rstrip() for line in lines)


def _run_check(layout: CourseLayout, args: argparse.Namespace, extra: list[str]) -> int:
    require_nbgrader()
    notebook = args.notebook.resolve()
    if not notebook.is_file() or notebook.suffix != ".ipynb":
        raise CourseError(f"{str(args.notebook)!r} is not a notebook file; pass the path of an .ipynb file.")
    assignment = _assignment_of(layout, notebook)

    with tempfile.TemporaryDirectory(prefix="backprop-check-") as scratch:
        submitted = Path(scratch) / "submitted" / "learner" / assignment
        submitted.mkdir(parents=True)
        (submitted / notebook.name).write_bytes(notebook.read_bytes())
        results, _ = grade_class(layout, submitted.parent.parent, Path(scratch) / "out", jobs=1)

    print(format_check_report(results[0]))
    return EXIT_OK


def format_check_report(result: AssignmentResult) -> str:
    """Return each exercise's points and feedback, then ``score: X / Y``."""
    width = max(len(e.exercise) for e in result.exercises) + 2
    lines = [f"{result.assignment}"]
    manual_points = 0.0
    for exercise in result.exercises:
        if exercise.points is None:
            manual_points += exercise.max_points
            points = f"  - / {exercise.max_points:g}"
        else:
            points = f"{exercise.points:3g} / {exercise.max_points:g}"
        lines.append(f"  {exercise.exercise.ljust(width)}{points}  {exercise.feedback}")
    for problem in result.problems:
        lines.append(f"  problem: {problem}")
    scored = sum(e.points or 0.0 for e in result.exercises)
    lines.append(f"score: {scored:g} / {result.max_score - manual_points:g}")
    if manual_points:
        lines.append(f"({manual_points:g} more points are for written answers graded by hand)")
    return "\n".join(lines)


def _assignment_of(layout: CourseLayout, notebook: Path) -> str:
    assignments = layout.assignments()
    if notebook.parent.name in assignments and (layout.solutions / notebook.parent.name / notebook.name).is_file():
        return notebook.parent.name
    matches = [a for a in assignments if (layout.solutions / a / notebook.name).is_file()]
    if len(matches) == 1:
        return matches[0]
    raise CourseError(
        f"{notebook.name!r} is not a notebook of this course; its file name must match one of "
        + ", ".join(f"{a}/{p.name}" for a in assignments for p in layout.source_notebooks(a))
        + "."
    )
