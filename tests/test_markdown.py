"""The Markdown summary: the same view as the HTML report and the terminal, trace text inert."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from replaycase.case import load_case
from replaycase.cli import app
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.report.html import render_html
from replaycase.report.markdown import fenced, md, render_markdown
from replaycase.report.terminal import summary_line, verdict_line
from replaycase.report.view import build_view, by_need
from replaycase.report.view_models import SuiteView
from replaycase.results import ReplayResult, summarize
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

DATA = Path(__file__).parent / "data"
REPLAYKIT = DATA / "replaykit"
REPORT_DATA = DATA / "report"


def copy_cmd(path: Path) -> str:
    return f'cp {shlex.quote(str(path))} "$REPLAYCASE_OUTPUT_PATH"'


CASES = {
    "loop-fixed": (REPLAYKIT / "billing-loop.json", copy_cmd(REPLAYKIT / "output-fixed.json")),
    "loop-failing": (REPLAYKIT / "billing-loop.json",
                     copy_cmd(REPLAYKIT / "output-failing.json")),
    "xss": (REPORT_DATA / "xss-trace.json", copy_cmd(REPORT_DATA / "xss-output.json")),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ReplayResult]]:
    root = tmp_path_factory.mktemp("md")
    out = []
    for case_id, (trace, cmd) in CASES.items():
        folder = root / "cases" / case_id
        scaffold(trace, folder, ScaffoldOptions(case_id=case_id))
        out.append(replay_case(load_case(folder), ReplayOptions(
            runner_cmd=cmd, evidence_root=root / "runs")))
    return root, out


@pytest.fixture(scope="module")
def view(results: tuple[Path, list[ReplayResult]]) -> SuiteView:
    root, items = results
    return build_view(items, summarize(items), bases=[root])


def test_summary_table_and_details(view: SuiteView, tmp_path: Path) -> None:
    text = render_markdown(view, tmp_path)
    assert text.startswith("## replaycase: 3 cases · 2 fixed · 1 failing")
    assert "2/3 met the expectation (`--expect fixed`)" in text
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert [row.split(" | ")[1] for row in rows] == ["**FAILING**", "**FIXED**", "**FIXED**"]
    assert "<details><summary><b>loop\\-failing</b>: FAILING" not in text  # ids not over-escaped
    assert "<details open><summary><b>loop-failing</b>: FAILING</summary>" in text
    assert "<details><summary><b>loop-fixed</b>: FIXED</summary>" in text
    assert "| desired: failed | `final_output_exists` |" in text
    assert "| − removed | `lookup_billing` |" in text


def test_trace_text_renders_as_text(view: SuiteView, tmp_path: Path) -> None:
    text = render_markdown(view, tmp_path)
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert not re.search(r"<(script|img|iframe)\b", html)
    links = re.findall(r"<a\b[^>]*>", html)
    assert links and all(re.fullmatch(r'<a href="\.\./[^":]+">', link) for link in links)
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(3)&gt;" in html
    assert "[link](javascript:alert(5))" in html
    # The final output holds four backticks: its code block is fenced with five.
    assert "`````diff" in text


def test_helpers_escape_and_fence() -> None:
    assert md("a|b <i>*x*</i> [y](z)") == r"a\|b \<i\>\*x\*\</i\> \[y\](z)"
    block = fenced("x\n```\ny")
    assert block.startswith("````text\n") and block.endswith("\n````")
    assert fenced("\n".join(str(i) for i in range(100)), max_lines=3).splitlines()[-2] == (
        "… 97 more lines")


def test_terminal_markdown_and_html_agree(results: tuple[Path, list[ReplayResult]],
                                          view: SuiteView, tmp_path: Path) -> None:
    _, items = results
    summary = summarize(items)
    markdown = render_markdown(view, tmp_path)
    html = render_html(view, tmp_path)
    assert summary_line(summary).plain in markdown
    assert summary_line(summary).plain in html
    assert sorted(c.case_id for c in view.cases) == sorted(r.case_id for r in items)
    for result, case in zip(by_need(items), view.cases, strict=True):
        line = " ".join(verdict_line(result).plain.split())
        assert line == f"{result.case_id} {case.verdict_label} {case.headline}"
        assert f"| **{case.verdict_label}** | {md(case.headline)} |" in markdown
        assert f"<td>{case.headline}</td>" in html
        assert case.verdict_label in html


def _cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def test_cli_replay_and_report_write_both(tmp_path: Path) -> None:
    case = tmp_path / "cases" / "billing-loop"
    scaffold(REPLAYKIT / "billing-loop.json", case)
    html, markdown, results_file = (tmp_path / "out" / "r.html", tmp_path / "out" / "s.md",
                                    tmp_path / "results.json")
    code, _, _ = _cli(["replay", str(case), "--runner-cmd",
                       copy_cmd(REPLAYKIT / "output-buggy.json"), "--evidence-dir",
                       str(tmp_path / "runs"), "--json", str(results_file), "--html",
                       str(html), "--markdown", str(markdown)])
    assert code == 1
    assert "REPRODUCED" in markdown.read_text() and "REPRODUCED" in html.read_text()
    assert ("**First divergence**: compared event 11 (source trace #12 · candidate #11): "
            "source trace has error, candidate has tool_call") in markdown.read_text()
    first_html, first_md = html.read_text(), markdown.read_text()
    html.unlink()
    markdown.unlink()
    code, out, _ = _cli(["report", str(results_file), "--html", str(html), "--markdown",
                         str(markdown)])
    assert code == 0 and f"wrote {html}" in out
    assert html.read_text() == first_html and markdown.read_text() == first_md
    document = json.loads(results_file.read_text())
    assert document["results"][0]["verdict"] == "reproduced"


def test_cli_report_needs_an_output(tmp_path: Path) -> None:
    code, _, err = _cli(["report", str(tmp_path / "results.json")])
    assert code == 2 and "give --html F and/or --markdown F" in err
    (tmp_path / "results.json").write_text("[1]")
    code, _, err = _cli(["report", str(tmp_path / "results.json"), "--html",
                         str(tmp_path / "r.html")])
    assert code == 2 and "results.json" in err and len(err.strip().splitlines()) == 1


def test_cli_report_json_lists_the_files_written(tmp_path: Path) -> None:
    case = tmp_path / "cases" / "billing-loop"
    scaffold(REPLAYKIT / "billing-loop.json", case)
    results_file = tmp_path / "results.json"
    code, _, _ = _cli(["replay", str(case), "--runner-cmd",
                       copy_cmd(REPLAYKIT / "output-fixed.json"), "--evidence-dir",
                       str(tmp_path / "runs"), "--json", str(results_file)])
    assert code == 0
    html, markdown = tmp_path / "out" / "r.html", tmp_path / "out" / "s.md"
    code, out, _ = _cli(["report", str(results_file), "--html", str(html), "--markdown",
                         str(markdown), "--output", "json"])
    assert code == 0
    assert json.loads(out) == {"schema": "replaycase.report/v1", "files": [
        {"path": html.as_posix(), "format": "html"},
        {"path": markdown.as_posix(), "format": "markdown"}]}
    assert html.is_file() and markdown.is_file()
