"""The replay command: check the outputs, replay the cases, report, pick the exit code."""

from __future__ import annotations

import os
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from ._app import (
    AllowNoCasesOpt,
    OutputFormat,
    OutputOpt,
    fail,
    handles_errors,
    make_console,
    no_cases_yet,
)
from ._results import report_document, write_views
from ._signals import SignalStop


class Expect(str, Enum):
    fixed = "fixed"
    reproduced = "reproduced"


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
    no_model_tape: Annotated[bool, typer.Option(
        "--no-model-tape", help="Serve no case's model tape: runners reach their own model.")
    ] = False,
    freeze_tools: Annotated[bool | None, typer.Option(
        "--freeze-tools/--no-freeze-tools", help="Answer the runner's tool calls from each "
        "case's fixtures (a Python runner; docs/freeze-tools.md).", show_default=False)] = None,
    offline: Annotated[bool | None, typer.Option(
        "--offline/--no-offline", help="The runner's Python processes may connect only to "
        "loopback.", show_default=False)] = None,
    tool: Annotated[list[str] | None, typer.Option(
        "--tool", help="With --freeze-tools: freeze this plain function, NAME=module:func "
                       "(repeatable; adds to [tool.replaycase.tools]).")] = None,
    grader_cmd: Annotated[str | None, typer.Option(
        "--grader-cmd", help="Grade each semantic check with this command: JSON on stdin, "
        '{"passed", "reason"} on stdout (overrides grader_cmd in [tool.replaycase]).')] = None,
    grader_timeout: Annotated[float | None, typer.Option(
        "--grader-timeout", help="Seconds per graded check (default: 60).")] = None,
    allow_no_cases: AllowNoCasesOpt = False,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Replay cases against a candidate runner."""
    from dataclasses import replace

    from ..project.config import case_paths, check_flags, load_config
    from ..replay.freezing import parse_tool_flags
    from ..replay.settings import replay_settings
    from ..replay.shard import parse_shard
    from ..replay.suite import SuiteOptions, replay_paths
    from ..report.terminal import progress_display, wants_bar

    check_flags(timeout_s=timeout, max_output_mb=max_output_mb, jobs=jobs, repeat=repeat,
                min_pass_rate=min_pass_rate)
    if allow_no_cases and no_cases_yet(case_paths(load_config(), paths), "replay"):
        return  # before the runner command is required: a new project may have none yet
    settings = replay_settings(load_config(), paths=paths, runner_cmd=runner_cmd, jobs=jobs,
                               timeout_s=timeout, evidence_dir=evidence_dir,
                               max_output_mb=max_output_mb, redact=not no_redact,
                               env_allow=env_allow, freeze_tools=freeze_tools,
                               offline=offline, tools=parse_tool_flags(tool or []),
                               grader_cmd=grader_cmd, grader_timeout_s=grader_timeout)
    options = replace(settings.options, model_tape=not no_model_tape)
    suite = SuiteOptions(jobs=settings.jobs, expect=expect.value, repeat=repeat,
                         min_pass_rate=min_pass_rate, fail_fast=fail_fast,
                         shard=parse_shard(shard) if shard is not None else None)
    suite.check()
    _check_outputs({"--json": json_file, "--junit": junit_file, "--html": html_file,
                    "--markdown": markdown_file}, options.evidence_root)
    with SignalStop() as stopper:
        progress_console = make_console(stderr=True)
        # In a log (not a terminal), the text results are the progress lines, printed once
        # on stdout as each case finishes; a terminal gets a bar, then the results.
        lines_on_stdout = output == OutputFormat.text and not wants_bar(progress_console)
        if lines_on_stdout:
            progress_console = make_console()
        with progress_display(progress_console) as listener:
            document = replay_paths(settings.paths, options, suite, listener, stopper.event)
        _tell_refused_and_interrupted(document.summary, stopper.signal)
        if html_file is not None or markdown_file is not None:
            from ..diff.prices import PriceTable

            config = load_config()
            write_views(document, html_file, markdown_file,
                        PriceTable.from_mapping(config.prices, config.file))
        code = report_document(document, output, json_file, junit_file,
                               verdicts_shown=lines_on_stdout)
    if document.summary.invalid:
        code = 2  # bad input, whatever the other cases did
    if stopper.signal is not None:
        code = 128 + stopper.signal
    if code:
        raise typer.Exit(code)


def _tell_refused_and_interrupted(summary: Any, caught: signal.Signals | None) -> None:
    """One line on stderr per refused case folder, and one for an interrupt (recorded)."""
    for invalid in summary.invalid_cases:
        fail(invalid.error)
    if caught is not None:
        summary.interrupted = caught.name
        print(f"replaycase: interrupted by {caught.name}: {summary.not_run} case(s) not run, "
              "results marked incomplete", file=sys.stderr)


def _check_outputs(files: dict[str, Path | None], evidence_root: Path) -> None:
    """UsageError now, before any runner starts, for an output that could not be written: a
    directory, link or special file in its place (``check_output``), or a folder where no file
    can be made."""
    from .._safe_files import check_output
    from ..errors import InputError, UsageError

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

    from ..errors import UsageError

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
