"""A deterministic stand-in for the production model: an OpenAI-compatible Chat Completions
server (stdlib only, no streaming) that answers the support agent's conversations by rule.

    python examples/scripted_model.py --port 8765     # then OPENAI_BASE_URL=http://127.0.0.1:8765/v1

It is used only to make the production traces (examples/record_traces.py) and to record the
fixes (`replaycase record ... --upstream http://127.0.0.1:8765/v1`); replays never reach it.
The same conversation always gets the same answer, ids included. Tests import ``serve``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "gpt-4o-mini-2024-07-18"
CARD_STEPS = ("To change your card, open Settings > Billing > Payment method, choose "
              "Replace card and enter the new card's details.")


def decide(messages: list[dict[str, Any]], tools: list[str]) -> dict[str, Any]:
    """The model's next assistant message for a conversation: a tool call or an answer."""
    question = next(str(m.get("content") or "") for m in messages if m.get("role") == "user")
    last = messages[-1]
    customer = re.search(r"C-\d+", question)
    if last.get("role") == "user":
        if "charge" in question and customer:
            return _call("lookup_billing", customer_id=customer.group())
        if "card" in question:
            return _call("search_kb", query="change payment card")
        return _call("search_kb", query=question.rstrip("?").lower())
    result = str(last.get("content") or "")
    called = _last_call(messages)
    if called["name"] == "lookup_billing" and result.startswith("Error"):
        return _call("lookup_billing", **called["arguments"])  # retries a failing tool forever
    if called["name"] == "search_kb" and result.startswith("Error"):
        return _say("Sorry, the help center is not answering right now. " + CARD_STEPS)
    if called["name"] == "search_kb":
        return _say(f"From our help center: {json.loads(result)['article']}")
    if called["name"] == "lookup_billing":
        account = json.loads(result)
        charge = account["invoices"][0]
        if "description" not in charge and "issue_refund" in tools:
            # it cannot tell what the charge was for, so it refunds it
            return _call("issue_refund", invoice_id=charge["id"], amount=charge["amount"])
        return _say(f"The ${charge['amount']:.2f} charge on {charge['id']} is "
                    f"{charge['description']}.")
    return _say(f"I've refunded ${called['arguments']['amount']:.2f} to your card.")


def _call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": [{
        "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}]}


def _say(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def _last_call(messages: list[dict[str, Any]]) -> dict[str, Any]:
    for message in reversed(messages):
        for call in message.get("tool_calls") or []:
            return {"name": call["function"]["name"],
                    "arguments": json.loads(call["function"]["arguments"] or "{}")}
    raise ValueError("a tool result without a tool call")


def completion(request: dict[str, Any]) -> dict[str, Any]:
    """The Chat Completions response to one request body; ids derive from the request."""
    messages = request["messages"]
    tools = [t["function"]["name"] for t in request.get("tools") or []]
    message = decide(messages, tools)
    digest = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()[:24]
    for index, call in enumerate(message.get("tool_calls") or []):
        call["id"] = f"call_{digest[:16]}{index}"
    prompt = sum(len(json.dumps(m)) for m in messages) // 4
    output = len(json.dumps(message)) // 4
    return {"id": f"chatcmpl-{digest}", "object": "chat.completion", "created": 1773309600,
            "model": MODEL, "choices": [{
                "index": 0, "message": message, "logprobs": None,
                "finish_reason": "tool_calls" if message.get("tool_calls") else "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": output,
                      "total_tokens": prompt + output}}


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._send(404, {"error": {"message": f"no route {self.path}"}})
        try:
            answer = completion(json.loads(body))
        except (ValueError, KeyError, TypeError, StopIteration) as exc:
            return self._send(400, {"error": {"message": f"scripted model: {exc!r}"}})
        self._send(200, answer)

    def _send(self, status: int, document: dict[str, Any]) -> None:
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def serve(port: int = 0) -> Iterator[str]:
    """Run the scripted model in a thread; yields its OpenAI base URL (``…/v1``)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    port = parser.parse_args().port
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    print(f"scripted model on http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    with suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
