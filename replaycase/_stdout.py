"""Letting go of a closed stdout (a reader like `head` that quits early)."""

from __future__ import annotations

import os


def detach_stdout() -> None:
    """The reader closed stdout: what is still written goes to /dev/null (the Python docs'
    way; the caller exits 1)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the process's stdout, whatever sys.stdout is now
    os.close(devnull)
