"""Commands that write and check case folders: scaffold, lint, schema, init."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .._gcpause import gc_paused
from ._app import (
    AllowNoCasesOpt,
    OutputFormat,
    OutputOpt,
    handles_errors,
    make_console,
    no_cases_yet,
)


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

    from ..scaffolding.build import ScaffoldOptions
    from ..scaffolding.build import scaffold as run_scaffold

    if no_redact:
        print("replaycase: warning: --no-redact: secrets in the trace are written as they are",
              file=sys.stderr)
    from ..project.config import load_config, redact_patterns

    config = load_config()
    reports = run_scaffold(trace, out, ScaffoldOptions(
        format=format, run_id=run_id, all_runs=all_runs, case_id=case_id, force=force,
        redact=not no_redact, redact_patterns=redact_patterns(config, redact_pattern),
        observed=observed or [], desired=desired or [], limits=config.to_limits()))
    if output == OutputFormat.json:
        print(json.dumps({"schema": "replaycase.scaffold/v1",
                          "cases": [r.model_dump(mode="json") for r in reports]}, indent=2))
        return
    from ..report.terminal import plain

    console = make_console()
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
        for hint in report.hints:
            console.print(plain(f"  warning:  {hint}"))


def _flow(entry: dict[str, Any]) -> str:
    import json

    data = {k: v for k, v in entry.items() if k != "why"}
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text + (f"  ({entry['why']})" if entry.get("why") else "")


@handles_errors
def lint(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Case folders, or folders of cases (default: cases in [tool.replaycase]).")] = None,
    allow_no_cases: AllowNoCasesOpt = False,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Validate case folders: schema, paths, fixtures, secrets, soundness."""
    from ..case.lint import lint_paths, to_json
    from ..project.config import case_paths, load_config

    config = load_config()
    folders = case_paths(config, paths)
    if allow_no_cases and no_cases_yet(folders, "lint"):
        return
    reports = lint_paths(folders, config.to_limits(), config.redact_patterns)
    if output == OutputFormat.json:
        print(to_json(reports))
    else:
        from ..report.terminal import plain

        console = make_console()
        for report in reports:
            if report.clean:
                console.print(plain(f"{report.path}: ok{_warned(len(report.warnings))}"))
            for problem in report.problems:
                console.print(plain(problem.diagnostic(Path(report.path))))
            for warning in report.warnings:
                console.print(plain(warning.diagnostic(Path(report.path), "warning")))
        bad = sum(1 for r in reports if not r.clean)
        console.print(plain(f"{len(reports)} case{'s' if len(reports) != 1 else ''} checked, "
                            f"{bad} with problems"
                            f"{_warned(sum(len(r.warnings) for r in reports))}"))
    if any(not r.clean for r in reports):
        raise typer.Exit(1)


def _warned(count: int) -> str:
    return f" ({count} warning{'s' if count != 1 else ''})" if count else ""


@handles_errors
def schema(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write it to this file (e.g. cases/case.schema.json) instead.")] = None,
) -> None:
    """Print the JSON Schema of case.yaml (for editors)."""
    from ..case.schema import schema_text, write_schema

    if out is None:
        print(schema_text(), end="")
    else:
        write_schema(out)
        print(f"wrote {out}")


@handles_errors
def init(
    folder: Annotated[Path, typer.Argument(help="The project folder.")] = Path("."),
    runner_cmd: Annotated[str | None, typer.Option(
        "--runner-cmd", help="The candidate runner, written as runner_cmd.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite an existing [tool.replaycase] block and workflow (keeping "
                        "its runner_cmd unless --runner-cmd is given).")] = False,
    install: Annotated[str, typer.Option(
        "--install", help="How the workflow installs replaycase: git (its git URL, to fill in; "
        "the default until a release is on PyPI), pypi (replaycase==this version), or a pip "
        "requirement.")] = "git",
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Write [tool.replaycase] into pyproject.toml, a GitHub Actions workflow, and
    .replaycase/ into .gitignore."""
    from ..project.config import find_pyproject
    from ..project.init import init_project

    actions = init_project(folder, runner_cmd=runner_cmd, force=force, install=install)
    if output == OutputFormat.json:
        import json

        print(json.dumps({"schema": "replaycase.init/v1", "files": [
            {"path": a.path.as_posix(), "action": a.action} for a in actions]}, indent=2))
        return
    for action in actions:
        print(f"{action.action} {action.path.as_posix()}")
    found = find_pyproject(folder)
    if not (found and found[1].get("runner_cmd")):
        print("next: set runner_cmd in [tool.replaycase] (the workflow fails until it is set; "
              "or pass --runner-cmd to replay), then scaffold a case into cases/")
