"""The verdict diverged (DESIGN 8): neither fixed nor reproduced, whatever is expected, and
shown as its own verdict by every report, with where the candidate left the recording."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml
from typer.testing import CliRunner

from replaycase.cli import app
from replaycase.replay.repeat import combine
from replaycase.report.github import annotations
from replaycase.report.html import render_html
from replaycase.report.junit import write_junit
from replaycase.report.markdown import render_markdown
from replaycase.report.terminal import verdict_line
from replaycase.report.view import build_view, case_yaml_lines
from replaycase.results import (
    DivergencePoint,
    ReplayResult,
    ResultsDocument,
    summarize,
)
from replaycase.results.compare import compare_documents
from replaycase.results.merge import read_results

MESSAGE = ('replaycase: diverged at model turn 2: history[3].text: recorded "Error: timeout", '
           'received "<b>Balance: $12</b>"')


def diverged(case_id: str = "dv") -> ReplayResult:
    return ReplayResult(case_id=case_id, case_path=f"cases/{case_id}", verdict="diverged",
                        divergence=DivergencePoint(
                            source="model_tape", message=MESSAGE, turn=2,
                            path="history[3].text", recorded="Error: timeout",
                            received="<b>Balance: $12</b>"))


def fixed(case_id: str = "ok") -> ReplayResult:
    return ReplayResult(case_id=case_id, case_path=f"cases/{case_id}", verdict="fixed")


def document(*results: ReplayResult, expect: str = "fixed") -> ResultsDocument:
    return ResultsDocument(results=list(results), summary=summarize(list(results), expect))


@pytest.mark.parametrize("expect", ["fixed", "reproduced"])
def test_diverged_never_passes(expect: str) -> None:
    assert not diverged().passes(expect)  # type: ignore[arg-type]
    assert not diverged().model_copy(update={"pass_rate": 1.0}).passes(
        expect, min_pass_rate=0.1)  # type: ignore[arg-type]
    summary = summarize([diverged(), fixed()], expect)
    assert (summary.diverged, summary.passed) == (1, 1 if expect == "fixed" else 0)


def test_a_diverged_repeat_makes_the_case_diverged() -> None:
    combined = combine([fixed("dv"), diverged(), fixed("dv")])
    assert combined.verdict == "diverged" and combined.divergence is not None
    assert [run.verdict for run in combined.repeat_runs] == ["fixed", "diverged", "fixed"]
    assert not combined.passes("fixed", min_pass_rate=0.5)


def test_terminal_line_says_where() -> None:
    line = verdict_line(diverged()).plain
    assert "DIVERGED" in line and "diverged at model turn 2: history[3].text" in line


def test_junit_failure_carries_the_divergence_message(tmp_path: Path) -> None:
    write_junit(document(diverged(), fixed()), tmp_path / "j.xml")
    cases = {c.name: c for suite in JUnitXml.fromfile(str(tmp_path / "j.xml")) for c in suite}
    [failure] = cases["dv"].result
    assert isinstance(failure, Failure) and failure.type == "diverged"
    assert failure.message.startswith("diverged: replaycase: diverged at model turn 2:")
    assert cases["ok"].is_passed


def test_github_annotation_names_the_turn(tmp_path: Path) -> None:
    doc = document(diverged())
    [note] = annotations(doc, case_yaml_lines(doc.results), root=tmp_path)
    assert note.startswith("::error file=cases/dv/case.yaml,line=1")
    assert "diverged at model turn 2" in note and "replaycase record" in note


def test_markdown_and_html_show_it_as_its_own_verdict(tmp_path: Path) -> None:
    view = build_view([diverged(), fixed()], summarize([diverged(), fixed()]))
    assert view.counts["diverged"] == 1
    markdown = render_markdown(view)
    assert "**DIVERGED**" in markdown and "diverged at model turn 2" in markdown
    html = render_html(view, tmp_path)
    assert 'class="verdict v-diverged"' in html and 'class="left-recording"' in html
    assert "&lt;b&gt;Balance: $12&lt;/b&gt;" in html and "<b>Balance" not in html  # escaped
    assert "model turn 2 · history[3].text" in html


def test_compare_counts_a_fixed_case_that_now_diverges_as_a_regression() -> None:
    comparison = compare_documents(document(fixed("dv")), document(diverged()))
    [change] = comparison.cases
    assert (change.old_verdict, change.new_verdict, change.category) == (
        "fixed", "diverged", "regressed")


def test_a_v1_results_file_still_reads_and_merges(tmp_path: Path) -> None:
    v1 = json.loads(document(fixed("dv")).model_dump_json(by_alias=True))
    v1["schema"] = "replaycase.results/v1"
    v1["summary"].pop("diverged")
    for result in v1["results"]:
        result.pop("divergence")
    (tmp_path / "old.json").write_text(json.dumps(v1))
    assert read_results(tmp_path / "old.json").results[0].verdict == "fixed"
    (tmp_path / "new.json").write_text(document(diverged()).model_dump_json(by_alias=True))
    done = CliRunner().invoke(app, ["compare", str(tmp_path / "old.json"),
                                    str(tmp_path / "new.json"), "--output", "json"])
    assert done.exit_code == 1, done.stderr
    assert json.loads(done.stdout)["counts"]["regressed"] == 1


def test_a_newer_results_file_is_refused(tmp_path: Path) -> None:
    data = json.loads(document(fixed()).model_dump_json(by_alias=True))
    data["schema"] = "replaycase.results/v3"
    (tmp_path / "r.json").write_text(json.dumps(data))
    done = CliRunner().invoke(app, ["compare", str(tmp_path / "r.json"), str(tmp_path / "r.json")])
    assert done.exit_code == 2
    assert "newer than this replaycase reads (replaycase.results/v2)" in done.stderr
