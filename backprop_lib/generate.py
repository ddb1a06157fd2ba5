"""Regenerate course/ from solutions/ with nbgrader, or check that it is current."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

from .course import CourseLayout
from .workspace import Workspace

log = logging.getLogger(__name__)


def generate_release(layout: CourseLayout, target: Path) -> None:
    """Write the student version of every assignment to ``target/<assignment>/``.

    nbgrader runs in a temporary workspace, so the repository's gradebook is
    neither created nor changed.
    """
    with tempfile.TemporaryDirectory(prefix="backprop-generate-") as scratch:
        workspace = Workspace(layout, Path(scratch))
        assignments = layout.assignments()
        log.info("generating %s", ", ".join(assignments))
        workspace.generate(*assignments)
        for assignment in assignments:
            release = workspace.root / "release" / assignment
            destination = target / assignment
            if destination.exists():
                shutil.rmtree(destination)
            shutil.copytree(release, destination)


def stale_files(layout: CourseLayout) -> list[str]:
    """Return the paths under course/ that differ from a fresh generation (empty when current)."""
    with tempfile.TemporaryDirectory(prefix="backprop-generate-check-") as scratch:
        fresh = Path(scratch) / "fresh"
        fresh.mkdir()
        generate_release(layout, fresh)
        return _differences(fresh, layout.course)


def regenerate(layout: CourseLayout) -> None:
    """Replace course/ with a fresh generation from solutions/."""
    with tempfile.TemporaryDirectory(prefix="backprop-generate-new-") as scratch:
        fresh = Path(scratch) / "course"
        fresh.mkdir()
        generate_release(layout, fresh)
        if layout.course.exists():
            shutil.rmtree(layout.course)
        shutil.copytree(fresh, layout.course)


def _differences(fresh: Path, current: Path) -> list[str]:
    fresh_files = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file() and _tracked(p)}
    current_files = (
        {p.relative_to(current) for p in current.rglob("*") if p.is_file() and _tracked(p)}
        if current.exists()
        else set()
    )
    differing = sorted(str(p) for p in fresh_files ^ current_files)
    for relative in sorted(fresh_files & current_files):
        if not _same_content(fresh / relative, current / relative):
            differing.append(str(relative))
    return differing


def _tracked(path: Path) -> bool:
    return ".ipynb_checkpoints" not in path.parts and "__pycache__" not in path.parts


def _same_content(a: Path, b: Path) -> bool:
    if a.suffix == ".ipynb":
        return json.loads(a.read_text(encoding="utf-8")) == json.loads(b.read_text(encoding="utf-8"))
    return a.read_bytes() == b.read_bytes()
