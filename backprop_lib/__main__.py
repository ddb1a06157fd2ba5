"""Allow ``python -m backprop_lib``, the same as the ``backprop-course`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
