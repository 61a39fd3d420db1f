"""The LangSmith importer, on the real run lists and run trees in tests/data/traces/langsmith."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import assert_malformed, import_in_memory, mutate

from replaycase.importers import load_trace
from replaycase.importers.langsmith import LangSmithImporter
from replaycase.importers.registry import detect, open_document
from replaycase.model import TraceRun

DATA = Path(__file__).parent / "data"
FOLDER = DATA / "traces" / "langsmith"
GOLDEN = DATA / "golden" / "langsmith-tool-loop.runs.json"
FILES = sorted(FOLDER.glob("*.json"))
SCENARIOS = ["happy", "tool-loop", "tool-error-unhandled", "wrong-tool", "no-final-output"]
SHAPES = ["runs", "tree"]
HAPPY_ANSWER = ("Your current balance is $129.00, all on invoice INV-4102, which is due on "
                "1 April 2026.")


def load(scenario: str, shape: str = "runs") -> TraceRun:
    runs = load_trace(FOLDER / f"{scenario}.{shape}.json", format="langsmith")
    assert len(runs) == 1
    return runs[0]


def test_the_corpus_is_there() -> None:
    assert len(FILES) == 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_imports(path: Path) -> None:
    assert LangSmithImporter().check(open_document(path)) is None
    [run] = load_trace(path, format="langsmith")
    assert run.source is not None and run.source.format == "langsmith"
    assert run.source.file == path.name
    assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
    assert run.metadata.agent == "billing_support_agent"
    assert run.metadata.model == "gpt-4o-mini" and run.metadata.version == "1.4.2"
    assert run.metadata.tags == ["agent"]
    assert isinstance(run.input, str) and run.input
    stamps = [e.ts for e in run.events if e.ts is not None]
    assert stamps == sorted(stamps), "events follow execution order"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_run_lists_and_trees_are_detected_by_content(path: Path) -> None:
    assert detect(open_document(path)).name == "langsmith"
    [run] = load_trace(path)
    assert run.source is not None and run.source.format == "langsmith"


@pytest.mark.parametrize("shape", SHAPES)
def test_tool_loop(shape: str) -> None:
    run = load("tool-loop", shape)
    assert run.status == "error"
    calls = run.tool_calls()
    assert [c.tool_name for c in calls] == ["lookup_billing"] * 5
    assert all(c.tool_args == calls[0].tool_args for c in calls), "identical arguments"
    assert calls[0].tool_args["customer_id"] == "C-10442"
    assert all(c.is_error for c in calls)
    assert calls[0].output == "TimeoutError('billing-api did not respond within 10s')"
    [error] = run.errors()
    assert error.error_type == "ToolLoopError"
    assert error.message.startswith("lookup_billing called 5 times")  # the repr undone
    assert "\n" not in error.message
    assert run.events[-1] is error
    assert run.final_output is None


@pytest.mark.parametrize("shape", SHAPES)
def test_tool_error_unhandled(shape: str) -> None:
    run = load("tool-error-unhandled", shape)
    [call] = run.tool_calls()
    assert call.is_error and call.output.startswith("BillingAPIError('500 Internal Server")
    assert run.status == "success"
    assert "paid in full on March 3" in run.final_output


@pytest.mark.parametrize("shape", SHAPES)
def test_wrong_tool(shape: str) -> None:
    run = load("wrong-tool", shape)
    [call] = run.tool_calls()
    assert call.tool_name == "issue_refund" and not call.is_error
    assert call.output == {"refund_id": "RF-88120", "status": "issued", "amount_cents": 4999,
                           "currency": "USD"}
    assert run.status == "success"


@pytest.mark.parametrize("shape", SHAPES)
def test_no_final_output(shape: str) -> None:
    run = load("no-final-output", shape)
    assert run.status == "error"
    assert not run.has_final_output()
    assert [c.tool_name for c in run.tool_calls()] == ["search_kb"] * 4
    [error] = run.errors()
    assert (error.error_type, error.message) == (
        "MaxTurnsExceeded", "Max turns (4) exceeded")


@pytest.mark.parametrize("shape", SHAPES)
def test_happy(shape: str) -> None:
    run = load("happy", shape)
    assert run.status == "success"
    assert run.final_output == HAPPY_ANSWER
    assert run.input == "What's my current balance? Customer C-40219."
    totals = run.totals()
    assert (totals.input_tokens, totals.output_tokens, totals.total_tokens) == (845, 46, 891)
    assert totals.llm_calls == 2 and totals.duration_ms and totals.duration_ms > 0
    [call] = run.tool_calls()
    assert call.output["balance_cents"] == 12900


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_run_list_and_tree_agree(scenario: str) -> None:
    flat, tree = load(scenario, "runs"), load(scenario, "tree")
    assert flat.status == tree.status
    assert flat.run_id == tree.run_id
    assert [(c.tool_name, c.tool_args, c.call_id, c.is_error) for c in flat.tool_calls()] == \
        [(c.tool_name, c.tool_args, c.call_id, c.is_error) for c in tree.tool_calls()]
    assert [e.type for e in flat.events] == [e.type for e in tree.events]
    assert flat.final_output == tree.final_output


def test_tool_runs_take_the_call_ids_the_model_requested() -> None:
    run = load("tool-loop")
    requested = [c.call_id for e in run.llm_calls() for c in e.tool_calls]
    assert requested[0] == "call_a86654cc4a7421d4935fc9a8"
    assert [c.call_id for c in run.tool_calls()] == requested


def test_model_calls_carry_messages_model_usage_and_latency() -> None:
    first = load("tool-loop").llm_calls()[0]
    assert first.model == "gpt-4o-mini"
    assert [m["role"] for m in first.request] == ["system", "user"]
    assert first.usage is not None and first.usage.input_tokens == 412
    assert first.latency_ms is not None and first.latency_ms > 0
    assert first.span_id and first.parent_id == load("tool-loop").run_id
    [requested] = first.tool_calls
    assert requested.tool_args == {"customer_id": "C-10442"}


def test_tree_children_are_put_in_execution_order(tmp_path: Path) -> None:
    tree = json.loads((FOLDER / "happy.tree.json").read_text())
    tree["child_runs"].reverse()
    path = tmp_path / "shuffled.json"
    path.write_text(json.dumps(tree))
    [run] = load_trace(path, format="langsmith")
    assert [e.type for e in run.events] == [e.type for e in load("happy", "tree").events]


def test_a_list_with_two_traces_gives_two_runs(tmp_path: Path) -> None:
    runs = [*json.loads((FOLDER / "happy.runs.json").read_text()),
            *json.loads((FOLDER / "wrong-tool.runs.json").read_text())]
    path = tmp_path / "two.json"
    path.write_text(json.dumps(runs))
    happy, wrong = load_trace(path)
    assert happy.final_output == HAPPY_ANSWER
    assert [c.tool_name for c in wrong.tool_calls()] == ["issue_refund"]


def test_golden_tool_loop_runs() -> None:
    actual = load("tool-loop").model_dump(mode="json", by_alias=True)
    if os.environ.get("REPLAYCASE_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    assert GOLDEN.exists(), "run with REPLAYCASE_UPDATE_GOLDEN=1 to create the golden file"
    assert actual == json.loads(GOLDEN.read_text(encoding="utf-8"))


def _run(**fields: Any) -> dict[str, Any]:
    return {"id": "r1", "trace_id": "r1", "name": "agent", "run_type": "chain", **fields}


MALFORMED: list[tuple[str, Any, str]] = [
    ("not-json", "[{\"run_type\": ", "invalid JSON"),
    ("empty-list", [], "run_type"),
    ("a-number", 7, "run_type"),
    ("item-number", [_run(), 5], "runs[1]: expected an object, got a number"),
    ("inputs-list", [_run(inputs=[1])], "runs[0].inputs: expected an object, got a list"),
    ("child-outputs", _run(child_runs=[_run(id="c", run_type="tool", outputs="x")]),
     "child_runs[0].outputs: expected an object, got a string"),
    ("child-string", _run(child_runs=["x"]), "child_runs[0]: expected an object, got a string"),
    ("child-runs-object", _run(child_runs=[_run(id="c", child_runs={})]),
     "child_runs[0].child_runs: expected a list"),
    ("id-list", [_run(id=["x"])], "runs[0].id: expected a string, got a list"),
    ("error-object", [_run(error={"message": "x"})], "runs[0].error: expected a string"),
    ("choice-number", [_run(), _run(id="l", parent_run_id="r1", run_type="llm",
                                    outputs={"choices": [5]})],
     "runs[1].outputs.choices[0]: expected an object, got a number"),
    ("tool-call-no-name", [_run(), _run(id="l", parent_run_id="r1", run_type="llm", outputs={
        "choices": [{"message": {"tool_calls": [{"id": "c1", "function": {}}]}}]})],
     "runs[1].outputs.choices[0].message.tool_calls[0]: a tool call without a name"),
    ("tool-no-name", [_run(), _run(id="t", parent_run_id="r1", run_type="tool", name=None)],
     "runs[1]: a tool run without a \"name\""),
    ("cycle", [_run(id="a", parent_run_id="b"), _run(id="b", parent_run_id="a")],
     "no root run"),
    ("start-number", [_run(start_time=17)], "runs[0].start_time: expected a string"),
    ("metadata-list", [_run(extra={"metadata": []})],
     "runs[0].extra.metadata: expected an object"),
]


@pytest.mark.parametrize(("name", "content", "fragment"), MALFORMED,
                         ids=[m[0] for m in MALFORMED])
def test_malformed_files_give_one_line_naming_the_file(tmp_path: Path, name: str,
                                                       content: Any, fragment: str) -> None:
    assert_malformed(tmp_path / f"{name}.json", content, "langsmith", fragment)


def _import(value: Any) -> None:
    import_in_memory(LangSmithImporter(), value)


_KEYS = ["id", "trace_id", "parent_run_id", "run_type", "name", "inputs", "outputs", "error",
         "child_runs", "dotted_order", "start_time", "end_time", "extra", "metadata",
         "choices", "message", "tool_calls", "function", "usage_metadata", "status", "output",
         "generations"]
_LEAVES = (st.none() | st.booleans() | st.integers(-5, 10**6)
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.sampled_from(["chain", "llm", "tool", "r1", "r2", "success", "error",
                              "2026-11-22T00:02:02.266052Z", "Boom('x')\n\nTraceback"])
           | st.text(max_size=8))
_JSON = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=4), inner,
                                       max_size=5), max_leaves=15)
_SHALLOW = (_LEAVES | st.lists(_LEAVES, max_size=2)
            | st.dictionaries(st.sampled_from(_KEYS), _LEAVES | st.lists(_LEAVES, max_size=2),
                              max_size=3))
_RUNLIKE = st.fixed_dictionaries({"run_type": st.sampled_from(["chain", "llm", "tool"]),
                                  "id": st.sampled_from(["r1", "r2", "r3"])},
                                 optional={k: _SHALLOW for k in _KEYS
                                           if k not in ("run_type", "id")})


@settings(max_examples=150, deadline=None)
@given(st.one_of(_JSON, st.lists(_RUNLIKE, max_size=4),
                 st.builds(lambda r, c: {**r, "child_runs": c}, _RUNLIKE,
                           st.lists(_RUNLIKE | _JSON, max_size=3))))
def test_random_json_raises_only_replaycase_errors(value: Any) -> None:
    _import(value)


_REAL = json.loads((FOLDER / "tool-error-unhandled.runs.json").read_text())
_REAL_TREE = json.loads((FOLDER / "happy.tree.json").read_text())


_MUTATION_VALUES = (_LEAVES | st.lists(_LEAVES, max_size=2)
                    | st.dictionaries(st.sampled_from(_KEYS), _LEAVES, max_size=2))


@st.composite
def _mutated_real(draw: st.DrawFn) -> Any:
    return mutate(draw, draw(st.sampled_from([_REAL, _REAL_TREE])), _MUTATION_VALUES)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated_real())
def test_mutated_real_records_raise_only_replaycase_errors(value: Any) -> None:
    _import(value)
