"""Generate OpenInference traces of an OpenAI Agents SDK agent, offline.

Real libraries: ``openai-agents`` (``Agent``, ``function_tool``, ``Runner.run`` with
``OpenAIChatCompletionsModel``) traced by ``openinference-instrumentation-openai-agents`` into
``opentelemetry-sdk``'s ``InMemorySpanExporter``; the model is a scripted Chat Completions
server on 127.0.0.1 (``../_otlp_gen.py``). Run from the repository root::

    pip install openai-agents openinference-instrumentation-openai-agents \
        opentelemetry-sdk opentelemetry-exporter-otlp-proto-common
    python tests/data/traces/openinference-agents/gen_agents.py

Writes ``max-turns.json`` (the agent asks for ``search_kb`` every turn and stops at
``max_turns=2`` with ``MaxTurnsExceeded``) and ``tool-error.json`` (``lookup_billing`` raises;
the SDK feeds the error text to the model, which answers).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _otlp_gen import ScriptedServer, completion, write  # noqa: E402

MODEL = "gpt-4o-mini"


class BillingAPIError(Exception):
    pass


def main() -> None:
    os.environ.setdefault("OPENAI_API_KEY", "sk-local-scripted")
    from agents import (Agent, MaxTurnsExceeded, OpenAIChatCompletionsModel, Runner,
                        function_tool, set_trace_processors)
    from openai import AsyncOpenAI
    from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "billing-support"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    set_trace_processors([])  # nothing goes to the OpenAI traces backend
    OpenAIAgentsInstrumentor().instrument(tracer_provider=provider)

    @function_tool
    def search_kb(query: str) -> str:
        """Search the help center."""
        return '{"articles": []}'

    @function_tool
    def lookup_billing(customer_id: str, invoice_id: str | None = None) -> str:
        """Look up a customer's account or invoice."""
        raise BillingAPIError("500 Internal Server Error from billing-api (request req_7f3a91)")

    def agent(url: str, tools: list[Any]) -> Any:
        client = AsyncOpenAI(base_url=url, api_key="sk-local-scripted", max_retries=0)
        return Agent(name="billing_support_agent", instructions="You are Acme Cloud billing "
                     "support. Use issue_refund only when the customer asks for a refund.",
                     model=OpenAIChatCompletionsModel(model=MODEL, openai_client=client),
                     tools=tools)

    def always_search(body: dict[str, Any], turn: int) -> tuple[int, dict[str, Any]]:
        return 200, completion(MODEL, calls=[(f"call_kb{turn}", "search_kb",
                                              {"query": f"double charge {turn}"})])

    with ScriptedServer(always_search) as url:
        try:
            asyncio.run(Runner.run(agent(url, [search_kb]), "Why was I charged twice?",
                                   max_turns=2))
        except MaxTurnsExceeded as error:
            print("raised", type(error).__name__, error)
    write(HERE / "max-turns.json", exporter.get_finished_spans())
    exporter.clear()

    def lookup_then_answer(body: dict[str, Any], turn: int) -> tuple[int, dict[str, Any]]:
        if turn == 0:
            return 200, completion(MODEL, calls=[("call_inv2291", "lookup_billing",
                                                  {"customer_id": "C-20817",
                                                   "invoice_id": "INV-2291"})])
        return 200, completion(MODEL, text="Invoice INV-2291 was paid in full on March 3.")

    with ScriptedServer(lookup_then_answer) as url:
        result = asyncio.run(Runner.run(agent(url, [lookup_billing]),
                                        "Was invoice INV-2291 paid? I am C-20817."))
        print("answer", result.final_output)
    write(HERE / "tool-error.json", exporter.get_finished_spans())


if __name__ == "__main__":
    main()
