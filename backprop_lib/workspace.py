"""A private nbgrader course directory in which the CLI generates and grades.

Plain nbgrader keeps its gradebook and its submitted/, autograded/ and
feedback/ folders next to the configuration it reads. The CLI runs nbgrader
in a folder of its own with a copy of the repository's configuration, so
grading never writes into the repository.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

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
"""


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

    def __init__(self, layout: CourseLayout, root: Path, db_url: str | None = None) -> None:
        self.layout = layout
        self.root = root.resolve()
        self.db_url = db_url or f"sqlite:///{self.root / 'gradebook.db'}"
        self.root.mkdir(parents=True, exist_ok=True)
        config = layout.nbgrader_config.read_text(encoding="utf-8")
        config += WORKSPACE_OVERRIDES.format(root=str(self.root), db_url=self.db_url)
        (self.root / "nbgrader_config.py").write_text(config, encoding="utf-8")

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

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        """Run ``nbgrader ARGS`` in the workspace and return the finished process.

        nbgrader creates its gradebook by running the ``alembic`` executable,
        so the folder of this Python's scripts goes first on PATH.

        Raises
        ------
        CourseError
            When nbgrader exits with an error; the message holds the end of its log.
        """
        env = dict(os.environ)
        scripts = str(Path(sys.executable).parent)
        env["PATH"] = scripts + os.pathsep + env.get("PATH", "")
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        command = [sys.executable, "-m", "backprop_lib._nbgrader_main", *args]
        log.debug("running %s in %s", " ".join(command), self.root)
        result = subprocess.run(command, cwd=self.root, env=env, capture_output=True, text=True)
        with open(self.root / "nbgrader.log", "a", encoding="utf-8") as log_file:
            log_file.write(f"$ nbgrader {' '.join(args)}\n{result.stdout}{result.stderr}\n")
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            raise CourseError(f"nbgrader {args[0]} failed (exit {result.returncode}):\n{tail}")
        return result

    def generate(self, assignment: str) -> Path:
        """Copy the assignment in, run ``generate_assignment`` and return its release folder."""
        self.add_source(assignment)
        self.nbgrader("generate_assignment", assignment, "--force")
        return self.root / "release" / assignment


def require_nbgrader() -> None:
    """Raise :class:`CourseError` when nbgrader cannot be imported by this Python."""
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        raise CourseError(
            f"nbgrader is not installed for {sys.executable}; run `make install` or "
            f"`pip install -e .` in the repository."
        ) from None
