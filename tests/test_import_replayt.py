"""The replayt importer, on the real JSONL logs in tests/data/traces/replayt."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import mutate

from replaycase.errors import ReplaycaseError, TraceFormatError
from replaycase.importers import load_trace, open_document
from replaycase.importers.replayt import EVENT_TYPES, ReplaytImporter
from replaycase.model import (
    ApprovalEvent,
    CustomEvent,
    FinalOutputEvent,
    InputMessageEvent,
    RetryEvent,
    TraceRun,
)

DATA = Path(__file__).parent / "data"
FOLDER = DATA / "traces" / "replayt"
GOLDEN = DATA / "golden" / "replayt-tool-loop.json"
FILES = sorted(FOLDER.glob("*.jsonl"))
SCENARIOS = ["happy", "tool-loop", "tool-error-unhandled", "wrong-tool", "no-final-output"]


def load(name: str) -> TraceRun:
    runs = load_trace(FOLDER / f"{name}.jsonl", format="replayt")
    assert len(runs) == 1
    return runs[0]


def test_the_corpus_is_there() -> None:
    assert len(FILES) == 17  # 14 in the shared corpus, 3 from generate_refund_review.py


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_imports_by_content(path: Path) -> None:
    [run] = load_trace(path)
    assert run.source is not None and run.source.format == "replayt"
    assert run.source.file == path.name and len(run.source.sha256 or "") == 64
    assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
    assert all(e.ts and e.ts.startswith("2026-") for e in run.events)
    assert run.metadata.agent and run.metadata.version and run.metadata.model
    assert isinstance(run.events[0], InputMessageEvent)
    assert run.input == run.events[0].content and isinstance(run.input, dict)
    assert run.states_visited(), "every log enters a state"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_billing_scenarios_share_metadata_and_usage(scenario: str) -> None:
    run = load(scenario)
    assert run.run_id == scenario
    assert run.metadata.agent == "billing_support_agent"
    assert run.metadata.version == "1.4.2"
    assert run.metadata.model == "gpt-4o-mini"
    assert run.metadata.tags == ["channel:web"]
    assert set(run.input) == {"question"}
    calls = run.llm_calls()
    assert calls and all(c.usage and c.usage.input_tokens and c.usage.output_tokens
                         for c in calls)
    assert all(c.usage.total() == c.usage.input_tokens + c.usage.output_tokens
               for c in calls if c.usage)
    assert run.totals().total_tokens == sum(c.usage.total_tokens or 0 for c in calls if c.usage)
    assert run.states_visited()[0] == "think"


def test_tool_loop() -> None:
    run = load("tool-loop")
    assert run.status == "error"
    assert run.final_output is None and not run.has_final_output()
    calls = run.tool_calls()
    assert [c.tool_name for c in calls] == ["lookup_billing"] * 5
    assert all(c.tool_args == {"customer_id": "C-10442"} for c in calls)
    assert all(c.is_error and c.output == {"type": "TimeoutError", "message":
                                            "billing-api did not respond within 10s"}
               for c in calls)
    assert len({c.call_id for c in calls}) == 5
    # the model's tool requests, parsed from the JSON text of its responses
    requested = [r for llm in run.llm_calls() for r in llm.tool_calls]
    assert [r.call_id for r in requested] == [c.call_id for c in calls]
    assert all(r.tool_args == {"customer_id": "C-10442"} for r in requested)
    errors = run.errors()
    assert [e.error_type for e in errors] == ["ToolLoopError"]  # step_error = run_failed
    assert "called 5 times with identical arguments" in errors[-1].message
    notes = [e for e in run.events if isinstance(e, CustomEvent) and e.name == "step_note"]
    assert notes and notes[0].data["kind"] == "loop_guard"
    assert run.states_visited() == ["think", "act"] * 5
    assert run.metadata.extra["log_mode"] == "full"


def test_full_log_mode_keeps_messages_and_content() -> None:
    first = load("tool-loop").llm_calls()[0]
    assert first.request["messages"][0]["role"] == "system"
    assert first.request["messages"][1]["content"].startswith("I was charged twice")
    assert json.loads(first.response)["tool_calls"][0]["function"]["name"] == "lookup_billing"
    assert first.latency_ms == 0 and first.model == "gpt-4o-mini"


def test_redacted_log_mode_keeps_the_summary_and_preview() -> None:
    run = load("happy")
    first, last = run.llm_calls()
    assert first.request == {"messages_summary": {"count": 2, "roles": ["system", "user"]}}
    assert [r.tool_name for r in first.tool_calls] == ["lookup_billing"]
    assert last.tool_calls == [] and last.response.startswith("Your current balance")


def test_happy() -> None:
    run = load("happy")
    assert run.status == "success"
    assert run.final_output == ("Your current balance is $129.00, all on invoice INV-4102, "
                                "which is due on 1 April 2026.")
    finals = [e for e in run.events if isinstance(e, FinalOutputEvent)]
    assert [f.output for f in finals] == [run.final_output]
    [call] = run.tool_calls()
    assert call.tool_name == "lookup_billing" and not call.is_error
    assert call.output["balance_cents"] == 12900
    assert run.errors() == []
    assert run.states_visited() == ["think", "act", "think", "respond"]


def test_tool_error_unhandled() -> None:
    run = load("tool-error-unhandled")
    assert run.status == "success"
    [call] = run.tool_calls()
    assert call.is_error and call.output["type"] == "BillingAPIError"
    assert call.tool_args == {"customer_id": "C-20817", "invoice_id": "INV-2291"}
    assert "paid in full on March 3" in run.final_output


def test_wrong_tool() -> None:
    run = load("wrong-tool")
    assert run.status == "success"
    [call] = run.tool_calls()
    assert call.tool_name == "issue_refund" and call.tool_args["amount_cents"] == 4999
    assert not call.is_error and run.has_final_output()


def test_no_final_output() -> None:
    run = load("no-final-output")
    assert run.status == "error"
    assert run.final_output is None
    calls = run.tool_calls()
    assert [c.tool_name for c in calls] == ["search_kb"] * 4
    assert len({json.dumps(c.tool_args) for c in calls}) == 4
    assert "max_steps=8" in run.errors()[-1].message
    assert run.errors()[-1].error_type == "RunFailed"


def test_approval_before_resume_is_paused() -> None:
    run = load("ex-preflight-approval.before-resume")
    assert run.status == "paused"
    [approval] = [e for e in run.events if isinstance(e, ApprovalEvent)]
    assert approval.action == "requested" and approval.approval_id == "publish"
    assert approval.summary == "passes=False; issues=0; "
    assert [e.name for e in run.events if isinstance(e, CustomEvent)][-1] == "run_paused"


def test_approval_after_resume() -> None:
    run = load("ex-preflight-approval")
    assert run.status == "success"
    approvals = [e for e in run.events if isinstance(e, ApprovalEvent)]
    assert [(a.action, a.decision) for a in approvals] == [("requested", None),
                                                          ("resolved", "rejected")]
    assert approvals[1].summary == "claims are misleading"
    assert run.states_visited() == ["checklist", "approval", "approval", "abort", "done"]


def test_retries() -> None:
    run = load("ex05-retry")
    [retry] = [e for e in run.events if isinstance(e, RetryEvent)]
    assert retry.attempt == 1
    assert retry.reason == "RuntimeError: Temporary vendor directory timeout for Acme"
    assert run.status == "success" and run.errors() == []


def test_failed_after_retries() -> None:
    run = load("ex04-failed")
    assert run.status == "error"
    assert [e.attempt for e in run.events if isinstance(e, RetryEvent)] == [1, 2]
    assert {e.error_type for e in run.errors()} == {"ValidationError"}


def test_structured_output_failed() -> None:
    run = load("gen-parse-fail")
    assert run.status == "error"
    failed = [e for e in run.events
              if isinstance(e, CustomEvent) and e.name == "structured_output_failed"]
    assert len(failed) == 3
    assert failed[0].data["stage"] == "schema_validate"
    assert failed[0].data["error"]["type"] == "ValidationError"
    assert len(run.llm_calls()) == 3 and run.totals().total_tokens == 87


def test_structured_output_is_kept() -> None:
    run = load("ex-refund-dryrun-full")
    [output] = [e for e in run.events if isinstance(e, CustomEvent)
                and e.name == "structured_output"]
    assert output.data["schema_name"] == "RefundDecision"
    assert output.data["data"]["reason_codes"] == []
    assert run.llm_calls()[0].request["schema_name"] == "RefundDecision"


def test_tool_error_with_retries_and_repeated_call_ids() -> None:
    run = load("gen-tool-error-full")
    calls = run.tool_calls()
    assert [c.call_id for c in calls] == ["call_abc123"] * 3
    assert all(c.is_error and c.result_seq for c in calls)
    assert [e.attempt for e in run.events if isinstance(e, RetryEvent)] == [1, 2]
    assert run.llm_calls()[0].tool_calls == [], "not OpenAI-shaped: no tool calls parsed"


def test_tools_without_call_ids() -> None:
    run = load("ex04-tools")
    calls = run.tool_calls()
    assert [(c.tool_name, c.call_id) for c in calls] == [("calculate_total", None),
                                                        ("budget_policy", None)]
    assert calls[0].output == 640.0


# -- several runs, JSON documents, interrupted calls ------------------------------------

def _lines(name: str) -> list[str]:
    return [line for line in (FOLDER / f"{name}.jsonl").read_text().splitlines() if line]


def test_several_runs_in_one_file_in_order_of_first_appearance(tmp_path: Path) -> None:
    happy, loop = _lines("happy"), _lines("tool-loop")
    mixed = [loop[0], *happy[:5], *loop[1:], *happy[5:]]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(mixed) + "\n")
    runs = load_trace(path)
    assert [r.run_id for r in runs] == ["tool-loop", "happy"]
    assert runs[0].model_dump(exclude={"source"}) == load("tool-loop").model_dump(
        exclude={"source"})
    assert runs[1].final_output == load("happy").final_output


def test_a_pretty_printed_record_or_list_of_records(tmp_path: Path) -> None:
    records = [json.loads(line) for line in _lines("ex01-hello")]
    single = tmp_path / "one.json"
    single.write_text(json.dumps(records[0], indent=2))
    [run] = load_trace(single)
    assert run.status == "error" and run.metadata.agent == "hello_world_tutorial"
    several = tmp_path / "list.json"
    several.write_text(json.dumps(records, indent=2))
    [run] = load_trace(several, format="replayt")
    assert run.status == "success" and run.states_visited() == ["greet", "done"]


def test_a_model_call_that_raised_records_the_error(tmp_path: Path) -> None:
    def record(seq: int, kind: str, payload: dict[str, Any]) -> str:
        return json.dumps({"ts": f"2026-01-01T00:00:0{seq}Z", "run_id": "r", "seq": seq,
                           "type": kind, "payload": payload})

    path = tmp_path / "raised.jsonl"
    path.write_text("\n".join([
        record(1, "run_started", {"workflow_name": "w", "inputs": {"q": "?"}}),
        record(2, "llm_request", {"state": "s", "effective": {"model": "m-1"}}),
        record(3, "run_failed", {"error": {"type": "HTTPError", "message": "503"}}),
    ]))
    [run] = load_trace(path)
    [call] = run.llm_calls()
    assert call.model == "m-1" and call.error == "HTTPError: 503"
    assert run.status == "error" and run.metadata.model == "m-1"
    assert run.totals().duration_ms == 2000


def test_check_says_why_other_files_are_not_replayt() -> None:
    importer = ReplaytImporter()
    transcript = DATA / "traces" / "transcript-openai" / "happy.json"
    assert 'no "type" and no "run_id" key' in importer.check(open_document(transcript))
    otlp = DATA / "traces" / "otlp-genai" / "all-scenarios.jsonl"
    assert 'no "type" and no "run_id" key' in importer.check(open_document(otlp))


# -- golden ------------------------------------------------------------------------------

def test_golden_tool_loop() -> None:
    actual = load("tool-loop").model_dump(mode="json", by_alias=True)
    if os.environ.get("REPLAYCASE_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert GOLDEN.exists(), "run with REPLAYCASE_UPDATE_GOLDEN=1 to create the golden file"
    assert actual == json.loads(GOLDEN.read_text())


# -- malformed input ---------------------------------------------------------------------

GOOD = ('{"ts": "2026-01-01T00:00:00Z", "run_id": "r", "seq": 1, "type": "run_started", '
        '"payload": {"workflow_name": "w", "inputs": {}}}')


def _line(kind: str, payload: Any, **envelope: Any) -> str:
    record = {"ts": "2026-01-01T00:00:01Z", "run_id": "r", "seq": 2, "type": kind,
              "payload": payload, **envelope}
    return json.dumps({k: v for k, v in record.items() if v is not ...})


BAD = {
    "a list": ("[1, 2]", "line 2: expected an object, got a list"),
    "truncated": ('{"ts": "2026-01-01", "run_id": "r", "ty', "line 2: invalid JSON"),
    "no type": (_line("x", {}, type=...), 'line 2: no "type"'),
    "no run id": (_line("state_entered", {"state": "a"}, run_id=...), '"run_id" must be'),
    "ts a number": (_line("state_entered", {"state": "a"}, ts=5), "ts: expected a string"),
    "payload a string": (_line("state_entered", "a"), "payload: expected an object"),
    "state missing": (_line("state_entered", {}), "payload.state: missing"),
    "tool name a number": (_line("tool_call", {"name": 3}), "payload.name: expected a string"),
    "ok a string": (_line("tool_result", {"name": "t", "ok": "no"}), "payload.ok: expected"),
    "usage a list": (_line("llm_response", {"usage": [1]}), "payload.usage: expected an obj"),
    "tokens a string": (_line("llm_response", {"usage": {"prompt_tokens": "9"}}),
                        "payload.usage.prompt_tokens: expected an integer"),
    "content an int": (_line("llm_response", {"content": 7}), "payload.content: expected a"),
    "messages a string": (_line("llm_request", {"messages": "hi"}),
                          "payload.messages: expected a list, got a string"),
    "a message without role": (_line("llm_request", {"messages": [{"content": "x"}]}),
                               'payload.messages[0]: no "role" string'),
    "message tool_calls an object": (_line("llm_request", {"messages": [
        {"role": "assistant", "tool_calls": {}}]}),
        "payload.messages[0].tool_calls: expected a list, got an object"),
    "finish_reason a number": (_line("llm_response", {"finish_reason": 1}),
                               "payload.finish_reason: expected a string"),
    "attempt a string": (_line("retry_scheduled", {"attempt": "1"}), "payload.attempt"),
    "error a list": (_line("step_error", {"error": [1]}), "payload.error: expected"),
    "unknown status": (_line("run_completed", {"status": "exploded"}), "'exploded' is not"),
    "tags a number": (_line("run_started", {"tags": 4}), "payload.tags: expected"),
    "NaN": ('{"ts": NaN, "run_id": "r", "type": "x"}', "line 2: NaN is not valid JSON"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_lines_name_the_file_and_the_problem(tmp_path: Path, name: str) -> None:
    line, expected = BAD[name]
    path = tmp_path / "bad.jsonl"
    path.write_text(f"{GOOD}\n{line}\n{GOOD}\n")
    with pytest.raises(TraceFormatError) as info:
        load_trace(path, format="replayt")
    message = str(info.value)
    assert message.startswith(str(path)) and "[replayt]" in message
    assert expected in message and "\n" not in message


@pytest.mark.parametrize(("text", "expected"), [
    ('{"type": "nonsense", "run_id": "r"}\n', "'nonsense' is not a replayt event"),
    ('{"run_id": "r", "payload": {}}\n', 'first record: no "type" key'),
    ("[]", "an empty list"),
    ('"just a string"', "first record is a string"),
])
def test_files_that_are_not_replayt_are_refused(tmp_path: Path, text: str,
                                                expected: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(text)
    with pytest.raises(TraceFormatError, match=expected):
        load_trace(path, format="replayt")


# -- property: anything in, TraceRuns or a ReplaycaseError out ---------------------------

_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(
    allow_nan=False, allow_infinity=False)
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
_KINDS = st.sampled_from([*sorted(EVENT_TYPES), "other"])
_RECORDS = st.fixed_dictionaries(
    {"type": _KINDS, "run_id": st.sampled_from(["a", "b"])},
    optional={"ts": _SCALARS, "payload": st.one_of(_JSON, st.dictionaries(
        st.sampled_from(["state", "name", "ok", "usage", "content", "error", "status",
                         "inputs", "tags", "attempt", "approved", "kind", "data"]),
        _JSON, max_size=5))})
_REAL = [json.loads(line) for name in ("tool-loop", "happy", "ex-preflight-approval",
                                       "gen-parse-fail", "gen-tool-error-full")
         for line in _lines(name)]



@st.composite
def _mutated(draw: st.DrawFn) -> list[Any]:
    return mutate(draw, draw(st.lists(st.sampled_from(_REAL), min_size=1, max_size=6)), _JSON)


def _outcome(path: Path) -> None:
    try:
        runs = load_trace(path, format="replayt")
    except ReplaycaseError as exc:
        assert "\n" not in str(exc)
        return
    assert runs and all(isinstance(r, TraceRun) for r in runs)
    for run in runs:
        run.model_dump_json()
        run.totals()


_FUZZ = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@_FUZZ
@given(st.one_of(st.lists(st.one_of(_RECORDS, _JSON), max_size=6), _mutated()),
       st.booleans())
def test_any_json_gives_runs_or_a_replaycase_error(tmp_path: Path, records: list[Any],
                                                   as_jsonl: bool) -> None:
    path = tmp_path / "fuzz.jsonl"
    if as_jsonl:
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    else:
        path.write_text(json.dumps(records, indent=1))
    _outcome(path)


@_FUZZ
@given(_JSON)
def test_any_json_document_gives_runs_or_a_replaycase_error(tmp_path: Path,
                                                            value: Any) -> None:
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(value, indent=1))
    _outcome(path)
