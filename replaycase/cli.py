"""The command line: a thin typer layer over the library. Imports are lazy to start fast."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from . import __version__

app = typer.Typer(
    name="replaycase",
    help="Turn a failed agent run into a regression case, and replay candidates against it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": False}
F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


class Expect(str, Enum):
    fixed = "fixed"
    reproduced = "reproduced"


OutputOpt = Annotated[OutputFormat, typer.Option("--output", "-o",
                                                 help="text for people, json for machines.")]


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _fail(message: str) -> None:
    from .report.terminal import inert

    print(f"replaycase: error: {inert(message)}", file=sys.stderr)


def handles_errors(func: F) -> F:
    """Print replaycase's own errors on one line with exit 2; --debug shows the traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .errors import ReplaycaseError

        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except ReplaycaseError as exc:
            if _state["debug"]:
                raise
            _fail(str(exc))
            raise typer.Exit(2) from None
        except RecursionError:
            if _state["debug"]:
                raise
            _fail("input nested too deeply")
            raise typer.Exit(2) from None
        except MemoryError:
            _fail("out of memory reading the input")
            raise typer.Exit(2) from None
        except Exception as exc:
            if _state["debug"]:
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the "
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
    _state["debug"] = debug


@app.command()
@handles_errors
def scaffold(
    trace: Annotated[Path, typer.Argument(help="The failed run's trace file.")],
    out: Annotated[Path, typer.Option("--out", help="The case folder to write (with --all: "
                                                    "the parent folder).")],
    format: Annotated[str, typer.Option("--format", help="Force a trace format.")] = "auto",
    run_id: Annotated[str | None, typer.Option("--run-id", help="Which run of the file.")] = None,
    all_runs: Annotated[bool, typer.Option("--all", help="One case per failed run.")] = False,
    case_id: Annotated[str | None, typer.Option("--id", help="Case id (default: the --out "
                                                             "folder name).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing case.")] = False,
    no_redact: Annotated[bool, typer.Option("--no-redact", help="Do not redact secrets "
                                                                "(not recommended).")] = False,
    redact_pattern: Annotated[list[str] | None, typer.Option(
        "--redact-pattern", help="Extra regex to redact (repeatable).")] = None,
    observed: Annotated[list[str] | None, typer.Option(
        "--observed", help='A failure signature, e.g. "tool_called: issue_refund".')] = None,
    desired: Annotated[list[str] | None, typer.Option(
        "--desired", help="A desired assertion (default: the negation of --observed).")] = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Turn a failed trace into a case folder."""
    import json

    from .scaffold.build import ScaffoldOptions
    from .scaffold.build import scaffold as run_scaffold

    if no_redact:
        print("replaycase: warning: --no-redact: secrets in the trace are written as they are",
              file=sys.stderr)
    reports = run_scaffold(trace, out, ScaffoldOptions(
        format=format, run_id=run_id, all_runs=all_runs, case_id=case_id, force=force,
        redact=not no_redact, redact_patterns=redact_pattern or [],
        observed=observed or [], desired=desired or []))
    if output == OutputFormat.json:
        print(json.dumps({"schema": "replaycase.scaffold/v1", "cases": [
            {"case_id": r.case_id, "path": r.path.as_posix(), "run_id": r.run_id,
             "observed": r.observed, "desired": r.desired, "redaction": r.redaction}
            for r in reports]}, indent=2, default=str))
        return
    from .report.terminal import plain

    console = _console()
    for report in reports:
        console.print(plain(f"wrote {report.path.as_posix()} (case {report.case_id}, run "
                            f"{report.run_id})"))
        for entry in report.observed:
            console.print(plain(f"  observed: {_flow(entry)}"))
        for entry in report.desired:
            console.print(plain(f"  desired:  {_flow(entry)}"))
        if report.redaction:
            counts = ", ".join(f"{k} {v}" for k, v in report.redaction.items())
            console.print(plain(f"  redacted: {counts}"))


def _flow(entry: dict[str, Any]) -> str:
    import json

    data = {k: v for k, v in entry.items() if k != "why"}
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text + (f"  ({entry['why']})" if entry.get("why") else "")


@app.command()
@handles_errors
def lint(
    paths: Annotated[list[Path], typer.Argument(help="Case folders, or folders of cases.")],
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Validate case folders: schema, paths, fixtures, secrets, soundness."""
    from .lint import lint_paths, to_json

    reports = lint_paths(paths)
    if output == OutputFormat.json:
        print(to_json(reports))
    else:
        from .report.terminal import plain

        console = _console()
        for report in reports:
            if report.clean:
                console.print(plain(f"{report.path}: ok"))
            for problem in report.problems:
                console.print(plain(problem.render(Path(report.path))))
        bad = sum(1 for r in reports if not r.clean)
        console.print(plain(f"{len(reports)} case{'s' if len(reports) != 1 else ''} checked, "
                            f"{bad} with problems"))
    if any(not r.clean for r in reports):
        raise typer.Exit(1)


@app.command()
@handles_errors
def replay(
    paths: Annotated[list[Path], typer.Argument(help="Case folders, or folders of cases.")],
    runner_cmd: Annotated[str | None, typer.Option(
        "--runner-cmd", help="Shell command of the candidate runner.")] = None,
    jobs: Annotated[int, typer.Option("-j", "--jobs", help="Cases replayed at once "
                                                           "(default: CPU count).")] = 0,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", help="Seconds per case (default: the case's runner.timeout_s).")] = None,
    expect: Annotated[Expect, typer.Option(
        "--expect", help="fixed: every case must pass; reproduced: every failure must "
                         "reproduce.")] = Expect.fixed,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write results JSON.")] = None,
    junit_file: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML.")] = None,
    evidence_dir: Annotated[Path, typer.Option(
        "--evidence-dir", help="Where evidence folders go.")] = Path(".replaycase/runs"),
    max_output_mb: Annotated[float, typer.Option(
        "--max-output-mb", help="Cap on the runner's stdout and stderr, each.")] = 10.0,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Replay cases against a candidate runner."""
    from .replay.case_run import ReplayOptions
    from .replay.suite import replay_paths

    if timeout is not None and timeout <= 0:
        from .errors import UsageError

        raise UsageError("--timeout must be positive")
    options = ReplayOptions(runner_cmd=runner_cmd, timeout_s=timeout,
                            evidence_root=evidence_dir,
                            max_output_bytes=int(max_output_mb * 1024 * 1024))
    document = replay_paths(paths, options, jobs=jobs or os.cpu_count() or 1,
                            expect=expect.value)
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(document.model_dump_json(by_alias=True, indent=2) + "\n",
                             encoding="utf-8")
    if junit_file is not None:
        from .report.junit import write_junit

        write_junit(document, junit_file)
    if output == OutputFormat.json:
        print(document.model_dump_json(by_alias=True, indent=2))
    else:
        from .report.terminal import print_results

        print_results(_console(), document.results, document.summary)
    if document.summary.passed != document.summary.total:
        raise typer.Exit(1)


@app.command()
@handles_errors
def inspect(
    trace: Annotated[Path, typer.Argument(help="A trace file in any supported format.")],
    format: Annotated[str, typer.Option("--format", help="Force a trace format.")] = "auto",
    run_id: Annotated[str | None, typer.Option("--run-id", help="Only this run.")] = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Show the timeline of a run."""
    from .importers import load_trace

    runs = load_trace(trace, format)
    if run_id is not None:
        runs = [r for r in runs if r.run_id == run_id]
        if not runs:
            from .errors import InputError

            raise InputError(trace, f"no run {run_id!r} in the file")
    if output == OutputFormat.json:
        import json

        print(json.dumps([r.model_dump(mode="json", by_alias=True) for r in runs], indent=2))
        return
    from .report.inspect import print_run

    console = _console()
    for run in runs:
        print_run(console, run)


@app.command("import")
@handles_errors
def import_(
    trace: Annotated[Path, typer.Argument(help="A trace file in any supported format.")],
    out: Annotated[Path, typer.Option("--out", help="The native TraceRun JSON to write.")],
    format: Annotated[str, typer.Option("--format", help="Force a trace format.")] = "auto",
    run_id: Annotated[str | None, typer.Option("--run-id", help="Only this run.")] = None,
) -> None:
    """Convert a trace to replaycase's native TraceRun JSON."""
    import json

    from .importers import load_trace
    from .jsonio import write_atomic

    runs = load_trace(trace, format)
    if run_id is not None:
        runs = [r for r in runs if r.run_id == run_id]
        if not runs:
            from .errors import InputError

            raise InputError(trace, f"no run {run_id!r} in the file")
    if len(runs) == 1:
        text = runs[0].to_json()
    else:
        text = json.dumps([r.model_dump(mode="json", by_alias=True) for r in runs],
                          indent=2) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, text)
    print(f"wrote {out} ({len(runs)} run{'s' if len(runs) != 1 else ''})")


@app.command()
@handles_errors
def schema() -> None:
    """Print the JSON Schema of case.yaml (for editors)."""
    import json

    from .case import CaseSpec

    document = CaseSpec.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "replaycase case.yaml (replaycase/v1)"
    print(json.dumps(document, indent=2))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
