"""Grade the demo class in examples/submitted/ and compare with examples/expected_points.csv.

The class is graded once per module, which took 2 to 2.5 minutes with 2 jobs on a 2-core machine.
Each row of the expected file is its own test case, so a failure names the
student, the assignment and the exercise.
"""

from __future__ import annotations

import csv
import os
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
def graded(demo_run):
    """The demo class's grade results keyed by (student_id, assignment, exercise), and the problems listed."""
    exercises, problems, _ = demo_run
    return exercises, problems


@pytest.fixture(scope="module")
def demo_run(layout, tmp_path_factory):
    """Grade results by (student_id, assignment, exercise), the problems, and the output folder."""
    out = tmp_path_factory.mktemp("demo-grades")
    results, problems = grade_class(layout, SUBMITTED, out, jobs=2)
    exercises = {
        (result.student_id, result.assignment, exercise.exercise): exercise
        for result in results
        for exercise in result.exercises
    }
    return exercises, problems, out


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


def _gradebook_scores(db_url: str) -> dict:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(db_url) as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        scores[(submission.student.id, assignment.name, grade.name)] = grade.score
    return scores


def _empty_postgres(db_url: str) -> None:
    import sqlalchemy
    from nbgrader.api import Base

    engine = sqlalchemy.create_engine(db_url)
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.mark.skipif(
    not os.environ.get("BACKPROP_TEST_POSTGRES_URL"),
    reason="set BACKPROP_TEST_POSTGRES_URL (scripts/start-postgres.sh prints one) to test a PostgreSQL gradebook",
)
def test_postgres_gradebook_equals_sqlite(layout, demo_run):
    """Grade the demo class into PostgreSQL: the executed notebooks are reused, only the merge runs again."""
    _, _, out = demo_run
    db_url = os.environ["BACKPROP_TEST_POSTGRES_URL"]
    _empty_postgres(db_url)
    sqlite_rows = {name: (out / name).read_text(encoding="utf-8") for name in ("grades.csv", "grades_by_exercise.csv")}
    sqlite_scores = _gradebook_scores(f"sqlite:///{out / 'gradebook.db'}")

    grade_class(layout, SUBMITTED, out, jobs=2, db_url=db_url)

    assert _gradebook_scores(db_url) == sqlite_scores
    for name, text in sqlite_rows.items():
        assert (out / name).read_text(encoding="utf-8") == text, name
