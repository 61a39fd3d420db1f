"""A billing agent on the OpenAI Agents SDK, with no replaycase code and no base URL: the SDK
reads OPENAI_BASE_URL and OPENAI_API_KEY as it does in production.

    python agents_sdk_agent.py buggy|fixed|asks [responses|chat] [run|streamed]
    (the question on stdin)

The ``lookup_billing`` tool always fails; the SDK shows the model its error message.
buggy: the agent keeps calling it until ``max_turns`` (3) aborts the run (exit 1). fixed: its
``tool_use_behavior`` gives up after two failures and answers from code (no new model answer
needed). asks: after two failures it asks the model something new (a new user message).
The model API is the SDK's default (Responses) or Chat Completions; ``Runner.run`` or
``Runner.run_streamed``.

With AGENT_TRACE set, the SDK's own tracing is exported there as a team's exporter would: the
``{"data": [trace, span, ...]}`` body the OpenAI backend receives (``export()`` of each trace
and span), the default exporter to api.openai.com replaced. Response spans also carry the
``input`` and ``response`` the SDK keeps on them "for other tracing processor implementations".
"""

import asyncio
import os
import json
import sys
from typing import Any

from agents import (
    Agent,
    MaxTurnsExceeded,
    Runner,
    ToolsToFinalOutputResult,
    TracingProcessor,
    function_tool,
    set_default_openai_api,
    set_trace_processors,
)
from agents.tracing.span_data import ResponseSpanData

INSTRUCTIONS = "You are Acme's billing agent. Use lookup_billing for account data."
APOLOGY = "Sorry, our billing system is not answering; please try again later."


class FileExporter(TracingProcessor):
    """Writes every finished trace and span to a file as the backend's ingest body."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[dict[str, Any]] = []

    def on_trace_start(self, trace: Any) -> None:
        pass

    def on_trace_end(self, trace: Any) -> None:
        self.items.insert(0, trace.export())
        self.force_flush()

    def on_span_start(self, span: Any) -> None:
        pass

    def on_span_end(self, span: Any) -> None:
        item = span.export()
        data = span.span_data
        if isinstance(data, ResponseSpanData):
            item["span_data"]["input"] = data.input
            item["span_data"]["response"] = (
                data.response.model_dump(mode="json") if data.response is not None else None)
        self.items.append(item)

    def shutdown(self) -> None:
        self.force_flush()

    def force_flush(self) -> None:
        with open(self.path, "w") as handle:
            json.dump({"data": self.items}, handle, indent=1, default=_plain)


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else str(value)


@function_tool
def lookup_billing(customer_id: str) -> dict:
    """Read a customer's billing account."""
    if os.environ.get("BILLING_API_UP"):  # the outage is over (what a frozen replay hides)
        return {"customer_id": customer_id, "charges": [{"amount": 49.99, "month": "March"}]}
    raise TimeoutError("billing-api did not respond within 10s")


def give_up_after_two_failures(context: Any, results: list[Any]) -> ToolsToFinalOutputResult:
    """The fix: two failed lookups and the agent stops asking the model."""
    failures = context.context
    failures["count"] += sum(1 for r in results if "error" in str(r.output).lower())
    return ToolsToFinalOutputResult(is_final_output=failures["count"] >= 2,
                                    final_output=APOLOGY)


async def _run(agent: Agent, given: Any, streamed: bool, context: Any) -> Any:
    if not streamed:
        return await Runner.run(agent, given, max_turns=3, context=context)
    result = Runner.run_streamed(agent, given, max_turns=3, context=context)
    async for _event in result.stream_events():
        pass
    return result


async def main(variant: str, api: str, streamed: bool) -> int:
    question = sys.stdin.read().strip()
    behavior: Any = give_up_after_two_failures if variant in ("fixed", "asks") \
        else "run_llm_again"
    agent = Agent(name="billing_agent", instructions=INSTRUCTIONS, model="gpt-4o-mini",
                  tools=[lookup_billing], tool_use_behavior=behavior)
    try:
        result = await _run(agent, question, streamed, {"count": 0})
        if variant == "asks":
            again = Agent(name="billing_agent", instructions=INSTRUCTIONS, model="gpt-4o-mini",
                          tools=[lookup_billing])
            given = [*result.to_input_list(),
                     {"role": "user", "content": "The tool failed twice: apologize."}]
            result = await _run(again, given, streamed, {"count": 0})
    except MaxTurnsExceeded as exc:
        print(f"MaxTurnsExceeded: {exc}", file=sys.stderr)
        return 1
    print(result.final_output)
    return 0


if __name__ == "__main__":
    if os.environ.get("AGENT_TRACE"):
        set_trace_processors([FileExporter(os.environ["AGENT_TRACE"])])
    mode = sys.argv[2] if len(sys.argv) > 2 else "responses"
    if mode == "chat":
        set_default_openai_api("chat_completions")
    sys.exit(asyncio.run(main(sys.argv[1], mode, len(sys.argv) > 3 and
                              sys.argv[3] == "streamed")))
