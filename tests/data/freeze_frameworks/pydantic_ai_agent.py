"""The billing agent on PydanticAI (an Agent with a tool that asks the model to retry when the
billing API fails), with no replaycase code and no base URL.

    python pydantic_ai_agent.py buggy|fixed   (the question on stdin)

buggy: PydanticAI retries the tool until its retry limit (2) aborts the run (exit 1). fixed:
a retry limit of 1, and the exhausted retries answered from code. The tool raises
``ModelRetry`` with the timeout unless BILLING_API_UP is set (the outage is over).
PydanticAI's own OpenTelemetry instrumentation traces the run; AGENT_TRACE: write its spans
there as OTLP JSON, as production's exporter does.
"""

import base64
import json
import os
import sys

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai import Agent, ModelRetry, UnexpectedModelBehavior, capture_run_messages
from pydantic_ai.models.instrumented import InstrumentationSettings

SYSTEM = "You are Acme's billing agent. Use lookup_billing for account data."
VARIANT = sys.argv[1]
EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
Agent.instrument_all(InstrumentationSettings(tracer_provider=PROVIDER))
agent = Agent("openai-chat:gpt-4o-mini", system_prompt=SYSTEM,
              retries=1 if VARIANT == "fixed" else 2)


@agent.tool_plain
def lookup_billing(customer_id: str) -> dict:
    """Read a customer's billing account."""
    if os.environ.get("BILLING_API_UP"):
        return {"customer_id": customer_id, "balance_cents": 12900}
    raise ModelRetry("Error: TimeoutError: billing-api did not respond within 10s")


def export_trace(path: str) -> None:
    """The run's spans (PydanticAI's own instrumentation) as OTLP JSON, as production's
    exporter writes them."""
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    data = MessageToDict(encode_spans(EXPORTER.get_finished_spans()))
    with open(path, "w") as handle:
        json.dump(_hex_ids(data), handle, indent=1)


def _hex_ids(node: object) -> object:
    if isinstance(node, dict):
        return {k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId")
                    else _hex_ids(v)) for k, v in node.items()}
    return [_hex_ids(item) for item in node] if isinstance(node, list) else node


def main() -> int:
    with capture_run_messages():
        try:
            print(agent.run_sync(sys.stdin.read().strip()).output)
            return 0
        except UnexpectedModelBehavior as exc:  # the tool's retries exhausted
            if VARIANT == "fixed":
                print("Sorry, our billing system is not answering; please try again later.")
                return 0
            print(f"UnexpectedModelBehavior: {exc}", file=sys.stderr)
            return 1
        finally:
            if os.environ.get("AGENT_TRACE"):
                export_trace(os.environ["AGENT_TRACE"])


if __name__ == "__main__":
    sys.exit(main())
