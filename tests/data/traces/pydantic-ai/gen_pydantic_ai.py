"""Generate pydantic-ai traces (its own OpenTelemetry instrumentation), offline.

Real libraries: ``pydantic-ai-slim[openai]`` (an ``Agent`` with one tool,
``OpenAIChatModel``) instrumented by ``Agent.instrument_all(InstrumentationSettings(version=2|3))`` into
``opentelemetry-sdk``'s ``InMemorySpanExporter``; the model is a scripted Chat Completions
server on 127.0.0.1 (``../_otlp_gen.py``). Run from the repository root::

    pip install "pydantic-ai-slim[openai]" opentelemetry-sdk \
        opentelemetry-exporter-otlp-proto-common
    python tests/data/traces/pydantic-ai/gen_pydantic_ai.py

Writes ``tool-call.v2.json`` (the "running tool" span carries ``tool_arguments`` /
``tool_response``) and ``tool-call.v3.json`` (``gen_ai.tool.call.arguments`` / ``.result``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _otlp_gen import ScriptedServer, completion, write  # noqa: E402

MODEL = "gpt-4o-mini"
ANSWER = "Your current balance is $129.00, all on invoice INV-4102, due on 1 April 2026."


def reply(body: dict[str, Any], turn: int) -> tuple[int, dict[str, Any]]:
    if turn % 2 == 0:
        return 200, completion(MODEL, calls=[("call_bal40219", "lookup_billing",
                                              {"customer_id": "C-40219"})])
    return 200, completion(MODEL, text=ANSWER)


def main() -> None:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from pydantic_ai import Agent
    from pydantic_ai.models.instrumented import InstrumentationSettings
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "billing-support"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with ScriptedServer(reply) as url:
        model = OpenAIChatModel(MODEL, provider=OpenAIProvider(base_url=url,
                                                               api_key="sk-local-scripted"))
        for version in (2, 3):
            Agent.instrument_all(InstrumentationSettings(version=version,
                                                         tracer_provider=provider))
            agent = Agent(model, name="billing_support_agent",
                          instructions="You are Acme Cloud billing support.")

            @agent.tool_plain
            def lookup_billing(customer_id: str) -> dict[str, Any]:
                """Look up a customer's account."""
                return {"customer_id": customer_id, "balance_cents": 12900,
                        "open_invoices": ["INV-4102"]}

            result = agent.run_sync("What is my current balance? Customer C-40219.")
            print(f"v{version} answer:", result.output)
            write(HERE / f"tool-call.v{version}.json", exporter.get_finished_spans())
            exporter.clear()


if __name__ == "__main__":
    main()
