"""The MLflow importer, on the real traces in tests/data/traces/mlflow (written by
mlflow-skinny: gen_mlflow_traces.py, gen_mlflow_autolog_loop.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import assert_malformed, import_in_memory, mutate

from replaycase.case.lint import lint_case
from replaycase.importers import load_trace
from replaycase.importers.mlflow import MlflowImporter
from replaycase.importers.registry import detect, load_runs, open_document
from replaycase.model import TraceRun
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

DATA = Path(__file__).parent / "data"
FOLDER = DATA / "traces" / "mlflow"
GOLDEN = DATA / "golden" / "mlflow-tool-call-and-tool-error.json"
HANDLED = FOLDER / "agent-tool-call-and-tool-error.trace.json"
UNHANDLED = FOLDER / "agent-unhandled-tool-error.trace.json"
LOOP = FOLDER / "autolog-openai-tool-loop.trace.json"
FILES = sorted(FOLDER.glob("*.json"))
REFUND_ERROR = "BillingAPIError: 500 Internal Server Error from billing-api (request req_7f3a91)"
SYSTEM = ("You are the Acme Cloud billing support agent. Use issue_refund only when the "
          "customer explicitly asks for a refund.")


def load(path: Path) -> TraceRun:
    [run] = load_trace(path)
    return run


def test_the_corpus_is_there() -> None:
    assert len(FILES) == 3


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_is_detected_by_content(path: Path) -> None:
    assert detect(open_document(path)).name == "mlflow"
    run = load(path)
    assert run.source is not None and run.source.format == "mlflow"
    assert run.run_id.startswith("tr-")
    assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
    stamps = [e.ts for e in run.events if e.ts is not None]
    assert stamps == sorted(stamps), "events follow execution order"


def test_handled_tool_error() -> None:
    run = load(HANDLED)
    assert run.run_id == "tr-08a86caadc96033f9d09d61688b896fa"
    assert run.status == "success" and run.metadata.extra["state"] == "OK"
    assert run.metadata.agent == "billing_support_agent" and run.metadata.model == "gpt-4o-mini"
    assert run.input.startswith("I was charged twice for invoice INV-2291")
    assert run.final_output.startswith("I confirmed invoice INV-2291 was charged twice")
    lookup, refund = run.tool_calls()
    assert (lookup.tool_name, lookup.call_id, lookup.is_error) == \
        ("lookup_billing", "call_lookup_01", False)
    assert lookup.tool_args == {"customer_id": "C-10442", "invoice_id": "INV-2291"}
    assert lookup.output["charged_twice"] is True
    assert (refund.tool_name, refund.call_id, refund.is_error) == \
        ("issue_refund", "call_refund_02", True)
    assert refund.output == REFUND_ERROR
    assert not run.errors(), "a tool error the agent handled is no run error"


def test_model_calls_carry_what_the_tape_needs() -> None:
    calls = load(HANDLED).llm_calls()
    assert len(calls) == 3
    first, second, last = calls
    assert first.instructions == SYSTEM
    assert [m.role for m in first.messages or []] == ["user"]
    assert first.tools_offered == ["lookup_billing", "issue_refund"]
    assert [c.tool_name for c in first.tool_calls] == ["lookup_billing"]
    assert first.output_text == "" and first.stop_reason == "tool_calls"
    assert first.usage is not None and first.usage.input_tokens == 180
    assert first.usage.total_tokens == 204
    assert [m.role for m in second.messages or []] == ["user", "assistant", "tool"]
    assert second.messages is not None and second.messages[2].call_id == "call_lookup_01"
    assert last.stop_reason == "stop" and last.output_text.startswith("I confirmed")
    assert all(c.duration_ms is not None and c.duration_ms >= 0 for c in calls)


def test_unhandled_tool_error_fails_the_run() -> None:
    run = load(UNHANDLED)
    assert run.status == "error" and run.final_output is None
    [call] = run.tool_calls()
    assert call.is_error and call.output == REFUND_ERROR and call.call_id == "call_refund_02"
    [error] = run.errors()
    assert error.message == REFUND_ERROR and error.error_type == "BillingAPIError"
    assert error.seq == run.events[-1].seq


def test_autologged_openai_tool_loop() -> None:
    run = load(LOOP)
    assert run.status == "error" and run.metadata.agent == "billing_loop_agent"
    calls = run.tool_calls()
    requested = [c.call_id for e in run.llm_calls() for c in e.tool_calls]
    assert len(set(requested)) == 4 and all(i and i.startswith("call_") for i in requested)
    assert [c.call_id for c in calls] == requested, "tool spans take the requested ids"
    assert all(c.is_error and c.tool_args == {"customer_id": "C-10442"} for c in calls)
    assert calls[0].output == "TimeoutError: billing-api did not respond within 10s"
    model_calls = run.llm_calls()
    assert len(model_calls) == 4
    assert model_calls[1].usage is not None and model_calls[1].usage.input_tokens == 210
    assert model_calls[3].messages is not None and len(model_calls[3].messages) == 7
    assert model_calls[3].messages[2].text.startswith("Error: TimeoutError")
    [error] = run.errors()
    assert error.error_type == "ToolLoopError"


def test_state_error_alone_fails_the_run(tmp_path: Path) -> None:
    trace = json.loads(HANDLED.read_text())
    trace["info"]["state"] = "ERROR"
    path = tmp_path / "t.json"
    path.write_text(json.dumps(trace))
    assert load(path).status == "error"


def test_a_list_of_traces_gives_one_run_each(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text(json.dumps([json.loads(HANDLED.read_text()),
                                json.loads(UNHANDLED.read_text())]))
    first, second = load_trace(path)
    assert (first.status, second.status) == ("success", "error")
    [picked] = load_runs(path, run_id=second.run_id)
    assert picked.status == "error"


def test_scaffold_makes_a_sound_case(tmp_path: Path) -> None:
    [report] = scaffold(LOOP, tmp_path / "loop")
    kinds = [next(iter(entry)) for entry in report.observed]
    assert "status_is" in kinds and "repeated_tool_call" in kinds
    assert not lint_case(tmp_path / "loop").problems
    tape = (tmp_path / "loop" / "fixtures" / "model_tape.jsonl").read_text().splitlines()
    assert len(tape) == 1 + 4, "a header and one turn a model call"


def test_scaffold_all_skips_the_successful_trace(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text(json.dumps([json.loads(HANDLED.read_text()),
                                json.loads(UNHANDLED.read_text())]))
    reports = scaffold(path, tmp_path / "cases", ScaffoldOptions(all_runs=True))
    assert [r.run_id for r in reports] == ["tr-d9fb9e1b5741ce74592a72ecb3192c8b"]


def test_golden() -> None:
    actual = load(HANDLED).model_dump(mode="json", by_alias=True)
    if os.environ.get("REPLAYCASE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    assert GOLDEN.exists(), "run with REPLAYCASE_UPDATE_GOLDEN=1 to create the golden file"
    assert actual == json.loads(GOLDEN.read_text(encoding="utf-8"))


def _trace(*spans: Any, **info: Any) -> dict[str, Any]:
    return {"info": {"trace_id": "tr-1", **info}, "data": {"spans": list(spans)}}


def _span(**fields: Any) -> dict[str, Any]:
    return {"span_id": "a", "name": "agent", "attributes": {"mlflow.spanType": '"AGENT"'},
            **fields}


MALFORMED: list[tuple[str, Any, str]] = [
    ("not-json", '{"info": ', "invalid JSON"),
    ("no-data", {"info": {}}, "not an MLflow trace"),
    ("data-list", {"info": {}, "data": []}, "not an MLflow trace"),
    ("spans-object", {"info": {}, "data": {"spans": {}}}, "data.spans: expected a list"),
    ("span-number", _trace(5), "data.spans[0]: expected an object, got a number"),
    ("attributes-list", _trace(_span(attributes=[])),
     "data.spans[0].attributes: expected an object, got a list"),
    ("start-text", _trace(_span(start_time_unix_nano="soon")),
     "data.spans[0].start_time_unix_nano: expected an integer of nanoseconds"),
    ("span-id-list", _trace(_span(span_id=[1])), "data.spans[0].span_id: expected a string"),
    ("events-object", _trace(_span(events={})), "data.spans[0].events: expected a list"),
    ("event-string", _trace(_span(events=["x"])), "data.spans[0].events[0]: expected an object"),
    ("tool-no-name", _trace(_span(), _span(span_id="t", parent_span_id="a", name="", attributes={
        "mlflow.spanType": '"TOOL"'})), 'data.spans[1]: a TOOL span without a name'),
    ("cycle", _trace(_span(span_id="a", parent_span_id="b"), _span(span_id="b",
                                                                  parent_span_id="a")),
     "no root span"),
    ("state-number", _trace(_span(), state=3), "info.state: expected a string"),
    ("second-trace", [_trace(_span()), 4], "traces[1]: expected an object, got a number"),
]


@pytest.mark.parametrize(("name", "content", "fragment"), MALFORMED,
                         ids=[m[0] for m in MALFORMED])
def test_malformed_files_give_one_line_naming_the_file(tmp_path: Path, name: str,
                                                       content: Any, fragment: str) -> None:
    assert_malformed(tmp_path / f"{name}.json", content, "mlflow", fragment)


_REAL = [json.loads(p.read_text()) for p in FILES]
_KEYS = ["info", "data", "spans", "span_id", "parent_span_id", "name", "attributes",
         "status", "code", "events", "mlflow.spanType", "mlflow.spanInputs",
         "mlflow.spanOutputs", "start_time_unix_nano", "state", "trace_id"]
_LEAVES = (st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=8)
           | st.sampled_from(['"TOOL"', '"CHAT_MODEL"', '"AGENT"', "STATUS_CODE_ERROR",
                              "ERROR", '{"messages": [1]}', '{"choices": [{}]}']))
_VALUES = (_LEAVES | st.lists(_LEAVES, max_size=2)
           | st.dictionaries(st.sampled_from(_KEYS), _LEAVES, max_size=2))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_traces_raise_only_replaycase_errors(data: st.DataObject) -> None:
    trace = data.draw(st.sampled_from(_REAL))
    import_in_memory(MlflowImporter(), mutate(data.draw, trace, _VALUES))
