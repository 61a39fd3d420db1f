"""The command line: a thin typer layer over the library. Imports are lazy to start fast."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from enum import Enum
from functools import wraps
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, TypeVar

import typer

from . import __version__
from ._gcpause import gc_paused

app = typer.Typer(
    name="replaycase",
    help="Turn a failed agent run into a regression case, and replay candidates against it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": False, "interrupted": False}
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
        except (typer.Exit, typer.Abort, KeyboardInterrupt, BrokenPipeError):
            raise  # a closed stdout is the entry point's (main)
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
@gc_paused()
def scaffold(
    trace: Annotated[Path, typer.Argument(help="The failed run's trace file.")],
    out: Annotated[Path, typer.Option("--out", help="The case folder to write (with --all: "
                                                    "the parent folder).")],
    format: Annotated[str, typer.Option("--format", help="Force a trace format.")] = "auto",
    run_id: Annotated[str | None, typer.Option("--run-id", help="Which run of the file.")] = None,
    all_runs: Annotated[bool, typer.Option("--all", help="One case per failed run.")] = False,
    case_id: Annotated[str | None, typer.Option("--id", help="Case id (default: the --out "
                                                             "folder name).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing case folder (one holding only a case's files).")
    ] = False,
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
    from .project.config import load_config, redact_patterns

    config = load_config()
    reports = run_scaffold(trace, out, ScaffoldOptions(
        format=format, run_id=run_id, all_runs=all_runs, case_id=case_id, force=force,
        redact=not no_redact, redact_patterns=redact_patterns(config, redact_pattern),
        observed=observed or [], desired=desired or [], limits=config.to_limits()))
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
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Case folders, or folders of cases (default: cases in [tool.replaycase]).")] = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Validate case folders: schema, paths, fixtures, secrets, soundness."""
    from .case.lint import lint_paths, to_json
    from .project.config import case_paths, load_config

    config = load_config()
    reports = lint_paths(case_paths(config, paths), config.to_limits(), config.redact_patterns)
    if output == OutputFormat.json:
        print(to_json(reports))
    else:
        from .report.terminal import plain

        console = _console()
        for report in reports:
            if report.clean:
                console.print(plain(f"{report.path}: ok{_warned(len(report.warnings))}"))
            for problem in report.problems:
                console.print(plain(problem.render(Path(report.path))))
            for warning in report.warnings:
                console.print(plain(warning.render(Path(report.path), "warning")))
        bad = sum(1 for r in reports if not r.clean)
        console.print(plain(f"{len(reports)} case{'s' if len(reports) != 1 else ''} checked, "
                            f"{bad} with problems"
                            f"{_warned(sum(len(r.warnings) for r in reports))}"))
    if any(not r.clean for r in reports):
        raise typer.Exit(1)


def _warned(count: int) -> str:
    return f" ({count} warning{'s' if count != 1 else ''})" if count else ""


@app.command()
@handles_errors
def replay(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Case folders, or folders of cases (default: cases in [tool.replaycase]).")] = None,
    runner_cmd: Annotated[str | None, typer.Option(
        "--runner-cmd", help="Shell command of the candidate runner.")] = None,
    jobs: Annotated[int | None, typer.Option("-j", "--jobs", help="Cases replayed at once "
                                                                  "(default: CPU count).")] = None,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", help="Seconds per case (default: the case's runner.timeout_s).")] = None,
    expect: Annotated[Expect, typer.Option(
        "--expect", help="fixed: every case must pass; reproduced: every failure must "
                         "reproduce.")] = Expect.fixed,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write results JSON.")] = None,
    junit_file: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML.")] = None,
    evidence_dir: Annotated[Path | None, typer.Option(
        "--evidence-dir", help="Where evidence folders go (default: .replaycase/runs).")] = None,
    max_output_mb: Annotated[float | None, typer.Option(
        "--max-output-mb", help="Cap on the runner's stdout and stderr, each (default: 10).")
    ] = None,
    shard: Annotated[str | None, typer.Option(
        "--shard", help="Replay only shard I of N (e.g. 1/3), split by case id.")] = None,
    repeat: Annotated[int, typer.Option(
        "--repeat", help="Run each case N times; mixed outcomes are 'flaky'.")] = 1,
    min_pass_rate: Annotated[float | None, typer.Option(
        "--min-pass-rate", help="With --repeat: a case passes when at least this share of "
                                "its runs do (0 < R <= 1).")] = None,
    fail_fast: Annotated[bool, typer.Option(
        "--fail-fast", help="Start no new case after the first that does not pass.")] = False,
    html_file: Annotated[Path | None, typer.Option(
        "--html", help="Write a self-contained HTML report.")] = None,
    markdown_file: Annotated[Path | None, typer.Option(
        "--markdown", help="Write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY).")] = None,
    env_allow: Annotated[list[str] | None, typer.Option(
        "--env-allow", help="Pass the runner only these environment variables (repeatable; "
                            "PATH and the REPLAYCASE_* variables are always set).")] = None,
    no_redact: Annotated[bool, typer.Option(
        "--no-redact", help="Keep secrets in evidence and reports (not recommended).")] = False,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Replay cases against a candidate runner."""
    from .project.config import check_flags, load_config
    from .replay.settings import replay_settings
    from .replay.shard import parse_shard
    from .replay.suite import SuiteOptions, replay_paths
    from .report.terminal import progress_display

    check_flags(timeout_s=timeout, max_output_mb=max_output_mb, jobs=jobs, repeat=repeat,
                min_pass_rate=min_pass_rate)
    settings = replay_settings(load_config(), paths=paths, runner_cmd=runner_cmd, jobs=jobs,
                               timeout_s=timeout, evidence_dir=evidence_dir,
                               max_output_mb=max_output_mb, redact=not no_redact,
                               env_allow=env_allow)
    options = settings.options
    suite = SuiteOptions(jobs=settings.jobs, expect=expect.value, repeat=repeat,
                         min_pass_rate=min_pass_rate, fail_fast=fail_fast,
                         shard=parse_shard(shard) if shard is not None else None)
    suite.check()
    _check_outputs({"--json": json_file, "--junit": junit_file, "--html": html_file,
                    "--markdown": markdown_file}, options.evidence_root)
    with _SignalStop() as stopper:
        with progress_display(_console(stderr=True)) as listener:
            document = replay_paths(settings.paths, options, suite, listener, stopper.event)
        _tell_refused_and_interrupted(document.summary, stopper.signal)
        if html_file is not None or markdown_file is not None:
            from .prices import PriceTable

            config = load_config()
            _write_views(document, html_file, markdown_file,
                         PriceTable.from_mapping(config.prices, config.file))
        code = _report(document, output, json_file, junit_file)
    if document.summary.invalid:
        code = 2  # bad input, whatever the other cases did
    if stopper.signal is not None:
        code = 128 + stopper.signal
    if code:
        raise typer.Exit(code)


def _tell_refused_and_interrupted(summary: Any, caught: signal.Signals | None) -> None:
    """One line on stderr per refused case folder, and one for an interrupt (recorded)."""
    for invalid in summary.invalid_cases:
        _fail(invalid.error)
    if caught is not None:
        summary.interrupted = caught.name
        print(f"replaycase: interrupted by {caught.name}: {summary.not_run} case(s) not run, "
              "results marked incomplete", file=sys.stderr)


class _SignalStop:
    """While replaying, SIGINT and SIGTERM set ``event`` instead of killing replaycase.

    The suite then starts nothing more, ends every runner and returns what it has. Signals
    can be caught only in the main thread: elsewhere (a host's worker thread) nothing is
    installed. Once a signal came, the handler stays for the rest of the exit, so a second
    Ctrl-C changes nothing.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: signal.Signals | None = None
        self._previous: dict[signal.Signals, Any] = {}

    def __enter__(self) -> _SignalStop:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._caught)
        return self

    def _caught(self, signum: int, frame: FrameType | None) -> None:
        if self.signal is None:
            self.signal = signal.Signals(signum)
        _state["interrupted"] = True
        self.event.set()

    def __exit__(self, *exc_info: object) -> None:
        if self.signal is None:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _check_outputs(files: dict[str, Path | None], evidence_root: Path) -> None:
    """UsageError now, before any runner starts, for an output that could not be written: a
    directory, link or special file in its place (``check_output``), or a folder where no file
    can be made."""
    from ._safe_files import check_output
    from .errors import InputError, UsageError

    for option, path in files.items():
        if path is None:
            continue
        try:
            check_output(path)
        except InputError as exc:
            raise UsageError(f"{option} {exc}") from None
        _check_folder(f"{option} {path}", path.parent)
    _check_folder(f"evidence folder {evidence_root}", evidence_root)


def _check_folder(label: str, folder: Path) -> None:
    """Make ``folder`` if needed and write (then remove) a probe file in it."""
    import tempfile

    from .errors import UsageError

    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{label}: {folder} is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".replaycase-probe-")
        os.close(handle)
        os.unlink(probe)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"{label}: cannot write in {folder}: {problem}") from None


def _write_views(document: Any, html_file: Path | None, markdown_file: Path | None,
                 prices: Any, bases: tuple[Path, ...] = ()) -> None:
    """Write the HTML report and the Markdown summary, both from one view model."""
    from .report.view import build_view

    view = build_view(document.results, document.summary, prices, bases)
    if html_file is not None:
        from .report.html import write_html

        write_html(view, html_file)
    if markdown_file is not None:
        from .report.markdown import write_markdown

        write_markdown(view, markdown_file)


def _report(document: Any, output: OutputFormat, json_file: Path | None,
            junit_file: Path | None) -> int:
    """Write the report files, print the results (and GitHub annotations): the exit code."""
    if json_file is not None:
        from ._safe_files import write_output

        write_output(json_file, document.model_dump_json(by_alias=True, indent=2) + "\n")
    if junit_file is not None:
        from .report.junit import write_junit

        write_junit(document, junit_file)
    from .report.github import annotations, in_github_actions

    notes = annotations(document) if in_github_actions() else []
    if output == OutputFormat.json:
        print(document.model_dump_json(by_alias=True, indent=2))
    else:
        from .report.terminal import print_results

        print_results(_console(), document.results, document.summary)
    for note in notes:  # workflow commands: on stderr when stdout holds the JSON
        print(note, file=sys.stderr if output == OutputFormat.json else sys.stdout)
    summary = document.summary
    unfinished = summary.not_run or summary.invalid or summary.incomplete
    return 1 if summary.passed != summary.total or unfinished else 0


@app.command()
@handles_errors
def merge(
    files: Annotated[list[Path], typer.Argument(help="Results files of replay --json (one "
                                                     "per shard).")],
    json_file: Annotated[Path | None, typer.Option("--json", help="Write the merged results "
                                                                  "JSON.")] = None,
    junit_file: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML.")] = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Merge the results of several shards into one report; exit 1 if any case fails."""
    from .results.merge import merge_files

    code = _report(merge_files(files), output, json_file, junit_file)
    if code:
        raise typer.Exit(code)


@app.command()
@handles_errors
def report(
    results: Annotated[Path, typer.Argument(help="Results JSON of replay --json.")],
    html_file: Annotated[Path | None, typer.Option(
        "--html", help="Write a self-contained HTML report.")] = None,
    markdown_file: Annotated[Path | None, typer.Option(
        "--markdown", help="Write a Markdown summary.")] = None,
) -> None:
    """Write the HTML report and/or Markdown summary of a results file."""
    from .errors import UsageError
    from .prices import load_prices
    from .results.merge import read_results

    if html_file is None and markdown_file is None:
        raise UsageError("nothing to write: give --html F and/or --markdown F")
    _write_views(read_results(results), html_file, markdown_file, load_prices(),
                 (Path.cwd(), results.parent.resolve()))
    for path in (html_file, markdown_file):
        if path is not None:
            print(f"wrote {path}")


@app.command()
@handles_errors
def diff(
    a: Annotated[Path, typer.Argument(help="A run: a trace in any format, a runner output, "
                                           "or a replay's evidence folder.")],
    b: Annotated[Path, typer.Argument(help="The other run, read the same way.")],
    run_a: Annotated[str | None, typer.Option("--run-a", help="Which run of A's file.")] = None,
    run_b: Annotated[str | None, typer.Option("--run-b", help="Which run of B's file.")] = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Compare two runs: status, states, tool calls, first divergence, usage, final output."""
    from .diff import diff_runs, load_run
    from .prices import load_prices

    result = diff_runs(load_run(a, run_a), load_run(b, run_b), load_prices())
    if output == OutputFormat.json:
        print(result.to_json())
        return
    from .report.diff_terminal import print_diff

    print_diff(_console(), result, paths=(str(a), str(b)))


@app.command()
@handles_errors
def compare(
    old: Annotated[Path, typer.Argument(help="Results JSON of the baseline.")],
    new: Annotated[Path, typer.Argument(help="Results JSON of the candidate.")],
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Compare two results files case by case; exit 1 on any regression."""
    from .results.compare import compare_files, text_lines

    comparison = compare_files(old, new)
    if output == OutputFormat.json:
        print(comparison.model_dump_json(by_alias=True, indent=2))
    else:
        from .report.terminal import plain

        console = _console()
        for line in text_lines(comparison):
            console.print(plain(line))
    if comparison.regressed:
        raise typer.Exit(1)


@app.command()
@handles_errors
@gc_paused()
def inspect(
    trace: Annotated[Path, typer.Argument(help="A trace file in any supported format.")],
    format: Annotated[str, typer.Option("--format", help="Force a trace format.")] = "auto",
    run_id: Annotated[str | None, typer.Option("--run-id", help="Only this run.")] = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Show the timeline of a run."""
    from .importers import load_runs

    runs = load_runs(trace, format, run_id)
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
@gc_paused()
def import_(
    trace: Annotated[Path, typer.Argument(help="A trace file in any supported format.")],
    out: Annotated[Path, typer.Option("--out", help="The native TraceRun JSON to write.")],
    format: Annotated[str, typer.Option("--format", help="Force a trace format.")] = "auto",
    run_id: Annotated[str | None, typer.Option("--run-id", help="Only this run.")] = None,
) -> None:
    """Convert a trace to replaycase's native TraceRun JSON."""
    import json

    from ._safe_files import check_output, write_output
    from .importers import load_runs

    check_output(out)  # refused before the trace is read
    runs = load_runs(trace, format, run_id)
    if len(runs) == 1:
        text = runs[0].to_json()
    else:
        text = json.dumps([r.model_dump(mode="json", by_alias=True) for r in runs],
                          indent=2) + "\n"
    write_output(out, text)
    print(f"wrote {out} ({len(runs)} run{'s' if len(runs) != 1 else ''})")


@app.command()
@handles_errors
def schema(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write it to this file (e.g. cases/case.schema.json) instead.")] = None,
) -> None:
    """Print the JSON Schema of case.yaml (for editors)."""
    from .case.schema import schema_text, write_schema

    if out is None:
        print(schema_text(), end="")
    else:
        write_schema(out)
        print(f"wrote {out}")


@app.command()
@handles_errors
def init(
    folder: Annotated[Path, typer.Argument(help="The project folder.")] = Path("."),
    runner_cmd: Annotated[str | None, typer.Option(
        "--runner-cmd", help="The candidate runner, written as runner_cmd.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite an existing [tool.replaycase] block and workflow.")] = False,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Write [tool.replaycase] into pyproject.toml and a GitHub Actions workflow."""
    from .project.init import init_project

    actions = init_project(folder, runner_cmd=runner_cmd, force=force)
    if output == OutputFormat.json:
        import json

        print(json.dumps({"schema": "replaycase.init/v1", "files": [
            {"path": a.path.as_posix(), "action": a.action} for a in actions]}, indent=2))
        return
    for action in actions:
        print(f"{action.action} {action.path.as_posix()}")
    if not runner_cmd:
        print("next: set runner_cmd in [tool.replaycase] (the workflow fails until it is set; "
              "or pass --runner-cmd to replay), then scaffold a case into cases/")


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
    if _state["interrupted"]:
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
        from .__main__ import detach_stdout

        detach_stdout()
        return False


if __name__ == "__main__":
    main()
