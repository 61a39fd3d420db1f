"""The typer app, its global options, and the helpers every command shares."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import IO, Annotated, Any, TypeVar, cast

import typer

from .. import __version__

app = typer.Typer(
    name="replaycase",
    help="Turn a failed agent run into a regression case, and replay candidates against it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

state = {"debug": False, "interrupted": False}
F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


OutputOpt = Annotated[OutputFormat, typer.Option("--output", "-o",
                                                 help="text for people, json for machines.")]

AllowNoCasesOpt = Annotated[bool, typer.Option(
    "--allow-no-cases", help="Exit 0 saying 'no cases yet' when the case paths are missing or "
    "hold no case (a new project's CI); without it that is an error.")]


def no_cases_yet(paths: Sequence[Path], verb: str) -> bool:
    """True, after saying so on stdout, when ``paths`` hold no case at all (each missing, or
    a folder without a case.yaml); a path that is not a case folder stays an error."""
    from ..case.discover import holds_no_case
    from ..report.terminal import inert

    if not holds_no_case(paths):
        return False
    where = ", ".join(p.as_posix() for p in paths)
    print(inert(f"no cases yet under {where}: nothing to {verb}"))
    return True


def make_console(stderr: bool = False) -> Any:
    """The console of a command: to a terminal as rich writes it; to a file or a pipe with no
    trailing spaces on any line."""
    import sys

    from rich.console import Console

    from ..report.wrap import NoTrailingSpaces

    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr, highlight=False, soft_wrap=True)
    return Console(file=cast("IO[str]", NoTrailingSpaces(stream)), highlight=False,
                   soft_wrap=True)


def fail(message: str) -> None:
    from ..report.terminal import inert

    print(f"replaycase: error: {inert(message)}", file=sys.stderr)


def handles_errors(func: F) -> F:
    """Print replaycase's own errors on one line with exit 2; --debug shows the traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..errors import ReplaycaseError

        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt, BrokenPipeError):
            raise  # a closed stdout is the entry point's (main)
        except ReplaycaseError as exc:
            if state["debug"]:
                raise
            fail(str(exc))
            raise typer.Exit(2) from None
        except RecursionError:
            if state["debug"]:
                raise
            fail("input nested too deeply")
            raise typer.Exit(2) from None
        except MemoryError:
            fail("out of memory reading the input")
            raise typer.Exit(2) from None
        except Exception as exc:  # a bug of replaycase: one line, or the traceback with --debug
            if state["debug"]:
                raise
            fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the "
                  "traceback, and please report it)")
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        print(f"replaycase {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """replaycase: debug a failure once, never ship it again."""
    state["debug"] = debug
