"""The loopback model server over raw HTTP: what a broken or hostile client sends gets a
provider-shaped error, and the server keeps serving (a client gone mid-stream, several at
once); it listens on loopback only and starts fast."""

from __future__ import annotations

import http.client
import json
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from model_server_checks import INSTRUCTIONS, KEY, MODEL, QUESTION, TURNS, ExactTurns, serving

from replaycase.replay.model_server import MAX_BODY_BYTES, ModelServer, _parse
from replaycase.tape.models import Answer, TapeTurn

CHAT = {"model": "any", "tools": [{"type": "function", "function": {"name": "get_order"}}],
        "messages": [{"role": "system", "content": INSTRUCTIONS},
                     {"role": "user", "content": QUESTION}]}


def _post(server: ModelServer, path: str, body: bytes, key: str = KEY,
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("POST", path, body=body, headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json",
            **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.headers), json.loads(data)
    finally:
        connection.close()


def test_a_body_that_is_not_json_is_a_400_in_each_providers_shape(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        status, headers, body = _post(server, "/v1/chat/completions", b"{not json")
        assert status == 400 and headers["x-should-retry"] == "false"
        assert body["error"]["message"] == "replaycase: the request body is not JSON"
        status, _, body = _post(server, "/v1/messages", b"\xff\xfe")
        assert status == 400 and body["type"] == "error"
        assert body["error"]["type"] == "invalid_request_error"
        status, _, body = _post(server, "/v1/responses", b"[1, 2]")
        assert status == 400 and "JSON object" in body["error"]["message"]
        status, _, body = _post(server, "/v1/chat/completions",
                                json.dumps({"messages": "hello"}).encode())
        assert status == 400 and "'messages' must be a list" in body["error"]["message"]


def test_a_body_over_the_cap_is_a_413(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        status, _, body = _post(server, "/v1/messages", b" " * (MAX_BODY_BYTES + 1))
        assert status == 413
        assert body["error"] == {"type": "request_too_large",
                                 "message": f"replaycase: request body over {MAX_BODY_BYTES} "
                                            "bytes"}
        status, _, _ = _post(server, "/v1/chat/completions", json.dumps(CHAT).encode())
        assert status == 200


def test_an_unknown_endpoint_is_a_404_in_the_providers_shape(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        status, _, body = _post(server, "/v1/embeddings", b"{}")
        assert status == 404 and body["error"]["code"] == "unknown_url"
        assert "POST /v1/embeddings" in body["error"]["message"]
        status, _, body = _post(server, "/v1/messages/count_tokens", b"{}",
                                headers={"anthropic-version": "2023-06-01"})
        assert status == 404 and body["error"]["type"] == "not_found_error"
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("GET", f"/v1/models/{MODEL}", headers={"x-api-key": KEY})
        assert json.loads(connection.getresponse().read())["id"] == MODEL
        connection.request("GET", "/v1/models/gpt-other", headers={"x-api-key": KEY})
        response = connection.getresponse()
        assert response.status == 404 and b"gpt-other" in response.read()
        connection.close()


def test_a_wrong_or_missing_key_is_a_401(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        status, _, body = _post(server, "/v1/chat/completions", json.dumps(CHAT).encode(),
                                key="sk-real")
        assert status == 401 and body["error"]["code"] == "invalid_api_key"
        status, _, body = _post(server, "/v1/messages", b"{}", key="",
                                headers={"x-api-key": "sk-ant-real"})
        assert status == 401 and body["error"]["type"] == "authentication_error"
        status, _, _ = _post(server, "/v1/chat/completions", json.dumps(CHAT).encode(), key="",
                             headers={"x-api-key": KEY})
        assert status == 200
    log = (tmp_path / "model-log.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line).get("status") for line in log] == [401, 401, None]


def test_a_client_gone_mid_stream_does_not_stop_the_server(tmp_path: Path) -> None:
    long = TapeTurn(turn=1, key=TURNS[0].key, answer=Answer(text="x" * 8_000_000))
    with serving(tmp_path, [long]) as server:
        body = json.dumps({**CHAT, "stream": True}).encode()
        for _ in range(3):
            client = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            client.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                           b"Authorization: Bearer " + KEY.encode() + b"\r\n"
                           b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            assert client.recv(100).startswith(b"HTTP/1.1 200")
            # a reset, not a polite close: the server's next write fails at once
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
        status, _, body_back = _post(server, "/v1/chat/completions",
                                     json.dumps(CHAT).encode())
        assert status == 200
        assert len(body_back["choices"][0]["message"]["content"]) == 8_000_000


def test_several_requests_at_once(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        body = json.dumps(CHAT).encode()
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: _post(server, "/v1/chat/completions", body),
                                    range(32)))
        assert {status for status, _, _ in results} == {200}
        ids = sorted(b["id"] for _, _, b in results)
        assert ids == sorted(f"chatcmpl-shop_case_{n}" for n in range(1, 33))
    turns = [json.loads(line)["turn"]
             for line in (tmp_path / "model-log.jsonl").read_text().splitlines()]
    assert sorted(turns) == list(range(1, 33))


def test_it_listens_on_loopback_and_starts_and_stops_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    with ModelServer(ExactTurns(TURNS), api_key=KEY, log_path=tmp_path / "m.jsonl") as server:
        up = time.perf_counter() - started
        assert server.url.startswith("http://127.0.0.1:")
        assert server.openai_base_url == f"{server.url}/v1"
        status, _, _ = _post(server, "/v1/chat/completions", json.dumps(CHAT).encode())
        assert status == 200
        stopping = time.perf_counter()
    assert up < 0.05
    assert time.perf_counter() - stopping < 0.5


@pytest.mark.parametrize("body", [
    b'{"a": 1, "a": [2, 1e-7, -0.0, 1e400, NaN, 123456789012345678901234567890]}',
    b'{"text": "\\ud800 lone"}', b'\xef\xbb\xbf{"bom": true}', '{"é": 1}'.encode("utf-16"),
    b"[" * 300 + b"]" * 300, b'"a\x01b"', b"{} x", b'"\xff"', b'"\xed\xa0\x80"'])
def test_a_request_body_parses_as_json_loads_parses_it(body: bytes) -> None:
    try:
        expected: Any = repr(json.loads(body))
    except ValueError as exc:
        expected = type(exc)
    try:
        got: Any = repr(_parse(body))
    except ValueError as exc:
        got = type(exc)
    assert got == expected
