"""A private nbgrader course directory in which the CLI generates and grades.

Plain nbgrader keeps its gradebook and its submitted/, autograded/ and
feedback/ folders next to the configuration it reads. The CLI runs nbgrader
in a folder of its own with a copy of the repository's configuration, so
grading never writes into the repository.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ._nbgrader_main import STEP_MARK
from .course import CourseError, CourseLayout

log = logging.getLogger(__name__)

WORKSPACE_OVERRIDES = """

# Added by backprop-course for its private grading workspace.
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = {db_url!r}
c.Execute.timeout = {timeout!r}
"""


@dataclass(frozen=True)
class ExecutionLimits:
    """Limits on one learner notebook's execution during grading.

    Attributes
    ----------
    timeout : int
        Seconds one cell may run before nbgrader interrupts it; the cell then
        shows ``CellTimeoutError`` and the notebook goes on.
    memory_mb : int
        Address-space limit of the kernel in MiB; 0 for none.
    max_output_chars : int
        Characters one cell may print per stream; 0 for no limit.
    blas_threads : int
        Threads each kernel's BLAS and OpenMP may start; 0 leaves their
        default, one per core. Kernels that run side by side are faster with
        their share of the cores than when each starts a thread per core.
    """

    timeout: int = 60
    memory_mb: int = 4096
    max_output_chars: int = 200_000
    blas_threads: int = 0


class Workspace:
    """An nbgrader course directory at ``root`` holding copies of the chosen assignments.

    Parameters
    ----------
    layout : CourseLayout
        The course whose solutions and nbgrader configuration are copied.
    root : Path
        Folder for the workspace; created if missing.
    db_url : str or None
        Gradebook URL; a SQLite file inside ``root`` when None.
    """

    def __init__(
        self,
        layout: CourseLayout,
        root: Path,
        db_url: str | None = None,
        limits: ExecutionLimits | None = None,
    ) -> None:
        self.layout = layout
        self.root = root.resolve()
        self.db_url = db_url or f"sqlite:///{self.root / 'gradebook.db'}"
        self.limits = limits or ExecutionLimits()
        self.root.mkdir(parents=True, exist_ok=True)
        config = layout.nbgrader_config.read_text(encoding="utf-8")
        config += WORKSPACE_OVERRIDES.format(root=str(self.root), db_url=self.db_url, timeout=self.limits.timeout)
        (self.root / "nbgrader_config.py").write_text(config, encoding="utf-8")
        self._write_kernel_spec()

    def _write_kernel_spec(self) -> None:
        """Shadow the ``python3`` kernel with :mod:`backprop_lib._kernel`, which applies the limits."""
        spec_dir = self.root / "jupyter" / "kernels" / "python3"
        spec_dir.mkdir(parents=True, exist_ok=True)
        spec = {
            "argv": [sys.executable, "-m", "backprop_lib._kernel", "-f", "{connection_file}"],
            "display_name": "Python 3 (grading limits)",
            "language": "python",
            "metadata": {"debugger": False},
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")

    def add_source(self, assignment: str) -> None:
        """Copy ``solutions/<assignment>`` into the workspace's source folder."""
        target = self.root / "source" / assignment
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(
            self.layout.solutions / assignment,
            target,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )

    def environment(self) -> dict[str, str]:
        """Return the environment of nbgrader and its kernels: this process's, with the grading limits.

        nbgrader creates its gradebook by running the ``alembic`` executable,
        so the folder of this Python's scripts goes first on PATH.
        """
        env = dict(os.environ)
        scripts = str(Path(sys.executable).parent)
        env["PATH"] = scripts + os.pathsep + env.get("PATH", "")
        env["JUPYTER_PATH"] = str(self.root / "jupyter") + os.pathsep + env.get("JUPYTER_PATH", "")
        env["BACKPROP_KERNEL_MEMORY_MB"] = str(self.limits.memory_mb)
        env["BACKPROP_KERNEL_MAX_OUTPUT"] = str(self.limits.max_output_chars)
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        if self.limits.blas_threads:
            for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                env.setdefault(name, str(self.limits.blas_threads))
        return env

    @property
    def kernel_dirs(self) -> list[str]:
        """Folders that hold the grading kernel's spec, searched before any other."""
        return [str(self.root / "jupyter" / "kernels")]

    def _run(self, args: list[str]) -> subprocess.CompletedProcess:
        """Run ``python -m backprop_lib._nbgrader_main ARGS`` in the workspace and append its output to nbgrader.log.

        """
        env = self.environment()
        command = [sys.executable, "-m", "backprop_lib._nbgrader_main", *args]
        log.debug("running %s in %s", " ".join(command), self.root)
        result = subprocess.run(command, cwd=self.root, env=env, capture_output=True, text=True)
        with open(self.root / "nbgrader.log", "a", encoding="utf-8") as log_file:
            log_file.write(f"$ nbgrader {' '.join(args)}\n{result.stdout}{result.stderr}\n")
        return result

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        """Run ``nbgrader ARGS`` in the workspace and return the finished process.

        Raises
        ------
        CourseError
            When nbgrader exits with an error; the message contains the end of its log.
        """
        result = self._run(list(args))
        if result.returncode != 0:
            raise CourseError(f"nbgrader {args[0]} failed (exit {result.returncode}):\n{_tail(result)}")
        return result

    def nbgrader_steps(self, *steps: tuple[str, ...]) -> list[str]:
        """Run several nbgrader commands in one process, each to its end, and return the failures.

        One process saves the 3 s that each nbgrader start-up costs. A command
        runs even when an earlier one failed, as separate ``nbgrader`` calls
        would.

        Parameters
        ----------
        *steps : tuple of str
            The arguments of each command, for example
            ``("autograde", "01_chain_rule", "--force")``.

        Returns
        -------
        list of str
            One message per failed command, containing the end of the log; empty
            when every command exited 0.
        """
        result = self._run(["--steps", json.dumps([list(step) for step in steps])])
        codes = {}
        for line in result.stdout.splitlines():
            if line.startswith(STEP_MARK):
                number, _, code = line[len(STEP_MARK) :].split()
                codes[int(number)] = int(code)

        failures = []
        for number, step in enumerate(steps, start=1):
            code = codes.get(number)
            if code is None:
                failures.append(f"nbgrader {step[0]} did not run (the process exited {result.returncode}):\n{_tail(result)}")
            elif code != 0:
                failures.append(f"nbgrader {step[0]} failed (exit {code}):\n{_tail(result)}")
        return failures

    def generate(self, *assignments: str) -> None:
        """Copy the assignments in and run ``generate_assignment`` on each, in one nbgrader process.

        The student versions land in ``release/<assignment>/``.

        Raises
        ------
        CourseError
            When nbgrader fails on any of them; the message contains the end of its log.
        """
        for assignment in assignments:
            self.add_source(assignment)
        failures = self.nbgrader_steps(*[("generate_assignment", assignment, "--force") for assignment in assignments])
        if failures:
            raise CourseError(failures[0])


def _tail(result: subprocess.CompletedProcess, lines: int = 15) -> str:
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])


def require_nbgrader() -> None:
    """Raise :class:`CourseError` when nbgrader is not installed for this Python.

    The check finds the package without importing it, which would take
    several seconds.
    """
    if importlib.util.find_spec("nbgrader") is None:
        raise CourseError(
            f"nbgrader is not installed for {sys.executable}; run `make install` or "
            f"`pip install -e .` in the repository."
        )
