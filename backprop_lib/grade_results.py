"""Results of grading: the data types, and how they are read from nbgrader's output.

Points come from nbgrader's gradebook. The feedback line of a failed test
cell is the last line of the error it showed in the autograded notebook.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ._nbgrader_main import import_gradebook

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


def graded_cells(source: Path) -> list[tuple[str, float, bool]]:
    """(grade_id, points, is_manual) for each graded cell of a source notebook, in order."""
    notebook = json.loads(source.read_text(encoding="utf-8"))
    cells = []
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            cells.append((meta["grade_id"], float(meta.get("points", 0)), bool(meta.get("solution"))))
    return cells


def zero_result(source: Path, submission: Submission, problem: str, feedback: str) -> AssignmentResult:
    """A result with 0 points for every exercise, one problem line, and the same feedback everywhere."""
    cells = graded_cells(source)
    return AssignmentResult(
        submission.student_id,
        submission.assignment,
        score=0.0,
        max_score=sum(points for _, points, _ in cells),
        exercises=[ExerciseResult(exercise_name(g), 0.0, p, feedback) for g, p, _ in cells],
        problems=[problem],
    )


def unreadable_reason(notebook: Path) -> str | None:
    """Say why ``notebook`` cannot be graded as a notebook, or return None when it can."""
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


def hidden_check_counts(source: Path) -> dict[str, int]:
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


def read_result(db_url: str, source: Path, autograded: Path, submission: Submission) -> AssignmentResult:
    """Read one student's points from the gradebook and feedback from the autograded notebook."""
    Gradebook, MissingEntry = import_gradebook()

    outputs = cell_feedback(autograded)
    pass_lines = pass_line_counts(autograded)
    expected_checks = hidden_check_counts(source)
    timeouts = timed_out_cells(autograded)
    exercises = []
    problems = [f"timed out in {name}" for name in timeouts]

    with Gradebook(db_url) as gradebook:
        for grade_id, max_points, is_manual in graded_cells(source):
            name = exercise_name(grade_id)
            try:
                grade = gradebook.find_grade(grade_id, source.stem, submission.assignment, submission.student_id)
            except MissingEntry:
                exercises.append(ExerciseResult(name, 0.0, max_points, "cell missing"))
                continue

            if is_manual and (grade.needs_manual_grade or grade.score is None):
                exercises.append(ExerciseResult(name, None, max_points, MANUAL_FEEDBACK))
                continue
            if grade.score is None:
                exercises.append(ExerciseResult(name, 0.0, max_points, "cell missing: the test cell was not graded"))
                problems.append(f"{name}: the test cell is missing from the notebook")
                continue

            points = float(grade.score or 0.0)
            if is_manual and grade.auto_score == 0 and grade.manual_score is None:
                feedback = "not answered"
            elif points > 0 and pass_lines.get(grade_id, 0) < expected_checks.get(grade_id, 0):
                # nbgrader saw no error, yet the hidden check never reported a pass:
                # something stopped it from running (an input transformer, a hidden traceback).
                points = 0.0
                feedback = f"{FLAGGED}: the hidden check did not run or did not report its result"
                problems.append(f"{FLAGGED}: {name}: the hidden check did not run or did not report its result")
            else:
                feedback = PASSED_FEEDBACK if points >= max_points else outputs.get(grade_id, "failed")
                if feedback.startswith("flagged:"):
                    problems.append(f"{FLAGGED}: {name}: {feedback}")
            exercises.append(ExerciseResult(name, points, max_points, feedback))

    return AssignmentResult(
        submission.student_id,
        submission.assignment,
        score=sum(e.points or 0.0 for e in exercises),
        max_score=sum(e.max_points for e in exercises),
        exercises=exercises,
        problems=problems,
    )


def pass_line_counts(autograded: Path) -> dict[str, int]:
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


def timed_out_cells(autograded: Path) -> list[str]:
    """Name the cells nbgrader interrupted after its per-cell timeout, by exercise where known."""
    notebook = json.loads(autograded.read_text(encoding="utf-8"))
    names = []
    for index, cell in enumerate(notebook["cells"]):
        if any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])):
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id and grade_id.endswith(("_answer", "_check")):
                names.append(f"exercise {exercise_name(grade_id).removesuffix('_answer')}")
            else:
                names.append(f"cell {grade_id or index}")
    return names


def cell_feedback(autograded: Path) -> dict[str, str]:
    """Map each graded cell's id to the last line of the error it showed, if any.

    A ``NameError`` that follows an answer cell's ``SyntaxError`` says so,
    because the undefined name is only the symptom.
    """
    notebook = json.loads(autograded.read_text(encoding="utf-8"))
    feedback = {}
    syntax_error = None
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if output.get("ename") in ("SyntaxError", "IndentationError", "TabError") and syntax_error is None:
                grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "an answer cell")
                syntax_error = f"{grade_id} has a {output['ename']}: {output.get('evalue', '')}"
        if syntax_error and cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            for output in cell.get("outputs", []):
                if output.get("ename") == "NameError":
                    output["evalue"] = f"{output.get('evalue', '')} (because {syntax_error}; fix it and run the cell again)"
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or cell.get("cell_type") != "code":
            continue
        outputs = cell.get("outputs", [])
        if any(o.get("ename") == "CellTimeoutError" for o in outputs):
            feedback[meta["grade_id"]] = "timed out: the cell ran longer than the grader's per-cell limit"
            continue
        for output in outputs:
            if output.get("output_type") == "error":
                feedback[meta["grade_id"]] = _error_line(output.get("ename", ""), output.get("evalue", ""))
                break
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = "".join(output.get("text", "")).strip().splitlines() or [""]
                feedback[meta["grade_id"]] = "wrote to stderr (a warning or error message): " + text[0][:200]
                break
    return feedback


def _error_line(ename: str, evalue: str) -> str:
    if ename in ("CheckFailed", "TamperDetected"):
        return evalue
    if ename == "NotImplementedError":
        return "not answered yet (the function still raises NotImplementedError)"
    if ename == "MemoryError":
        return "MemoryError: the notebook used more memory than the grader allows"
    return f"{ename}: {evalue}" if evalue else ename
