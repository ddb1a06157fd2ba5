"""Grade the rest of a notebook whose code stopped the Python kernel.

nbgrader keeps nothing of a notebook whose kernel dies during execution (a
crash in native code, a process exit), so that notebook would earn 0 for
every exercise. This module finds the cell during which the kernel died, by
executing the notebook the way nbgrader does, and replaces the answer that
ran there with a line that raises an error. Graded again, the notebook
earns 0 only for the exercises that need that answer.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

log = logging.getLogger(__name__)

SKIPPED_SOURCE = (
    'raise RuntimeError("During grading this cell stopped the Python kernel (a crash or an exit), '
    'so it was not run. Run the notebook from the top to find the crash.")\n'
)
"""What a fatal answer cell is replaced with before the notebook is graded again."""


def _nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def as_graded(submission: nbformat.NotebookNode, source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy of ``submission`` whose test cells have the source's code, hidden tests included.

    nbgrader's autograde does the same before it executes a submission, so
    this copy runs the code that grading runs.
    """
    tests = {
        _nbgrader_meta(cell).get("grade_id"): cell.source
        for cell in source.cells
        if _nbgrader_meta(cell).get("grade") and not _nbgrader_meta(cell).get("solution")
    }
    graded = nbformat.from_dict(submission)
    for cell in graded.cells:
        grade_id = _nbgrader_meta(cell).get("grade_id")
        if grade_id in tests:
            cell.source = tests[grade_id]
    return graded


def fatal_cell(notebook: nbformat.NotebookNode, folder: Path, kernel_dirs: list[str], env: dict[str, str], timeout: int) -> int | None:
    """Execute ``notebook`` in ``folder`` and return the index of the cell during which the kernel died.

    The notebook runs in a separate Python process
    (``python -m backprop_lib.dead_kernel``), so the sockets and event loop
    of the dead kernel's client are never left open in this one.

    Parameters
    ----------
    notebook : NotebookNode
        The notebook as nbgrader executes it (see :func:`as_graded`).
    folder : Path
        Working directory of the kernel.
    kernel_dirs : list of str
        Folders searched for the ``python3`` kernel spec, the grading kernel first.
    env : dict of str to str
        Environment of the kernel, with the grading limits.
    timeout : int
        Seconds each cell may run.

    Returns
    -------
    int or None
        The cell index, or None when the kernel did not die.
    """
    with tempfile.TemporaryDirectory(prefix="backprop-replay-") as scratch:
        path = Path(scratch) / "replay.ipynb"
        nbformat.write(notebook, path)
        command = [sys.executable, "-m", "backprop_lib.dead_kernel", str(path), str(folder), str(timeout), *kernel_dirs]
        result = subprocess.run(command, env=env, capture_output=True, text=True)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        log.warning("could not replay the notebook in %s to find the crash: %s", folder, result.stderr.strip()[-500:])
        return None
    return json.loads(lines[-1])


def _replay(path: Path, folder: Path, timeout: int, kernel_dirs: list[str]) -> int | None:
    """Execute the notebook at ``path`` and return the index of the cell during which the kernel died."""
    specs = KernelSpecManager(kernel_dirs=kernel_dirs)
    manager = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)
    started: list[int] = []
    client = NotebookClient(
        nbformat.read(path, as_version=4),
        km=manager,
        timeout=timeout,
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(folder)}},
        on_cell_start=lambda cell, cell_index: started.append(cell_index),
    )
    try:
        client.execute(stderr=subprocess.DEVNULL)
    except DeadKernelError:
        return started[-1] if started else None
    return None


def skip_answer(notebook: nbformat.NotebookNode, index: int) -> str | None:
    """Replace the answer that was running when cell ``index`` killed the kernel; return its name.

    A test cell kills the kernel by calling the learner's code, so the answer
    replaced is the nearest answer cell at or above ``index``. A cell the
    learner added (no nbgrader metadata) is replaced itself. Returns None
    when no such cell exists, for example when the fatal cell is read-only
    course code above every answer.
    """
    for position in range(index, -1, -1):
        cell = notebook.cells[position]
        meta = _nbgrader_meta(cell)
        if cell.cell_type != "code" or cell.source == SKIPPED_SOURCE:
            continue
        if meta.get("solution") or (position == index and not meta):
            name = meta.get("grade_id") or f"cell {position}"
            cell.source = SKIPPED_SOURCE
            return name
    return None


def main() -> None:
    """Replay one notebook: ``python -m backprop_lib.dead_kernel NOTEBOOK FOLDER TIMEOUT KERNEL_DIR...``.

    Prints the index of the cell during which the kernel died, or ``null``.
    """
    path, folder, timeout, *kernel_dirs = sys.argv[1:]
    print(json.dumps(_replay(Path(path), Path(folder), int(timeout), kernel_dirs)))


if __name__ == "__main__":
    main()
