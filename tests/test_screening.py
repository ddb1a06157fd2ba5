"""Static screening: honest notebooks pass clean, each kind of tampering is flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from backprop_lib.course import CourseLayout
from backprop_lib.screening import screen_code, screen_notebook

REPO = Path(__file__).resolve().parent.parent
LAYOUT = CourseLayout(REPO)


def honest_notebooks():
    for assignment in LAYOUT.assignments():
        for source in LAYOUT.source_notebooks(assignment):
            yield pytest.param(source, source, id=f"solution-{assignment}")
            student = LAYOUT.course / assignment / source.name
            if student.exists():
                yield pytest.param(source, student, id=f"blank-{assignment}")
            for submitted in sorted((REPO / "examples" / "submitted").glob(f"*/{assignment}/{source.name}")):
                yield pytest.param(source, submitted, id=f"{submitted.parts[-3]}-{assignment}")


@pytest.mark.parametrize(("source", "submitted"), list(honest_notebooks()))
def test_screen_honest_notebook_is_clean(source, submitted):
    assert screen_notebook(source, submitted) == []


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("np.allclose = lambda *args, **kwargs: True", "modifies the module numpy (np.allclose)"),
        ("import numpy\nnumpy.testing.assert_allclose = print", "modifies the module numpy"),
        ("import numpy.testing as t\nt.assert_allclose = print", "modifies the module numpy.testing"),
        ("setattr(np, 'abs', lambda x: x)", "calls setattr()"),
        ("import builtins\nbuiltins.isinstance = lambda *a: True", "imports builtins"),
        ("from backprop_lib.grading import chain_rule", "imports the grading code"),
        ("import backprop_lib.grading.core as core", "imports the grading code"),
        ("from backprop_lib import grading", "imports the grading code"),
        ("get_ipython().input_transformers_cleanup.append(lambda lines: [])", "calls get_ipython()"),
        ("ip = get_ipython()\nip.showtraceback = lambda *a, **k: None", "uses .showtraceback"),
        ("import os\nos._exit(0)", "uses ._exit"),
        ("raise SystemExit", "raises SystemExit"),
        ("raise SystemExit(0)", "raises SystemExit"),
        ("import sys\nsys.modules['numpy'] = None", "uses .modules"),
        ("import sys\nsys.stderr = open('/dev/null', 'w')", "uses .stderr"),
        ("exec('np.abs = None')", "calls exec()"),
        ("getattr(__import__('num' + 'py'), 'abs')", "calls __import__()"),
        ("show_example = lambda *args, **kwargs: None", "redefines 'show_example'"),
        ("text = open('../../solutions/01_chain_rule/01_chain_rule.ipynb').read()", "names nbgrader's files"),
        ("x = ().__class__.__bases__[0].__subclasses__()", "uses .__class__"),
        ("%xmode Minimal", "uses the IPython magic %xmode"),
        ("!rm -rf ../source", "runs a shell command"),
        ("import ctypes", "imports ctypes"),
    ],
)
def test_screen_code_flags_tampering(code, reason):
    from backprop_lib.screening import _ScreenContext

    context = _ScreenContext(
        {"np": "numpy", "numpy": "numpy", "show_example": "backprop_lib.grading.show_example"},
        {"np", "show_example", "chain_rule"},
    )
    reasons = screen_code(code, context)
    assert any(reason in r for r in reasons), reasons


@pytest.mark.parametrize(
    "code",
    [
        "import numpy as np\nimport math",
        "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
        "dw = np.zeros_like(w)\nfor i in range(w.shape[1]):\n    dw[0, i] = delta * x[i, 0]",
        "%matplotlib inline\nplt.plot([1, 2])",
        "try:\n    value = float(z)\nexcept TypeError:\n    value = 0.0",
        "losses = []\nlosses.append(0.5)",
        "raise NotImplementedError()",
    ],
)
def test_screen_code_accepts_honest_code(code):
    assert screen_code(code) == []
