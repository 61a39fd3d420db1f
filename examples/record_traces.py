"""Run the support agent "in production" on four tickets and export its OpenTelemetry traces.

    pip install -e ".[examples]"
    python examples/record_traces.py [OUT_DIR]          # default: examples/traces/

Production ran release 1.3.0 (``agent.BUGGY``) against examples/scripted_model.py, started
here in a thread. The agent is instrumented as a team would instrument it: the real
``opentelemetry-instrumentation-openai-v2`` package with message content captured
(``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``: one chat span per model call, the
messages and answers as GenAI log events), under one ``invoke_agent`` span per request. Each
ticket is written as OTLP JSON, as the OpenTelemetry Collector's file exporter writes it: one
``TracesData`` line, then one ``LogsData`` line. The files are the same on every run and
machine: ids come from a counter, timestamps from a virtual clock (each distinct instant the
SDK took, in order, is one millisecond after the one before; each ticket starts a minute after
the previous one), and an exception's stack trace names files relative to the repository.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true"

from google.protobuf.json_format import MessageToDict
from openai import OpenAI
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import Status, StatusCode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import agent  # noqa: E402
import scripted_model  # noqa: E402


@dataclass(frozen=True)
class Scenario:
    """One support ticket as production received it."""

    name: str
    question: str


SCENARIOS = [
    Scenario("tool-loop", "Why was I charged $49.99 twice in March? My customer id is C-10442 "
             "and my email is jane.doe@example.com."),
    Scenario("tool-error-unhandled", "How do I change the card on my account?"),
    Scenario("wrong-tool", "Can you explain the $12.00 charge on invoice INV-2024-0312? "
             "Customer id C-20077."),
    Scenario("happy", "What is your refund policy?"),
]


_IDS = ("traceId", "spanId", "parentSpanId")
_TIMES = ("startTimeUnixNano", "endTimeUnixNano", "timeUnixNano", "observedTimeUnixNano")
CLOCK_START_NS = 1_796_313_114_000_000_000  # 2026-12-03T15:51:54Z: the first ticket
TICK_NS = 1_000_000
TICKET_NS = 60_000_000_000


class CountingIds(IdGenerator):
    """Trace and span ids from a counter: the same ticket gets the same ids every run."""

    def __init__(self) -> None:
        self.trace, self.span = 0x5e1f0000_00000000_00000000_00000000, 0x0a00000000000000

    def generate_trace_id(self) -> int:
        self.trace += 1
        return self.trace

    def generate_span_id(self) -> int:
        self.span += 1
        return self.span


def _hex_ids(node: Any) -> Any:
    """OTLP/JSON writes ids as hex (protobuf's default JSON would write base64)."""
    if isinstance(node, dict):
        return {k: base64.b64decode(v).hex() if k in _IDS else _hex_ids(v)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_hex_ids(item) for item in node]
    return node


def _instants(node: Any) -> set[int]:
    if isinstance(node, dict):
        found = {int(v) for k, v in node.items() if k in _TIMES and int(v)}
        return found.union(*(_instants(v) for k, v in node.items() if k not in _TIMES))
    if isinstance(node, list):
        return set().union(*(_instants(item) for item in node))
    return set()


def _on_clock(node: Any, clock: dict[int, int]) -> Any:
    """Every timestamp replaced by its instant on the virtual clock (0, "unset", stays 0)."""
    if isinstance(node, dict):
        return {k: str(clock.get(int(v), 0)) if k in _TIMES else _on_clock(v, clock)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_on_clock(item, clock) for item in node]
    return node


def virtual_clock(lines: list[Any], start_ns: int) -> list[Any]:
    """The OTLP documents with each distinct instant, in order, one tick after the last."""
    instants = sorted(set().union(*(_instants(line) for line in lines)))
    clock = {t: start_ns + i * TICK_NS for i, t in enumerate(instants)}
    return [_on_clock(line, clock) for line in lines]


def stack_trace(exc: BaseException) -> str:
    """The traceback with repository-relative paths and no source lines: the same on every
    machine and Python version."""
    root = HERE.parent
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        frames.append(f'  File "{shown}", line {frame.lineno}, in {frame.name}\n')
    return ("Traceback (most recent call last):\n" + "".join(frames)
            + "".join(traceback.format_exception_only(type(exc), exc)))


def main(out_dir: Path | None = None) -> list[Path]:
    """Record every scenario with release 1.3.0 into ``out_dir``; return the files written."""
    out = Path(out_dir) if out_dir is not None else HERE / "traces"
    out.mkdir(parents=True, exist_ok=True)
    resource = Resource({"service.name": "support-agent",
                                "service.version": "1.3.0"})
    ids = CountingIds()
    spans, logs = InMemorySpanExporter(), InMemoryLogRecordExporter()
    tracer_provider = TracerProvider(resource=resource, id_generator=ids)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, logger_provider=logger_provider)
    tracer = tracer_provider.get_tracer("support-agent")
    agent.BUGGY = True
    written = []
    try:
        with scripted_model.serve() as base_url:
            client = OpenAI(base_url=base_url, api_key="sk-production")
            for number, scenario in enumerate(SCENARIOS):
                spans.clear()
                logs.clear()
                _run(tracer, client, scenario)
                path = out / f"{scenario.name}.otlp.jsonl"
                lines = virtual_clock(
                    [MessageToDict(encode_spans(spans.get_finished_spans())),
                     MessageToDict(encode_logs(logs.get_finished_logs()))],
                    CLOCK_START_NS + number * TICKET_NS)
                path.write_text("".join(json.dumps(_hex_ids(line)) + "\n" for line in lines))
                written.append(path)
    finally:
        instrumentor.uninstrument()
    return written


def _run(tracer: trace.Tracer, client: OpenAI, scenario: Scenario) -> None:
    """One request, as the service handles it: a failure is recorded on its span."""
    with tracer.start_as_current_span(
            "invoke_agent support_agent", record_exception=False, set_status_on_exception=False,
            attributes={"gen_ai.operation.name": "invoke_agent",
                        "gen_ai.agent.name": "support_agent"}) as span:
        try:
            agent.answer(scenario.question, client=client)
        except Exception as exc:
            span.record_exception(exc, attributes={"exception.stacktrace": stack_trace(exc)})
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            span.set_attribute("error.type", type(exc).__name__)


if __name__ == "__main__":
    for written in main(Path(sys.argv[1]) if len(sys.argv) > 1 else None):
        print(written)
