"""The course as a whole: solutions earn full marks, blank notebooks 0, course/ is current."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
import sys

import pytest

from backprop_lib.generate import stale_files

from backprop_lib.course import CourseLayout

REPO = Path(__file__).resolve().parent.parent

ASSIGNMENTS = CourseLayout(REPO).assignments()


def test_course_has_every_assignment(layout):
    assignments = layout.assignments()
    assert assignments[:2] == ["01_chain_rule", "02_single_neuron"]
    for assignment in assignments:
        for source in layout.source_notebooks(assignment):
            assert (layout.course / assignment / source.name).is_file(), f"{assignment}/{source.name} not in course/"


def test_course_is_up_to_date(layout):
    assert stale_files(layout) == []


def test_solutions_earn_full_marks(reference_grades):
    results, problems, _ = reference_grades
    solution = [r for r in results if r.student_id == "solution"]
    assert solution, "no solution notebooks were graded"
    for result in solution:
        for exercise in result.exercises:
            if exercise.points is None:
                assert exercise.feedback == "needs manual grading"
                continue
            assert exercise.points == exercise.max_points, (
                f"{result.assignment}/{exercise.exercise}: {exercise.points} / {exercise.max_points}: {exercise.feedback}"
            )
    assert not [p for p in problems if p.startswith("solution/")]


def test_blank_notebooks_earn_zero(reference_grades):
    results, problems, _ = reference_grades
    blank = [r for r in results if r.student_id == "blank"]
    assert blank, "no blank notebooks were graded"
    for result in blank:
        assert result.score == 0, f"{result.assignment}: blank notebook scored {result.score}"
        for exercise in result.exercises:
            assert exercise.points == 0
            assert "not answered" in exercise.feedback, f"{result.assignment}/{exercise.exercise}: {exercise.feedback}"
    assert not [p for p in problems if p.startswith("blank/")]


def test_solution_notebooks_write_nothing_to_stderr(reference_grades):
    """nbgrader scores a test cell 0 when anything reaches stderr, warnings included."""
    _, _, out = reference_grades
    autograded = sorted((out / ".work" / "main" / "autograded" / "solution").glob("*/*.ipynb"))
    assert autograded, "the solution notebooks were not autograded"
    for path in autograded:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for index, cell in enumerate(notebook["cells"]):
            for output in cell.get("outputs", []):
                assert not (output.get("output_type") == "stream" and output.get("name") == "stderr"), (
                    f"{path.name} cell {index} wrote to stderr: {''.join(output.get('text', ''))[:300]}"
                )
                assert output.get("output_type") != "error", f"{path.name} cell {index} raised an error"


def _nbgrader(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backprop_lib._nbgrader_main", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_validate_passes_solution(layout, assignment):
    for source in layout.source_notebooks(assignment):
        result = _nbgrader("validate", str(source))
        assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_validate_invert_passes_blank(layout, assignment):
    for source in layout.source_notebooks(assignment):
        result = _nbgrader("validate", "--invert", str(layout.course / assignment / source.name))
        assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout + result.stderr
