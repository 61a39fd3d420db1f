"""Generate an OpenInference trace of a failed model call, offline.

Real libraries: the ``openai`` client traced by ``openinference-instrumentation-openai`` into
``opentelemetry-sdk``'s ``InMemorySpanExporter``, under a CHAIN span made with OpenInference's
tracer; the model is a scripted server on 127.0.0.1 answering 500 (``../_otlp_gen.py``).
Run from the repository root::

    pip install openai openinference-instrumentation-openai opentelemetry-sdk \
        opentelemetry-exporter-otlp-proto-common
    python tests/data/traces/openinference-openai/gen_openai.py

Writes ``model-error.json``: the LLM span failed (``InternalServerError``) and records the
request in ``llm.invocation_parameters`` and ``input.value``, but no ``llm.model_name``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _otlp_gen import ScriptedServer, server_error, write  # noqa: E402


def main() -> None:
    import openai
    from openinference.instrumentation.openai import OpenAIInstrumentor
    from openinference.semconv.trace import OpenInferenceSpanKindValues, SpanAttributes
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Status, StatusCode

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "billing-support"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    tracer = provider.get_tracer("billing_support_agent")
    question = "Why was I charged twice in March? My customer id is C-10442."
    with ScriptedServer(lambda body, turn: server_error()) as url:
        client = openai.OpenAI(base_url=url, api_key="sk-local-scripted", max_retries=0)
        with tracer.start_as_current_span("billing_support_agent", attributes={
                SpanAttributes.OPENINFERENCE_SPAN_KIND: OpenInferenceSpanKindValues.AGENT.value,
                SpanAttributes.INPUT_VALUE: question}) as agent:
            try:
                client.chat.completions.create(model="gpt-4o-mini", temperature=0, messages=[
                    {"role": "system", "content": "You are Acme Cloud billing support."},
                    {"role": "user", "content": question}])
            except openai.InternalServerError as error:
                agent.record_exception(error)
                agent.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
    write(HERE / "model-error.json", exporter.get_finished_spans())


if __name__ == "__main__":
    main()
