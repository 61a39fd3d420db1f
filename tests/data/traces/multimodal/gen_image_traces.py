"""Generate traces of a run whose question carries an image, offline.

A billing agent is asked about an invoice screenshot (a deterministic PNG of about 27 KB, the
one of ``../transcript-bodies/gen_bodies.py``), calls ``lookup_billing`` and answers. The model
is a scripted Chat Completions server on 127.0.0.1 (``../_otlp_gen.py``). Run from the
repository root::

    pip install openai httpx openai-agents opentelemetry-instrumentation-openai-v2==2.4b0 \
        opentelemetry-util-genai==1.0b0 'wrapt<2' \
        openinference-instrumentation-openai opentelemetry-sdk \
        opentelemetry-exporter-otlp-proto-common
    python tests/data/traces/multimodal/gen_image_traces.py

Writes:

- ``otlp-genai.image.json``: the ``openai`` client traced by
  ``opentelemetry-instrumentation-openai-v2`` with content capture on the spans
  (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_only``, latest experimental
  conventions). Version 2.4b0 writes a list content as no parts at all
  (``{"role": "user", "parts": []}``): neither the text nor the image is in the trace;
- ``openinference.image.json``: the same client traced by ``openinference-instrumentation-openai``
  (``llm.input_messages.N.message.contents.M.message_content.image.image.url``, a data URL:
  ``OPENINFERENCE_BASE64_IMAGE_MAX_LENGTH`` raised, or it writes ``__REDACTED__``);
- ``openinference.hide-outputs.json``: the same without the image, traced with
  ``TraceConfig(hide_outputs=True)`` (``OPENINFERENCE_HIDE_OUTPUTS``): ``output.value`` is
  ``__REDACTED__`` and no output messages are written, so the answer is not in the trace;
- ``agents-sdk.image.json``: ``openai-agents`` ``Runner.run`` with an ``input_image`` item on
  an ``OpenAIChatCompletionsModel``, exported as the SDK's ``BackendSpanExporter`` body.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import struct
import sys
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _otlp_gen import ScriptedServer, completion, write  # noqa: E402

MODEL = "gpt-4o-mini"
QUESTION = "This invoice screenshot shows a charge I don't recognise. Customer C-40219."
ANSWER = "That charge is invoice INV-4102 for $129.00, due on 1 April 2026."
TOOLS = [{"type": "function", "function": {
    "name": "lookup_billing", "description": "Look up a customer's billing account.",
    "parameters": {"type": "object", "properties": {"customer_id": {"type": "string"}},
                   "required": ["customer_id"]}}}]


def png(width: int = 96, height: int = 96) -> bytes:
    """A deterministic noisy RGB PNG (about 27 KB)."""
    rng = random.Random(17)
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(width * 3))
                    for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


DATA_URL = "data:image/png;base64," + base64.b64encode(png()).decode()


def reply(body: dict[str, Any], turn: int) -> tuple[int, dict[str, Any]]:
    if turn == 0:
        return 200, completion(MODEL, calls=[("call_img40219", "lookup_billing",
                                              {"customer_id": "C-40219"})])
    return 200, completion(MODEL, text=ANSWER)


def _chat_agent(instrument: Any, name: str, kinds: dict[str, str], image: bool = True,
                **options: Any) -> None:
    """The agent loop under an ``invoke_agent`` / AGENT span, traced by ``instrument``."""
    import openai
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "billing-support"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = instrument()
    instrumentor.instrument(tracer_provider=provider, **options)
    tracer = provider.get_tracer("billing_support_agent")
    messages: list[Any] = [{"role": "user", "content": [
        {"type": "text", "text": QUESTION},
        {"type": "image_url", "image_url": {"url": DATA_URL}}] if image else QUESTION}]
    with ScriptedServer(reply) as url:
        client = openai.OpenAI(base_url=url, api_key="sk-local-scripted", max_retries=0)
        with tracer.start_as_current_span("invoke_agent billing_support_agent", attributes={
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "billing_support_agent", **kinds}):
            while True:
                answer = client.chat.completions.create(model=MODEL, messages=messages,
                                                        tools=TOOLS)
                message = answer.choices[0].message
                if not message.tool_calls:
                    break
                messages.append(message.model_dump(exclude_none=True))
                for call in message.tool_calls:
                    with tracer.start_as_current_span("execute_tool lookup_billing", attributes={
                            "gen_ai.operation.name": "execute_tool",
                            "gen_ai.tool.name": "lookup_billing",
                            "gen_ai.tool.call.id": call.id}):
                        result = json.dumps({"customer_id": "C-40219", "balance_cents": 12900})
                    messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    instrumentor.uninstrument()
    write(HERE / name, exporter.get_finished_spans())


def _agents_sdk() -> None:
    from agents import (Agent, OpenAIChatCompletionsModel, Runner, TracingProcessor,
                        function_tool, set_trace_processors)
    from openai import AsyncOpenAI

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

    @function_tool
    def lookup_billing(customer_id: str) -> dict[str, Any]:
        """Look up a customer's billing account."""
        return {"customer_id": customer_id, "balance_cents": 12900}

    exporter = Exporter()
    set_trace_processors([exporter])
    question = [{"role": "user", "content": [
        {"type": "input_text", "text": QUESTION},
        {"type": "input_image", "image_url": DATA_URL, "detail": "auto"}]}]

    async def run(url: str) -> Any:
        client = AsyncOpenAI(base_url=url, api_key="sk-local-scripted")
        agent = Agent(name="billing_support_agent", tools=[lookup_billing],
                      instructions="You are Acme Cloud's billing support agent.",
                      model=OpenAIChatCompletionsModel(model=MODEL, openai_client=client))
        return (await Runner.run(agent, question, max_turns=4)).final_output

    with ScriptedServer(reply) as url:
        print("agents-sdk:", asyncio.run(run(url)))
    path = HERE / "agents-sdk.image.json"
    path.write_text(json.dumps({"data": exporter.items}, indent=1) + "\n")
    print(f"wrote {path}")


def main() -> None:
    os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "span_only"
    os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
    os.environ.setdefault("OPENAI_API_KEY", "sk-local-scripted")
    os.environ["OPENINFERENCE_BASE64_IMAGE_MAX_LENGTH"] = "1000000"  # not redacted
    from openinference.instrumentation.openai import OpenAIInstrumentor as OpenInference
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as GenAI

    _chat_agent(GenAI, "otlp-genai.image.json", {})
    _chat_agent(OpenInference, "openinference.image.json", {"openinference.span.kind": "AGENT"})
    _agents_sdk()
    from openinference.instrumentation import TraceConfig

    _chat_agent(OpenInference, "openinference.hide-outputs.json",
                {"openinference.span.kind": "AGENT"}, image=False,
                config=TraceConfig(hide_outputs=True))


if __name__ == "__main__":
    main()
