"""Request bodies with an image, as the real SDKs sent them (``transcript-bodies/``): the
wrapper's model and system reach every model call, the image is named in the run's input
(never its bytes), and the tape keys by the image (a digest), so the same request replays
and one with another image diverges."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from model_server_checks import KEY, ExactTurns

from replaycase.importers.registry import load_trace
from replaycase.model import InputMessageEvent, LlmCallEvent
from replaycase.model.content_parts import part_label, readable_content
from replaycase.replay.model_server import ModelServer
from replaycase.tape.from_run import tape_from_run

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")

BODIES = Path(__file__).parent / "data" / "traces" / "transcript-bodies"
SYSTEM = "You are Acme Cloud's billing support agent. Use issue_refund only when asked."
LABEL = "[image: image/png, 27 KB]"


def _body(name: str) -> dict[str, Any]:
    return json.loads((BODIES / f"{name}.image.json").read_text())


@pytest.mark.parametrize("name,model", [("anthropic", "claude-haiku-4-5"),
                                        ("openai", "gpt-4o-mini"),
                                        ("responses", "gpt-4o-mini")])
def test_a_request_body_gives_every_call_its_model_and_system(name: str, model: str) -> None:
    [run] = load_trace(BODIES / f"{name}.image.json")
    calls = [e for e in run.events if isinstance(e, LlmCallEvent)]
    assert len(calls) == 2
    assert [c.model for c in calls] == [model, model]
    assert [c.instructions for c in calls] == [SYSTEM, SYSTEM]
    assert run.status == "success"
    assert run.final_output == "That charge is invoice INV-4102 for $129.00, due on 1 April 2026."


@pytest.mark.parametrize("name", ["anthropic", "openai", "responses"])
def test_an_image_is_named_in_the_input_never_its_bytes(name: str) -> None:
    [run] = load_trace(BODIES / f"{name}.image.json")
    assert isinstance(run.input, str)
    assert LABEL in run.input
    assert "charge I don't recognise" in run.input
    dumped = run.model_dump_json()
    assert "iVBORw0KGgo" not in dumped  # the PNG's base64 signature
    [user] = [e for e in run.events if isinstance(e, InputMessageEvent) and e.role == "user"]
    assert user.content == run.input


def test_parts_of_every_shape_are_named() -> None:
    data = base64.b64encode(b"\x89PNG" + bytes(2044)).decode()
    shapes = [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                     "data": data}},
        {"type": "input_image", "image_url": f"data:image/png;base64,{data}"},
        {"type": "image", "base64": data, "mime_type": "image/png"},
        {"type": "blob", "modality": "image", "mime_type": "image/png", "content": data},
        {"type": "image", "source_type": "base64", "data": data},  # sniffed
    ]
    assert {part_label(s) for s in shapes} == {"[image: image/png, 2 KB]"}
    assert len({part_label(s, digest=True) for s in shapes}) == 1
    assert part_label({"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}) \
        == "[image: https://x.test/a.png]"
    assert part_label({"type": "input_audio", "input_audio": {"data": data,
                                                              "format": "wav"}}) \
        == "[audio: audio/wav, 2 KB]"
    nested = readable_content({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "see"}, shapes[0]]}]})
    assert nested == {"messages": [{"role": "user", "content": "see\n[image: image/png, 2 KB]"}]}


def _served(name: str, tmp_path: Path) -> ModelServer:
    [run] = load_trace(BODIES / f"{name}.image.json")
    tape = tape_from_run(run).tape
    assert tape is not None
    return ModelServer(ExactTurns(tape.turns), api_key=KEY, log_path=tmp_path / "log.jsonl",
                       case_id="image-case", models=["gpt-4o-mini"])


def _other_image(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same parts with another image of the same size."""
    text = json.dumps(content)
    other = base64.b64encode(b"\x89PNG" + bytes(27000)).decode()
    body = _body("openai")
    sent = body["messages"][1]["content"][1]["image_url"]["url"].split(",", 1)[1]
    return json.loads(text.replace(sent, other))


def test_an_openai_request_with_an_image_replays_and_another_image_diverges(
        tmp_path: Path) -> None:
    body = _body("openai")
    first = body["messages"][:2]
    with _served("openai", tmp_path) as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0)
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=first,
                                               tools=body["tools"])
        [call] = reply.choices[0].message.tool_calls or []
        assert call.function.name == "lookup_billing"
        changed = [first[0], {**first[1], "content": _other_image(first[1]["content"])}]
        with pytest.raises(openai.BadRequestError, match="diverged"):
            client.chat.completions.create(model="gpt-4o-mini", messages=changed,
                                           tools=body["tools"])


def test_an_anthropic_request_with_an_image_replays(tmp_path: Path) -> None:
    body = _body("anthropic")
    with _served("anthropic", tmp_path) as server:
        client = anthropic.Anthropic(base_url=server.url, api_key=KEY,
                                     max_retries=0)
        reply = client.messages.create(model="claude-haiku-4-5", max_tokens=512,
                                       system=body["system"], tools=body["tools"],
                                       messages=body["messages"][:1])
        assert [b.type for b in reply.content] == ["tool_use"]
        changed = [{**body["messages"][0],
                    "content": _other_image(body["messages"][0]["content"])}]
        with pytest.raises(anthropic.BadRequestError, match="diverged"):
            client.messages.create(model="claude-haiku-4-5", max_tokens=512,
                                   system=body["system"], tools=body["tools"],
                                   messages=changed)


def test_a_responses_request_with_an_image_replays(tmp_path: Path) -> None:
    body = _body("responses")
    with _served("responses", tmp_path) as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0)
        reply = client.responses.create(model="gpt-4o-mini", instructions=body["instructions"],
                                        input=body["input"][:1], tools=body["tools"])
        assert [o.type for o in reply.output] == ["function_call"]
        changed = [{**body["input"][0], "content": _other_image(body["input"][0]["content"])}]
        with pytest.raises(openai.BadRequestError, match="diverged"):
            client.responses.create(model="gpt-4o-mini", instructions=body["instructions"],
                                    input=changed, tools=body["tools"])
