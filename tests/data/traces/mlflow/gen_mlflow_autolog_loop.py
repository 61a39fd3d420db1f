"""Write a real MLflow trace of an openai-SDK agent caught in a tool loop, offline.

`mlflow.openai.autolog()` traces the official openai client's calls (CHAT_MODEL spans, as
MLflow records them in production); the agent and its tool are traced with @mlflow.trace
(AGENT and TOOL spans). The model is a scripted Chat Completions server on 127.0.0.1 (stdlib
http.server), so nothing leaves the machine: it asks for lookup_billing until the agent's
loop guard raises after four identical failed calls.

Usage:
    python -m venv venv-mlflow && venv-mlflow/bin/pip install mlflow-skinny openai
    venv-mlflow/bin/python gen_mlflow_autolog_loop.py OUTDIR
"""

import hashlib
import json
import os
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
STORE = tempfile.mkdtemp(prefix="mlflow-store-")
os.environ["MLFLOW_TRACKING_URI"] = "file://" + STORE
os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"
os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # mlflow-skinny has no sqlalchemy

import mlflow  # noqa: E402
from mlflow.entities import SpanType  # noqa: E402
from openai import OpenAI  # noqa: E402

SYSTEM = "You are Acme's billing agent. Use lookup_billing for account data."
TOOLS = [{"type": "function", "function": {
    "name": "lookup_billing", "description": "Read a customer's billing account.",
    "parameters": {"type": "object", "properties": {"customer_id": {"type": "string"}},
                   "required": ["customer_id"]}}}]


class Scripted(BaseHTTPRequestHandler):
    """Chat Completions: always asks for lookup_billing again (the loop)."""

    turn = 0

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Scripted.turn += 1
        n = len(body["messages"])
        answer = {
            "id": f"chatcmpl-loop{Scripted.turn}", "object": "chat.completion",
            "created": 1796194920, "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": None, "tool_calls": [{
                    "id": "call_" + hashlib.sha256(b"lookup-%d" % Scripted.turn).hexdigest()[:24],
                    "type": "function",
                    "function": {"name": "lookup_billing",
                                 "arguments": "{\"customer_id\": \"C-10442\"}"}}]}}],
            "usage": {"prompt_tokens": 90 + 30 * n, "completion_tokens": 18,
                      "total_tokens": 108 + 30 * n}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class ToolLoopError(RuntimeError):
    pass


@mlflow.trace(name="lookup_billing", span_type=SpanType.TOOL)
def lookup_billing(customer_id):
    raise TimeoutError("billing-api did not respond within 10s")


@mlflow.trace(name="billing_loop_agent", span_type=SpanType.AGENT)
def agent(question, client):
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    failures = 0
    while True:
        message = client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=TOOLS, temperature=0
        ).choices[0].message
        if not message.tool_calls:
            return message.content
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            try:
                result = json.dumps(lookup_billing(**json.loads(call.function.arguments)))
            except TimeoutError as exc:
                failures += 1
                result = f"Error: TimeoutError: {exc}"
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
        if failures >= 4:
            raise ToolLoopError("lookup_billing called 4 times with identical arguments")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    mlflow.set_tracking_uri("file://" + STORE)
    mlflow.set_experiment("billing-support")
    mlflow.openai.autolog()
    client = OpenAI(base_url=f"http://127.0.0.1:{server.server_port}/v1", api_key="sk-local")
    try:
        agent("Why was I charged $49.99 twice? Customer C-10442.", client)
    except ToolLoopError:
        pass
    trace_id = mlflow.get_last_active_trace_id()
    path = os.path.join(OUT, "autolog-openai-tool-loop.trace.json")
    with open(path, "w") as handle:
        handle.write(mlflow.get_trace(trace_id).to_json(pretty=True))
    server.shutdown()
    print("wrote", path)
