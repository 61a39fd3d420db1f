"""`replaycase diff`: runs in any format, the first divergence, tool calls, usage, outputs."""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replaycase.case import load_case
from replaycase.cli import app
from replaycase.diff import diff_runs, load_run, parse_structured, plan_comparison
from replaycase.diff.prices import PriceTable, load_prices, run_cost
from replaycase.errors import InputError
from replaycase.model import (
    FinalOutputEvent,
    LlmCallEvent,
    RunMetadata,
    ToolCallEvent,
    TraceRun,
    Usage,
)
from replaycase.replay.case_run import ReplayOptions, replay_case

ROOT = Path(__file__).parent.parent
TRACES = Path(__file__).parent / "data" / "traces"
REPLAYKIT = Path(__file__).parent / "data" / "replaykit"
SCENARIOS = ("happy", "tool-loop", "tool-error-unhandled", "wrong-tool", "no-final-output")
# One file per recording of a scenario: {} is the scenario.
FORMATS = {
    "otlp-genai": "otlp-genai/{}.json",
    "openinference": "openinference/{}.json",
    "openai-agents": "openai-agents/{}.json",
    "openai-agents-responses": "openai-agents/{}.responses-api.json",
    "langsmith-runs": "langsmith/{}.runs.json",
    "langsmith-tree": "langsmith/{}.tree.json",
    "replayt": "replayt/{}.jsonl",
    "transcript-openai": "transcript-openai/{}.json",
    "transcript-anthropic": "transcript-anthropic/{}.json",
}


def trace(kind: str, scenario: str) -> TraceRun:
    return load_run(TRACES / FORMATS[kind].format(scenario))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_scenario_in_every_pair_of_formats_never_diverges(scenario: str) -> None:
    runs = {kind: trace(kind, scenario) for kind in FORMATS}
    for one, two in itertools.combinations(FORMATS, 2):
        diff = diff_runs(runs[one], runs[two])
        assert diff.divergence is None, (one, two, diff.divergence)
        assert diff.tool_calls.added == [] and diff.tool_calls.removed == [], (one, two)
        assert diff.same_status, (one, two)


def test_tool_loop_against_happy_parts_at_the_first_tool_call() -> None:
    loop, happy = trace("otlp-genai", "tool-loop"), trace("otlp-genai", "happy")
    diff = diff_runs(loop, happy)
    point = diff.divergence
    assert point is not None and diff.comparison.mode == "same_format"
    # Both models first ask for lookup_billing, but for different customers.
    assert (point.position, point.a.seq, point.b.seq) == (2, 3, 3)
    assert point.a.type == point.b.type == "tool_call"
    assert point.reason == "tool_call: different arguments"
    assert '"C-10442"' in point.a.summary and '"C-40219"' in point.b.summary
    across = diff_runs(trace("replayt", "tool-loop"), happy).divergence
    assert across is not None and (across.a.type, across.position) == ("tool_call", 1)


def test_tool_loop_against_happy_parts_at_the_first_tool_result_when_calls_agree() -> None:
    loop, happy = trace("otlp-genai", "tool-loop"), trace("otlp-genai", "happy")
    same_customer = {"customer_id": "C-10442"}
    events = [dataclasses.replace(e, tool_args=same_customer)
              if isinstance(e, ToolCallEvent) else e for e in happy.events]
    events = [dataclasses.replace(e, tool_calls=[c.model_copy(update={
        "tool_args": same_customer}) for c in e.tool_calls])
        if isinstance(e, LlmCallEvent) else e for e in events]
    point = diff_runs(loop, happy.model_copy(update={"events": events})).divergence
    assert point is not None
    assert (point.a.type, point.a.seq, point.b.seq) == ("tool_result", 4, 4)
    assert "ERROR" in point.a.summary and "balance_cents" in point.b.summary
    across = diff_runs(trace("langsmith-runs", "tool-loop"),
                       happy.model_copy(update={"events": events})).divergence
    assert across is not None and across.a.type == "tool_result"


def test_comparison_ignores_what_a_format_cannot_express() -> None:
    otlp, transcript = trace("otlp-genai", "tool-loop"), trace("transcript-openai", "tool-loop")
    plan = plan_comparison(otlp, transcript)
    assert plan.mode == "cross_format" and "error" not in plan.event_types
    assert plan_comparison(trace("otlp-genai", "happy"), trace("replayt", "happy")
                           ).event_types == ["tool_call", "tool_result", "error", "final_output"]
    # A replayt log without a final_answer note does not record the answer: not compared.
    assert plan_comparison(otlp, trace("replayt", "tool-loop")).event_types == [
        "tool_call", "tool_result", "error"]
    responses = trace("openai-agents-responses", "happy")
    assert "final_output" not in plan_comparison(trace("openai-agents", "happy"),
                                                 responses).event_types
    # The loop's final error differs between two OTLP dialects only by module path.
    assert diff_runs(otlp, trace("openinference", "tool-loop")).divergence is None


def test_case_source_trace_against_the_fixed_candidate(tmp_path: Path) -> None:
    case = tmp_path / "tool-loop"
    shutil.copytree(ROOT / "examples" / "runner-api" / "cases" / "tool-loop", case)
    result = replay_case(load_case(case), ReplayOptions(
        runner_cmd=f"{sys.executable} {ROOT / 'runners' / 'fixed.py'}",
        evidence_root=tmp_path / "runs", cwd=ROOT))
    assert result.verdict == "fixed", result.runner
    evidence = Path(result.evidence_dir or "")
    source = load_run(case / "source-trace.json")
    diff = diff_runs(source, load_run(evidence))
    point = diff.divergence
    assert point is not None
    assert (point.a.type, point.a.seq, point.b.type, point.b.seq) == (
        "llm_call", 8, "llm_call", 8)
    assert point.reason == "llm_call: A requested lookup_billing, B requested no tool"
    assert (diff.a.status, diff.b.status, diff.same_input) == ("error", "success", True)
    assert [(e.tool_name, e.count) for e in diff.tool_calls.common] == [("lookup_billing", 2)]
    assert [(e.tool_name, e.count) for e in diff.tool_calls.removed] == [
        ("lookup_billing", 4)]
    assert diff.tool_calls.added == []
    metrics = {m.name: m for m in diff.metrics}
    assert (metrics["tool calls"].a, metrics["tool calls"].b, metrics["tool calls"].delta) == (
        6, 2, -4)
    assert metrics["total tokens"].a == 1140 and metrics["total tokens"].delta is not None
    assert "+I'm sorry: our billing system is not responding" in diff.final_output.unified
    # Without candidate-run.json the evidence folder's runner output is read.
    (evidence / "candidate-run.json").unlink()
    assert load_run(evidence).run_id == diff.b.run_id


def test_runner_output_against_source_and_its_usage() -> None:
    diff = diff_runs(load_run(REPLAYKIT / "billing-loop.json"),
                     load_run(REPLAYKIT / "output-fixed.json"))
    point = diff.divergence
    assert point is not None and point.reason == "A has tool_call, B has final_output"
    assert (point.a.seq, point.b.seq) == (6, 5)
    metrics = {m.name: m for m in diff.metrics}
    assert (metrics["input tokens"].b, metrics["output tokens"].b) == (10, 5)
    assert metrics["input tokens"].a is None and metrics["input tokens"].delta is None


def test_structured_final_outputs_get_a_deepdiff() -> None:
    one = TraceRun(run_id="a", status="success", final_output={"total": 49.99, "items": [1]})
    two = TraceRun(run_id="b", status="success", final_output='{"total": 50, "items": [1]}')
    diff = diff_runs(one, two)
    assert not diff.final_output.equal
    assert diff.final_output.structured == {
        "type_changes": {"root['total']": {"old_type": "float", "new_type": "int",
                                           "old_value": 49.99, "new_value": 50}}}
    assert '-  "total": 49.99' in diff.final_output.unified
    same = diff_runs(one, one.model_copy(update={"final_output": '{"items":[1],"total":49.99}'}))
    assert same.final_output.equal and same.final_output.unified == ""


def test_parse_structured_reads_python_reprs_only_when_asked() -> None:
    assert parse_structured("{'a': 1}") == "{'a': 1}"
    assert parse_structured("{'a': 1}", python_literals=True) == {"a": 1}
    assert parse_structured("[1, 2") == "[1, 2"
    assert parse_structured("__import__('os')", python_literals=True) == "__import__('os')"


def _priced_run(cost: float | None = None, model: str = "gpt-4o-mini-2024-07-18") -> TraceRun:
    usage = Usage(input_tokens=1_000_000, output_tokens=500_000, cost_usd=cost)
    return TraceRun(run_id="r", status="success", metadata=RunMetadata(model=model), events=[
        LlmCallEvent(seq=1, model=model, usage=usage), FinalOutputEvent(seq=2, output="ok")])


def test_cost_from_trace_else_prices_else_unknown() -> None:
    prices = PriceTable.from_mapping({"gpt-4o-mini": {"input_per_million": 0.15,
                                                      "output_per_million": 0.6}})
    recorded = run_cost(_priced_run(cost=0.42), prices)
    assert (recorded.cost_usd, recorded.source) == (0.42, "trace")
    priced = run_cost(_priced_run(), prices)
    assert priced.source == "prices" and priced.cost_usd == pytest.approx(0.45)
    unknown = run_cost(_priced_run(model="other-model"), prices)
    assert unknown.cost_usd is None and unknown.missing_prices == ["other-model"]
    assert run_cost(_priced_run()).cost_usd is None  # no vendor price list built in
    diff = diff_runs(_priced_run(), _priced_run(model="other-model"), prices)
    cost = next(m for m in diff.metrics if m.name == "cost")
    assert (cost.a, cost.b, cost.delta) == (pytest.approx(0.45), None, None)


def test_prices_come_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaycase.prices]\n"gpt-4o-mini" = { input_per_million = 0.15, '
        "output_per_million = 0.6 }\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    table = load_prices(nested)
    assert table.price_for("gpt-4o-mini-2024-07-18") is not None
    assert table.price_for("gpt-4o") is None
    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaycase.prices]\n"m" = { input = 1, output = 2 }\n')
    with pytest.raises(InputError, match="prices"):
        load_prices(nested)


def test_load_run_needs_a_run_id_for_files_of_several_runs() -> None:
    path = TRACES / "otlp-genai" / "all-scenarios.jsonl"
    with pytest.raises(InputError, match="holds 5 runs"):
        load_run(path)
    assert load_run(path, "61107fcea8c60f3773bcf44fd5c528b4").status == "success"
    with pytest.raises(InputError, match="no run 'nope'"):
        load_run(path, "nope")
    with pytest.raises(InputError, match=r"no candidate-run\.json"):
        load_run(TRACES)


def _cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def test_cli_diff_text_and_json(tmp_path: Path) -> None:
    a = str(TRACES / "otlp-genai" / "tool-loop.json")
    b = str(TRACES / "replayt" / "happy.jsonl")
    code, out, _ = _cli(["diff", a, b])
    assert code == 0
    assert "first divergence" in out and "tool_call: different arguments" in out
    assert "+ lookup_billing" in out and "×5 only in A" in out
    assert "unknown" in out and "+Your current balance is $129.00" in out
    code, out, _ = _cli(["diff", a, b, "--output", "json"])
    document = json.loads(out)
    assert document["schema"] == "replaycase.diff/v1"
    assert document["divergence"]["a"]["event"]["tool_args"] == {"customer_id": "C-10442"}
    assert document["comparison"]["mode"] == "cross_format"
    code, out, _ = _cli(["diff", "--run-a", "13d31ff465694e4ff89e8c1f6296dde1", "--run-b",
                         "13d31ff465694e4ff89e8c1f6296dde1",
                         str(TRACES / "otlp-genai" / "all-scenarios.jsonl"),
                         str(TRACES / "otlp-genai" / "all-scenarios.jsonl"), "-o", "json"])
    assert code == 0 and json.loads(out)["divergence"] is None


def test_cli_diff_bad_input_is_one_line(tmp_path: Path) -> None:
    code, _, err = _cli(["diff", str(tmp_path / "missing.json"), str(REPLAYKIT / "happy.json")])
    assert code == 2
    assert err.strip().splitlines() == [
        f"replaycase: error: {tmp_path / 'missing.json'}: no such file or folder"]


def test_cli_diff_shows_trace_text_inert(tmp_path: Path) -> None:
    hostile = "[bold red]boom[/] \x1b[31mred\x1b[0m"
    for name, text in (("a.json", "fine"), ("b.json", hostile)):
        run = TraceRun(run_id=name, status="success", final_output=text)
        (tmp_path / name).write_text(run.to_json())
    code, out, _ = _cli(["diff", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    assert code == 0
    assert "+[bold red]boom[/]" in out
    assert "\x1b" not in out
