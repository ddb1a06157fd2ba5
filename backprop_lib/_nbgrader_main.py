"""Run the nbgrader command line with a faster start-up: ``python -m backprop_lib._nbgrader_main ARGS``.

Two costs of plain ``nbgrader`` are removed, neither of which changes a grade:

- Importing nbgrader imports jsonschema's format checkers, and jsonschema
  then imports ``rfc3987_syntax``, which compiles about 35 Lark parsers at
  import time (2 to 6 s per process on a 2-core machine). No notebook or
  nbgrader schema uses the IRI formats it checks, so the module is hidden
  and jsonschema skips that check.
- A new gradebook records its schema version, which nbgrader 0.9 reads by
  running ``alembic heads`` in a subprocess that imports everything again.
  :func:`alembic_head` reads the same revision in-process.

Each process still spends about 3 s importing nbgrader and Jupyter Server.
So ``python -m backprop_lib._nbgrader_main --steps JSON`` runs several
commands in one process, the way nbgrader's own test suite does. JSON is a
list of argument lists. Each command runs to its end even when an earlier
one failed, and a line ``backprop-course step K exit CODE`` follows each.
The process exits with the first non-zero code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def alembic_head() -> str:
    """Return the newest revision of nbgrader's gradebook migrations, as ``alembic heads`` does."""
    import nbgrader
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(nbgrader.__file__).parent / "alembic"))
    return ScriptDirectory.from_config(config).get_current_head()


def import_gradebook() -> tuple[type, type]:
    """Return nbgrader's ``Gradebook`` and ``MissingEntry``, imported without ``rfc3987_syntax``.

    The CLI reads grades from the gradebook in its own process; a plain
    ``import nbgrader.api`` there would cost the same seconds as in a grading
    process. Only jsonschema's IRI format check is lost, in this process.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    from nbgrader.api import Gradebook, MissingEntry

    return Gradebook, MissingEntry


STEP_MARK = "backprop-course step"
"""Start of the line that reports each command's exit code in ``--steps`` mode."""


def run_one(args: list[str]) -> int:
    """Run one nbgrader command in this process, then reset nbgrader's singletons for the next one."""
    from nbgrader.apps.nbgraderapp import NbGraderApp
    from jupyter_core.application import NoStart

    app = NbGraderApp.instance()
    try:
        app.initialize(args)
        app.start()
    except NoStart:
        code = 0
    except SystemExit as exit_:
        if exit_.code is None:
            code = 0
        elif isinstance(exit_.code, int):
            code = exit_.code
        else:
            code = 1
    else:
        code = 0
    finally:
        app.reset()
    return code


def main() -> int:
    """Run nbgrader with ``sys.argv[1:]``, or each command of ``--steps JSON``, and return the exit code."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

    import nbgrader.api

    nbgrader.api.get_alembic_version = alembic_head
    sys.argv[0] = "nbgrader"
    if sys.argv[1:2] != ["--steps"]:
        from nbgrader.apps.nbgraderapp import main as nbgrader_main

        return nbgrader_main() or 0

    first_failure = 0
    for number, args in enumerate(json.loads(sys.argv[2]), start=1):
        code = run_one([str(arg) for arg in args])
        print(f"{STEP_MARK} {number} exit {code}", flush=True)
        first_failure = first_failure or code
    return first_failure


if __name__ == "__main__":
    sys.exit(main())
