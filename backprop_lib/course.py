"""Where the course lives on disk, and which assignments it has.

The course root is the folder holding ``nbgrader_config.py``, ``solutions/``
and ``course/``: the current directory when it is one, otherwise the
checkout this package was installed from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class CourseError(Exception):
    """Bad input from the user: the message says what was wrong and what to do."""


@dataclass(frozen=True)
class CourseLayout:
    """The course root and its fixed folders."""

    root: Path

    @property
    def solutions(self) -> Path:
        """The nbgrader source folder: one sub-folder per assignment."""
        return self.root / "solutions"

    @property
    def course(self) -> Path:
        """The student notebooks, generated from :attr:`solutions`."""
        return self.root / "course"

    @property
    def nbgrader_config(self) -> Path:
        """The repository's nbgrader configuration file."""
        return self.root / "nbgrader_config.py"

    def assignments(self) -> list[str]:
        """Assignment names in teaching order (``01_chain_rule``, ``02_single_neuron``, ...)."""
        return sorted(
            path.name
            for path in self.solutions.iterdir()
            if path.is_dir() and not path.name.startswith((".", "_")) and any(path.glob("*.ipynb"))
        )

    def source_notebooks(self, assignment: str) -> list[Path]:
        """The source notebooks of one assignment."""
        return sorted(p for p in (self.solutions / assignment).glob("*.ipynb") if not p.name.startswith("."))


def _is_course_root(path: Path) -> bool:
    return (path / "solutions").is_dir() and (path / "nbgrader_config.py").is_file()


def find_course(start: Path | None = None) -> CourseLayout:
    """Locate the course root, or raise :class:`CourseError`."""
    candidates = [start or Path.cwd(), Path(__file__).resolve().parent.parent]
    for candidate in candidates:
        if _is_course_root(candidate):
            return CourseLayout(candidate.resolve())
    raise CourseError(
        "could not find the course: no folder with solutions/ and nbgrader_config.py "
        f"among {', '.join(str(c) for c in candidates)}; run the command from the repository root."
    )
