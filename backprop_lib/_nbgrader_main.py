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
"""

from __future__ import annotations

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


def main() -> int:
    """Run nbgrader with ``sys.argv[1:]`` and return its exit code."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

    import nbgrader.api
    from nbgrader.apps.nbgraderapp import main as nbgrader_main

    nbgrader.api.get_alembic_version = alembic_head
    sys.argv[0] = "nbgrader"
    return nbgrader_main() or 0


if __name__ == "__main__":
    sys.exit(main())
