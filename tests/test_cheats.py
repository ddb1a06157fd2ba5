"""Cheats graded end to end: each earns nothing for what it cheated on and is flagged.

Every cheat starts from the full solution of 01_chain_rule, so without the
defenses it would earn full marks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backprop_lib.grade import grade_class
from backprop_lib.grade_results import pass_line_counts

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "01_chain_rule"
SOLUTION = REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def _answer_cell(cells, grade_id):
    return next(c for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def _append_to_answer(grade_id, code):
    def change(cells):
        cell = _answer_cell(cells, grade_id)
        cell["source"] = "".join(cell["source"]) + "\n\n" + code
    return change


def _replace_answer(grade_id, code):
    def change(cells):
        _answer_cell(cells, grade_id)["source"] = code
    return change


def _insert_cell(position, code):
    def change(cells):
        cells.insert(position, {"cell_type": "code", "metadata": {}, "source": code, "outputs": [], "execution_count": None})
    return change


# student id -> (change to the solution, exercise that must earn 0 or None for every exercise)
CHEATS = {
    "patch_allclose": (_append_to_answer("sigmoid_answer", "np.allclose = lambda *args, **kwargs: True"), None),
    "reference_call": (
        _replace_answer(
            "sigmoid_answer",
            "from backprop_lib.activations import sigmoid as library_sigmoid\n\n\ndef sigmoid(z):\n    return library_sigmoid(z)\n",
        ),
        "sigmoid",
    ),
    "input_transformer": (
        _insert_cell(3, "get_ipython().input_transformers_cleanup.append(lambda lines: [])"),
        None,
    ),
    "kill_kernel": (_insert_cell(-1, "import os\nos._exit(0)"), None),
    "replace_module": (
        _insert_cell(3, "import sys, types\nsys.modules['backprop_lib.grading.chain_rule'] = types.ModuleType('fake')"),
        None,
    ),
    "redefine_show_example": (_insert_cell(3, "show_example = lambda *args, **kwargs: None"), None),
    "hide_tracebacks": (
        _insert_cell(3, "ip = get_ipython()\nip.showtraceback = lambda *args, **kwargs: None"),
        None,
    ),
    "read_solution": (
        _append_to_answer("sigmoid_answer", "source = open('../../solutions/01_chain_rule/01_chain_rule.ipynb').read()"),
        None,
    ),
    "obfuscated_patch": (
        _append_to_answer("sigmoid_answer", "getattr(__import__('num' + 'py'), 'testing').assert_allclose = print"),
        None,
    ),
    "system_exit": (_insert_cell(-1, "raise SystemExit('skip the tests')"), None),
}


@pytest.fixture(scope="module")
def cheat_grades(layout, tmp_path_factory):
    root = tmp_path_factory.mktemp("cheats")
    solution = json.loads(SOLUTION.read_text(encoding="utf-8"))
    for student, (change, _) in CHEATS.items():
        notebook = json.loads(json.dumps(solution))
        change(notebook["cells"])
        target = root / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True)
        (target / SOLUTION.name).write_text(json.dumps(notebook), encoding="utf-8")
    results, problems = grade_class(layout, root / "submitted", root / "out", jobs=2)
    return {r.student_id: r for r in results}, problems


@pytest.mark.parametrize("student", sorted(CHEATS))
def test_cheat_earns_nothing(cheat_grades, student):
    results, _ = cheat_grades
    cheated_exercise = CHEATS[student][1]
    result = results[student]
    if cheated_exercise is None:
        assert result.score == 0, [(e.exercise, e.points, e.feedback) for e in result.exercises]
    else:
        exercise = next(e for e in result.exercises if e.exercise == cheated_exercise)
        assert exercise.points == 0, exercise


@pytest.mark.parametrize("student", sorted(CHEATS))
def test_cheat_is_flagged(cheat_grades, student):
    _, problems = cheat_grades
    flagged = [p for p in problems if p.startswith(f"{student}/") and "flagged for review" in p]
    assert flagged, f"{student} was not flagged; problems: {problems}"


def _autograded_notebook(tmp_path, stdout_by_cell):
    cells = []
    for grade_id, text in stdout_by_cell.items():
        outputs = [{"output_type": "stream", "name": "stdout", "text": text}] if text else []
        cells.append({"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "grade_id": grade_id}}, "outputs": outputs, "source": ""})
    path = tmp_path / "graded.ipynb"
    path.write_text(json.dumps({"cells": cells}))
    return path


def test_pass_lines_counted_per_cell(tmp_path):
    path = _autograded_notebook(
        tmp_path,
        {
            "sigmoid_check": "sigmoid\n  ok\nsigmoid: passed 3 hidden random cases (seed 12).\n",
            "train_check": "train_neuron: passed 1 hidden random case (seed 7).\n",
            "blanked_check": "",
            "forged_check": "sigmoid: passed all tests\n",
        },
    )
    assert pass_line_counts(path) == {"sigmoid_check": 1, "train_check": 1, "blanked_check": 0, "forged_check": 0}
