"""The console script and `python -m replaycase`: answers --version before importing typer."""

from __future__ import annotations

import sys

from ._stdout import detach_stdout


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


if __name__ == "__main__":
    main()
