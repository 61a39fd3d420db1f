"""The console script and `python -m replaycase`: answers --version before importing typer."""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point: `replaycase --version` prints at once; anything else goes to the CLI."""
    if sys.argv[1:] == ["--version"]:
        from . import __version__

        print(f"replaycase {__version__}")
        return
    from .cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
