"""The one view model of replay results: the Markdown and HTML reports render it, and its
headline and summary are worded as the terminal words them, so the three never disagree.

Per case it holds the verdict, every outcome, the source trace and the candidate's run as two
timelines (the first divergence marked) and their diff. Everything is plain text here: the
renderers escape it (HTML autoescaping, Markdown cells), nothing is ever markup.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import pydantic_core

from .._text import short
from ..diff import RunDiff, compared_events, diff_runs, load_run
from ..diff.prices import PriceTable
from ..errors import ReplaycaseError
from ..model import TraceRun
from ..model.timeline import event_line
from ..model.tool_errors import error_parts, framework_error_text
from ..results import VERDICTS, InvalidCase, Outcome, ReplayResult, Summary, summarize
from ..results.evidence_names import (
    CANDIDATE_RUN,
    RESULT,
    RUNNER_OUTPUT,
    STDERR_LOG,
    STDOUT_LOG,
    SUMMARY,
)
from .terminal import inert, summary_line, verdict_line
from .view_models import (
    CaseView,
    CaseYamlLines,
    EventView,
    LeftRecordingView,
    LinkView,
    MetricView,
    OutcomeView,
    SuiteView,
    TimelineView,
    ToolRow,
    YamlLoc,
    divergence_line,
    format_delta,
    format_value,
)

NEED_ORDER = ("diverged", "reproduced", "failing", "runner_error", "flaky", "fixed")
"""The order of cases in a report: those that need a person first, fixed ones last."""
DURATION_NOTE = "not compared: the trace's clock vs the replay's wall time"
LINKED_FILES = (RESULT, SUMMARY, CANDIDATE_RUN, RUNNER_OUTPUT, STDOUT_LOG, STDERR_LOG)
"""The files of an evidence folder the report links, when there."""
_DETAIL_LIMIT = 4000


def headline(result: ReplayResult) -> str:
    """The verdict's detail, as the terminal's verdict line has it (its text, not its
    layout: ``observed failure reproduced: yes · desired 0/3 · review 1``)."""
    line = verdict_line(result).plain
    prefix = inert(result.case_id) + "  " + _label(result.verdict).ljust(13)
    detail = line[len(prefix):] if line.startswith(prefix) else line
    return " ".join(detail.split())


def summary_text(summary: Summary) -> str:
    """`4 cases · 3 fixed · 1 reproduced (2.1s)`, as the terminal's summary line."""
    return summary_line(summary).plain


def build_view(results: Sequence[ReplayResult], summary: Summary | None = None,
               prices: PriceTable | None = None,
               bases: Sequence[Path] = ()) -> SuiteView:
    """The view of a list of results, in the order of need (``NEED_ORDER``; results of one
    verdict in their own order). Relative case and evidence paths are looked up under
    ``bases`` (default: the current folder)."""
    summary = summary or summarize(list(results))
    roots = [Path(b) for b in bases] or [Path.cwd()]
    cases = [_case_view(index, result, prices, roots, summary)
             for index, result in enumerate(by_need(results), start=1)]
    return SuiteView(expect=summary.expect, total=summary.total, passed=summary.passed,
                     all_passed=summary.passed == summary.total and not (
                         summary.not_run or summary.invalid or summary.incomplete),
                     counts={v: getattr(summary, v, 0) for v in VERDICTS},
                     summary_line=summary_text(summary),
                     tags=sorted({t for r in results for t in r.tags}), cases=cases)


def by_need(results: Iterable[ReplayResult]) -> list[ReplayResult]:
    """Results in ``NEED_ORDER``, stable within a verdict."""
    rank = {verdict: i for i, verdict in enumerate(NEED_ORDER)}
    return sorted(results, key=lambda r: rank.get(r.verdict, len(NEED_ORDER)))


def metric_views(diff: RunDiff) -> list[MetricView]:
    """The metrics of source trace vs candidate. A duration is shown on both sides but never
    subtracted: the source trace's clock (production's, or a virtual one) and the replay's
    wall time measure different things."""
    views = []
    for m in diff.metrics:
        clock = m.unit == "ms"
        views.append(MetricView(
            name=m.name, a=format_value(m.a, m.unit), b=format_value(m.b, m.unit),
            delta="" if clock else format_delta(m.delta, m.unit),
            note=DURATION_NOTE if clock else "",
            changed=not clock and (m.delta not in (None, 0) or (m.a is None) != (m.b is None))))
    return views


def tool_rows(diff: RunDiff) -> list[ToolRow]:
    rows: list[ToolRow] = []
    for change, sign, entries in (("removed", "−", diff.tool_calls.removed),
                                  ("added", "+", diff.tool_calls.added),
                                  ("common", "=", diff.tool_calls.common)):
        rows.extend(ToolRow(change=change, sign=sign, tool=e.tool_name,
                            args=short(e.tool_args, 200), count=e.count) for e in entries)
    return rows


def error_texts(run: TraceRun | None) -> frozenset[str]:
    """The texts of the tool results ``run`` flags as errors."""
    if run is None:
        return frozenset()
    return frozenset(_output_text(e.output) for e in run.events
                     if e.type == "tool_result" and e.is_error)


def shown_as_error(event: Any, other_errors: Collection[str] = ()) -> bool:
    """Whether the report shows ``event`` as an error: an error event, a tool result flagged
    one, or a tool result whose text is a tool error either way (one a framework renders, a
    ``[Error: ]Type: message`` or ``Type('message')`` of an exception, or a text the other
    run flags). Chat transcripts carry no error flag, so without the text the same tool error
    would be red on one side only."""
    if event.type == "error" or getattr(event, "is_error", False):
        return True
    if event.type != "tool_result" or event.output is None:
        return False
    text = _output_text(event.output)
    return (text in other_errors or framework_error_text(text)
            or error_parts(text)[1] is not None)


def _output_text(output: Any) -> str:
    return (output if isinstance(output, str) else json.dumps(output, default=str)).strip()


def timeline(run: TraceRun, diff: RunDiff | None, side: str, label: str,
             other_errors: Collection[str] = ()) -> TimelineView:
    """A run's events for display, those compared and the divergent one marked; tool errors
    are marked alike on both sides (``shown_as_error``)."""
    compared: set[int] = set()
    divergent: int | None = None
    ends = False
    if diff is not None:
        compared = {e.seq for e, _ in compared_events(run, diff.comparison)}
        if diff.divergence is not None:
            point = getattr(diff.divergence, side)
            divergent = point.seq
            ends = point.seq is None
    events = []
    for e in run.events:
        is_error = shown_as_error(e, other_errors)
        summary = event_line(e, 160)
        if is_error and e.type == "tool_result" and not e.is_error:
            summary = "ERROR " + summary
        events.append(EventView(seq=e.seq, type=e.type, summary=summary, detail=_detail(e),
                                compared=diff is None or e.seq in compared,
                                is_error=is_error, divergent=e.seq == divergent))
    return TimelineView(label=label, run_id=run.run_id, status=run.status,
                        format=run.source.format if run.source else None, events=events,
                        ends_divergent=ends)


def _label(verdict: str) -> str:
    return verdict.upper().replace("_", " ")


def _case_view(index: int, result: ReplayResult, prices: PriceTable | None,
               roots: list[Path], summary: Summary) -> CaseView:
    notes: list[str] = []
    case_dir = _resolve(result.case_path, roots)
    evidence = _resolve(result.evidence_dir, roots) if result.evidence_dir else None
    source = _load_source(case_dir, notes)
    candidate = _load_candidate(evidence, result, notes)
    diff = None
    if source is not None and candidate is not None:
        diff = diff_runs(source, candidate, prices, labels=("source trace", "candidate"))
    runner = result.runner
    return CaseView(
        anchor=f"case-{index}", case_id=result.case_id, title=result.title,
        tags=list(result.tags), verdict=result.verdict,
        verdict_label=_label(result.verdict), headline=headline(result),
        passes=result.passes("reproduced" if summary.expect == "reproduced" else "fixed",
                             summary.min_pass_rate),
        signatures=[_outcome(o) for o in result.signatures],
        assertions=[_outcome(o) for o in result.assertions],
        semantic=[_outcome(o) for o in result.semantic],
        runner_cmd=runner.cmd or "",
        exit_code="none" if runner.exit_code is None else str(runner.exit_code),
        runner_ms=f"{runner.duration_ms:.0f} ms", runner_reason=runner.reason or "",
        evidence_error=result.evidence_error or "", stderr_tail=runner.stderr_tail,
        source=timeline(source, diff, "a", "source trace", error_texts(candidate))
        if source else None,
        candidate=timeline(candidate, diff, "b", "candidate", error_texts(source))
        if candidate else None,
        diff=diff, divergence_line=divergence_line(diff),
        structured_diff=_structured(diff), metrics=metric_views(diff) if diff else [],
        tool_rows=tool_rows(diff) if diff else [], links=_links(case_dir, evidence),
        notes=notes, search=_search_text(result), left_recording=_left_recording(result))


def _left_recording(result: ReplayResult) -> LeftRecordingView | None:
    point = result.divergence
    if result.verdict != "diverged" or point is None:
        return None
    turn = f"{'model turn' if point.source == 'model_tape' else 'tool call'} {point.turn}" \
        if point.turn is not None else ""
    where = " · ".join(part for part in (turn, point.path or "") if part)
    return LeftRecordingView(message=point.message, where=where,
                             recorded=_value(point.recorded), received=_value(point.received))


def _resolve(path: str | None, roots: list[Path]) -> Path | None:
    if not path:
        return None
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate if candidate.exists() else None
    for root in roots:
        if (root / candidate).exists():
            return (root / candidate).resolve()
    return None


def _load_source(case_dir: Path | None, notes: list[str]) -> TraceRun | None:
    if case_dir is None:
        notes.append("the case folder was not found: no source trace to compare")
        return None
    from ..case import load_case

    try:
        return load_run(load_case(case_dir).source_trace_path)
    except ReplaycaseError as exc:
        notes.append(f"source trace not shown: {exc}")
        return None


def _load_candidate(evidence: Path | None, result: ReplayResult,
                    notes: list[str]) -> TraceRun | None:
    if evidence is None:
        notes.append("the evidence folder was not found: no candidate run to compare")
        return None
    if result.verdict == "runner_error" and not (evidence / CANDIDATE_RUN).exists():
        notes.append("the runner produced no run to compare")
        return None
    try:
        return load_run(evidence)
    except ReplaycaseError as exc:
        notes.append(f"candidate run not shown: {exc}")
        return None


def _links(case_dir: Path | None, evidence: Path | None) -> list[LinkView]:
    links = []
    if case_dir is not None:
        for name in ("case.yaml", "source-trace.json"):
            if (case_dir / name).is_file():
                links.append(LinkView(name=name, path=str(case_dir / name)))
    if evidence is not None:
        for name in LINKED_FILES:
            if (evidence / name).is_file():
                links.append(LinkView(name=name, path=str(evidence / name)))
    return links


def _outcome(outcome: Outcome) -> OutcomeView:
    entry = {k: v for k, v in outcome.entry.items() if k != "why"}
    return OutcomeView(key=outcome.key, outcome=outcome.outcome,
                       entry=json.dumps(entry, ensure_ascii=False, default=str),
                       message=outcome.message, expected=_value(outcome.expected),
                       actual=_value(outcome.actual), why=outcome.why or "",
                       children=[_outcome(c) for c in outcome.children])


def _value(value: Any) -> str:
    return "—" if value is None else short(value, 300)


def _structured(diff: RunDiff | None) -> str:
    if diff is None or not diff.final_output.structured:
        return ""
    return json.dumps(diff.final_output.structured, indent=2, ensure_ascii=False, default=str)


def _detail(event: Any) -> str:
    data = pydantic_core.to_jsonable_python(event, exclude_none=True)
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return text if len(text) <= _DETAIL_LIMIT else text[:_DETAIL_LIMIT] + "\n…"


def _search_text(result: ReplayResult) -> str:
    parts = [result.case_id, result.title, result.verdict.replace("_", " "), *result.tags]
    parts += [o.message for o in (*result.signatures, *result.assertions, *result.semantic)]
    if result.runner.reason:
        parts.append(result.runner.reason)
    return " ".join(" ".join(parts).split()).lower()


def case_yaml_lines(results: Iterable[ReplayResult],
                    invalid: Iterable[InvalidCase] = ()) -> dict[str, CaseYamlLines]:
    """The case.yaml lines of ``id``, ``runner``, ``observed_failure``, ``desired`` and each
    of their entries, by case folder. An invalid case's case.yaml is never read again (it may
    be a FIFO or a link): it only gets its path."""
    from ..case import CASE_FILE
    from ..case.load import node_line, parse_yaml, read_case_text

    found = {case.path: CaseYamlLines(Path(case.path) / CASE_FILE) for case in invalid}
    for result in results:
        path = Path(result.case_path) / CASE_FILE
        try:
            _, node = parse_yaml(read_case_text(path), path)
        except (ReplaycaseError, OSError):
            node = None
        locs: list[YamlLoc] = [("id",), ("runner",), ("observed_failure",), ("desired",)]
        locs += [("observed_failure", i) for i in range(len(result.signatures))]
        locs += [("desired", i) for i in range(len(result.assertions))]
        found[result.case_path] = CaseYamlLines(path, {
            loc: node_line(node, loc) or 1 for loc in locs} if node is not None else {})
    return found
