"""Make ``max-turns.multipart``: a real LangChain agent that gives up with
``RuntimeError('max turns exceeded')``, traced by LangChain's own LangSmith tracer, offline.

``support_agent`` is a ``RunnableLambda`` that loops: ``ChatOpenAI`` (tools bound) asks for
``lookup_billing`` every turn, the ``@tool`` answers, and after ``MAX_TURNS`` model calls the
chain raises. One local HTTP server plays both sides: ``/v1/chat/completions`` answers the
model's requests (always the same tool call), and ``LANGSMITH_ENDPOINT`` points at it, so the
``POST /runs/multipart`` bodies the tracer (``LangChainTracer`` -> ``langsmith.Client``) sends
are saved one after another. The chain run's ``error`` is what langchain-core's
``_get_stacktrace`` writes: ``repr(error)`` with the traceback glued right after it
(``"RuntimeError('max turns exceeded')Traceback (most recent call last):…"``).

Run: ``python tests/data/traces/langsmith/sdk/gen_max_turns.py``
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
MAX_TURNS = 3
QUESTION = "Why was I charged twice on invoice INV-2024-0312? Customer id C-20077."
BODIES: list[bytes] = []
INFO = {"version": "0.10.0", "instance_flags": {}, "batch_ingest_config": {
    "use_multipart_endpoint": True, "size_limit": 100, "size_limit_bytes": 20971520,
    "scale_up_qsize_trigger": 1000, "scale_up_nthreads_limit": 16,
    "scale_down_nempty_trigger": 4}}


def _completion(turn: int) -> dict[str, Any]:
    call = {"id": f"call_{turn:02d}", "type": "function", "function": {
        "name": "lookup_billing", "arguments": json.dumps({"customer_id": "C-20077"})}}
    return {"id": f"chatcmpl-{turn}", "object": "chat.completion", "created": 1764700000,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": None, "tool_calls": [call]}}],
            "usage": {"prompt_tokens": 120 + 40 * turn, "completion_tokens": 18,
                      "total_tokens": 138 + 40 * turn}}


class Server(BaseHTTPRequestHandler):
    turns = 0

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._reply(200, INFO)

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path.endswith("/chat/completions"):
            Server.turns += 1
            self._reply(200, _completion(Server.turns))
            return
        if self.path.endswith("/runs/multipart"):
            assert self.headers.get("content-encoding") is None, "compressed body"
            BODIES.append(data)
        self._reply(202, {})


def run_agent(base_url: str) -> None:
    from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage
    from langchain_core.runnables import RunnableLambda
    from langchain_core.tools import tool
    from langchain_core.tracers.langchain import wait_for_all_tracers
    from langchain_openai import ChatOpenAI

    @tool
    def lookup_billing(customer_id: str) -> str:
        """The customer's invoices and charges."""
        return json.dumps({"customer_id": customer_id, "invoices": ["INV-2024-0312"]})

    model = ChatOpenAI(model="gpt-4o-mini", base_url=base_url, api_key="test",
                       max_retries=0).bind_tools([lookup_billing])

    def support_agent(inputs: dict[str, str]) -> str:
        messages: list[BaseMessage] = [HumanMessage(inputs["question"])]
        for _ in range(MAX_TURNS):
            reply = model.invoke(messages)
            messages.append(reply)
            if not reply.tool_calls:  # type: ignore[attr-defined]
                return str(reply.content)
            for call in reply.tool_calls:  # type: ignore[attr-defined]
                messages.append(ToolMessage(lookup_billing.invoke(call["args"]),
                                            tool_call_id=call["id"]))
        raise RuntimeError("max turns exceeded")

    agent = RunnableLambda(support_agent, name="support_agent")
    try:
        agent.invoke({"question": QUESTION})
    except RuntimeError as exc:
        print("agent failed:", exc)
    wait_for_all_tracers()


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    os.environ.update(LANGSMITH_ENDPOINT=url, LANGSMITH_API_KEY="test",
                      LANGSMITH_TRACING="true", LANGSMITH_PROJECT="billing")
    run_agent(f"{url}/v1")
    server.shutdown()
    (HERE / "max-turns.multipart").write_bytes(b"".join(BODIES))
    print(len(BODIES), "bodies")


if __name__ == "__main__":
    main()
