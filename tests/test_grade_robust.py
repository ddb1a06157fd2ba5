"""Grading a class: bad submissions never stop it, parallel equals sequential, a killed run resumes."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backprop_lib.grade import grade_class
from backprop_lib.workspace import ExecutionLimits

REPO = Path(__file__).resolve().parent.parent
CHAIN = "01_chain_rule"
NEURON = "02_single_neuron"
LIMITS = ExecutionLimits(timeout=10, memory_mb=2048, max_output_chars=50_000)


def _notebook(folder: str, assignment: str) -> dict:
    return json.loads((REPO / folder / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))


def _with_answer(assignment: str, grade_id: str, code: str) -> dict:
    notebook = _notebook("solutions", assignment)
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = code
    return notebook


def _write(root: Path, student: str, assignment: str, content) -> None:
    folder = root / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    if isinstance(content, dict):
        path.write_text(json.dumps(content), encoding="utf-8")
    else:
        path.write_text(content, encoding="utf-8")


def _read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _points(path: Path) -> list[dict]:
    """Rows without the feedback column: feedback quotes each run's random cases, points do not depend on them."""
    return [{k: v for k, v in row.items() if k != "feedback"} for row in _read_csv(path)]


@pytest.fixture(scope="module")
def bad_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad") / "submitted"
    _write(root, "ada", CHAIN, _notebook("solutions", CHAIN))
    _write(root, "ada", NEURON, _notebook("solutions", NEURON))
    _write(root, "zoë müller", CHAIN, _notebook("solutions", CHAIN))
    _write(
        root,
        "looper",
        CHAIN,
        _with_answer(CHAIN, "sigmoid_answer", "def sigmoid(z):\n    while True:\n        pass\n"),
    )
    _write(
        root,
        "hoarder",
        CHAIN,
        _with_answer(CHAIN, "sigmoid_answer", "import numpy as np\nbig = np.ones((60000, 60000))\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"),
    )
    _write(
        root,
        "chatty",
        CHAIN,
        _with_answer(CHAIN, "sigmoid_answer", "import numpy as np\nprint('x' * 5_000_000)\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"),
    )
    _write(
        root,
        "crasher",
        CHAIN,
        _with_answer(CHAIN, "sigmoid_prime_answer", "def sigmoid_prime(z):\n    import faulthandler\n    faulthandler._sigsegv()\n"),
    )
    _write(root, "corrupt", CHAIN, "this is not a notebook")
    (root / "missing" / CHAIN).mkdir(parents=True)
    (root / "stray.txt").write_text("not a student folder")
    _write(root, "wrong_layout", "week1", _notebook("solutions", CHAIN))

    out = root.parent / "out"
    results, problems = grade_class(CourseLayoutForTests(), root, out, jobs=2, limits=LIMITS)
    return {(r.student_id, r.assignment): r for r in results}, problems, out


def CourseLayoutForTests():
    from backprop_lib.course import CourseLayout

    return CourseLayout(REPO)


def _exercise(result, name):
    return next(e for e in result.exercises if e.exercise == name)


def test_bad_class_grades_good_students(bad_class):
    results, _, _ = bad_class
    assert results[("ada", CHAIN)].score == results[("ada", CHAIN)].max_score
    assert results[("zoë müller", CHAIN)].score == results[("zoë müller", CHAIN)].max_score


def test_infinite_loop_times_out_one_exercise(bad_class):
    results, problems, _ = bad_class
    looper = results[("looper", CHAIN)]
    assert _exercise(looper, "sigmoid").points == 0
    assert "timed out" in _exercise(looper, "sigmoid").feedback
    assert _exercise(looper, "numerical_derivative").points == 2
    assert any(p.startswith("looper/") and "timed out" in p for p in problems)


def test_memory_blowup_keeps_other_points(bad_class):
    results, _, _ = bad_class
    hoarder = results[("hoarder", CHAIN)]
    assert _exercise(hoarder, "sigmoid").points == 0
    assert "MemoryError" in _exercise(hoarder, "sigmoid").feedback or "not defined" in _exercise(hoarder, "sigmoid").feedback
    assert _exercise(hoarder, "numerical_derivative").points == 2


def test_huge_output_is_truncated(bad_class):
    results, _, out = bad_class
    assert results[("chatty", CHAIN)].score == results[("chatty", CHAIN)].max_score
    executed = out / ".work" / "done" / "chatty" / CHAIN / f"{CHAIN}.ipynb"
    assert executed.stat().st_size < 1_000_000


def test_dead_kernel_keeps_other_points(bad_class):
    results, problems, _ = bad_class
    crasher = results[("crasher", CHAIN)]

    # The crash is in sigmoid_prime, which neuron_derivatives also calls.
    assert _exercise(crasher, "sigmoid").points == 1
    assert _exercise(crasher, "numerical_derivative").points == 2
    assert _exercise(crasher, "sigmoid_prime").points == 0
    assert _exercise(crasher, "neuron_derivatives").points == 0
    assert any("kernel died" in p and "sigmoid_prime_answer" in p for p in problems if p.startswith("crasher/"))


def test_corrupt_notebook_is_reported(bad_class):
    results, problems, _ = bad_class
    assert results[("corrupt", CHAIN)].score == 0
    assert any(p.startswith("corrupt/") and "not a valid notebook" in p for p in problems)


def test_missing_notebook_is_reported(bad_class):
    results, problems, _ = bad_class
    assert results[("missing", CHAIN)].score == 0
    assert any(p.startswith("missing/") and "is missing" in p for p in problems)


def test_wrong_layout_is_reported(bad_class):
    _, problems, _ = bad_class
    assert any("unknown assignment folder 'week1'" in p for p in problems)
    assert any("stray.txt" in p for p in problems)


def test_grade_files_list_every_student(bad_class):
    _, _, out = bad_class
    students = {row["student_id"] for row in _read_csv(out / "grades.csv")}
    assert students == {"ada", "zoë müller", "looper", "hoarder", "chatty", "crasher", "corrupt", "missing"}


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("small") / "submitted"
    for student in ("ada_lovelace", "alan_turing", "barbara_liskov", "katherine_johnson"):  # 8 notebooks
        for assignment in (CHAIN, NEURON):
            shutil.copytree(REPO / "examples" / "submitted" / student / assignment, root / student / assignment)
    return root


def _gradebook_scores(out: Path) -> dict:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        scores[(submission.student.id, assignment.name, grade.name)] = grade.score
    return scores


@pytest.fixture(scope="module")
def sequential_run(small_class, tmp_path_factory):
    out = tmp_path_factory.mktemp("sequential")
    grade_class(CourseLayoutForTests(), small_class, out, jobs=1)
    return out


def test_parallel_equals_sequential(small_class, sequential_run, tmp_path):
    grade_class(CourseLayoutForTests(), small_class, tmp_path, jobs=2)
    for name in ("grades.csv", "grades_by_exercise.csv"):
        assert _points(tmp_path / name) == _points(sequential_run / name), name
    assert _gradebook_scores(tmp_path) == _gradebook_scores(sequential_run)


def test_killed_run_resumes(small_class, sequential_run, tmp_path):
    command = [sys.executable, "-m", "backprop_lib", "grade", str(small_class), "--out", str(tmp_path), "--jobs", "1"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not list((tmp_path / ".work" / "done").glob("*/*/record.json")):
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished_before = len(list((tmp_path / ".work" / "done").glob("*/*/record.json")))
    assert 0 < finished_before < 8, "the run was not stopped midway"

    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    counts = re.search(r"(\d+) to execute, (\d+) finished earlier", resumed.stderr)
    assert counts, resumed.stderr
    to_execute, finished_earlier = int(counts.group(1)), int(counts.group(2))
    assert finished_earlier >= finished_before
    assert to_execute + finished_earlier == 8

    for name in ("grades.csv", "grades_by_exercise.csv"):
        assert _points(tmp_path / name) == _points(sequential_run / name), name
    assert _gradebook_scores(tmp_path) == _gradebook_scores(sequential_run)


def test_second_run_executes_nothing(small_class, sequential_run):
    result = subprocess.run(
        [sys.executable, "-m", "backprop_lib", "grade", str(small_class), "--out", str(sequential_run), "--jobs", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    assert "0 to execute, 8 finished earlier" in result.stderr
