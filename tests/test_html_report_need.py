"""What a person sees first in the HTML report: the cases that need attention, open, at the
top; passing ones collapsed; durations never subtracted across clocks; a tool error marked
alike on both sides; an error's type said once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from test_html_report import DATA, REPLAYKIT, Page, browser, copy_cmd  # noqa: F401

from replaycase.case import load_case
from replaycase.diff import diff_runs, load_run
from replaycase.model import ErrorEvent, ToolResultEvent
from replaycase.model.timeline import event_line
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.report.html import render_html, write_html
from replaycase.report.markdown import render_markdown
from replaycase.report.view import DURATION_NOTE, build_view, metric_views, shown_as_error
from replaycase.results import ReplayResult, summarize
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

VIEWPORT = 900
# Results in the order they were replayed: the one case that needs a person comes fifth.
MIXED = ["fixed-1", "fixed-2", "fixed-3", "fixed-4", "buggy", "fixed-5", "fixed-6"]


def _replay(root: Path, case_id: str, trace: Path, output: Path) -> ReplayResult:
    folder = root / "cases" / case_id
    scaffold(trace, folder, ScaffoldOptions(case_id=case_id))
    return replay_case(load_case(folder), ReplayOptions(
        runner_cmd=copy_cmd(output), evidence_root=root / "runs", kill_grace_s=0.5))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ReplayResult]]:
    root = tmp_path_factory.mktemp("need")
    results = [_replay(root, case_id, REPLAYKIT / "billing-loop.json",
                       REPLAYKIT / ("output-buggy.json" if case_id == "buggy"
                                    else "output-fixed.json")) for case_id in MIXED]
    assert [r.verdict for r in results].count("reproduced") == 1
    return root, results


def test_cases_are_listed_by_need(mixed: tuple[Path, list[ReplayResult]]) -> None:
    root, results = mixed
    view = build_view(results, summarize(results), bases=[root])
    assert [c.case_id for c in view.cases] == ["buggy"] + [i for i in MIXED if i != "buggy"]
    assert [c.anchor for c in view.cases] == [f"case-{i}" for i in range(1, len(MIXED) + 1)]
    html = render_html(view, root)
    bodies = re.findall(r'<section class="case v-(\w+)".*?\n<details class="case-body"( open)?>',
                        html)
    assert bodies == [("reproduced", " open")] + [("fixed", "")] * 6


def test_under_expect_reproduced_what_reproduces_is_collapsed(
        mixed: tuple[Path, list[ReplayResult]]) -> None:
    root, results = mixed
    view = build_view(results, summarize(results, expect="reproduced"), bases=[root])
    assert view.cases[0].case_id == "buggy" and view.cases[0].passes
    assert not any(c.passes for c in view.cases[1:])
    bodies = re.findall(r'<details class="case-body"( open)?>', render_html(view, root))
    assert bodies == [""] + [" open"] * 6


def test_first_screen_shows_the_case_that_needs_attention(
        browser: Any, mixed: tuple[Path, list[ReplayResult]]) -> None:  # noqa: F811
    root, results = mixed
    report = write_html(build_view(results, summarize(results), bases=[root]),
                        root / "report.html")
    page = Page(browser, report)
    try:
        first = page.page.evaluate("""() => {
            const section = document.querySelector("main section.case");
            const title = section.querySelector("h2").getBoundingClientRect();
            return {id: section.id, verdict: section.dataset.verdict, top: title.top,
                    bottom: title.bottom, open: section.querySelector("details").open};
        }""")
        assert first["verdict"] == "reproduced" and first["open"] is True
        assert first["top"] > 0 and first["bottom"] < VIEWPORT, first
        states = page.page.evaluate("""() => Array.from(
            document.querySelectorAll("main section.case"),
            s => [s.dataset.verdict, s.querySelector("details.case-body").open])""")
        assert states == [["reproduced", True]] + [["fixed", False]] * 6
        # A collapsed case opens when its link in the overview is followed.
        page.page.locator("#cases a[href='#case-7']").click()
        assert page.page.evaluate(
            "() => document.querySelector('#case-7 details.case-body').open") is True
        assert page.errors == [] and page.requests == [page.url]
    finally:
        page.context.close()


def test_durations_are_shown_but_never_subtracted(
        mixed: tuple[Path, list[ReplayResult]]) -> None:
    source = load_run(REPLAYKIT / "billing-loop.json")
    candidate = source.model_copy(update={"events": source.events[:5]})
    diff = diff_runs(source, candidate, labels=("source trace", "candidate"))
    [raw] = [m for m in diff.metrics if m.name == "duration"]
    assert raw.a and raw.b and raw.delta  # both clocks known, and they differ
    [duration] = [m for m in metric_views(diff) if m.name == "duration"]
    assert (duration.a, duration.delta, duration.note) == ("12.00 s", "", DURATION_NOTE)
    assert duration.b not in ("", "unknown") and not duration.changed
    root, results = mixed
    view = build_view(results, summarize(results), bases=[root])
    markdown = render_markdown(view, root)
    rows = [line for line in markdown.splitlines() if line.startswith("| duration |")]
    assert rows and all(row.endswith("| not compared: the trace's clock vs the replay's wall "
                                     "time |") for row in rows)
    html = render_html(view, root)
    assert not re.search(r"<td>duration</td>(<td[^>]*>[^<]*</td>){2}<td[^>]*>[−+=]", html)


def test_a_transcript_tool_error_is_red_on_both_sides(tmp_path: Path) -> None:
    # An OpenAI chat transcript flags no tool error ("Error: TimeoutError: …" text); the
    # candidate's runner output does.
    result = _replay(tmp_path, "t", DATA / "traces" / "transcript-openai" / "tool-loop.json",
                     REPLAYKIT / "output-buggy.json")
    [case] = build_view([result], summarize([result]), bases=[tmp_path]).cases
    assert case.source is not None and case.candidate is not None
    for side in (case.source, case.candidate):
        results = [e for e in side.events if e.type == "tool_result"]
        assert results and all(e.is_error and e.summary.startswith("ERROR ") for e in results)
    html = render_html(build_view([result], summarize([result]), bases=[tmp_path]), tmp_path)
    source_html, candidate_html = html.split('<div class="timeline">')[1:3]
    for part in (source_html, candidate_html):
        assert part.count('class="ev t-tool_result err') == 5 + (part is candidate_html)


def test_which_tool_results_show_as_errors() -> None:
    def result(output: Any, is_error: bool = False) -> ToolResultEvent:
        return ToolResultEvent(seq=1, tool_name="t", output=output, is_error=is_error)

    assert shown_as_error(result("no invoices", is_error=True))
    assert shown_as_error(result("Error: TimeoutError: billing-api did not respond"))
    assert shown_as_error(result("ConnectionError('kb-service unavailable')"))
    assert shown_as_error(result("kb down"), other_errors={"kb down"})
    assert not shown_as_error(result("no invoices found"))
    assert not shown_as_error(result({"error": None, "rows": []}))
    assert shown_as_error(ErrorEvent(seq=1, message="x"))


def test_an_error_type_is_said_once() -> None:
    def line(error_type: str | None, message: str) -> str:
        return event_line(ErrorEvent(seq=1, error_type=error_type, message=message))

    assert line("ToolLoopError", "ToolLoopError: called 5 times") == "ToolLoopError: called 5 times"
    assert line("agent.ToolLoopError", "ToolLoopError: called 5 times") == (
        "ToolLoopError: called 5 times")
    assert line("ToolLoopError", "called 5 times") == "ToolLoopError: called 5 times"
    assert line("runner_exit", "ToolLoopError: x") == "runner_exit: ToolLoopError: x"
    assert line(None, "boom") == "boom"
    run = load_run(REPLAYKIT / "billing-loop.json")
    [error] = [e for e in run.events if e.type == "error"]
    assert error.message.startswith(f"{error.error_type}: ")  # the trace says it twice
    assert event_line(error).count("ToolLoopError") == 1
