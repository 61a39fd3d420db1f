"""The record command: replay with the upstream model behind the tape, keep what passes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ._app import OutputFormat, OutputOpt, handles_errors, make_console
from ._signals import SignalStop


@handles_errors
def record(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Case folders, or folders of cases (default: cases in [tool.replaycase]).")] = None,
    runner_cmd: Annotated[str | None, typer.Option(
        "--runner-cmd", help="Shell command of the fixed candidate.")] = None,
    upstream: Annotated[str | None, typer.Option(
        "--upstream", help="The live model: an OpenAI-compatible /v1 base URL, or "
                           "Anthropic's base URL (the protocol follows the request).")] = None,
    upstream_key_env: Annotated[str | None, typer.Option(
        "--upstream-key-env", help="The variable holding the upstream key (default: "
                                   "OPENAI_API_KEY or ANTHROPIC_API_KEY).")] = None,
    upstream_timeout: Annotated[float, typer.Option(
        "--upstream-timeout", help="Seconds to wait for one upstream answer.")] = 120.0,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Record and judge, show the turns, write nothing.")] = False,
    jobs: Annotated[int | None, typer.Option("-j", "--jobs", help="Cases recorded at once.")
                    ] = None,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", help="Seconds per case (default: the case's runner.timeout_s).")] = None,
    evidence_dir: Annotated[Path | None, typer.Option(
        "--evidence-dir", help="Where evidence folders go (default: .replaycase/runs).")] = None,
    no_redact: Annotated[bool, typer.Option(
        "--no-redact", help="Keep secrets in the recorded turns (not recommended).")] = False,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Record a fixed candidate's new model turns as each case's accepted behaviour."""
    from ..errors import UsageError
    from ..project.config import check_flags, load_config
    from ..recording import RecordOptions, Upstream, record_cases
    from ..replay.settings import replay_settings
    from ..replay.suite import load_cases

    if not upstream:
        raise UsageError("record needs --upstream URL: the live model that answers what "
                         "the tape cannot")
    if not upstream.startswith(("http://", "https://")):
        raise UsageError(f"--upstream {upstream!r}: not an http:// or https:// URL")
    if upstream_timeout <= 0:
        raise UsageError("--upstream-timeout must be more than 0")
    check_flags(timeout_s=timeout, jobs=jobs)
    settings = replay_settings(load_config(), paths=paths, runner_cmd=runner_cmd, jobs=jobs,
                               timeout_s=timeout, evidence_dir=evidence_dir,
                               redact=not no_redact)
    if not settings.options.runner_cmd:
        raise UsageError("record needs --runner-cmd (or runner_cmd in [tool.replaycase])")
    cases = load_cases(settings.paths)
    console = make_console(stderr=output == OutputFormat.json)
    with SignalStop() as stopper:
        outcomes = record_cases(
            cases, settings.options,
            RecordOptions(upstream=Upstream(upstream, upstream_key_env, upstream_timeout),
                          dry_run=dry_run, jobs=settings.jobs),
            done=(lambda outcome: _show(console, outcome)) if output != OutputFormat.json
            else lambda _: None, stop=stopper.event)
    if output == OutputFormat.json:
        document = {"schema": "replaycase.record/v1",
                    "cases": [o.model_dump(mode="json") for o in outcomes]}
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    code = _exit_code(outcomes)
    if stopper.signal is not None:
        print(f"replaycase: interrupted by {stopper.signal.name}: nothing more recorded",
              file=sys.stderr)
        code = 128 + stopper.signal
    if code:
        raise typer.Exit(code)


def _show(console: Any, outcome: Any) -> None:
    from ..report.terminal import plain

    console.print(plain(f"{outcome.case_id}  {outcome.status.upper().replace('_', ' ')}  "
                        f"{outcome.message}"))
    for line in outcome.turns:
        console.print(plain(f"    {line}"))


def _exit_code(outcomes: list[Any]) -> int:
    """2 when an upstream or a case folder failed, 1 when a recorded run did not pass."""
    if any(o.status in ("upstream_error", "error") for o in outcomes):
        return 2
    return 0 if all(o.ok for o in outcomes) else 1
