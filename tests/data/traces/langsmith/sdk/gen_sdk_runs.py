"""Make the LangSmith SDK files in this folder with the real ``langsmith`` client, offline.

A billing agent (``@traceable`` chain -> llm -> tool -> llm) is asked about a screenshot of an
invoice (a PNG ``image_url`` part with a ``data:`` URL) and also carries the screenshot as
an attachment. ``LANGSMITH_ENDPOINT`` points at a local HTTP server that saves what the
client sends:

- ``agent-image.multipart``: the ``POST /runs/multipart`` bodies, one after another (the
  client is flushed once mid-run, so the root run's ``post`` and ``patch`` parts come in two
  bodies);
- ``lone-llm.runtree.json``: ``RunTree(...).json()`` of one llm run (no ``child_runs``);
- ``lone-llm.read-run.json``: the same run as ``schemas.Run`` (what ``Client.read_run``
  returns: ``child_runs`` null).

Run: ``python tests/data/traces/langsmith/sdk/gen_sdk_runs.py``
"""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent / "transcript-bodies"))
from gen_bodies import ANSWER, ARGS, IMAGE, QUESTION, RESULT, SYSTEM, png  # noqa: E402

BODIES: list[bytes] = []
INFO = {"version": "0.10.0", "instance_flags": {}, "batch_ingest_config": {
    "use_multipart_endpoint": True, "size_limit": 100, "size_limit_bytes": 20971520,
    "scale_up_qsize_trigger": 1000, "scale_up_nthreads_limit": 16,
    "scale_down_nempty_trigger": 4}}


class Saving(BaseHTTPRequestHandler):
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
        if self.path.endswith("/runs/multipart"):
            assert self.headers.get("content-encoding") is None, "compressed body"
            BODIES.append(data)
        self._reply(202, {})


def _completion(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 812, "completion_tokens": 31, "total_tokens": 843}}


CALL = {"id": "call_img01", "type": "function",
        "function": {"name": "lookup_billing", "arguments": json.dumps(ARGS)}}
MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": [
        {"type": "text", "text": QUESTION},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{IMAGE}"}}]}]


def run_agent() -> None:
    from langsmith import Client, traceable
    from langsmith.schemas import Attachment

    client = Client()
    answers = [_completion({"role": "assistant", "content": None, "tool_calls": [CALL]},
                           "tool_calls"),
               _completion({"role": "assistant", "content": ANSWER}, "stop")]

    @traceable(run_type="llm", name="ChatOpenAI", client=client,
               metadata={"ls_provider": "openai", "ls_model_name": "gpt-4o-mini"})
    def chat(messages: list[dict[str, Any]], model: str = "gpt-4o-mini") -> dict[str, Any]:
        return answers.pop(0)

    @traceable(run_type="tool", name="lookup_billing", client=client)
    def lookup_billing(customer_id: str) -> str:
        return RESULT

    @traceable(run_type="chain", name="billing_support_agent", client=client)
    def agent(messages: list[dict[str, Any]], screenshot: Attachment) -> str:
        first = chat(messages)
        client.flush()  # the root's post goes out now, its patch later
        call = first["choices"][0]["message"]["tool_calls"][0]
        result = lookup_billing(**json.loads(call["function"]["arguments"]))
        history = [*messages, first["choices"][0]["message"],
                   {"role": "tool", "tool_call_id": call["id"], "content": result}]
        return str(chat(history)["choices"][0]["message"]["content"])

    agent(MESSAGES, Attachment(mime_type="image/png", data=png()))
    client.flush()


def lone_run() -> None:
    from langsmith import RunTree, schemas

    tree = RunTree(name="ChatOpenAI", run_type="llm", project_name="billing",
                   inputs={"messages": MESSAGES, "model": "gpt-4o-mini"},
                   extra={"metadata": {"ls_model_name": "gpt-4o-mini"}})
    tree.end(outputs=_completion({"role": "assistant", "content": ANSWER}, "stop"))
    text = tree.json()
    (HERE / "lone-llm.runtree.json").write_text(json.dumps(json.loads(text), indent=1) + "\n")
    read = schemas.Run(**tree.dict())
    (HERE / "lone-llm.read-run.json").write_text(read.model_dump_json(indent=1) + "\n")


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Saving)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ.update(LANGSMITH_ENDPOINT=f"http://127.0.0.1:{server.server_port}",
                      LANGSMITH_API_KEY="test", LANGSMITH_TRACING="true",
                      LANGSMITH_PROJECT="billing")
    run_agent()
    server.shutdown()
    (HERE / "agent-image.multipart").write_bytes(b"".join(BODIES))
    lone_run()
    print(len(BODIES), "bodies")


if __name__ == "__main__":
    main()
