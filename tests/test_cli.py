"""The backprop-course command: exit codes, messages and the check report."""

from __future__ import annotations

import subprocess
from pathlib import Path
import sys

import pytest

from backprop_lib.cli import format_check_report, format_score_table, main
from backprop_lib.grade import AssignmentResult, ExerciseResult

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backprop_lib", *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )


def test_grade_missing_folder_exits_2(tmp_path, capsys):
    code = main(["grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
    assert code == 2
    message = capsys.readouterr().err
    assert "nowhere" in message
    assert "does not exist" in message


def test_grade_empty_folder_exits_2(tmp_path, capsys):
    (tmp_path / "submitted").mkdir()
    code = main(["grade", str(tmp_path / "submitted"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "no submissions found" in capsys.readouterr().err


def test_grade_rejects_zero_jobs(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--jobs", "0"])
    assert exit_info.value.code == 2
    assert "invalid job count 0" in capsys.readouterr().err


def test_check_non_notebook_exits_2(tmp_path, capsys):
    text_file = tmp_path / "answers.txt"
    text_file.write_text("not a notebook")
    assert main(["check", str(text_file)]) == 2
    assert "answers.txt" in capsys.readouterr().err


def test_check_unknown_notebook_exits_2(tmp_path, capsys):
    notebook = tmp_path / "my_homework.ipynb"
    notebook.write_text("{}")
    assert main(["check", str(notebook)]) == 2
    message = capsys.readouterr().err
    assert "my_homework.ipynb" in message
    assert "01_chain_rule/01_chain_rule.ipynb" in message


def test_check_solution_prints_full_marks():
    result = run_cli("check", "solutions/01_chain_rule/01_chain_rule.ipynb")
    assert result.returncode == 0, result.stderr
    assert "score: 6 / 6" in result.stdout, result.stdout


def test_check_blank_prints_zero_and_unanswered():
    result = run_cli("check", "course/01_chain_rule/01_chain_rule.ipynb")
    assert result.returncode == 0, result.stderr
    assert "score: 0 / 6" in result.stdout, result.stdout
    for exercise in ("sigmoid", "sigmoid_prime", "numerical_derivative", "neuron_derivatives"):
        line = next(line for line in result.stdout.splitlines() if line.strip().startswith(exercise + " "))
        assert "not answered" in line, line


def test_generate_check_exits_0_when_current():
    result = run_cli("generate", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


def test_generate_check_exits_1_when_stale(tmp_path):
    import shutil

    copy = tmp_path / "repo"
    shutil.copytree(REPO / "solutions", copy / "solutions")
    shutil.copytree(REPO / "course", copy / "course")
    shutil.copy(REPO / "nbgrader_config.py", copy / "nbgrader_config.py")
    stale = next((copy / "course").glob("*/*.ipynb"))
    stale.write_text(stale.read_text().replace("sigmoid", "sigmoid ", 1))
    result = run_cli("generate", "--check", cwd=copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert stale.name in result.stdout


def test_score_table_lists_each_student():
    results = [
        AssignmentResult("ada", "01_chain_rule", 6, 6),
        AssignmentResult("ada", "02_single_neuron", 4, 9),
        AssignmentResult("bo", "01_chain_rule", 0, 6),
    ]
    table = format_score_table(results).splitlines()
    assert table[0].split() == ["student", "01_chain_rule", "02_single_neuron"]
    assert table[1].split() == ["ada", "6", "/", "6", "4", "/", "9"]
    assert table[2].split() == ["bo", "0", "/", "6", "-"]


def test_check_report_separates_manual_points():
    result = AssignmentResult(
        "learner",
        "02_single_neuron",
        score=3,
        max_score=5,
        exercises=[
            ExerciseResult("neuron_forward", 3, 3, "passed"),
            ExerciseResult("derive_dw", None, 2, "needs manual grading"),
        ],
    )
    report = format_check_report(result)
    assert "score: 3 / 3" in report
    assert "2 more points are for written answers graded by hand" in report
