"""The IPython kernel that grading runs learner notebooks in, with resource limits.

``python -m backprop_lib._kernel -f CONNECTION_FILE`` starts an ordinary
ipykernel after applying two limits read from the environment:

- ``BACKPROP_KERNEL_MEMORY_MB``: the address-space limit (``RLIMIT_AS``), so
  a memory blow-up raises ``MemoryError`` in the learner's cell instead of
  exhausting the machine;
- ``BACKPROP_KERNEL_MAX_OUTPUT``: characters each cell may print per stream;
  the rest is dropped with one notice, so a notebook cannot grow without bound.
"""

from __future__ import annotations

import os
import resource
import sys


def _limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


class _CappedWrite:
    """Wrap a stream's ``write`` so each cell prints at most ``max_chars`` characters."""

    def __init__(self, stream, max_chars: int) -> None:
        self.stream = stream
        self.write = stream.write
        self.max_chars = max_chars
        self.written = 0
        stream.write = self

    def reset(self, *args) -> None:  # noqa: ARG002  (IPython passes the cell's info)
        self.written = 0

    def __call__(self, text: str) -> int:
        remaining = self.max_chars - self.written
        self.written += len(text)
        if remaining <= 0:
            return len(text)
        if len(text) > remaining:
            self.write(text[:remaining])
            self.write(f"\n[output truncated: this cell printed more than {self.max_chars} characters]\n")
            return len(text)
        return self.write(text)


def main() -> None:
    """Apply the limits, then start ipykernel with this process's arguments."""
    memory_mb = int(os.environ.get("BACKPROP_KERNEL_MEMORY_MB", "0") or 0)
    if memory_mb > 0:
        _limit_memory(memory_mb)

    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])

    max_output = int(os.environ.get("BACKPROP_KERNEL_MAX_OUTPUT", "0") or 0)
    if max_output > 0:
        for stream in (sys.stdout, sys.stderr):
            capped = _CappedWrite(stream, max_output)
            app.shell.events.register("pre_run_cell", capped.reset)
    app.start()


if __name__ == "__main__":
    main()
