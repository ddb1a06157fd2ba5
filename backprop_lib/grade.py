"""Grade a class of submissions with nbgrader and write the grade files.

Input layout (nbgrader's own): ``SUBMITTED/<student_id>/<assignment>/<notebook>.ipynb``.
Output: ``OUT/grades.csv``, ``OUT/grades_by_exercise.csv`` and
``OUT/feedback/<student_id>/<assignment>/<notebook>.html``. nbgrader runs in
private workspaces under ``OUT/.work``; with ``jobs > 1`` the students are
split into that many groups, each graded by its own nbgrader workspace and
gradebook, so parallel runs share no database and no files.
"""

from __future__ import annotations

import concurrent.futures
import csv
import json
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .course import CourseError, CourseLayout
from .screening import screen_notebook
from .workspace import Workspace

log = logging.getLogger(__name__)

PASSED_FEEDBACK = "passed"
MANUAL_FEEDBACK = "needs manual grading"
FLAGGED = "flagged for review"

PASS_LINE = re.compile(r"^\S+: passed \d+ hidden random cases? \(seed \d+\)\.$", re.MULTILINE)
"""The line each hidden check prints when it passes (see ``grading.core.passed``)."""


@dataclass(frozen=True)
class Submission:
    """One notebook handed in by one student for one assignment."""

    student_id: str
    assignment: str
    notebook: Path


@dataclass
class ExerciseResult:
    """Points for one graded cell: an exercise's test cell or a written answer.

    ``points`` is None for a written answer that still needs manual grading.
    """

    exercise: str
    points: float | None
    max_points: float
    feedback: str


@dataclass
class AssignmentResult:
    """One student's result for one assignment."""

    student_id: str
    assignment: str
    score: float
    max_score: float
    exercises: list[ExerciseResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def exercise_name(grade_id: str) -> str:
    """Name an exercise after its graded cell: ``sigmoid_check`` becomes ``sigmoid``."""
    return grade_id.removesuffix("_check")


def discover(layout: CourseLayout, submitted: Path) -> tuple[list[Submission], list[str]]:
    """List the submissions under ``submitted`` and the problems found on the way.

    Raises
    ------
    CourseError
        When ``submitted`` is not a folder.
    """
    if not submitted.is_dir():
        raise CourseError(
            f"submission folder {str(submitted)!r} does not exist or is not a folder; pass the folder "
            f"that holds <student_id>/<assignment>/<notebook>.ipynb."
        )

    known = set(layout.assignments())
    submissions: list[Submission] = []
    problems: list[str] = []

    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir() and not p.name.startswith(".")):
        assignment_dirs = sorted(p for p in student_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not assignment_dirs:
            problems.append(f"{student_dir.name}: no assignment folders inside, nothing graded")
        for assignment_dir in assignment_dirs:
            if assignment_dir.name not in known:
                problems.append(
                    f"{student_dir.name}: unknown assignment folder {assignment_dir.name!r} skipped "
                    f"(known: {', '.join(sorted(known))})"
                )
                continue
            for source in layout.source_notebooks(assignment_dir.name):
                submissions.append(Submission(student_dir.name, assignment_dir.name, assignment_dir / source.name))
    return submissions, problems


def grade_class(
    layout: CourseLayout,
    submitted: Path,
    out: Path,
    jobs: int = 1,
) -> tuple[list[AssignmentResult], list[str]]:
    """Grade every submission under ``submitted`` and write the grade files to ``out``.

    Returns
    -------
    results : list of AssignmentResult
        Sorted by student and assignment.
    problems : list of str
        One line per problem found (unknown folder, missing or unreadable notebook).
    """
    submissions, problems = discover(layout, submitted)
    if not submissions:
        raise CourseError(
            f"no submissions found under {str(submitted)!r}; expected "
            f"<student_id>/<assignment>/<notebook>.ipynb with assignments {', '.join(layout.assignments())}."
        )

    students = sorted({s.student_id for s in submissions})
    jobs = max(1, min(jobs, len(students)))
    groups = [students[k::jobs] for k in range(jobs)]
    work_root = out / ".work"
    if work_root.exists():
        shutil.rmtree(work_root)

    started = time.monotonic()
    log.info("grading %d notebooks from %d students with %d job(s)", len(submissions), len(students), jobs)
    results: list[AssignmentResult] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [
            pool.submit(
                _grade_group,
                layout,
                Workspace(layout, work_root / f"group-{k}"),
                [s for s in submissions if s.student_id in set(group)],
                out / "feedback",
            )
            for k, group in enumerate(groups)
        ]
        for future in futures:
            results.extend(future.result())

    results.sort(key=lambda r: (r.student_id, r.assignment))
    for result in results:
        problems.extend(f"{result.student_id}/{result.assignment}: {p}" for p in result.problems)
    write_grade_files(out, results)
    log.info("graded %d notebooks in %.1f s", len(results), time.monotonic() - started)
    return results, problems


def _grade_group(
    layout: CourseLayout, workspace: Workspace, submissions: list[Submission], feedback_root: Path
) -> list[AssignmentResult]:
    """Grade one group of students in one workspace: one nbgrader run per assignment and step."""
    results: dict[Submission, AssignmentResult] = {}
    assignments = sorted({s.assignment for s in submissions})

    for assignment in assignments:
        workspace.generate(assignment)
        batch = [s for s in submissions if s.assignment == assignment]
        readable = []
        for submission in batch:
            problem = _unreadable(submission.notebook)
            if problem:
                results[submission] = _zero_result(layout, submission, problem, problem)
                continue
            findings = screen_notebook(layout.solutions / assignment / submission.notebook.name, submission.notebook)
            if findings:
                log.warning("flagged %s/%s: %s", submission.student_id, assignment, "; ".join(map(str, findings)))
                results[submission] = _zero_result(
                    layout,
                    submission,
                    f"{FLAGGED}: " + "; ".join(str(f) for f in findings),
                    f"{FLAGGED}: {findings[0]}",
                )
                continue
            target = workspace.root / "submitted" / submission.student_id / assignment
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(submission.notebook, target / submission.notebook.name)
            readable.append(submission)

        if not readable:
            continue
        started = time.monotonic()
        # nbgrader grades every student it finds and exits non-zero when any of
        # them failed; those students have no entry in the gradebook afterwards.
        for step in ("autograde", "generate_feedback"):
            try:
                workspace.nbgrader(step, assignment, "--force")
            except CourseError as error:
                log.warning("nbgrader %s %s reported a failure: %s", step, assignment, str(error).splitlines()[0])

        for submission in readable:
            results[submission] = _read_result(layout, workspace, submission, feedback_root)
            result = results[submission]
            log.info("graded %s/%s: %g / %g", submission.student_id, assignment, result.score, result.max_score)
        log.info("graded %d notebook(s) of %s in %.1f s", len(readable), assignment, time.monotonic() - started)

    return [results[s] for s in submissions]


def _zero_result(layout: CourseLayout, submission: Submission, problem: str, feedback: str) -> AssignmentResult:
    graded_cells = _graded_cells(layout.solutions / submission.assignment / submission.notebook.name)
    return AssignmentResult(
        submission.student_id,
        submission.assignment,
        score=0.0,
        max_score=sum(points for _, points, _ in graded_cells),
        exercises=[ExerciseResult(exercise_name(g), 0.0, p, feedback) for g, p, _ in graded_cells],
        problems=[problem],
    )


def _read_result(
    layout: CourseLayout, workspace: Workspace, submission: Submission, feedback_root: Path
) -> AssignmentResult:
    graded_cells = _graded_cells(layout.solutions / submission.assignment / submission.notebook.name)
    autograded = (
        workspace.root / "autograded" / submission.student_id / submission.assignment / submission.notebook.name
    )
    if not autograded.is_file():
        log.error(
            "nbgrader could not grade %s/%s; see %s",
            submission.student_id,
            submission.assignment,
            workspace.root / "nbgrader.log",
        )
        return _zero_result(
            layout,
            submission,
            f"nbgrader could not grade this notebook (details in {workspace.root / 'nbgrader.log'})",
            "not graded: nbgrader failed on this notebook",
        )

    result = _read_gradebook(workspace, submission, graded_cells)
    _copy_feedback(workspace, submission, feedback_root)
    return result


def _graded_cells(source: Path) -> list[tuple[str, float, bool]]:
    """(grade_id, points, is_manual) for each graded cell of a source notebook, in order."""
    notebook = json.loads(source.read_text(encoding="utf-8"))
    cells = []
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            cells.append((meta["grade_id"], float(meta.get("points", 0)), bool(meta.get("solution"))))
    return cells


def _hidden_check_counts(source: Path) -> dict[str, int]:
    """Map each test cell's grade_id to the number of hidden checks it calls."""
    notebook = json.loads(source.read_text(encoding="utf-8"))
    counts = {}
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        text = "".join(cell.get("source", ""))
        if meta.get("grade") and "### BEGIN HIDDEN TESTS" in text:
            hidden = text.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            counts[meta["grade_id"]] = len(re.findall(r"\.check_\w+\(", hidden))
    return counts


def _unreadable(notebook: Path) -> str | None:
    if not notebook.is_file():
        return f"notebook {notebook.name} is missing"
    try:
        content = json.loads(notebook.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return f"{notebook.name} is not a valid notebook file (not JSON)"
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
        return f"{notebook.name} is not a Jupyter notebook (no list of cells)"
    if not all(isinstance(cell, dict) and "cell_type" in cell for cell in content["cells"]):
        return f"{notebook.name} is not a valid Jupyter notebook (a cell has no cell_type)"
    return None


def _read_gradebook(workspace: Workspace, submission: Submission, graded_cells) -> AssignmentResult:
    from nbgrader.api import Gradebook, MissingEntry

    autograded = (
        workspace.root / "autograded" / submission.student_id / submission.assignment / submission.notebook.name
    )
    outputs = _test_cell_feedback(autograded)
    pass_lines = _pass_line_counts(autograded)
    expected_checks = _hidden_check_counts(workspace.root / "source" / submission.assignment / submission.notebook.name)
    notebook_id = submission.notebook.stem
    exercises = []
    problems = []

    with Gradebook(workspace.db_url) as gradebook:
        for grade_id, max_points, is_manual in graded_cells:
            try:
                grade = gradebook.find_grade(
                    grade_id, notebook_id, submission.assignment, submission.student_id
                )
            except MissingEntry:
                exercises.append(ExerciseResult(exercise_name(grade_id), 0.0, max_points, "cell missing"))
                continue

            if grade.needs_manual_grade or (is_manual and grade.score is None):
                exercises.append(ExerciseResult(exercise_name(grade_id), None, max_points, MANUAL_FEEDBACK))
                continue

            points = float(grade.score or 0.0)
            if is_manual and grade.auto_score == 0 and grade.manual_score is None:
                feedback = "not answered"
            elif points > 0 and pass_lines.get(grade_id, 0) < expected_checks.get(grade_id, 0):
                # nbgrader saw no error, yet the hidden check never reported a pass:
                # something stopped it from running (an input transformer, a hidden traceback).
                points = 0.0
                feedback = f"{FLAGGED}: the hidden check did not run or did not report its result"
                problems.append(f"{FLAGGED}: {exercise_name(grade_id)}: {feedback.split(': ', 1)[1]}")
            else:
                feedback = PASSED_FEEDBACK if points >= max_points else outputs.get(grade_id, "failed")
                if feedback.startswith("flagged:"):
                    problems.append(f"{FLAGGED}: {exercise_name(grade_id)}: {feedback}")
            exercises.append(ExerciseResult(exercise_name(grade_id), points, max_points, feedback))

    score = sum(e.points or 0.0 for e in exercises)
    return AssignmentResult(
        submission.student_id,
        submission.assignment,
        score=score,
        max_score=sum(e.max_points for e in exercises),
        exercises=exercises,
        problems=problems,
    )


def _pass_line_counts(autograded: Path) -> dict[str, int]:
    """Map each graded code cell's id to the number of hidden-check pass lines in its output."""
    notebook = json.loads(autograded.read_text(encoding="utf-8"))
    counts = {}
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and cell.get("cell_type") == "code":
            text = "".join(
                "".join(output.get("text", ""))
                for output in cell.get("outputs", [])
                if output.get("output_type") == "stream" and output.get("name") == "stdout"
            )
            counts[meta["grade_id"]] = len(PASS_LINE.findall(text))
    return counts


def _test_cell_feedback(autograded: Path) -> dict[str, str]:
    """Map each graded cell's id to the last line of the error it showed, if any."""
    if not autograded.is_file():
        return {}
    notebook = json.loads(autograded.read_text(encoding="utf-8"))
    feedback = {}
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                feedback[meta["grade_id"]] = _error_line(output.get("ename", ""), output.get("evalue", ""))
                break
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                feedback[meta["grade_id"]] = "wrote to stderr (a warning or error message): " + "".join(
                    output.get("text", "")
                ).strip().splitlines()[0][:200]
                break
    return feedback


def _error_line(ename: str, evalue: str) -> str:
    if ename in ("CheckFailed", "TamperDetected"):
        return evalue
    if ename == "NotImplementedError":
        return "not answered yet (the function still raises NotImplementedError)"
    return f"{ename}: {evalue}" if evalue else ename


def _copy_feedback(workspace: Workspace, submission: Submission, feedback_root: Path) -> None:
    source = workspace.root / "feedback" / submission.student_id / submission.assignment
    target = feedback_root / submission.student_id / submission.assignment
    target.mkdir(parents=True, exist_ok=True)
    for html in source.glob("*.html"):
        shutil.copy2(html, target / html.name)


def write_grade_files(out: Path, results: list[AssignmentResult]) -> None:
    """Write grades.csv and grades_by_exercise.csv, each replaced atomically."""
    out.mkdir(parents=True, exist_ok=True)
    _write_csv_atomically(
        out / "grades.csv",
        ["student_id", "assignment", "score", "max_score"],
        [[r.student_id, r.assignment, _number(r.score), _number(r.max_score)] for r in results],
    )
    _write_csv_atomically(
        out / "grades_by_exercise.csv",
        ["student_id", "assignment", "exercise", "points", "max_points", "feedback"],
        [
            [r.student_id, r.assignment, e.exercise, "" if e.points is None else _number(e.points), _number(e.max_points), e.feedback]
            for r in results
            for e in r.exercises
        ],
    )


def _number(value: float) -> str:
    return f"{value:g}"


def _write_csv_atomically(path: Path, header: list[str], rows: list[list[str]]) -> None:
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
