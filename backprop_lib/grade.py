"""Grade a class of submissions with nbgrader: in parallel, resumable, and safe against bad notebooks.

Input layout (nbgrader's own): ``SUBMITTED/<student_id>/<assignment>/<notebook>.ipynb``.
Output in ``OUT``: ``grades.csv``, ``grades_by_exercise.csv``,
``feedback/<student_id>/<assignment>/<notebook>.html``, and the gradebook
(``gradebook.db``, or the database named by ``db_url``).

A run has three stages, all under ``OUT/.work``:

1. **Screen.** Files that are not notebooks, and notebooks that static
   screening flags, earn 0 with a problem line and are never executed.
2. **Execute.** The remaining notebooks are split by student into ``jobs``
   shards. Each shard is a private nbgrader workspace with its own SQLite
   gradebook, so shards running at once share no database and no files. A
   shard runs ``nbgrader autograde`` on a few students at a time and moves
   each executed notebook into ``done/``, keyed by a hash of the submission,
   its source notebook and the grading code. A later run skips every
   notebook already in ``done/`` with the same hash, so a run that was
   killed resumes where it stopped.
3. **Merge.** One workspace on the real gradebook runs ``nbgrader autograde
   --no-execute`` over the executed notebooks (this saves their grades
   without running them again) and ``generate_feedback``, then the grade
   files are written atomically.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from pathlib import Path

from .course import CourseError, CourseLayout
from .grade_report import Progress, write_grade_files
from .grade_results import (
    FLAGGED,
    AssignmentResult,
    ExerciseResult,
    Submission,
    exercise_name,
    read_result,
    unreadable_reason,
    zero_result,
)
from .screening import screen_notebook
from .workspace import ExecutionLimits, Workspace

__all__ = ["AssignmentResult", "ExerciseResult", "Submission", "discover", "exercise_name", "grade_class"]

log = logging.getLogger(__name__)

CRASH_RETRIES = 3
"""Answers skipped, one per round, before a notebook whose kernel keeps dying earns 0."""

STUDENTS_PER_RUN = 8
"""Notebooks one ``nbgrader autograde`` call executes; a killed run loses at most this many per shard."""

MARKER = ".backprop-key"
"""File placed beside each submission in a shard, holding the submission's hash."""


def discover(layout: CourseLayout, submitted: Path) -> tuple[list[Submission], list[str]]:
    """List the submissions under ``submitted`` and the problems found on the way.

    Raises
    ------
    CourseError
        When ``submitted`` is not a folder.
    """
    if not submitted.is_dir():
        raise CourseError(
            f"submission folder {str(submitted)!r} does not exist or is not a folder; pass the folder "
            f"that holds <student_id>/<assignment>/<notebook>.ipynb."
        )

    known = set(layout.assignments())
    submissions: list[Submission] = []
    problems: list[str] = []

    for entry in sorted(submitted.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            problems.append(f"{entry.name}: not a student folder (expected <student_id>/<assignment>/), skipped")
            continue
        assignment_dirs = sorted(p for p in entry.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not assignment_dirs:
            problems.append(f"{entry.name}: no assignment folders inside, nothing graded")
        for assignment_dir in assignment_dirs:
            if assignment_dir.name not in known:
                problems.append(
                    f"{entry.name}: unknown assignment folder {assignment_dir.name!r} skipped "
                    f"(known: {', '.join(sorted(known))})"
                )
                continue
            for source in layout.source_notebooks(assignment_dir.name):
                submissions.append(Submission(entry.name, assignment_dir.name, assignment_dir / source.name))
    return submissions, problems


def grade_class(
    layout: CourseLayout,
    submitted: Path,
    out: Path,
    jobs: int = 1,
    *,
    force: bool = False,
    db_url: str | None = None,
    limits: ExecutionLimits | None = None,
) -> tuple[list[AssignmentResult], list[str]]:
    """Grade every submission under ``submitted`` and write the grade files to ``out``.

    Parameters
    ----------
    layout : CourseLayout
        The course whose solutions hold the hidden tests.
    submitted : Path
        ``<student_id>/<assignment>/<notebook>.ipynb`` folders.
    out : Path
        Folder for grades, feedback, the default gradebook and the work files.
    jobs : int
        Shards executed at once.
    force : bool
        Execute every notebook again, even those a previous run finished.
    db_url : str, optional
        The gradebook's SQLAlchemy URL; ``sqlite:///OUT/gradebook.db`` by default.
    limits : ExecutionLimits, optional
        Per-cell timeout, memory and output limits.

    Returns
    -------
    results : list of AssignmentResult
        Sorted by student and assignment.
    problems : list of str
        One line per problem found, each starting with ``student/assignment:``
        when it concerns one notebook.
    """
    submissions, problems = discover(layout, submitted)
    if not submissions:
        raise CourseError(
            f"no submissions found under {str(submitted)!r}; expected "
            f"<student_id>/<assignment>/<notebook>.ipynb with assignments {', '.join(layout.assignments())}."
        )

    out.mkdir(parents=True, exist_ok=True)
    work = out / ".work"
    limits = limits or ExecutionLimits()
    started = time.monotonic()

    screened, runnable = _screen(layout, submissions)
    keys = {s: _submission_key(layout, s) for s in runnable}
    store = DoneStore(work / "done")
    store.harvest(work / "shards", runnable, keys)
    if force:
        store.forget(runnable)
    todo = [s for s in runnable if not store.finished(s, keys[s])]

    log.info(
        "grading %d notebooks from %d students: %d to execute, %d finished earlier, %d not executable",
        len(submissions),
        len({s.student_id for s in submissions}),
        len(todo),
        len(runnable) - len(todo),
        len(screened),
    )
    progress = Progress(len(submissions))
    progress.advance(len(submissions) - len(todo))
    if todo:
        _execute(layout, todo, keys, store, work / "shards", jobs, limits, progress)
    progress.close()

    results = list(screened.values()) + _merge(layout, runnable, store, out, db_url, limits)
    results.sort(key=lambda r: (r.student_id, r.assignment))
    for result in results:
        problems.extend(f"{result.student_id}/{result.assignment}: {p}" for p in result.problems)
    write_grade_files(out, results)
    log.info("graded %d notebooks in %.1f s", len(results), time.monotonic() - started)
    return results, problems


def _screen(
    layout: CourseLayout, submissions: list[Submission]
) -> tuple[dict[Submission, AssignmentResult], list[Submission]]:
    """Split submissions into zero results (unreadable or flagged) and notebooks to execute."""
    screened: dict[Submission, AssignmentResult] = {}
    runnable = []
    for submission in submissions:
        source = layout.solutions / submission.assignment / submission.notebook.name
        reason = unreadable_reason(submission.notebook)
        if reason:
            log.warning("cannot grade %s/%s: %s", submission.student_id, submission.assignment, reason)
            screened[submission] = zero_result(source, submission, reason, reason)
            continue
        findings = screen_notebook(source, submission.notebook)
        if findings:
            details = "; ".join(str(f) for f in findings)
            log.warning("flagged %s/%s: %s", submission.student_id, submission.assignment, details)
            screened[submission] = zero_result(source, submission, f"{FLAGGED}: {details}", f"{FLAGGED}: {findings[0]}")
            continue
        runnable.append(submission)
    return screened, runnable


def _submission_key(layout: CourseLayout, submission: Submission) -> str:
    """Hash the submission, its source notebook and the grading code it runs: equal keys give equal grades.

    The grading code is the shared core and the check modules that the
    source notebook imports, so editing another notebook's checks does not
    force this one to be executed again.
    """
    source = (layout.solutions / submission.assignment / submission.notebook.name).read_bytes()
    grading = Path(__file__).parent / "grading"
    modules = {"__init__", "core", "integrity"}
    modules |= {name.decode() for name in re.findall(rb"from backprop_lib\.grading import (\w+)", source)}

    digest = hashlib.sha256()
    digest.update(submission.notebook.read_bytes())
    digest.update(source)
    for name in sorted(modules):
        path = grading / f"{name}.py"
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


class DoneStore:
    """Executed notebooks by student and assignment, each with the key it was executed for.

    ``root/<student_id>/<assignment>/`` holds the executed notebook and
    ``record.json`` with the key and status (``executed`` or ``failed``).
    The record is written last and atomically, so a notebook counts as
    finished only once both files are complete.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.Lock()

    def folder(self, submission: Submission) -> Path:
        """Return the folder of one submission's executed notebook and record."""
        return self.root / submission.student_id / submission.assignment

    def record(self, submission: Submission) -> dict | None:
        """Return the stored record, or None when there is none or it is unreadable."""
        try:
            return json.loads((self.folder(submission) / "record.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def finished(self, submission: Submission, key: str) -> bool:
        """Tell whether the submission was executed (or failed) for exactly this key."""
        record = self.record(submission)
        return record is not None and record.get("key") == key

    def executed_notebook(self, submission: Submission) -> Path:
        """Path of the executed notebook inside the store."""
        return self.folder(submission) / submission.notebook.name

    def save(self, submission: Submission, key: str, executed: Path | None, reason: str = "") -> None:
        """Store an executed notebook, or a failure when ``executed`` is None."""
        with self.lock:
            folder = self.folder(submission)
            folder.mkdir(parents=True, exist_ok=True)
            if executed is not None:
                temporary = folder / f".{submission.notebook.name}.tmp"
                shutil.copyfile(executed, temporary)
                os.replace(temporary, self.executed_notebook(submission))
            record = {"key": key, "status": "executed" if executed is not None else "failed", "reason": reason}
            temporary = folder / ".record.json.tmp"
            temporary.write_text(json.dumps(record), encoding="utf-8")
            os.replace(temporary, folder / "record.json")

    def forget(self, submissions: list[Submission]) -> None:
        """Remove the records of ``submissions`` so they are executed again."""
        for submission in submissions:
            (self.folder(submission) / "record.json").unlink(missing_ok=True)

    def harvest(self, shards_root: Path, submissions: list[Submission], keys: dict[Submission, str]) -> None:
        """Keep notebooks a killed run executed but did not store yet, then delete the old shards."""
        if not shards_root.exists():
            return
        for shard in sorted(shards_root.iterdir()):
            for submission in submissions:
                if self.finished(submission, keys[submission]):
                    continue
                folder = shard / "autograded" / submission.student_id / submission.assignment
                executed = folder / submission.notebook.name
                marker = folder / MARKER
                if not (executed.is_file() and marker.is_file()):
                    continue
                if marker.read_text(encoding="utf-8").strip() != keys[submission]:
                    continue
                if unreadable_reason(executed) is None:
                    log.info("kept %s/%s from an earlier run", submission.student_id, submission.assignment)
                    self.save(submission, keys[submission], executed)
        shutil.rmtree(shards_root)


def _execute(
    layout: CourseLayout,
    todo: list[Submission],
    keys: dict[Submission, str],
    store: DoneStore,
    shards_root: Path,
    jobs: int,
    limits: ExecutionLimits,
    progress: Progress,
) -> None:
    students = sorted({s.student_id for s in todo})
    jobs = max(1, min(jobs, len(students)))
    groups = [set(students[k::jobs]) for k in range(jobs)]
    if jobs > 1 and not limits.blas_threads:
        limits = dataclasses.replace(limits, blas_threads=max(1, (os.cpu_count() or 1) // jobs))
    lock = threading.Lock()

    def run_shard(index: int) -> None:
        workspace = Workspace(layout, shards_root / f"shard-{index}", limits=limits)
        batch = [s for s in todo if s.student_id in groups[index]]
        for assignment in sorted({s.assignment for s in batch}):
            pending = [s for s in batch if s.assignment == assignment]
            for start in range(0, len(pending), STUDENTS_PER_RUN):
                chunk = pending[start : start + STUDENTS_PER_RUN]
                _execute_chunk(workspace, assignment, chunk, keys, store, generate=start == 0)
                with lock:
                    progress.advance(len(chunk))

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(run_shard, index) for index in range(jobs)]:
            future.result()
    shutil.rmtree(shards_root, ignore_errors=True)


def _execute_chunk(
    workspace: Workspace,
    assignment: str,
    chunk: list[Submission],
    keys: dict[Submission, str],
    store: DoneStore,
    *,
    generate: bool,
) -> None:
    """Run nbgrader autograde on a few submissions of one assignment and store what it executed.

    With ``generate`` the same nbgrader process first runs
    ``generate_assignment``, which the shard's first chunk of an assignment needs.
    """
    submitted_root = workspace.root / "submitted"
    if submitted_root.exists():
        shutil.rmtree(submitted_root)
    for submission in chunk:
        target = submitted_root / submission.student_id / assignment
        target.mkdir(parents=True)
        shutil.copyfile(submission.notebook, target / submission.notebook.name)
        (target / MARKER).write_text(keys[submission], encoding="utf-8")

    started = time.monotonic()
    steps = [("autograde", assignment, "--force")]
    if generate:
        workspace.add_source(assignment)
        steps.insert(0, ("generate_assignment", assignment, "--force"))
    failures = workspace.nbgrader_steps(*steps)
    if generate and failures and failures[0].startswith("nbgrader generate_assignment"):
        raise CourseError(failures[0])
    for failure in failures:
        # nbgrader goes on after a notebook it cannot execute and exits 1 at the end.
        log.warning("%s: %s", assignment, failure.splitlines()[0])

    for submission in chunk:
        executed = workspace.root / "autograded" / submission.student_id / assignment / submission.notebook.name
        if executed.is_file() and unreadable_reason(executed) is None:
            store.save(submission, keys[submission], executed)
            log.info("executed %s/%s", submission.student_id, assignment)
        elif _grade_around_crash(workspace, assignment, submission, keys[submission], store):
            log.warning("executed %s/%s without the answer that stopped its kernel", submission.student_id, assignment)
        else:
            reason = f"nbgrader could not execute this notebook (the kernel died or did not start); see {workspace.root / 'nbgrader.log'}"
            log.error("could not execute %s/%s: %s", submission.student_id, assignment, reason)
            store.save(submission, keys[submission], None, reason)
    log.debug("executed %d notebook(s) of %s in %.1f s", len(chunk), assignment, time.monotonic() - started)


def _grade_around_crash(workspace: Workspace, assignment: str, submission: Submission, key: str, store: DoneStore) -> bool:
    """Grade a notebook whose kernel died again, without the answers that stopped it; return True when that worked.

    Each round finds the cell during which the kernel died, replaces the
    answer that ran there with an error (see :mod:`backprop_lib.dead_kernel`),
    and autogrades that one student. The stored record names the skipped
    answers, so they appear in the report.
    """
    import nbformat

    from .dead_kernel import as_graded, fatal_cell, skip_answer

    folder = workspace.root / "submitted" / submission.student_id / assignment
    source = nbformat.read(workspace.root / "source" / assignment / submission.notebook.name, as_version=4)
    try:
        notebook = nbformat.read(submission.notebook, as_version=4)
    except Exception:  # noqa: BLE001  (an unreadable notebook has no cell to skip)
        return False

    skipped: list[str] = []
    for _ in range(CRASH_RETRIES):
        index = fatal_cell(as_graded(notebook, source), folder, workspace.kernel_dirs, workspace.environment(), workspace.limits.timeout)
        name = None if index is None else skip_answer(notebook, index)
        if name is None:
            return False
        skipped.append(name)
        log.warning("%s/%s: the kernel died in cell %d; grading again without %s", submission.student_id, assignment, index, name)

        nbformat.write(notebook, folder / submission.notebook.name)
        for failure in workspace.nbgrader_steps(("autograde", assignment, "--force", "--student", submission.student_id)):
            log.warning("%s: %s", assignment, failure.splitlines()[0])
        executed = workspace.root / "autograded" / submission.student_id / assignment / submission.notebook.name
        if executed.is_file() and unreadable_reason(executed) is None:
            reason = (
                f"the kernel died (a crash or an exit) while running {' and '.join(skipped)}; "
                "graded without that code, which earns nothing"
            )
            store.save(submission, key, executed, reason)
            return True
    return False


def _merge(
    layout: CourseLayout,
    runnable: list[Submission],
    store: DoneStore,
    out: Path,
    db_url: str | None,
    limits: ExecutionLimits,
) -> list[AssignmentResult]:
    """Save the grades of every executed notebook into the gradebook and read them back."""
    if not runnable:
        return []
    workspace = Workspace(layout, out / ".work" / "main", db_url=db_url or f"sqlite:///{out.resolve() / 'gradebook.db'}", limits=limits)
    results = []

    for assignment in sorted({s.assignment for s in runnable}):
        group = [s for s in runnable if s.assignment == assignment]
        workspace.add_source(assignment)
        for folder in (workspace.root / "submitted").glob(f"*/{assignment}"):
            shutil.rmtree(folder)
        executed = [s for s in group if (store.record(s) or {}).get("status") == "executed"]
        for submission in executed:
            target = workspace.root / "submitted" / submission.student_id / assignment
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(store.executed_notebook(submission), target / submission.notebook.name)

        steps = [("generate_assignment", assignment, "--force")]
        if executed:
            steps += [("autograde", assignment, "--no-execute", "--force"), ("generate_feedback", assignment, "--force")]
        failures = workspace.nbgrader_steps(*steps)
        if failures and failures[0].startswith("nbgrader generate_assignment"):
            raise CourseError(failures[0])
        for failure in failures:
            log.warning("%s: %s", assignment, failure.splitlines()[0])

        for submission in group:
            results.append(_read_one(workspace, store, submission, out / "feedback"))
    return results


def _read_one(workspace: Workspace, store: DoneStore, submission: Submission, feedback_root: Path) -> AssignmentResult:
    source = workspace.root / "source" / submission.assignment / submission.notebook.name
    record = store.record(submission) or {}
    autograded = workspace.root / "autograded" / submission.student_id / submission.assignment / submission.notebook.name
    if record.get("status") != "executed" or not autograded.is_file():
        reason = record.get("reason") or f"nbgrader could not grade this notebook; see {workspace.root / 'nbgrader.log'}"
        return zero_result(source, submission, reason, "not graded: " + reason.split(";")[0])

    result = read_result(workspace.db_url, source, autograded, submission)
    if record.get("reason"):
        result.problems.insert(0, record["reason"])
    feedback = workspace.root / "feedback" / submission.student_id / submission.assignment
    target = feedback_root / submission.student_id / submission.assignment
    target.mkdir(parents=True, exist_ok=True)
    for html in feedback.glob("*.html"):
        shutil.copyfile(html, target / html.name)
    return result
