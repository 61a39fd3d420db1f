"""The chat transcript importer, on the real OpenAI and Anthropic message lists."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import mutate

from replaycase.errors import ReplaycaseError, TraceFormatError
from replaycase.importers import load_trace
from replaycase.model import (
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    ToolCallEvent,
    ToolResultEvent,
    TraceRun,
)

DATA = Path(__file__).parent / "data"
TRACES = DATA / "traces"
DIALECTS = ["transcript-openai", "transcript-anthropic"]
FILES = sorted(p for d in DIALECTS for p in (TRACES / d).glob("*.json"))
HAPPY_ANSWER = ("Your current balance is $129.00, all on invoice INV-4102, which is due on "
                "1 April 2026.")


def load(dialect: str, scenario: str) -> TraceRun:
    runs = load_trace(TRACES / dialect / f"{scenario}.json", format="transcript")
    assert len(runs) == 1
    return runs[0]


def test_the_corpus_is_there() -> None:
    assert len(FILES) == 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_file_imports_by_content(path: Path) -> None:
    [run] = load_trace(path)
    assert run.source is not None and run.source.format == "transcript"
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert run.source.sha256 == sha and run.run_id == f"transcript-{sha[:12]}"
    assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
    assert all(e.ts is None for e in run.events), "transcripts carry no times"
    assert isinstance(run.input, str) and run.input
    assert run.metadata.model is None and run.metadata.agent is None
    # every requested tool call is followed by its ToolCallEvent, and results know the tool
    requested = [r.call_id for e in run.llm_calls() for r in e.tool_calls]
    assert requested == [c.call_id for c in run.tool_calls()]
    assert all(c.result_seq is not None for c in run.tool_calls())
    results = [e for e in run.events if isinstance(e, ToolResultEvent)]
    assert all(r.tool_name in ("lookup_billing", "issue_refund", "search_kb") for r in results)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_happy(dialect: str) -> None:
    run = load(dialect, "happy")
    assert run.status == "success"
    assert run.input == "What's my current balance? Customer C-40219."
    assert run.final_output == HAPPY_ANSWER
    assert isinstance(run.events[-1], FinalOutputEvent)
    assert run.events[-1].output == HAPPY_ANSWER
    first, last = run.llm_calls()
    assert first.response is None and [t.tool_name for t in first.tool_calls] == [
        "lookup_billing"]
    assert last.response == HAPPY_ANSWER and last.tool_calls == []
    [call] = run.tool_calls()
    assert call.tool_args == {"customer_id": "C-40219"} and not call.is_error
    assert json.loads(call.output)["balance_cents"] == 12900


def test_openai_system_prompt_is_an_input_message() -> None:
    run = load("transcript-openai", "happy")
    system, user = run.events[0], run.events[1]
    assert isinstance(system, InputMessageEvent) and system.role == "system"
    assert system.content.startswith("You are Acme Cloud's billing support assistant")
    assert isinstance(user, InputMessageEvent) and user.content == run.input
    assert [e.type for e in run.events] == ["input_message", "input_message", "llm_call",
                                            "tool_call", "tool_result", "llm_call",
                                            "final_output"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_tool_loop(dialect: str) -> None:
    run = load(dialect, "tool-loop")
    assert run.status == "error" and run.final_output is None
    calls = run.tool_calls()
    assert [c.tool_name for c in calls] == ["lookup_billing"] * 5
    assert all(c.tool_args == {"customer_id": "C-10442"} for c in calls)
    assert len({c.call_id for c in calls}) == 5
    assert all("billing-api did not respond within 10s" in c.output for c in calls)
    assert isinstance(run.events[-1], ToolResultEvent)
    assert len(run.llm_calls()) == 5


def test_tool_errors_anthropic_flags_them_openai_cannot() -> None:
    openai = load("transcript-openai", "tool-error-unhandled").tool_calls()
    anthropic = load("transcript-anthropic", "tool-error-unhandled").tool_calls()
    assert openai[0].output.startswith("Error: BillingAPIError") and not openai[0].is_error
    assert anthropic[0].output.startswith("BillingAPIError: 500") and anthropic[0].is_error
    assert all(c.is_error for c in load("transcript-anthropic", "tool-loop").tool_calls())
    assert not any(c.is_error for c in load("transcript-openai", "tool-loop").tool_calls())


@pytest.mark.parametrize("dialect", DIALECTS)
def test_tool_error_unhandled(dialect: str) -> None:
    run = load(dialect, "tool-error-unhandled")
    assert run.status == "success"
    assert "paid in full on March 3" in run.final_output
    [call] = run.tool_calls()
    assert call.tool_args == {"customer_id": "C-20817", "invoice_id": "INV-2291"}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_wrong_tool(dialect: str) -> None:
    run = load(dialect, "wrong-tool")
    assert run.status == "success" and run.has_final_output()
    [call] = run.tool_calls()
    assert call.tool_name == "issue_refund" and call.tool_args["amount_cents"] == 4999


@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_final_output(dialect: str) -> None:
    run = load(dialect, "no-final-output")
    assert run.status == "error" and not run.has_final_output()
    calls = run.tool_calls()
    assert [c.tool_name for c in calls] == ["search_kb"] * 4
    assert len({json.dumps(c.tool_args) for c in calls}) == 4
    assert not any(isinstance(e, FinalOutputEvent) for e in run.events)


# -- shapes the corpus does not show -----------------------------------------------------

def _write(tmp_path: Path, value: Any) -> Path:
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(value, indent=2))
    return path


def test_a_request_body_wrapper_gives_model_and_system(tmp_path: Path) -> None:
    messages = json.loads((TRACES / "transcript-anthropic" / "happy.json").read_text())
    path = _write(tmp_path, {"model": "claude-haiku-4-5", "system": "Be brief.",
                             "messages": messages})
    [run] = load_trace(path)
    assert run.metadata.model == "claude-haiku-4-5"
    assert run.events[0].role == "system" and run.events[0].content == "Be brief."
    assert run.final_output == HAPPY_ANSWER and run.status == "success"


def test_block_content_legacy_functions_and_message_usage(tmp_path: Path) -> None:
    path = _write(tmp_path, [
        {"role": "user", "content": [{"type": "text", "text": "Hi "},
                                     {"type": "text", "text": "there"}]},
        {"role": "assistant", "content": None, "model": "gpt-4o-mini",
         "usage": {"prompt_tokens": 10, "completion_tokens": 3},
         "function_call": {"name": "search_kb", "arguments": '{"query": "hi"}'}},
        {"role": "function", "name": "search_kb", "content": "nothing"},
        {"role": "assistant", "content": [{"type": "text", "text": "Sorry,"},
                                          {"type": "refusal", "refusal": " no."}]},
    ])
    [run] = load_trace(path, format="transcript")
    assert run.input == "Hi there"
    [call] = run.tool_calls()
    assert call.tool_name == "search_kb" and call.tool_args == {"query": "hi"}
    assert call.output == "nothing"
    first = run.llm_calls()[0]
    assert first.model == "gpt-4o-mini" and first.usage.total() == 13
    assert run.metadata.model == "gpt-4o-mini"
    assert run.final_output == "Sorry, no." and run.status == "success"


def test_tool_result_blocks_and_arguments_that_are_not_json(tmp_path: Path) -> None:
    path = _write(tmp_path, [
        {"role": "user", "content": "Look it up"},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"id": 1}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": True,
             "content": [{"type": "text", "text": "boom"}]},
            {"type": "text", "text": "Well?"}]},
        {"role": "assistant", "tool_calls": [
            {"id": "c2", "type": "function",
             "function": {"name": "lookup", "arguments": "{not json"}}]},
    ])
    [run] = load_trace(path, format="transcript")
    first, second = run.tool_calls()
    assert first.output == "boom" and first.is_error and first.tool_args == {"id": 1}
    assert second.tool_args == "{not json" and second.output is None
    assert run.llm_calls()[0].response == "Checking."
    assert [e.content for e in run.events if isinstance(e, InputMessageEvent)] == [
        "Look it up", "Well?"]
    assert run.status == "error", "it ends on a tool request, with no answer"


def test_a_transcript_ending_with_a_user_turn_is_not_answered(tmp_path: Path) -> None:
    [run] = load_trace(_write(tmp_path, [{"role": "user", "content": "Hello?"}]))
    assert run.status == "error" and run.final_output is None and run.input == "Hello?"


def test_langsmith_runs_are_not_a_transcript() -> None:
    path = TRACES / "langsmith" / "happy.runs.json"
    with pytest.raises(TraceFormatError, match='no "role" string'):
        load_trace(path, format="transcript")


# -- golden ------------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", DIALECTS)
def test_golden_tool_error_unhandled(dialect: str) -> None:
    golden = DATA / "golden" / f"{dialect}-tool-error-unhandled.json"
    actual = load(dialect, "tool-error-unhandled").model_dump(mode="json", by_alias=True)
    if os.environ.get("REPLAYCASE_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert golden.exists(), "run with REPLAYCASE_UPDATE_GOLDEN=1 to create the golden file"
    assert actual == json.loads(golden.read_text())


# -- malformed input ---------------------------------------------------------------------

USER = {"role": "user", "content": "hi"}


def _assistant(**fields: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": None, **fields}


def _call(function: Any, **fields: Any) -> dict[str, Any]:
    return {"id": "c1", "type": "function", "function": function, **fields}


BAD: dict[str, tuple[Any, str]] = {
    "top level a string": ("chat", "top level is a string"),
    "top level a number": (3, "top level is a number"),
    "an empty list": ([], "no messages"),
    "messages not a list": ({"messages": "hi"}, '"messages" is a string, expected a list'),
    "an item without role": ([USER, {"content": "x"}], 'item 1 has no "role"'),
    "an item that is a list": ([USER, ["x"]], 'item 1 has no "role"'),
    "content an int": ([{"role": "user", "content": 5}],
                       "messages[0].content: expected a string or a list of blocks, got a "
                       "number"),
    "assistant content an object": ([USER, _assistant(content={"a": 1})],
                                    "messages[1].content: expected a string or a list"),
    "tool_calls not a list": ([USER, _assistant(tool_calls={"id": "c1"})],
                              "messages[1].tool_calls: expected a list, got an object"),
    "a tool call a string": ([USER, _assistant(tool_calls=["lookup"])],
                             "messages[1].tool_calls[0]: expected an object, got a string"),
    "no function": ([USER, _assistant(tool_calls=[{"id": "c1", "type": "function"}])],
                    'messages[1].tool_calls[0]: no "function" object'),
    "function name a number": ([USER, _assistant(tool_calls=[_call({"name": 1})])],
                               "messages[1].tool_calls[0].function.name: expected a string"),
    "tool call id a number": ([USER, _assistant(tool_calls=[_call({"name": "x"}, id=1)])],
                              "messages[1].tool_calls[0].id: expected a string"),
    "tool_call_id a list": ([USER, {"role": "tool", "tool_call_id": [1], "content": "x"}],
                            "messages[1].tool_call_id: expected a string, got a list"),
    "a block without type": ([{"role": "user", "content": [{"text": "x"}]}],
                             'messages[0].content[0]: no "type" string'),
    "a text block without text": ([{"role": "user", "content": [{"type": "text", "text": 1}]}],
                                  'a text block needs a "text" string'),
    "a block that is a string": ([USER, _assistant(content=["x"])],
                                 "messages[1].content[0]: expected a content block object"),
    "tool_use without name": ([USER, _assistant(content=[{"type": "tool_use", "id": "t"}])],
                              "messages[1].content[0].name: expected a string, got null"),
    "is_error a string": ([{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t", "is_error": "yes"}]}],
        "messages[0].content[0].is_error: expected true or false"),
    "tool result content an int": ([{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t", "content": 3}]}],
        "messages[0].content[0].content: expected a string or a list"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_transcripts_name_the_file_and_the_problem(tmp_path: Path,
                                                             name: str) -> None:
    value, expected = BAD[name]
    path = _write(tmp_path, value)
    with pytest.raises(TraceFormatError) as info:
        load_trace(path, format="transcript")
    message = str(info.value)
    assert message.startswith(str(path)) and "[transcript]" in message
    assert expected in message and "\n" not in message


# -- property: anything in, TraceRuns or a ReplaycaseError out ---------------------------

_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(
    allow_nan=False, allow_infinity=False)
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
_ROLES = st.sampled_from(["system", "developer", "user", "assistant", "tool", "function", "x"])
_KEYS = st.sampled_from(["content", "tool_calls", "tool_call_id", "name", "function_call",
                         "model", "usage"])
_MESSAGES = st.lists(st.builds(lambda role, extra: {"role": role, **extra}, _ROLES,
                               st.dictionaries(_KEYS, _JSON, max_size=3)), max_size=6)
_REAL = [m for p in FILES for m in json.loads(p.read_text())]



@st.composite
def _mutated(draw: st.DrawFn) -> list[Any]:
    return mutate(draw, draw(st.lists(st.sampled_from(_REAL), min_size=1, max_size=8)), _JSON)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(_JSON, _MESSAGES, _mutated()), st.booleans())
def test_any_json_gives_runs_or_a_replaycase_error(tmp_path: Path, value: Any,
                                                   wrap: bool) -> None:
    path = _write(tmp_path, {"messages": value} if wrap else value)
    try:
        runs = load_trace(path, format="transcript")
    except ReplaycaseError as exc:
        assert "\n" not in str(exc)
        return
    assert len(runs) == 1 and isinstance(runs[0], TraceRun)
    assert runs[0].status in ("success", "error")
    runs[0].model_dump_json()
    runs[0].tool_calls()


def test_every_assistant_turn_is_one_llm_call() -> None:
    for path in FILES:
        [run] = load_trace(path)
        turns = [m for m in json.loads(path.read_text()) if m["role"] == "assistant"]
        assert len(run.llm_calls()) == len(turns)
        assert sum(isinstance(e, LlmCallEvent) for e in run.events) == len(turns)
        assert sum(isinstance(e, ToolCallEvent) for e in run.events) == sum(
            len(e.tool_calls) for e in run.llm_calls())
