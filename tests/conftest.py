"""Shared fixtures: the course layout and one grading run of the demo class."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from backprop_lib.course import CourseLayout

REPO = Path(__file__).resolve().parent.parent

# nbgrader creates its gradebook with the alembic executable of this Python.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture(scope="session")
def layout() -> CourseLayout:
    return CourseLayout(REPO)


@pytest.fixture(scope="session")
def reference_submissions(layout, tmp_path_factory) -> Path:
    """A class of two: 'solution' hands in every solution notebook, 'blank' every course notebook."""
    submitted = tmp_path_factory.mktemp("reference") / "submitted"
    for assignment in layout.assignments():
        for source in layout.source_notebooks(assignment):
            for student, folder in (("solution", layout.solutions), ("blank", layout.course)):
                target = submitted / student / assignment
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(folder / assignment / source.name, target / source.name)
    return submitted


@pytest.fixture(scope="session")
def reference_grades(layout, reference_submissions, tmp_path_factory):
    """Grade results of the solution and blank notebooks, and the output folder."""
    from backprop_lib.grade import grade_class

    out = tmp_path_factory.mktemp("reference-grades")
    results, problems = grade_class(layout, reference_submissions, out, jobs=2)
    return results, problems, out
