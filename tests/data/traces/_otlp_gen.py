"""Shared by the ``gen_*.py`` trace generators: a scripted Chat Completions server on
127.0.0.1 (stdlib only, nothing leaves the machine) and OTLP/JSON encoding of finished spans.

Spans are encoded by ``opentelemetry-exporter-otlp-proto-common`` (``encode_spans``) and
serialized with protobuf's ``MessageToDict`` (integer enums); protobuf writes the ids as
base64, OTLP/JSON wants hex, so only ``traceId`` / ``spanId`` / ``parentSpanId`` are
re-encoded (as ``../README.md`` describes for the reference corpus).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Reply = Callable[[dict[str, Any], int], tuple[int, dict[str, Any]]]
"""(request body, 0-based turn) -> (HTTP status, JSON body)."""


def completion(model: str, *, text: str | None = None,
               calls: Sequence[tuple[str, str, dict[str, Any]]] = ()) -> dict[str, Any]:
    """A Chat Completions response: an answer, or tool calls ``(id, name, arguments)``."""
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = [
            {"id": cid, "type": "function",
             "function": {"name": name, "arguments": json.dumps(args)}}
            for cid, name, args in calls]
    seed = json.dumps([text, [c[0] for c in calls]]).encode()
    return {"id": f"chatcmpl-{zlib.crc32(seed):08x}",
            "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 18, "total_tokens": 138}}


def server_error() -> tuple[int, dict[str, Any]]:
    return 500, {"error": {"message": "The server had an error while processing your request.",
                           "type": "server_error", "param": None, "code": None}}


class ScriptedServer:
    """``with ScriptedServer(reply) as url:`` serves ``reply`` on ``url`` (an OpenAI base URL)."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.turn = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    status, answer = outer.reply(body, outer.turn)
                    outer.turn += 1
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _hex_ids(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId")
                    and isinstance(v, str) else _hex_ids(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_hex_ids(item) for item in node]
    return node


def otlp_json(spans: Sequence[Any]) -> dict[str, Any]:
    """Finished SDK spans as one OTLP/JSON ``TracesData`` object."""
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    return _hex_ids(MessageToDict(encode_spans(spans), use_integers_for_enums=True))


def write(path: Path, spans: Sequence[Any]) -> None:
    path.write_text(json.dumps(otlp_json(spans), indent=1) + "\n")
    print(f"wrote {path} ({len(spans)} spans)")
