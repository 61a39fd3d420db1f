"""Make the request-body transcripts in this folder with the real SDKs, offline.

A billing agent is asked about a screenshot of an invoice (a PNG, made here) and calls
``lookup_billing`` once before it answers. The real ``anthropic`` and ``openai`` clients talk
to an in-process scripted model (``httpx.MockTransport``); each file is the body of the
agent's last request as the SDK sent it, with the answer the SDK returned appended to its
messages (what an SDK log holds):

- ``anthropic.image.json``: Messages ``{model, max_tokens, system, tools, messages}``, the
  image an ``image`` block with a base64 ``source``; the answer is ``Message.model_dump()``;
- ``openai.image.json``: Chat Completions ``{model, messages, tools}``, the image an
  ``image_url`` part with a ``data:`` URL; the answer is the choice's message;
- ``responses.image.json``: Responses ``{model, instructions, input, tools}``, the image an
  ``input_image`` part; the answer's output items are appended to ``input``.

Run: ``python tests/data/traces/transcript-bodies/gen_bodies.py``
"""

from __future__ import annotations

import base64
import json
import random
import struct
import zlib
from pathlib import Path
from typing import Any

import anthropic
import httpx2 as httpx
import openai

HERE = Path(__file__).parent
SYSTEM = "You are Acme Cloud's billing support agent. Use issue_refund only when asked."
QUESTION = "This invoice screenshot shows a charge I don't recognise. Customer C-40219."
RESULT = json.dumps({"customer_id": "C-40219", "balance_cents": 12900, "currency": "USD"})
ANSWER = "That charge is invoice INV-4102 for $129.00, due on 1 April 2026."
ARGS = {"customer_id": "C-40219"}


def png(width: int = 96, height: int = 96) -> bytes:
    """A deterministic noisy RGB PNG (about 27 KB)."""
    rng = random.Random(17)
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(width * 3))
                    for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


IMAGE = base64.b64encode(png()).decode()
TOOL = {"name": "lookup_billing", "description": "Look up a customer's billing account.",
        "parameters": {"type": "object", "properties": {"customer_id": {"type": "string"}},
                       "required": ["customer_id"]}}


class Scripted:
    """Answers each request with the next scripted body and keeps the last request's."""

    def __init__(self, answers: list[dict[str, Any]]) -> None:
        self.answers = answers
        self.last: dict[str, Any] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.last = json.loads(request.content)
        return httpx.Response(200, json=self.answers.pop(0))


def anthropic_body() -> dict[str, Any]:
    usage = {"input_tokens": 812, "output_tokens": 31}
    model = Scripted([
        {"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
         "content": [{"type": "tool_use", "id": "toolu_01img", "name": "lookup_billing",
                      "input": ARGS}], "stop_reason": "tool_use", "usage": usage},
        {"id": "msg_02", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
         "content": [{"type": "text", "text": ANSWER}], "stop_reason": "end_turn",
         "usage": usage}])
    client = anthropic.Anthropic(api_key="test", base_url="http://model.test",
                                 http_client=httpx.Client(transport=httpx.MockTransport(model)))
    tools = [{"name": TOOL["name"], "description": TOOL["description"],
              "input_schema": TOOL["parameters"]}]
    messages: list[dict[str, Any]] = [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                     "data": IMAGE}},
        {"type": "text", "text": QUESTION}]}]
    while True:
        reply = client.messages.create(model="claude-haiku-4-5", max_tokens=512,
                                       system=SYSTEM, tools=tools,  # type: ignore[arg-type]
                                       messages=messages)  # type: ignore[arg-type]
        if reply.stop_reason != "tool_use":
            break
        messages.append({"role": "assistant", "content": [b.model_dump() for b in
                                                          reply.content]})
        messages.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": b.id, "content": RESULT}
            for b in reply.content if b.type == "tool_use"]})
    body = model.last
    body["messages"].append(reply.model_dump(exclude_none=True))
    return body


def _completion(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 0,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 812, "completion_tokens": 31, "total_tokens": 843}}


def openai_body() -> dict[str, Any]:
    call = {"id": "call_img01", "type": "function",
            "function": {"name": "lookup_billing", "arguments": json.dumps(ARGS)}}
    model = Scripted([
        _completion({"role": "assistant", "content": None, "tool_calls": [call]},
                    "tool_calls"),
        _completion({"role": "assistant", "content": ANSWER}, "stop")])
    client = openai.OpenAI(api_key="test", base_url="http://model.test/v1",
                           http_client=httpx.Client(transport=httpx.MockTransport(model)))
    messages: list[Any] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": [
        {"type": "text", "text": QUESTION},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{IMAGE}"}}]}]
    while True:
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=messages,
            tools=[{"type": "function", "function": TOOL}])  # type: ignore[list-item]
        message = reply.choices[0].message
        if not message.tool_calls:
            break
        messages.append(message.model_dump(exclude_none=True))
        messages += [{"role": "tool", "tool_call_id": c.id, "content": RESULT}
                     for c in message.tool_calls]
    body = model.last
    body["messages"].append(message.model_dump(exclude_none=True))
    return body


def _response(output: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "created_at": 0, "status": "completed",
            "model": "gpt-4o-mini-2024-07-18", "output": output, "parallel_tool_calls": True,
            "tool_choice": "auto", "tools": [],
            "usage": {"input_tokens": 812, "output_tokens": 31, "total_tokens": 843,
                      "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens_details": {"reasoning_tokens": 0}}}


def responses_body() -> dict[str, Any]:
    model = Scripted([
        _response([{"type": "function_call", "id": "fc_1", "call_id": "call_img01",
                    "name": "lookup_billing", "arguments": json.dumps(ARGS),
                    "status": "completed"}]),
        _response([{"type": "message", "id": "msg_1", "role": "assistant",
                    "status": "completed", "content": [
                        {"type": "output_text", "text": ANSWER, "annotations": []}]}])])
    client = openai.OpenAI(api_key="test", base_url="http://model.test/v1",
                           http_client=httpx.Client(transport=httpx.MockTransport(model)))
    items: list[Any] = [{"role": "user", "content": [
        {"type": "input_text", "text": QUESTION},
        {"type": "input_image", "image_url": f"data:image/png;base64,{IMAGE}",
         "detail": "auto"}]}]
    tools = [{"type": "function", "strict": False, **TOOL}]
    while True:
        reply = client.responses.create(model="gpt-4o-mini", instructions=SYSTEM,
                                        input=items, tools=tools)  # type: ignore[arg-type]
        calls = [o for o in reply.output if o.type == "function_call"]
        if not calls:
            break
        items += [o.model_dump(exclude_none=True) for o in reply.output]
        items += [{"type": "function_call_output", "call_id": c.call_id, "output": RESULT}
                  for c in calls]
    body = model.last
    body["input"] += [o.model_dump(exclude_none=True) for o in reply.output]
    return body


def main() -> None:
    for name, make in (("anthropic", anthropic_body), ("openai", openai_body),
                       ("responses", responses_body)):
        path = HERE / f"{name}.image.json"
        path.write_text(json.dumps(make(), indent=1) + "\n")
        print(path, path.stat().st_size)


if __name__ == "__main__":
    main()
