"""The OpenAI Agents SDK importer on real ``Runner.run_streamed`` exports of Chat Completions
models (``OpenAIChatCompletionsModel``), and on guardrail tripwires: the files in
tests/data/sdk_agents/exports/ that make_exports.py wrote with openai-agents 0.24 against the
scripted ModelServer (issue 17, defects 2 and 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replaycase.importers import load_trace
from replaycase.model import CustomEvent
from replaycase.scaffolding.signatures import derive_observed
from replaycase.tape.from_run import tape_from_run

EXPORTS = Path(__file__).parent / "data" / "sdk_agents" / "exports"
QUESTION = "Why was I charged twice in March? My customer id is C-10442."
ANSWER = "You were charged once for March ($49.99); the second line is a pending hold."


def _generations(name: str) -> list[dict]:  # type: ignore[type-arg]
    raw = json.loads((EXPORTS / name).read_text())
    return [s["span_data"] for s in raw["data"]
            if s.get("span_data", {}).get("type") == "generation"]


def test_a_streamed_chat_run_keeps_its_text_tool_calls_and_handoff() -> None:
    """Each generation's output is one Response-shaped object: a ``function_call`` item (the
    handoff, then the lookup), then a message whose content parts are ``output_text``."""
    outputs = [g["output"] for g in _generations("handoff-streamed-chat.json")]
    assert all(len(o) == 1 and o[0]["object"] == "response" for o in outputs)
    assert [o[0]["output"][0]["type"] for o in outputs] == [
        "function_call", "function_call", "message"]
    assert outputs[2][0]["output"][0]["content"][0]["type"] == "output_text"
    [run] = load_trace(EXPORTS / "handoff-streamed-chat.json")
    assert run.status == "success" and run.input == QUESTION
    calls = run.llm_calls()
    assert [[(c.tool_name, c.tool_args) for c in e.tool_calls] for e in calls] == [
        [("transfer_to_billing_agent", {})], [("lookup_billing", {"customer_id": "C-10442"})],
        []]
    assert [c.tool_calls[0].call_id for c in calls[:2]] == [
        o[0]["output"][0]["call_id"] for o in outputs[:2]]
    assert [c.output_text for c in calls] == ["", "", ANSWER]
    assert calls[2].response == ANSWER and run.final_output == ANSWER
    handoffs = [e for e in run.events if isinstance(e, CustomEvent) and e.name == "handoff"]
    assert [e.data for e in handoffs] == [{"from_agent": "triage_agent",
                                           "to_agent": "billing_agent"}]
    assert run.metadata.extra["agents"] == ["triage_agent", "billing_agent"]
    [tool] = run.tool_calls()
    assert tool.call_id == calls[1].tool_calls[0].call_id and not tool.is_error


def test_the_handoff_run_s_tape_holds_the_handoff_in_the_history() -> None:
    [run] = load_trace(EXPORTS / "handoff-streamed-chat.json")
    made = tape_from_run(run)
    assert made.tape is not None, made.reason
    turns = made.tape.turns
    assert [t.answer.text for t in turns] == ["", "", ANSWER]
    assert [m.role for m in turns[1].key.history or ()] == ["user", "assistant", "tool"]
    assert turns[1].key.history[1].tool_calls[0].name == "transfer_to_billing_agent"  # type: ignore[index]


TRIPPED = [("input-guardrail-run-chat.json", "no_account_ids"),
           ("input-guardrail-streamed-chat.json", "no_account_ids"),
           ("output-guardrail-run-chat.json", "no_dollar_amounts"),
           ("output-guardrail-streamed-chat.json", "no_dollar_amounts")]


@pytest.mark.parametrize(("name", "guardrail"), TRIPPED)
def test_a_tripwire_is_one_error_and_a_failed_run(name: str, guardrail: str) -> None:
    """The SDK raised ``…GuardrailTripwireTriggered``: the run failed, with no final output,
    and one error names the guardrail, whichever span the SDK put it on."""
    [run] = load_trace(EXPORTS / name)
    assert run.status == "error" and run.final_output is None
    assert [e.message for e in run.errors()] == [f"Guardrail tripwire triggered: {guardrail}"]
    observed = [e.model_dump(exclude_none=True) for e in derive_observed(run)]
    assert any("error_matches" in e for e in observed), observed


def test_runner_run_puts_the_input_tripwire_on_the_turn_span() -> None:
    """The regression: the error sits on the SDK's ``turn`` span, which the importer skips."""
    raw = json.loads((EXPORTS / "input-guardrail-run-chat.json").read_text())
    [turn] = [s for s in raw["data"] if s.get("span_data", {}).get("name") == "turn"]
    assert turn["error"]["message"] == "Guardrail tripwire triggered"
    [run] = load_trace(EXPORTS / "input-guardrail-run-chat.json")
    [error] = run.errors()
    assert error.span_id == turn["id"]


def test_a_tripped_guardrail_span_alone_fails_the_run(tmp_path: Path) -> None:
    """An early streamed tripwire may find no span to attach its error to: the guardrail
    span's ``triggered: true`` still says the run raised."""
    raw = json.loads((EXPORTS / "output-guardrail-streamed-chat.json").read_text())
    for item in raw["data"]:
        item.pop("error", None)
    path = tmp_path / "no-error.json"
    path.write_text(json.dumps(raw))
    [run] = load_trace(path)
    assert run.status == "error" and run.final_output is None
    assert [e.message for e in run.errors()] == [
        "Guardrail tripwire triggered: no_dollar_amounts"]


def test_a_guardrail_that_did_not_trip_is_no_error() -> None:
    [run] = load_trace(EXPORTS / "output-guardrail-passed-streamed-chat.json")
    assert run.status == "success" and run.errors() == [] and run.final_output == ANSWER
    [guard] = [e for e in run.events if isinstance(e, CustomEvent) and e.name == "guardrail"]
    assert guard.data == {"name": "short_answer", "triggered": False}


def test_an_error_on_a_user_custom_span_is_an_error_event(tmp_path: Path) -> None:
    raw = json.loads((EXPORTS / "output-guardrail-passed-streamed-chat.json").read_text())
    [turn] = [s for s in raw["data"] if s.get("span_data", {}).get("name") == "turn"][-1:]
    turn["span_data"] = {"type": "custom", "name": "policy_check", "data": {"step": 2}}
    turn["error"] = {"message": "policy check failed", "data": {"error": "refund over limit"}}
    path = tmp_path / "custom-error.json"
    path.write_text(json.dumps(raw))
    [run] = load_trace(path)
    assert run.status == "error"
    assert [e.message for e in run.errors()] == ["policy check failed: refund over limit"]
    assert any(isinstance(e, CustomEvent) and e.name == "policy_check" for e in run.events)
