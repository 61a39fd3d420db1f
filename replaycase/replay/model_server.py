"""The loopback model server (DESIGN 8): serves a case's recorded model answers to an
unmodified agent over the OpenAI Chat Completions, OpenAI Responses and Anthropic Messages
wire protocols, on 127.0.0.1 and a random port, for as long as the ``with`` block lasts.

What to answer is the matcher's business (``answer(key)``); this module reads requests, checks
the placeholder key, writes the answer (JSON or SSE) or a provider-shaped error, and logs every
request and answer to ``model-log.jsonl``."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, cast

import pydantic_core

from ..errors import UpstreamError
from ..tape.models import Divergence, MatchKey, TapeTurn
from ..tape.protocols import (
    AnthropicMessages,
    BadRequest,
    OpenAIChat,
    OpenAIResponses,
    Reply,
    WireProtocol,
    anthropic_error,
    openai_error,
)
from .wire_run import LogEntry, json_line

MAX_BODY_BYTES = 50 * 1024 * 1024
"""A request body past this is refused (413)."""
_DRAIN_BYTES = 4 * MAX_BODY_BYTES
"""A refused body up to this is read and dropped, so the client gets the 413 it can read."""
_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout)


class Matcher(Protocol):
    """What the server asks for an answer: the recorded turn, or where the request diverged."""

    def answer(self, key: MatchKey) -> TapeTurn | Divergence: ...


class Forwarder(Protocol):
    """What ``record`` puts behind the tape: the answer to a request the tape cannot answer
    (``body`` as the upstream must get it); raises ``UpstreamError`` when there is none."""

    def forward(self, turn: int, protocol: str, path: str, body: dict[str, Any],
                key: MatchKey) -> TapeTurn: ...


@dataclass
class _Response:
    status: int
    body: dict[str, Any] | None = None
    stream: Iterator[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False


class ModelServer:
    """A loopback server playing a tape: ``with ModelServer(...) as server: server.url``."""

    def __init__(self, matcher: Matcher, *, api_key: str, log_path: Path, case_id: str = "case",
                 models: Sequence[str] = (), max_body_bytes: int = MAX_BODY_BYTES,
                 forwarder: Forwarder | None = None) -> None:
        self.matcher = matcher
        self.forwarder = forwarder
        self.api_key = api_key
        self.log_path = log_path
        self.models = list(dict.fromkeys(models))
        self.max_body_bytes = max_body_bytes
        self._id = "".join(c if c.isalnum() else "_" for c in case_id)[:40] or "case"
        self._protocols: dict[str, WireProtocol] = {
            p.path: p for p in (OpenAIChat(), OpenAIResponses(), AnthropicMessages())}
        self._turn_lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._turns = 0
        self._http: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._log: Any = None

    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError("the model server is not running")
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:P``: Anthropic's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """``http://127.0.0.1:P/v1``: OpenAI's base URL."""
        return f"{self.url}/v1"

    def __enter__(self) -> ModelServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        http = _HTTPServer(("127.0.0.1", 0), _Handler)
        http.model_server = self
        self._http = http
        self._thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=f"replaycase-model-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._thread is not None:
            self._thread.join()
        with self._log_lock:
            if self._log is not None:
                self._log.close()
                self._log = None

    # -- requests ------------------------------------------------------------------------

    def respond(self, method: str, path: str, headers: dict[str, str],
                body: bytes | None) -> _Response:
        """The response to one request (the body None: it was over the size cap)."""
        path = path.split("?", 1)[0].rstrip("/") or "/"
        protocol = self._protocols.get(path)
        anthropic = path == AnthropicMessages.path or (
            protocol is None and "anthropic-version" in headers)
        if not self._authorized(headers):
            return self._error(path, anthropic, 401, "replaycase: the model server wants the "
                               "placeholder API key it put in the runner's environment",
                               "invalid_api_key")
        if method == "GET" and (path == "/v1/models" or path.startswith("/v1/models/")):
            return self._models(path, anthropic)
        if protocol is None or method != "POST":
            return self._error(path, anthropic, 404, f"Unknown request URL: {method} {path}. "
                               "replaycase serves POST /v1/chat/completions, /v1/responses, "
                               "/v1/messages and GET /v1/models", "unknown_url")
        if body is None:
            return self._error(path, anthropic, 413, "replaycase: request body over "
                               f"{self.max_body_bytes} bytes", "request_too_large", close=True)
        try:
            parsed, as_sent = _read_body(body)
        except (ValueError, RecursionError):
            return self._error(path, anthropic, 400, "replaycase: the request body is not JSON",
                               "invalid_json")
        if not isinstance(parsed, dict):
            return self._error(path, anthropic, 400, "replaycase: the request body must be a "
                               "JSON object", "invalid_json")
        return self._model_request(protocol, path, parsed, body if as_sent else None)

    def _model_request(self, protocol: WireProtocol, path: str, body: dict[str, Any],
                       raw: bytes | None = None) -> _Response:
        """``raw``: the body's bytes, when the log may hold them as sent (``_parse``)."""
        entry: dict[str, Any] = {"turn": None, "path": path, "protocol": protocol.name,
                                 "request": body}
        encoded = LogEntry(entry, {"request": raw} if raw is not None else {})
        try:
            request = protocol.read(body)
            key = request.key()
        except (BadRequest, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            return self._logged(encoded, protocol, 400, f"replaycase: {exc}",
                                "invalid_request")
        entry["key"] = key
        encoded.set_model("key", key)
        with self._turn_lock:
            self._turns += 1
            turn = self._turns
            try:
                found = self.matcher.answer(key)
            except Exception as exc:  # a broken matcher is a 500 to the client, never a crash
                entry["turn"] = turn
                return self._logged(encoded, protocol, 500,
                                    f"replaycase: the tape failed: {exc!r}", "tape_error")
            entry["turn"] = turn
            if isinstance(found, Divergence) and self.forwarder is not None:
                try:  # under the turn lock: forwarded turns are recorded in the order asked
                    found = self.forwarder.forward(turn, protocol.name, path,
                                                   protocol.forwardable(body), key)
                except UpstreamError as exc:
                    return self._logged(encoded, protocol, 502, f"replaycase: {exc}",
                                        "upstream_error")
        if isinstance(found, Divergence):
            entry["divergence"] = {**found.model_dump(mode="json"), "message": found.message()}
            return self._logged(encoded, protocol, 400, found.message(),
                                "replaycase_divergence")
        answer = found.answer
        reply = Reply(answer=answer, base_id=f"{self._id}_{turn}",
                      model=answer.model or request.model or "replaycase-tape",
                      request=request, extra=body)
        entry["answer"] = {"turn": found.turn, "branch": found.branch,
                           **answer.model_dump(mode="json")}
        self._write_log(encoded.line())
        protocol.answered(request, reply)
        if request.stream:
            return _Response(200, stream=protocol.stream_answer(reply))
        return _Response(200, body=protocol.json_answer(reply))

    def _authorized(self, headers: dict[str, str]) -> bool:
        bearer = headers.get("authorization", "")
        given = bearer[7:].strip() if bearer[:7].lower() == "bearer " else None
        return self.api_key in (given, headers.get("x-api-key"), headers.get("api-key"))

    def _models(self, path: str, anthropic: bool) -> _Response:
        wanted = path[len("/v1/models/"):] if path.startswith("/v1/models/") else None
        if anthropic:
            rows: list[dict[str, Any]] = [{"type": "model", "id": m, "display_name": m,
                     "created_at": "1970-01-01T00:00:00Z"} for m in self.models]
        else:
            rows = [{"id": m, "object": "model", "created": 0, "owned_by": "replaycase"}
                    for m in self.models]
        if wanted is None:
            listing: dict[str, Any] = {"object": "list", "data": rows}
            if anthropic:
                listing = {"data": rows, "has_more": False,
                           "first_id": rows[0]["id"] if rows else None,
                           "last_id": rows[-1]["id"] if rows else None}
            return _Response(200, body=listing)
        for row in rows:
            if row["id"] == wanted:
                return _Response(200, body=row)
        return self._error(path, anthropic, 404, f"replaycase: the tape has no model {wanted!r}",
                           "model_not_found")

    def _error(self, path: str, anthropic: bool, status: int, message: str, code: str,
               close: bool = False) -> _Response:
        body = anthropic_error(status, message) if anthropic else openai_error(status, message,
                                                                               code)
        self._write_log(json_line({"turn": None, "path": path, "status": status,
                                    "error": message}))
        return _Response(status, body=body, headers={"x-should-retry": "false"}, close=close)

    def _logged(self, encoded: LogEntry, protocol: WireProtocol, status: int, message: str,
                code: str) -> _Response:
        encoded.entry.setdefault("error", message)
        encoded.entry["status"] = status
        self._write_log(encoded.line())
        return _Response(status, body=protocol.error_body(status, message, code),
                         headers={"x-should-retry": "false"})

    def _write_log(self, line: bytes) -> None:
        with self._log_lock:
            if self._log is not None:
                self._log.write(line + b"\n")
                self._log.flush()


def _parse(body: bytes) -> Any:
    """A request body's JSON value, as ``json.loads`` gives it: pydantic-core's parser (four
    times quicker on a long conversation, which an agent sends whole every turn) gives the
    same values for what it reads; what it refuses (lone surrogates, UTF-16, a BOM, deep
    nesting, bad JSON) goes to ``json.loads``, so the value and every error stay its own."""
    return _read_body(body)[0]


def _read_body(body: bytes) -> tuple[Any, bool]:
    """``_parse``, and whether the model log may hold the body as sent: one line of UTF-8
    JSON (what pydantic-core reads) with that value."""
    try:
        value = pydantic_core.from_json(body, allow_inf_nan=True)
    except ValueError:
        return json.loads(body), False
    return value, b"\n" not in body and b"\r" not in body


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # an SDK's idle keep-alive connection must not hold the exit
    request_queue_size = 128  # agents in parallel: the default 5 drops connections
    model_server: ModelServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle keep-alive connection is closed after this
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stall

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    do_PUT = do_DELETE = do_PATCH = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the model log is the record."""

    def _serve(self) -> None:
        server = cast(_HTTPServer, self.server).model_server
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            body = self._body(server.max_body_bytes)
        except (ValueError, *_GONE):
            self.close_connection = True
            return
        response = server.respond(self.command, self.path, headers, body)
        try:
            self._send(response)
        except _GONE:
            self.close_connection = True  # the client left mid-answer: nothing to do

    def _body(self, cap: int) -> bytes | None:
        """The request body; None when over ``cap`` (drained when small enough to)."""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return self._chunked_body(cap)
        length = int(self.headers.get("content-length") or 0)
        if length < 0:
            raise ValueError("negative content-length")
        if length <= cap:
            return self.rfile.read(length)
        if length > _DRAIN_BYTES:
            self.close_connection = True
        else:
            _drain(self.rfile, length)
        return None

    def _chunked_body(self, cap: int) -> bytes | None:
        parts: list[bytes] = []
        size = 0
        while True:
            chunk = int(self.rfile.readline(100).split(b";")[0].strip() or b"0", 16)
            if chunk == 0:
                while self.rfile.readline(1000).strip():
                    pass  # trailers
                return b"".join(parts) if size <= cap else None
            size += chunk
            if size > _DRAIN_BYTES:
                self.close_connection = True
                return None
            data = self.rfile.read(chunk)
            self.rfile.readline(10)
            if size <= cap:
                parts.append(data)

    def _send(self, response: _Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.close:
            self.close_connection = True
            self.send_header("Connection", "close")
        if response.stream is None:
            data = json.dumps(response.body, ensure_ascii=False).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        _write_chunks(self.wfile, response.stream)


def _write_chunks(out: Any, events: Iterable[bytes]) -> None:
    for event in events:
        out.write(b"%x\r\n%s\r\n" % (len(event), event))
        out.flush()
    out.write(b"0\r\n\r\n")
    out.flush()


def _drain(stream: Any, length: int) -> None:
    while length > 0:
        data = stream.read(min(length, 1 << 20))
        if not data:
            return
        length -= len(data)
