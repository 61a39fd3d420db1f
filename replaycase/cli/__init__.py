"""The command line: a thin typer layer over the library. Imports are lazy to start fast.

The commands live in one module per group; they are registered here, in the order
``replaycase --help`` lists them.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from . import _cases, _record, _replay, _results, _traces
from ._app import app, state

__all__ = ["app", "main"]

app.command()(_cases.scaffold)
app.command()(_cases.lint)
app.command()(_replay.replay)
app.command()(_record.record)
app.command()(_results.merge)
app.command()(_results.report)
app.command()(_traces.diff)
app.command()(_results.compare)
app.command()(_traces.inspect)
app.command("import")(_traces.import_)
app.command()(_cases.schema)
app.command()(_cases.init)


def main() -> None:
    """Console-script entry point: the exit code of the command, whatever became of stdout.

    A reader that closed the pipe early (``| head``) gets the Python docs' treatment: the rest
    of the output goes to /dev/null and the exit code is 1, with no traceback. After an
    interrupt the process ends at once, without waiting on a thread that is still stuck.
    """
    try:
        app()
        code: Any = 0
    except SystemExit as done:
        code = done.code
    except BrokenPipeError:
        code = 1
    if not _flush_stdout():
        code = 1
    if state["interrupted"]:
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)
    sys.exit(code)


def _flush_stdout() -> bool:
    """Flush stdout; False (and stdout now /dev/null) when its reader has gone."""
    try:
        sys.stdout.flush()
        if sys.__stdout__ is not None:
            sys.__stdout__.flush()
        return True
    except BrokenPipeError:
        from .._stdout import detach_stdout

        detach_stdout()
        return False

