"""Generate an OpenTelemetry GenAI trace without captured content (the instrumentation's
default), offline.

Real libraries: the ``openai`` client traced by ``opentelemetry-instrumentation-openai-v2``
(``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` unset) into ``opentelemetry-sdk``'s
``InMemorySpanExporter``, under an ``invoke_agent`` span; the agent loop runs the tool and asks
again. The model is a scripted Chat Completions server on 127.0.0.1 (``../_otlp_gen.py``).
Run from the repository root::

    pip install openai opentelemetry-instrumentation-openai-v2 opentelemetry-sdk \
        opentelemetry-exporter-otlp-proto-common
    python tests/data/traces/otlp-genai-no-content/gen_openai_v2.py

Writes ``happy.json``: two ``chat`` spans with models, ids, finish reasons and usage but no
messages, so neither the question nor the answer is in the trace.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _otlp_gen import ScriptedServer, completion, write  # noqa: E402

MODEL = "gpt-4o-mini"


def reply(body: dict[str, Any], turn: int) -> tuple[int, dict[str, Any]]:
    if turn == 0:
        return 200, completion(MODEL, calls=[("call_bal40219", "lookup_billing",
                                              {"customer_id": "C-40219"})])
    return 200, completion(MODEL, text="Your current balance is $129.00.")


def main() -> None:
    os.environ.pop("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", None)
    import openai
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "billing-support"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    tracer = provider.get_tracer("billing_support_agent")
    messages: list[Any] = [{"role": "user", "content": "What is my balance? I am C-40219."}]
    tools = [{"type": "function", "function": {
        "name": "lookup_billing", "parameters": {"type": "object", "properties": {
            "customer_id": {"type": "string"}}, "required": ["customer_id"]}}}]
    with ScriptedServer(reply) as url:
        client = openai.OpenAI(base_url=url, api_key="sk-local-scripted", max_retries=0)
        with tracer.start_as_current_span("invoke_agent billing_support_agent", attributes={
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "billing_support_agent"}):
            while True:
                answer = client.chat.completions.create(model=MODEL, messages=messages,
                                                        tools=tools)
                message = answer.choices[0].message
                if not message.tool_calls:
                    break
                messages.append(message.model_dump(exclude_none=True))
                for call in message.tool_calls:
                    messages.append({"role": "tool", "tool_call_id": call.id,
                                     "content": json.dumps({"balance_cents": 12900})})
    write(HERE / "happy.json", exporter.get_finished_spans())


if __name__ == "__main__":
    main()
