"""What makes a request's cost the new part of it keeps the model log and the tape as they
were: the log holds the body as sent (when it is one line of UTF-8 JSON) and the key encoded
by pydantic, both the values ``json.dumps`` wrote; the tape reader validates a history past
the last turn's only, and reads what the whole turn validated reads (turns and errors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from model_server_checks import INSTRUCTIONS, KEY, QUESTION, serving
from pydantic import ValidationError

from replaycase._validation import validation_message
from replaycase.errors import CaseError
from replaycase.model import ChatMessage, RequestedToolCall
from replaycase.replay.wire_run import read_model_log
from replaycase.tape import Answer, Tape, TapeHeader, TapeTurn
from replaycase.tape.file import read_tape, tape_text
from replaycase.tape.key import make_key
from replaycase.tape.protocols import OpenAIChat

HEADERS = {"authorization": f"Bearer {KEY}"}
BODY: dict[str, Any] = {
    "model": "any", "tools": [{"type": "function", "function": {"name": "get_order"}}],
    "messages": [{"role": "system", "content": INSTRUCTIONS},
                 {"role": "user", "content": QUESTION, "n": [1, 1.0, True, -0.0, 1e300]}]}


@pytest.mark.parametrize("raw", [
    json.dumps(BODY).encode(),  # one line: logged as sent
    json.dumps(BODY, indent=2).encode(),  # lines: encoded again
    json.dumps(BODY, ensure_ascii=False).replace("order", "ordér").encode(),
    b'{"messages": [{"role": "user", "content": "a"}], "messages": [' +
    json.dumps(BODY["messages"]).encode()[1:] + b"}",  # a key twice: the last one counts
    b"\xef\xbb\xbf" + json.dumps(BODY).encode(),  # a BOM: read by json.loads
])
def test_the_log_holds_the_values_the_server_read(tmp_path: Path, raw: bytes) -> None:
    with serving(tmp_path) as server:
        response = server.respond("POST", "/v1/chat/completions", HEADERS, raw)
        server.respond("POST", "/v1/chat/completions", HEADERS,
                       json.dumps({**BODY, "messages": "x"}).encode())
    body = json.loads(raw.decode("utf-8-sig"))
    first, refused = read_model_log(server.log_path)
    assert response.status in (200, 400)
    assert first["request"] == body
    assert json.dumps(first["request"]) == json.dumps(body)  # 1 stays 1, 1.0 stays 1.0
    assert first["key"] == OpenAIChat().read(body).key().model_dump(mode="json")
    assert list(first) == ["turn", "path", "protocol", "request", "key",
                           *(["answer"] if response.status == 200 else ["divergence",
                                                                          "error", "status"])]
    assert refused["status"] == 400 and "'messages' must be a list" in refused["error"]
    lines = server.log_path.read_bytes().splitlines()
    sent = b"\n" not in raw and not raw.startswith(b"\xef\xbb\xbf")
    assert (b'"request": ' + raw + b', "key": ' in lines[0]) is sent  # not encoded again
    assert len(lines) == 2 and all(json.loads(line) for line in lines)


def _tape(turns: int) -> Tape:
    history = [ChatMessage(role="user", text="Check them all.")]
    out = []
    for k in range(1, turns + 1):
        out.append(TapeTurn(turn=k, key=make_key("Be brief.", history, ["check"]),
                            answer=Answer(text=f"turn {k}")))
        history += [ChatMessage(role="assistant", text=" ", tool_calls=[RequestedToolCall(
            tool_name="check", tool_args={"n": k, "x": [1.0, True]}, call_id=f"c{k}")]),
                    ChatMessage(role="tool", call_id=f"c{k}", text=f"{k} is paid")]
    out.append(TapeTurn(turn=1, branch="accepted", key=make_key("Be brief.", history[:3],
                                                                ["check"]),
                        answer=Answer(text="again")))
    return Tape(header=TapeHeader(case_id="c"), turns=out)


def test_a_tape_read_on_from_the_last_history_is_the_tape_validated_whole(
        tmp_path: Path) -> None:
    tape = _tape(8)
    path = tmp_path / "model_tape.jsonl"
    path.write_text(tape_text(tape))
    read = read_tape(path)
    whole = [TapeTurn.model_validate_json(json.dumps(json.loads(line)), strict=True)
             for line in path.read_text().splitlines()[1:]]
    assert read.turns == whole == tape.turns
    histories = [t.key.history or () for t in read.turns]
    assert histories[3][:5] == histories[2]  # the same objects: read once
    assert all(a is b for a, b in zip(histories[2], histories[3], strict=False))


@pytest.mark.parametrize("change", [
    lambda h: h[3].update(call_ref="0"),
    lambda h: h[2].update(call_ref=False),  # == 0 in Python, as the turn before has it
    lambda h: h[4].update(call_ref=1.0),
    lambda h: h[1]["tool_calls"][0].pop("name"),
    lambda h: h.__setitem__(0, {**h[0], "x": 1}),
    lambda h: h.__setitem__(2, {**h[2], "role": "robot", "text": 3}),
])
def test_a_bad_message_in_a_history_read_on_is_the_error_of_the_whole_turn(
        tmp_path: Path, change: Any) -> None:
    path = tmp_path / "model_tape.jsonl"
    lines = tape_text(_tape(6)).splitlines()
    turn = json.loads(lines[4])
    change(turn["key"]["history"])
    lines[4] = json.dumps(turn)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValidationError) as whole:
        TapeTurn.model_validate_json(json.dumps(turn), strict=True)
    with pytest.raises(CaseError) as raised:
        read_tape(path)
    assert raised.value.problem == f"line 5: turn: {validation_message(whole.value)}"
