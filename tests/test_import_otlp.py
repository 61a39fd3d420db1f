"""The otlp importer on the reference corpus (GenAI and OpenInference), variants and bad input."""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replaycase.errors import ReplaycaseError, TraceFormatError
from replaycase.importers import load_trace
from replaycase.importers.base import TraceDocument
from replaycase.importers.otlp import OtlpImporter
from replaycase.model import (
    ErrorEvent,
    FinalOutputEvent,
    ToolCallRecord,
    ToolResultEvent,
    TraceRun,
)

TRACES = Path(__file__).parent / "data" / "traces"
GOLDEN = Path(__file__).parent / "data" / "golden"
FLAVORS = ("otlp-genai", "openinference")
SCENARIOS = ("happy", "tool-loop", "tool-error-unhandled", "wrong-tool", "no-final-output")
ALL_FILES = sorted(p for flavor in FLAVORS for p in (TRACES / flavor).iterdir())


def _one(path: Path, fmt: str = "otlp") -> TraceRun:
    runs = load_trace(path, format=fmt)
    assert len(runs) == 1
    return runs[0]


def _calls(run: TraceRun) -> list[tuple[str, Any]]:
    return [(c.tool_name, c.tool_args) for c in run.tool_calls()]


# --- the reference corpus ------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_file_imports_and_is_detected(path: Path) -> None:
    runs = load_trace(path)  # auto-detection picks otlp
    assert runs and all(r.source is not None and r.source.format == "otlp" for r in runs)
    for run in runs:
        assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
        assert re.fullmatch(r"[0-9a-f]{32}", run.run_id)
        assert run.input and run.metadata.agent == "billing_support_agent"
        assert run.metadata.version == "1.4.2"
        assert run.events[0].type == "input_message"
        stamps = [e.ts for e in run.events]
        assert all(ts and ts.endswith("Z") for ts in stamps) and stamps == sorted(stamps)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_tool_loop(flavor: str) -> None:
    run = _one(TRACES / flavor / "tool-loop.json")
    assert run.status == "error" and not run.has_final_output()
    assert _calls(run) == [("lookup_billing", {"customer_id": "C-10442"})] * 5
    # a failed tool's result is what the model received (the next request's tool message);
    # the last one, which no request answered, is the exception's message
    assert [c.output for c in run.tool_calls()] == [
        "Error: TimeoutError: billing-api did not respond within 10s"] * 4 + [
        "billing-api did not respond within 10s"]
    assert all(c.is_error and c.error_type == "TimeoutError" for c in run.tool_calls())
    (error,) = run.errors()
    assert error.message.startswith("lookup_billing called 5 times")
    assert error.error_type is not None and error.error_type.endswith("ToolLoopError")
    assert run.events[-1] == error and run.events[-1].ts == "2026-03-10T09:00:54." + (
        "534000Z" if flavor == "otlp-genai" else "529000Z")


@pytest.mark.parametrize("flavor", FLAVORS)
def test_tool_error_unhandled(flavor: str) -> None:
    run = _one(TRACES / flavor / "tool-error-unhandled.json")
    assert run.status == "success"
    (call,) = run.tool_calls()
    assert call.tool_name == "lookup_billing" and call.is_error
    # what the model received (the next request's tool message), not the exception's message
    assert call.output == ("Error: BillingAPIError: 500 Internal Server Error from billing-api "
                           "(request req_7f3a91)")
    assert call.error_type == "BillingAPIError"
    assert call.tool_args == {"customer_id": "C-20817", "invoice_id": "INV-2291"}
    assert call.call_id == "call_78e7869c2d01e02e970a49c9"
    assert "paid in full on March 3" in run.final_output
    assert run.errors() == []  # the run itself ended normally


@pytest.mark.parametrize("flavor", FLAVORS)
def test_wrong_tool(flavor: str) -> None:
    run = _one(TRACES / flavor / "wrong-tool.json")
    assert run.status == "success" and run.has_final_output()
    assert [name for name, _ in _calls(run)] == ["issue_refund"]
    assert _calls(run)[0][1]["amount_cents"] == 4999
    assert "RF-88120" in run.final_output


@pytest.mark.parametrize("flavor", FLAVORS)
def test_no_final_output(flavor: str) -> None:
    run = _one(TRACES / flavor / "no-final-output.json")
    assert run.status == "error" and run.final_output is None
    assert not any(isinstance(e, FinalOutputEvent) for e in run.events)
    assert [name for name, _ in _calls(run)] == ["search_kb"] * 4
    assert len({json.dumps(args) for _, args in _calls(run)}) == 4
    assert [e.message for e in run.errors()] == ["Max turns (4) exceeded"]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_happy(flavor: str) -> None:
    run = _one(TRACES / flavor / "happy.json")
    answer = ("Your current balance is $129.00, all on invoice INV-4102, which is due on "
              "1 April 2026.")
    assert run.status == "success" and run.final_output == answer
    assert run.input == "What's my current balance? Customer C-40219."
    assert isinstance(run.events[-1], FinalOutputEvent) and run.events[-1].output == answer
    totals = run.totals()
    assert totals.input_tokens == 845 and totals.output_tokens == 46 and totals.llm_calls == 2
    assert totals.duration_ms == 1863.0
    first, second = run.llm_calls()
    assert first.model == "gpt-4o-mini-2024-07-18" and first.latency_ms == 690.0
    assert first.tool_calls[0].call_id == "call_5897d1df5a325d2e8a8dae3b"
    assert first.response is None and second.response == answer and not second.tool_calls
    (call,) = run.tool_calls()
    assert call.output["balance_cents"] == 12900 and not call.is_error


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_both_flavors_agree(scenario: str) -> None:
    genai = _one(TRACES / "otlp-genai" / f"{scenario}.json")
    openinf = _one(TRACES / "openinference" / f"{scenario}.json")
    def key(call: ToolCallRecord) -> tuple[object, ...]:
        return (call.tool_name, call.tool_args, call.call_id, call.output, call.is_error)

    assert [key(c) for c in genai.tool_calls()] == [key(c) for c in openinf.tool_calls()]
    assert (genai.status, genai.input, genai.final_output) == \
        (openinf.status, openinf.input, openinf.final_output)
    assert [e.type for e in genai.events] == [e.type for e in openinf.events]
    assert [(c.request, c.response, c.tool_calls) for c in genai.llm_calls()] == \
        [(c.request, c.response, c.tool_calls) for c in openinf.llm_calls()]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_all_scenarios_jsonl(flavor: str) -> None:
    runs = load_trace(TRACES / flavor / "all-scenarios.jsonl")
    assert len(runs) == 5 and len({r.run_id for r in runs}) == 5
    singles = {s: _one(TRACES / flavor / f"{s}.json") for s in SCENARIOS}
    by_id = {run.run_id: name for name, run in singles.items()}
    assert set(by_id) == {r.run_id for r in runs}
    for run in runs:
        single = singles[by_id[run.run_id]]
        assert _calls(run) == _calls(single) and run.status == single.status


def test_protobuf_default_json_matches_spec_json() -> None:
    spec = _one(TRACES / "otlp-genai" / "tool-loop.json")
    proto = _one(TRACES / "otlp-genai" / "tool-loop.protobuf-default-json.json")
    assert proto.run_id == spec.run_id  # base64 ids decoded to the same hex
    assert _calls(proto) == _calls(spec) and proto.status == spec.status == "error"
    assert [e.span_id for e in proto.events] == [e.span_id for e in spec.events]


# --- golden files ------------------------------------------------------------------------


@pytest.mark.parametrize("source, golden", [
    ("otlp-genai/tool-loop.json", "otlp-tool-loop.json"),
    ("openinference/tool-error-unhandled.json", "openinference-tool-error-unhandled.json"),
])
def test_golden(source: str, golden: str) -> None:
    actual = _one(TRACES / source).model_dump(mode="json", by_alias=True)
    path = GOLDEN / golden
    if os.environ.get("REPLAYCASE_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    assert actual == json.loads(path.read_text(encoding="utf-8"))


# --- variants built from the real files ---------------------------------------------------


def _load_doc(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _spans(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]


def _attrs(span: dict[str, Any]) -> dict[str, Any]:
    return {a["key"]: next(iter(a["value"].values())) for a in span.get("attributes", [])}


def _set_attrs(span: dict[str, Any], attrs: dict[str, Any]) -> None:
    span["attributes"] = [{"key": k, "value": _any(v)} for k, v in attrs.items()]


def _any(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_any(v) for v in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": [{"key": k, "value": _any(v)}
                                           for k, v in value.items()]}}
    return {"stringValue": value}


def _write(tmp_path: Path, doc: Any, name: str = "trace.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _legacy_chat(attrs: dict[str, Any]) -> dict[str, Any]:
    """A chat span's attributes in the older, flattened GenAI / OpenLLMetry spelling."""
    out: dict[str, Any] = {"gen_ai.system": "openai", "llm.request.type": "chat",
                           "gen_ai.request.model": attrs["gen_ai.request.model"],
                           "gen_ai.usage.prompt_tokens": attrs["gen_ai.usage.input_tokens"],
                           "gen_ai.usage.completion_tokens": attrs["gen_ai.usage.output_tokens"]}
    for index, message in enumerate(json.loads(attrs["gen_ai.input.messages"])):
        out[f"gen_ai.prompt.{index}.role"] = message["role"]
        for part in message["parts"]:
            if part["type"] == "text":
                out[f"gen_ai.prompt.{index}.content"] = part["content"]
    for index, message in enumerate(json.loads(attrs["gen_ai.output.messages"])):
        out[f"gen_ai.completion.{index}.role"] = message["role"]
        for call_index, part in enumerate(message["parts"]):
            key = f"gen_ai.completion.{index}"
            if part["type"] == "text":
                out[f"{key}.content"] = part["content"]
            else:
                out[f"{key}.tool_calls.{call_index}.id"] = part["id"]
                out[f"{key}.tool_calls.{call_index}.name"] = part["name"]
                out[f"{key}.tool_calls.{call_index}.arguments"] = json.dumps(part["arguments"])
    return out


def test_older_flattened_genai_attributes(tmp_path: Path) -> None:
    doc = _load_doc(TRACES / "otlp-genai" / "happy.json")
    for span in _spans(doc):
        attrs = _attrs(span)
        if attrs["gen_ai.operation.name"] == "chat":
            _set_attrs(span, _legacy_chat(attrs))
        elif attrs["gen_ai.operation.name"] == "invoke_agent":
            _set_attrs(span, {"gen_ai.agent.name": attrs["gen_ai.agent.name"]})
    run = _one(_write(tmp_path, doc))
    reference = _one(TRACES / "otlp-genai" / "happy.json")
    assert _calls(run) == _calls(reference)
    assert run.final_output == reference.final_output and run.status == "success"
    assert run.input == reference.input
    assert run.totals().input_tokens == 845 and run.totals().output_tokens == 46
    assert run.llm_calls()[0].tool_calls == reference.llm_calls()[0].tool_calls


def test_older_json_prompt_and_completion(tmp_path: Path) -> None:
    doc = _load_doc(TRACES / "otlp-genai" / "wrong-tool.json")
    for span in _spans(doc):
        attrs = _attrs(span)
        if attrs["gen_ai.operation.name"] != "chat":
            continue
        prompt = [{"role": m["role"], "content": "".join(
            p["content"] for p in m["parts"] if p["type"] == "text") or None}
            for m in json.loads(attrs["gen_ai.input.messages"])]
        completion = [{"role": "assistant", "content": "".join(
            p["content"] for p in m["parts"] if p["type"] == "text") or None,
            "tool_calls": [{"id": p["id"], "type": "function",
                            "function": {"name": p["name"],
                                         "arguments": json.dumps(p["arguments"])}}
                           for p in m["parts"] if p["type"] == "tool_call"]}
            for m in json.loads(attrs["gen_ai.output.messages"])]
        _set_attrs(span, {"gen_ai.operation.name": "chat", "gen_ai.system": "openai",
                          "gen_ai.prompt": json.dumps(prompt),
                          "gen_ai.completion": json.dumps(completion)})
    run = _one(_write(tmp_path, doc))
    reference = _one(TRACES / "otlp-genai" / "wrong-tool.json")
    assert [c.tool_calls for c in run.llm_calls()] == \
        [c.tool_calls for c in reference.llm_calls()]
    assert run.final_output == reference.final_output


def test_structured_messages_and_snake_case_keys(tmp_path: Path) -> None:
    doc = _load_doc(TRACES / "otlp-genai" / "tool-error-unhandled.json")
    for span in _spans(doc):
        for attr in span["attributes"]:  # the others as they are (finish_reasons an array)
            if attr["key"] in ("gen_ai.input.messages", "gen_ai.output.messages"):
                # arrayValue of kvlistValue
                attr["value"] = _any(json.loads(attr["value"]["stringValue"]))

    def snake(value: Any) -> Any:
        if isinstance(value, dict):
            return {(re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower() if k != "key" else k): snake(v)
                    for k, v in value.items()}
        return [snake(v) for v in value] if isinstance(value, list) else value

    run = _one(_write(tmp_path, snake(doc)))
    reference = _one(TRACES / "otlp-genai" / "tool-error-unhandled.json")
    dumped = run.model_dump(exclude={"source"})
    assert dumped == reference.model_dump(exclude={"source"})


def test_llm_spans_only_tool_calls_come_from_messages(tmp_path: Path) -> None:
    doc = _load_doc(TRACES / "otlp-genai" / "happy.json")
    for ss in doc["resourceSpans"][0]["scopeSpans"]:
        ss["spans"] = [s for s in ss["spans"] if not s["name"].startswith("execute_tool")]
    run = _one(_write(tmp_path, doc))
    (call,) = run.tool_calls()
    assert call.tool_name == "lookup_billing" and call.call_id == "call_5897d1df5a325d2e8a8dae3b"
    assert call.output["balance_cents"] == 12900
    assert [e.type for e in run.events] == ["input_message", "llm_call", "tool_call",
                                            "tool_result", "llm_call", "final_output"]


def test_runs_in_order_of_first_appearance_across_lines(tmp_path: Path) -> None:
    lines = (TRACES / "openinference" / "all-scenarios.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    spans = first["resourceSpans"][0]["scopeSpans"][0]["spans"]
    head, tail = copy.deepcopy(first), copy.deepcopy(first)
    head["resourceSpans"][0]["scopeSpans"][0]["spans"] = spans[:3]
    tail["resourceSpans"][0]["scopeSpans"][0]["spans"] = spans[3:]
    path = tmp_path / "split.jsonl"
    path.write_text("\n".join([json.dumps(head), lines[1], json.dumps(tail)]) + "\n")
    runs = load_trace(path)
    assert len(runs) == 2
    whole = load_trace(TRACES / "openinference" / "all-scenarios.jsonl")
    assert runs[0].model_dump(exclude={"source"}) == whole[0].model_dump(exclude={"source"})
    assert runs[1].run_id == whole[1].run_id


def test_failed_tool_without_exception_event_uses_status_message(tmp_path: Path) -> None:
    doc = _load_doc(TRACES / "openinference" / "tool-error-unhandled.json")
    for span in _spans(doc):
        span.pop("events", None)
        # and no later request tells what the model received
        span["attributes"] = [a for a in span.get("attributes", [])
                              if not a["key"].endswith("tool_call_id")]
    run = _one(_write(tmp_path, doc))
    result = next(e for e in run.events if isinstance(e, ToolResultEvent))
    assert result.is_error
    assert result.output == ("BillingAPIError: 500 Internal Server Error from billing-api "
                             "(request req_7f3a91)")


def test_parent_and_child_errors_are_reported_once(tmp_path: Path) -> None:
    run = _one(TRACES / "openinference" / "tool-loop.json")
    assert len([e for e in run.events if isinstance(e, ErrorEvent)]) == 1
    doc = _load_doc(TRACES / "openinference" / "tool-loop.json")
    for span in _spans(doc):
        if span["name"] == "handle_request":
            span["status"]["message"] = "RuntimeError: request handler crashed"
            span.pop("events")
    run = _one(_write(tmp_path, doc))
    assert [e.message for e in run.errors()] == [
        "lookup_billing called 5 times with identical arguments after repeated failures; "
        "aborting run", "RuntimeError: request handler crashed"]


# --- malformed input ----------------------------------------------------------------------


def _span_doc(**changes: Any) -> dict[str, Any]:
    span = {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
            "name": "chat", "startTimeUnixNano": "1", "endTimeUnixNano": "2",
            "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}]}
    span.update(changes)
    return {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}


SPAN = "resourceSpans[0].scopeSpans[0].spans[0]"
BAD = {
    "spans-not-a-list": ({"resourceSpans": [{"scopeSpans": [{"spans": {}}]}]},
                         "resourceSpans[0].scopeSpans[0].spans: expected a list, got an object"),
    "resource-spans-string": ({"resourceSpans": "spans"},
                              "resourceSpans: expected a list, got a string"),
    "scope-spans-number": ({"resourceSpans": [{"scopeSpans": 3}]},
                           "resourceSpans[0].scopeSpans: expected a list, got a number"),
    "span-a-list": ({"resourceSpans": [{"scopeSpans": [{"spans": [[]]}]}]},
                    f"{SPAN}: expected an object, got a list"),
    "unknown-value-shape": (_span_doc(attributes=[{"key": "k", "value": {"weird": 1}}]),
                            f"{SPAN}.attributes[0].value: unknown attribute value shape"),
    "plain-attribute-value": (_span_doc(attributes=[{"key": "k", "value": 5}]),
                              f"{SPAN}.attributes[0].value: expected an object, got a number"),
    "attribute-key-missing": (_span_doc(attributes=[{"value": {"stringValue": "x"}}]),
                              f"{SPAN}.attributes[0].key: expected a string, got null"),
    "bad-int-value": (_span_doc(attributes=[{"key": "n", "value": {"intValue": "ten"}}]),
                      f"{SPAN}.attributes[0].value.intValue: expected an integer"),
    "bad-base64-id": (_span_doc(spanId="@@not*base64@@"),
                      f"{SPAN}.spanId: '@@not*base64@@' is neither hex nor base64"),
    "trace-id-missing": (_span_doc(traceId=None), f"{SPAN}.traceId: missing"),
    "time-not-numeric": (_span_doc(startTimeUnixNano="yesterday"),
                         f"{SPAN}.startTimeUnixNano: expected an integer of nanoseconds"),
    "time-a-list": (_span_doc(endTimeUnixNano=[1]),
                    f"{SPAN}.endTimeUnixNano: expected an integer of nanoseconds, got a list"),
    "unknown-status": (_span_doc(status={"code": "STATUS_CODE_MAYBE"}),
                       f"{SPAN}.status.code: unknown value 'STATUS_CODE_MAYBE'"),
    "kind-an-object": (_span_doc(kind={}), f"{SPAN}.kind: unknown value an object"),
    "events-not-a-list": (_span_doc(events="boom"),
                          f"{SPAN}.events: expected a list, got a string"),
    "no-spans": ({"resourceSpans": []}, "the file holds no runs"),
    "top-level-list": ([{"resourceSpans": []}], "top level is a list"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_input_is_one_clear_line(tmp_path: Path, case: str) -> None:
    doc, expected = BAD[case]
    path = _write(tmp_path, doc, f"{case}.json")
    with pytest.raises(ReplaycaseError) as info:
        load_trace(path, format="otlp")
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    assert "[otlp]" in message and expected in message


def test_malformed_jsonl_line_is_named(tmp_path: Path) -> None:
    lines = (TRACES / "otlp-genai" / "all-scenarios.jsonl").read_text().splitlines()
    bad = json.loads(lines[2])
    bad["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["traceId"] = 42
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([lines[0], lines[1], json.dumps(bad)]) + "\n")
    with pytest.raises(TraceFormatError, match=r"line 3: resourceSpans\[0\]\.scopeSpans\[0\]"
                                               r"\.spans\[1\]\.traceId: expected a hex or "
                                               r"base64 string, got a number"):
        load_trace(path)
    path.write_text(lines[0] + "\n[1, 2]\n")
    with pytest.raises(TraceFormatError, match="line 2: expected an object, got a list"):
        load_trace(path)


def test_check_explains_what_is_missing() -> None:
    importer = OtlpImporter()
    doc = TraceDocument(path=Path("x.json"), kind="json", value={"spans": []},
                        first={"spans": []})
    assert importer.check(doc) == 'no "resourceSpans" key'


# --- property tests -------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12) | st.sampled_from(["", "2", "STATUS_CODE_ERROR", "AAAAAAAAAAE=",
                                               "{\"a\": 1}", "[1]", "1773133200000000000"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["resourceSpans", "scopeSpans", "spans", "attributes", "key", "value",
                         "stringValue", "intValue", "arrayValue", "values", "traceId",
                         "spanId", "parentSpanId", "status", "code", "events", "name"])
        | st.text(max_size=6), inner, max_size=4),
    max_leaves=20)
_BASE = _load_doc(TRACES / "otlp-genai" / "tool-error-unhandled.json")


def _import(value: Any) -> list[TraceRun]:
    doc = TraceDocument(path=Path("fuzz.json"), kind="json", value=value, first=value)
    importer = OtlpImporter()
    if importer.check(doc) is not None:
        return []
    runs = importer.load(doc)
    for run in runs:
        assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
        json.loads(run.to_json())
    return runs


def _containers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    children = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else []
    for key, child in children:
        if isinstance(child, (dict, list)):
            found.extend(_containers(child, (*path, key)))
    return found


_PATHS = _containers(_BASE)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_JSON, st.builds(lambda v: {"resourceSpans": v}, _JSON)))
def test_random_json_raises_only_replaycase_errors(value: Any) -> None:
    try:
        _import(value)
    except ReplaycaseError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_PATHS), st.integers(0, 50),
                          st.sampled_from(["drop", "replace", "wrap"]), _JSON),
                min_size=1, max_size=4))
def test_mutated_real_trace_raises_only_replaycase_errors(
        mutations: list[tuple[tuple[Any, ...], int, str, Any]]) -> None:
    doc = copy.deepcopy(_BASE)
    for path, pick, action, new in mutations:
        node: Any = doc
        try:
            for key in path:
                node = node[key]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
        if not isinstance(node, (dict, list)) or not node:
            continue
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = keys[pick % len(keys)]
        if action == "drop":
            del node[key]
        elif action == "replace":
            node[key] = new
        else:
            node[key] = [node[key]]
    try:
        _import(doc)
    except ReplaycaseError as exc:
        assert "\n" not in str(exc)


_KEYS = ["gen_ai.operation.name", "openinference.span.kind", "gen_ai.input.messages",
         "gen_ai.output.messages", "gen_ai.prompt", "gen_ai.completion", "gen_ai.prompt.0.role",
         "gen_ai.prompt.0.content", "gen_ai.completion.0.tool_calls.0.name",
         "gen_ai.completion.0.tool_calls", "llm.input_messages.0.message.content",
         "llm.output_messages.0.message.tool_calls.0.tool_call.function.name", "input.value",
         "output.value", "input.mime_type", "gen_ai.tool.name", "gen_ai.tool.call.arguments",
         "gen_ai.tool.call.result", "gen_ai.usage.input_tokens", "llm.token_count.total",
         "gen_ai.system_instructions", "error.type", "tag.tags", "gen_ai.tool.call.id"]
_SEMANTIC = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=6)
    | st.sampled_from(["chat", "execute_tool", "LLM", "TOOL", "AGENT", "tool_call", "text"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["role", "parts", "type", "content", "id", "name", "arguments",
                         "response", "tool_calls", "function", "message", "messages",
                         "choices", "tool_call", "contents", "text"]), inner, max_size=4),
    max_leaves=10)
_SPAN = st.tuples(st.dictionaries(st.sampled_from(_KEYS),
                                  _SEMANTIC | _SEMANTIC.map(json.dumps), max_size=6),
                  st.integers(-1, 3), st.integers(0, 3), st.integers(0, 3), st.integers(0, 2))


def _plain_any(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_plain_any(v) for v in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": [{"key": k, "value": _plain_any(v)}
                                           for k, v in value.items()]}}
    return _any(value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_SPAN, min_size=1, max_size=5))
def test_any_well_formed_attributes_import(spans: list[tuple[Any, ...]]) -> None:
    raw = [{"traceId": "ab" * 16, "spanId": f"{i + 1:016x}", "name": f"span-{i}",
            "parentSpanId": f"{parent + 1:016x}" if parent >= 0 else "",
            "startTimeUnixNano": start, "endTimeUnixNano": end, "status": {"code": code},
            "attributes": [{"key": k, "value": _plain_any(v)} for k, v in attrs.items()]}
           for i, (attrs, parent, start, end, code) in enumerate(spans)]
    (run,) = _import({"resourceSpans": [{"scopeSpans": [{"spans": raw}]}]})
    assert run.run_id == "ab" * 16
    kinds = [e.type for e in run.events]
    assert kinds.count("tool_call") == kinds.count("tool_result")  # every call has its result


def test_parent_cycle_and_failed_model_call(tmp_path: Path) -> None:
    doc = _load_doc(TRACES / "otlp-genai" / "happy.json")
    spans = _spans(doc)
    chat = spans[2]
    chat["status"] = {"code": "STATUS_CODE_ERROR", "message": "rate limited"}
    root = spans[-1]
    root["parentSpanId"] = spans[0]["spanId"]  # root <-> first chat span: a cycle
    run = _one(_write(tmp_path, doc))
    assert run.llm_calls()[1].error == "rate limited"
    assert len(run.tool_calls()) == 1 and run.events[0].type == "input_message"
