"""Phoenix span JSON made by the real libraries, offline.

The real `openai` client, instrumented by the real `openinference-instrumentation-openai`,
talks to a stdlib fake Chat Completions server on 127.0.0.1 (scripted answers, nothing leaves
the machine). The agent (AGENT span) and its tool (TOOL span) use `arize-phoenix-otel`'s
OpenInference tracer (`tracer.start_as_current_span(openinference_span_kind=…)`,
`@tracer.tool`). Spans are collected by the OTel SDK's InMemorySpanExporter, encoded to OTLP
protobuf by `opentelemetry-exporter-otlp-proto-common` (what Phoenix's collector receives),
decoded by Phoenix's own `phoenix.trace.otel.decode_otlp_span` (what its server stores) and
written by Phoenix's own `phoenix.trace.span_json_encoder.spans_to_jsonl`, in start order. The dataframe file
is Phoenix's `TraceDataset` dataframe of those lines (`phoenix.trace.utils.json_lines_to_df`,
times as datetimes: `TraceDataset.from_spans` itself fails on pandas 3's string dtype), written
by `to_json(orient="records")`, as one would save `px.Client().get_trace_dataset()`.

Usage:
    python -m venv /tmp/phx-venv
    /tmp/phx-venv/bin/pip install arize-phoenix arize-phoenix-otel \
        openinference-instrumentation-openai openai
    /tmp/phx-venv/bin/python gen_phoenix_spans.py OUTDIR
"""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import openai
import pandas as pd
from openinference.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from phoenix.otel import TracerProvider
from phoenix.trace import TraceDataset
from phoenix.trace.otel import decode_otlp_span
from phoenix.trace.span_json_encoder import spans_to_jsonl
from phoenix.trace.utils import json_lines_to_df

OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
SCRIPT = []  # (status, body) answered in order


class FakeOpenAI(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", 0)))
        status, body = SCRIPT.pop(0)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def completion(n, message, finish, prompt_tokens, completion_tokens):
    return {"id": f"chatcmpl-fake{n:04d}", "object": "chat.completion", "created": 1767225600,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": finish}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


def tool_call(call_id, args):
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": call_id, "type": "function",
         "function": {"name": "lookup_billing", "arguments": json.dumps(args)}}]}


exporter = InMemorySpanExporter()
provider = TracerProvider(resource=Resource.create({"openinference.project.name": "billing"}),
                          verbose=False)
provider.add_span_processor(SimpleSpanProcessor(exporter))
OpenAIInstrumentor().instrument(tracer_provider=provider)
tracer = provider.get_tracer("billing_support_agent")

SYSTEM = ("You are the Acme Cloud billing support agent. Use issue_refund only when the "
          "customer explicitly asks for a refund.")
TOOLS = [{"type": "function", "function": {
    "name": "lookup_billing", "description": "Read-only account / invoice lookup",
    "parameters": {"type": "object", "properties": {"customer_id": {"type": "string"},
                                                    "invoice_id": {"type": "string"}},
                   "required": ["customer_id"]}}}]
FAILURE = {}  # the exception lookup_billing raises in the current scenario


class BillingAPIError(Exception):
    pass


class ToolLoopError(Exception):
    pass


@tracer.tool(name="lookup_billing", description="Read-only account / invoice lookup")
def lookup_billing(customer_id, invoice_id=None):
    raise FAILURE["error"]


def agent(client, question, max_failures):
    """The agent loop: ask, run the tools asked for, feed results back, stop on an answer."""
    with tracer.start_as_current_span("billing_support_agent",
                                      openinference_span_kind="agent") as span:
        span.set_input(question)
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
        failures = []
        while True:
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages,
                                                   tools=TOOLS)
            message = reply.choices[0].message
            messages.append(message.model_dump(exclude_none=True))
            if not message.tool_calls:
                span.set_output(message.content)
                return message.content
            for call in message.tool_calls:
                args = json.loads(call.function.arguments)
                try:
                    result = json.dumps(lookup_billing(**args))
                except Exception as exc:
                    result = f"Error: {type(exc).__name__}: {exc}"
                    failures.append(call.function.arguments)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
            if len(failures) >= max_failures and len(set(failures)) == 1:
                raise ToolLoopError(f"lookup_billing called {len(failures)} times with "
                                    "identical arguments after repeated failures; aborting run")


def run(client, name, question, script, error, max_failures=99):
    SCRIPT[:] = script
    FAILURE["error"] = error
    exporter.clear()
    try:
        agent(client, question, max_failures)
    except ToolLoopError:
        pass
    request = encode_spans(exporter.get_finished_spans())
    spans = [decode_otlp_span(s) for rs in request.resource_spans for ss in rs.scope_spans
             for s in ss.spans]
    spans.sort(key=lambda s: s.start_time)  # the encoder groups them by scope
    with open(os.path.join(OUT, f"{name}.jsonl"), "w") as out:
        out.write(spans_to_jsonl(spans) + "\n")
    return spans


def main():
    server = HTTPServer(("127.0.0.1", 0), FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{server.server_port}/v1",
                           api_key="test-not-a-real-key", max_retries=0)
    os.makedirs(OUT, exist_ok=True)
    lookup = {"customer_id": "C-10442", "invoice_id": "INV-2291"}
    spans = run(client, "tool-error-unhandled",
                "Was invoice INV-2291 paid? My customer id is C-10442.", [
                    (200, completion(1, tool_call("call_5f0c2a9e1b7d4c3a8e6f1d20", lookup),
                                     "tool_calls", 182, 27)),
                    (200, completion(2, {"role": "assistant", "content": (
                        "Yes, invoice INV-2291 was paid in full on March 3.")},
                        "stop", 236, 14))],
                BillingAPIError("500 Internal Server Error from billing-api "
                                "(request req_7f3a91)"))
    frame = json_lines_to_df(spans_to_jsonl(spans).splitlines())
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(frame[column])
    frame = TraceDataset(frame).dataframe
    with open(os.path.join(OUT, "tool-error-unhandled.dataframe.json"), "w") as out:
        out.write(frame.to_json(orient="records", date_format="epoch") + "\n")
    calls = ["call_a86654cc4a7421d4935fc9a8", "call_b3e1d0c97f2a4e6b8c5d9a17",
             "call_c7d2e9a04b1f4a8e9d3c6b52"]
    run(client, "tool-loop",
        "I was charged twice for March. Can you check what happened? My customer id is C-10442.",
        [(200, completion(n + 1, tool_call(c, {"customer_id": "C-10442"}), "tool_calls",
                          180 + 40 * n, 18)) for n, c in enumerate(calls)],
        TimeoutError("billing-api did not respond within 10s"), max_failures=3)


if __name__ == "__main__":
    main()
