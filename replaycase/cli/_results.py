"""Commands over results files (merge, report, compare) and the report writers replay shares."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ._app import OutputFormat, OutputOpt, handles_errors, make_console


def write_views(document: Any, html_file: Path | None, markdown_file: Path | None,
                prices: Any, bases: tuple[Path, ...] = ()) -> None:
    """Write the HTML report and the Markdown summary, both from one view model."""
    from ..report.view import build_view

    view = build_view(document.results, document.summary, prices, bases)
    if html_file is not None:
        from ..report.html import write_html

        write_html(view, html_file)
    if markdown_file is not None:
        from ..report.markdown import write_markdown

        write_markdown(view, markdown_file)


def github_annotations(document: Any) -> list[str]:
    """The workflow commands for the failures, their case.yaml lines from the enrich step."""
    from ..report.github import annotated, annotations
    from ..report.view import case_yaml_lines

    cases = case_yaml_lines(annotated(document), document.summary.invalid_cases)
    return annotations(document, cases)


def report_document(document: Any, output: OutputFormat, json_file: Path | None,
                    junit_file: Path | None, verdicts_shown: bool = False) -> int:
    """Write the report files, print the results (and GitHub annotations): the exit code.
    ``verdicts_shown``: progress lines printed each case's verdict already."""
    if json_file is not None:
        from .._safe_files import write_output

        write_output(json_file, document.model_dump_json(by_alias=True, indent=2) + "\n")
    if junit_file is not None:
        from ..report.junit import write_junit

        write_junit(document, junit_file)
    from ..report.github import in_github_actions

    notes = github_annotations(document) if in_github_actions() else []
    if output == OutputFormat.json:
        print(document.model_dump_json(by_alias=True, indent=2))
    else:
        from ..report.terminal import print_results

        print_results(make_console(), document.results, document.summary,
                      verdicts=not verdicts_shown)
    for note in notes:  # workflow commands: on stderr when stdout holds the JSON
        print(note, file=sys.stderr if output == OutputFormat.json else sys.stdout)
    summary = document.summary
    unfinished = summary.not_run or summary.invalid or summary.incomplete
    return 1 if summary.passed != summary.total or unfinished else 0


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
    from ..results.merge import merge_files

    code = report_document(merge_files(files), output, json_file, junit_file)
    if code:
        raise typer.Exit(code)


@handles_errors
def report(
    results: Annotated[Path, typer.Argument(help="Results JSON of replay --json.")],
    html_file: Annotated[Path | None, typer.Option(
        "--html", help="Write a self-contained HTML report.")] = None,
    markdown_file: Annotated[Path | None, typer.Option(
        "--markdown", help="Write a Markdown summary.")] = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Write the HTML report and/or Markdown summary of a results file."""
    from ..diff.prices import load_prices
    from ..errors import UsageError
    from ..results.merge import read_results

    if html_file is None and markdown_file is None:
        raise UsageError("nothing to write: give --html F and/or --markdown F")
    write_views(read_results(results), html_file, markdown_file, load_prices(),
                (Path.cwd(), results.parent.resolve()))
    written = [(kind, path) for kind, path in (("html", html_file), ("markdown", markdown_file))
               if path is not None]
    if output == OutputFormat.json:
        import json

        print(json.dumps({"schema": "replaycase.report/v1", "files": [
            {"path": path.as_posix(), "format": kind} for kind, path in written]}, indent=2))
        return
    for _, path in written:
        print(f"wrote {path}")


@handles_errors
def compare(
    old: Annotated[Path, typer.Argument(help="Results JSON of the baseline.")],
    new: Annotated[Path, typer.Argument(help="Results JSON of the candidate.")],
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Compare two results files case by case; exit 1 on any regression."""
    from ..results.compare import compare_files, text_lines

    comparison = compare_files(old, new)
    if output == OutputFormat.json:
        print(comparison.model_dump_json(by_alias=True, indent=2))
    else:
        from ..report.terminal import plain

        console = make_console()
        for line in text_lines(comparison):
            console.print(plain(line))
    if comparison.regressed:
        raise typer.Exit(1)
