"""Grade the demo class in examples/submitted/ and compare with examples/expected_points.csv.

The class is graded once per module, which took 2 to 2.5 minutes with 2 jobs on a 2-core machine.
Each row of the expected file is its own test case, so a failure names the
student, the assignment and the exercise.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from backprop_lib.grade import grade_class

REPO = Path(__file__).resolve().parent.parent
SUBMITTED = REPO / "examples" / "submitted"
EXPECTED_POINTS = sorted((REPO / "examples").glob("expected_points*.csv"))


def read_expected() -> dict[tuple[str, str, str], float | None]:
    """Read the expected points per (student_id, assignment, exercise), with None for an empty cell (manual grading)."""
    expected = {}
    for path in EXPECTED_POINTS:
        with path.open(newline="", encoding="utf-8") as file:
            for row in csv.DictReader(file):
                key = (row["student_id"], row["assignment"], row["exercise"])
                expected[key] = None if row["points"] == "" else float(row["points"])
    return expected


EXPECTED = read_expected()

# The mistake each student made on purpose, as (student_id, assignment, exercise, text the feedback must contain).
# Each test cell runs its hidden check before the visible example, so the check's diagnosis reaches the feedback.
NAMED_MISTAKES = [
    ("alan_turing", "01_chain_rule", "neuron_derivatives", "σ' evaluated at a"),
    ("alan_turing", "02_single_neuron", "neuron_backward", "σ' evaluated at a"),
    ("edsger_dijkstra", "01_chain_rule", "neuron_derivatives", "factor x is missing"),
    ("edsger_dijkstra", "02_single_neuron", "neuron_backward", "factor x is missing"),
    ("katherine_johnson", "01_chain_rule", "numerical_derivative", "one-sided"),
    ("katherine_johnson", "02_single_neuron", "gradient_step", "added the gradient"),
    ("frances_allen", "02_single_neuron", "gradient_step", "in place"),
    ("frances_allen", "02_single_neuron", "train_neuron", "in place"),
]


def case_id(key: tuple[str, ...]) -> str:
    return "/".join(key[:3])


@pytest.fixture(scope="module")
def graded(layout, tmp_path_factory):
    """The demo class's grade results keyed by (student_id, assignment, exercise), and the problems listed."""
    out = tmp_path_factory.mktemp("demo-grades")
    results, problems = grade_class(layout, SUBMITTED, out, jobs=2)
    exercises = {
        (result.student_id, result.assignment, exercise.exercise): exercise
        for result in results
        for exercise in result.exercises
    }
    return exercises, problems


def test_demo_class_has_no_problems(graded):
    _, problems = graded
    assert problems == []


def test_demo_class_grades_every_expected_row(graded):
    exercises, _ = graded
    assert sorted(set(EXPECTED) - set(exercises)) == []


def test_demo_class_grades_no_unexpected_row(graded):
    exercises, _ = graded
    assert sorted(set(exercises) - set(EXPECTED)) == []


# john_mccarthy/01_chain_rule/numerical_derivative expects 2 points: nbgrader_config.py sets
# c.OverwriteCells.add_missing_cells = True, so his deleted test cell is put back and run.
@pytest.mark.parametrize("key", sorted(EXPECTED), ids=case_id)
def test_demo_points(graded, key):
    exercises, _ = graded
    assert key in exercises, f"{case_id(key)} was not graded"
    exercise = exercises[key]
    assert exercise.points == EXPECTED[key], f"{case_id(key)}: feedback {exercise.feedback!r}"


@pytest.mark.parametrize("key", NAMED_MISTAKES, ids=case_id)
def test_demo_feedback_names_mistake(graded, key):
    exercises, _ = graded
    student_id, assignment, exercise_name, mistake = key
    feedback = exercises[(student_id, assignment, exercise_name)].feedback
    assert mistake in feedback
