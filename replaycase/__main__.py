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
            detach_stdout()
            sys.exit(1)
        return
    from .cli import main as cli_main

    cli_main()


def detach_stdout() -> None:
    """The reader closed stdout: what is still written goes to /dev/null (the Python docs'
    way; the caller exits 1)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the process's stdout, whatever sys.stdout is now
    os.close(devnull)


if __name__ == "__main__":
    main()
