"""Every case scaffolded from the real traces (tests/data/traces/, the copies of
../shared/traces/) rejects a candidate that does nothing: lint passes it, and the null
candidate's verdict is never `fixed`. A file with a failed run is scaffolded with --all; a
file of successful runs with an --observed a person would state (the answer was wrong, the
last tool should not have been called, the last state should not have been entered, the
model should not have been called that often)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from replaycase.assertions.null_candidate import null_candidate
from replaycase.case import load_case
from replaycase.case.lint import lint_case
from replaycase.errors import ReplaycaseError
from replaycase.importers import load_trace
from replaycase.model import TraceRun
from replaycase.replay.case_run import judge
from replaycase.results import RunnerInfo
from replaycase.scaffolding.build import ScaffoldOptions, scaffold
from replaycase.scaffolding.signatures import derive_observed, desired_for

TRACES = Path(__file__).parent / "data" / "traces"
FILES = sorted(p for p in TRACES.rglob("*") if p.is_file() and p.suffix not in (".py", ".md"))
COMPANIONS = {"provider-error.logs.json", "tool-error.logs.json"}
"""OTLP log records, read beside their traces file, not alone."""


def _observed(run: TraceRun) -> str | None:
    """What a person would say went wrong in a successful run."""
    words = re.findall(r"[A-Za-z]{4,}", run.final_output) \
        if isinstance(run.final_output, str) else []
    if words:
        return f"final_output_contains: {words[0]}"
    if run.tool_calls():
        return f"tool_called: {run.tool_calls()[-1].tool_name}"
    if states := run.states_visited():
        return f"state_visited: {states[-1]}"
    calls = len(run.llm_calls())
    return f"llm_call_count: {{min: {calls}}}" if calls else None


def test_every_trace_file_is_covered() -> None:
    assert len(FILES) >= 90
    assert {p.parent.name for p in FILES} >= {"otlp-genai", "langfuse", "replayt", "mlflow",
                                              "claude-code", "codex-cli", "inspect-ai"}


@pytest.mark.parametrize("path", FILES, ids=[p.relative_to(TRACES).as_posix() for p in FILES])
def test_a_case_from_a_real_trace_is_not_passed_by_doing_nothing(tmp_path: Path,
                                                                 path: Path) -> None:
    try:
        runs = load_trace(path)
    except ReplaycaseError:
        if path.name in COMPANIONS or path.suffix == ".eval":  # .eval: the inspect_ai package
            pytest.skip("not a trace on its own here")
        raise
    failed = [r for r in runs if any(desired_for(e) for e in derive_observed(r))]
    if failed:
        reports = scaffold(path, tmp_path / "cases", ScaffoldOptions(all_runs=True))
        assert len(reports) == len(failed)
    else:
        observed = _observed(runs[0])
        assert observed is not None, "a successful run with no answer, tool, state or model call"
        reports = scaffold(path, tmp_path / "cases" / "case",
                           ScaffoldOptions(run_id=runs[0].run_id, observed=[observed]))
    for report in reports:
        assert not report.hints, report.hints
        lint = lint_case(report.path)
        assert lint.clean, [p.message for p in lint.problems]
        case = load_case(report.path)
        candidate = null_candidate(case.spec.scenario.input)
        assert judge(case, candidate, RunnerInfo()).verdict != "fixed", report.desired
