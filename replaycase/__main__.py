"""The console script and `python -m replaycase`: answers --version before importing typer."""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point: `replaycase --version` prints at once; anything else goes to the CLI."""
    if sys.argv[1:] == ["--version"]:
        from . import __version__

        try:
            print(f"replaycase {__version__}", flush=True)
        except BrokenPipeError:
            _stdout_gone()
        return
    from .cli import main as cli_main

    cli_main()


def _stdout_gone() -> None:
    """The reader closed stdout: the rest goes to /dev/null, exit 1 (the Python docs' way)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    sys.exit(1)


if __name__ == "__main__":
    main()
