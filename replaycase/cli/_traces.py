"""Commands that read traces: diff, inspect, import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._gcpause import gc_paused
from ._app import OutputFormat, OutputOpt, handles_errors, make_console


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
    from ..diff import diff_runs, load_run
    from ..diff.prices import load_prices

    result = diff_runs(load_run(a, run_a, option="--run-a"), load_run(b, run_b, option="--run-b"),
                       load_prices())
    if output == OutputFormat.json:
        print(result.to_json())
        return
    from ..report.diff_terminal import print_diff

    print_diff(make_console(), result, paths=(str(a), str(b)))


@handles_errors
@gc_paused()
def inspect(
    trace: Annotated[Path, typer.Argument(help="A trace file in any supported format.")],
    format: Annotated[str, typer.Option("--format", help="Force a trace format.")] = "auto",
    run_id: Annotated[str | None, typer.Option("--run-id", help="Only this run.")] = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Show the timeline of a run."""
    from ..importers import load_runs

    runs = load_runs(trace, format, run_id)
    if output == OutputFormat.json:
        from ..model import runs_to_json

        print(runs_to_json(runs), end="")
        return
    from ..report.inspect import print_run

    console = make_console()
    for run in runs:
        print_run(console, run)


@handles_errors
@gc_paused()
def import_(
    trace: Annotated[Path, typer.Argument(help="A trace file in any supported format.")],
    out: Annotated[Path, typer.Option("--out", help="The native TraceRun JSON to write.")],
    format: Annotated[str, typer.Option("--format", help="Force a trace format.")] = "auto",
    run_id: Annotated[str | None, typer.Option("--run-id", help="Only this run.")] = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Convert a trace to replaycase's native TraceRun JSON."""
    import json

    from .._safe_files import check_output, write_output
    from ..importers import load_runs
    from ..model import runs_to_json

    check_output(out)  # refused before the trace is read
    runs = load_runs(trace, format, run_id)
    write_output(out, runs_to_json(runs))
    if output == OutputFormat.json:
        print(json.dumps({"schema": "replaycase.import/v1", "path": out.as_posix(),
                          "runs": [r.run_id for r in runs]}, indent=2))
        return
    print(f"wrote {out} ({len(runs)} run{'s' if len(runs) != 1 else ''})")
