"""Writes the OpenAI Agents SDK exports beside this file that agents_sdk_agent.py does not:
real runs of the SDK (``Runner.run_streamed`` on a Chat Completions model,
``OpenAIChatCompletionsModel``) against replaycase's loopback ModelServer with a scripted
model, exported as the SDK's ``BackendSpanExporter`` body (``export()`` of each trace and span).

    python tests/data/sdk_agents/exports/make_exports.py   (from the repository root)

- ``handoff-streamed-chat.json``: a triage agent hands off to ``billing_agent`` (a
  ``transfer_to_billing_agent`` call), which looks the bill up and answers in text.
- ``input-guardrail-streamed-chat.json``: an input guardrail's tripwire fires
  (``InputGuardrailTripwireTriggered``); the run fails.
- ``output-guardrail-streamed-chat.json``: the answer trips an output guardrail
  (``OutputGuardrailTripwireTriggered``); the run fails.
- ``output-guardrail-passed-streamed-chat.json``: the same guardrail runs and does not trip.
- ``input-guardrail-run-chat.json``, ``output-guardrail-run-chat.json``: the two tripwires with
  ``Runner.run``, where the SDK attaches the error to the span current at the time (the
  ``turn`` span, a ``custom`` span).
- ``loop-without-data-run-chat.json``: the model asks for ``lookup_billing`` every turn until
  ``max_turns`` (3) aborts the run, traced with ``trace_include_sensitive_data=False``: no
  span records the tool's arguments (nor the model's input and output).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    OpenAIChatCompletionsModel,
    OutputGuardrailTripwireTriggered,
    MaxTurnsExceeded,
    RunConfig,
    Runner,
    TracingProcessor,
    function_tool,
    input_guardrail,
    output_guardrail,
    set_trace_processors,
)
from openai import AsyncOpenAI

from replaycase.replay.model_server import ModelServer
from replaycase.tape.models import Answer, AnswerToolCall, AnswerUsage, MatchKey, TapeTurn

HERE = Path(__file__).parent
QUESTION = "Why was I charged twice in March? My customer id is C-10442."
ANSWER = "You were charged once for March ($49.99); the second line is a pending hold."


class Exporter(TracingProcessor):
    """Collects every finished trace and span as the backend's ingest body."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def on_trace_start(self, trace: Any) -> None:
        pass

    def on_trace_end(self, trace: Any) -> None:
        self.items.insert(0, trace.export())

    def on_span_start(self, span: Any) -> None:
        pass

    def on_span_end(self, span: Any) -> None:
        self.items.append(span.export())

    def shutdown(self) -> None:
        pass

    def force_flush(self) -> None:
        pass


class Script:
    """The model: the scripted answers in order."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers = answers
        self.turn = 0

    def answer(self, key: MatchKey) -> TapeTurn:
        self.turn += 1
        return TapeTurn(turn=self.turn, key=MatchKey(), answer=self.answers[self.turn - 1])


def _call(name: str, args: dict[str, Any]) -> Answer:
    return Answer(model="gpt-4o-mini-2024-07-18", stop_reason="tool_calls",
                  usage=AnswerUsage(input_tokens=120, output_tokens=14),
                  tool_calls=[AnswerToolCall(name=name, arguments=args)])


def _text(text: str) -> Answer:
    return Answer(model="gpt-4o-mini-2024-07-18", text=text, stop_reason="stop",
                  usage=AnswerUsage(input_tokens=180, output_tokens=22))


@function_tool
def lookup_billing(customer_id: str) -> dict[str, Any]:
    """Read a customer's billing account."""
    return {"customer_id": customer_id, "charges": [{"amount": 49.99, "month": "March"}]}


@input_guardrail
async def no_account_ids(context: Any, agent: Any, given: Any) -> GuardrailFunctionOutput:
    """Trips on a customer id in the question."""
    text = given if isinstance(given, str) else json.dumps(given)
    return GuardrailFunctionOutput(output_info={"found": "C-" in text},
                                   tripwire_triggered="C-" in text)


@output_guardrail
async def no_dollar_amounts(context: Any, agent: Any, output: Any) -> GuardrailFunctionOutput:
    """Trips on a dollar amount in the answer."""
    return GuardrailFunctionOutput(output_info={"answer": str(output)},
                                   tripwire_triggered="$" in str(output))


@output_guardrail
async def short_answer(context: Any, agent: Any, output: Any) -> GuardrailFunctionOutput:
    """Trips on an answer over 500 characters."""
    return GuardrailFunctionOutput(output_info=None, tripwire_triggered=len(str(output)) > 500)


def _billing(model: Any, **extra: Any) -> Agent:
    return Agent(name="billing_agent", model=model, tools=[lookup_billing],
                 instructions="You are Acme's billing agent. Use lookup_billing.", **extra)


async def _scenario(name: str, model: Any) -> Agent:
    if name == "handoff":
        return Agent(name="triage_agent", model=model, handoffs=[_billing(model)],
                     instructions="Hand billing questions to billing_agent.")
    if name == "input-guardrail":
        return _billing(model, input_guardrails=[no_account_ids])
    if name == "output-guardrail":
        return _billing(model, output_guardrails=[no_dollar_amounts])
    if name == "loop-without-data":
        return _billing(model)
    return _billing(model, output_guardrails=[short_answer])


SCENARIOS: dict[str, list[Answer]] = {
    "handoff": [_call("transfer_to_billing_agent", {}),
                _call("lookup_billing", {"customer_id": "C-10442"}), _text(ANSWER)],
    "input-guardrail": [_call("lookup_billing", {"customer_id": "C-10442"}), _text(ANSWER)],
    "output-guardrail": [_call("lookup_billing", {"customer_id": "C-10442"}), _text(ANSWER)],
    "loop-without-data": [_call("lookup_billing", {"customer_id": "C-10442"})] * 3,
    "output-guardrail-passed": [_call("lookup_billing", {"customer_id": "C-10442"}),
                                _text(ANSWER)],
}


async def _run(name: str, base_url: str, streamed: bool) -> str:
    client = AsyncOpenAI(base_url=base_url, api_key="sk-scripted")
    model = OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=client)
    agent = await _scenario(name, model)
    try:
        if name == "loop-without-data":
            config = RunConfig(trace_include_sensitive_data=False)
            await Runner.run(agent, QUESTION, max_turns=3, run_config=config)
        if not streamed:
            return str((await Runner.run(agent, QUESTION, max_turns=5)).final_output)
        result = Runner.run_streamed(agent, QUESTION, max_turns=5)
        async for _event in result.stream_events():
            pass
    except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered,
            MaxTurnsExceeded) as exc:
        return type(exc).__name__
    return str(result.final_output)


RUNS = [(name, "streamed") for name in SCENARIOS if name != "loop-without-data"] + [
    ("input-guardrail", "run"), ("output-guardrail", "run"), ("loop-without-data", "run")]


def main() -> int:
    for name, how in RUNS:
        answers = SCENARIOS[name]
        exporter = Exporter()
        set_trace_processors([exporter])
        with tempfile.TemporaryDirectory() as tmp, ModelServer(
                Script(answers), api_key="sk-scripted", log_path=Path(tmp) / "log.jsonl") as srv:
            outcome = asyncio.run(_run(name, srv.openai_base_url, how == "streamed"))
        path = HERE / f"{name}-{how}-chat.json"
        path.write_text(json.dumps({"data": exporter.items}, indent=1) + "\n")
        print(f"{path.name}: {outcome}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
