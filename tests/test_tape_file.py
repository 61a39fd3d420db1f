"""The tape file: read strictly and safely (one line naming file and line), written
deterministically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replaycase.errors import CaseError
from replaycase.model import ChatMessage, RequestedToolCall
from replaycase.tape import (
    TAPE_FORMAT,
    Answer,
    AnswerToolCall,
    Tape,
    TapeHeader,
    TapeTurn,
    make_key,
    read_tape,
    tape_text,
)

HEADER = json.dumps({"schema": TAPE_FORMAT, "case_id": "c"})


def _tape() -> Tape:
    call = RequestedToolCall(tool_name="get_order", tool_args={"id": "A-1"}, call_id="x")
    history = [ChatMessage(role="user", text="Where is A-1?"),
               ChatMessage(role="assistant", tool_calls=[call]),
               ChatMessage(role="tool", text='{"status": "late"}', call_id="x")]
    return Tape(header=TapeHeader(case_id="c", source_format="native",
                                  not_recorded=["instructions"]),
                turns=[TapeTurn(turn=1, key=make_key(None, history[:1], ["get_order"]),
                                answer=Answer(model="m", tool_calls=[
                                    AnswerToolCall(name="get_order", arguments={"id": "A-1"})],
                                              stop_reason="tool_calls")),
                       TapeTurn(turn=2, key=make_key(None, history, ["get_order"]),
                                answer=Answer(model="m", text="It is late."))])


def test_a_tape_round_trips_byte_for_byte(tmp_path: Path) -> None:
    text = tape_text(_tape())
    lines = text.splitlines()
    assert json.loads(lines[0]) == {"schema": TAPE_FORMAT, "case_id": "c",
                                    "source_format": "native",
                                    "not_recorded": ["instructions"]}
    assert len(lines) == 3 and ": " not in lines[1]  # compact
    assert "instructions" not in json.loads(lines[1])["key"]  # not recorded: left out
    path = tmp_path / "model_tape.jsonl"
    path.write_text(text, encoding="utf-8")
    tape = read_tape(path)
    assert tape == _tape()
    assert tape_text(tape) == text


@given(st.text(max_size=20), st.one_of(st.none(), st.text(max_size=10)),
       st.lists(st.text(max_size=6), max_size=3))
def test_any_tape_round_trips(text: str, instructions: str | None, tools: list[str]) -> None:
    tape = Tape(turns=[TapeTurn(turn=1, key=make_key(instructions, [
        ChatMessage(role="user", text=text)], tools), answer=Answer(text=text))])
    written = tape_text(tape)
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"tape-{os.getpid()}.jsonl"
    try:
        path.write_text(written, encoding="utf-8")
        assert read_tape(path) == tape
    finally:
        path.unlink(missing_ok=True)


_TURN = json.dumps({"turn": 1, "branch": "failing", "key": {"history": []},
                    "answer": {"text": "hi"}})
BAD: dict[str, tuple[str, str]] = {
    "not json": (f"{HEADER}\n{{nope\n", "line 2: invalid JSON"),
    "unknown turn field": (f"{HEADER}\n" + _TURN[:-1] + ', "extra": 1}\n',
                           "line 2: turn: extra: unknown key"),
    "unknown key field": (f"{HEADER}\n" + _TURN.replace('"history"', '"histroy"') + "\n",
                          "line 2: turn: key.histroy: unknown key"),
    "wrong type": (f"{HEADER}\n" + _TURN.replace('"turn": 1', '"turn": "1"') + "\n",
                   "line 2: turn: turn: Input should be a valid integer"),
    "wrong branch": (f"{HEADER}\n" + _TURN.replace("failing", "winning") + "\n",
                     "line 2: turn: branch: Input should be 'failing' or 'accepted'"),
    "turn not an object": (f"{HEADER}\n[1, 2]\n", "line 2: expected a turn (an object), got a "
                           "list"),
    "missing header": (_TURN + "\n", "line 1: expected the tape header"),
    "wrong header": ('{"schema": "replaycase.trace/v1"}\n' + _TURN + "\n",
                     "line 1: expected the tape header"),
    "newer header": ('{"schema": "replaycase.tape/v9"}\n' + _TURN + "\n",
                     "line 1: schema 'replaycase.tape/v9' is newer"),
    "header unknown field": ('{"schema": "replaycase.tape/v1", "casse": 1}\n' + _TURN + "\n",
                             "line 1: header: casse: unknown key"),
    "turns not increasing": (f"{HEADER}\n{_TURN}\n{_TURN}\n",
                             "line 3: failing turn 1 after turn 1: turn numbers must increase "
                             "in a branch"),
    "turn zero": (f"{HEADER}\n" + _TURN.replace('"turn": 1', '"turn": 0') + "\n",
                  "line 2: turn: turn: Input should be greater than or equal to 1"),
    "empty": ("", "empty tape"),
    "blank lines only": ("\n\n  \n", "empty tape"),
    "header only": (HEADER + "\n", "the tape holds no turns"),
    "nan": (f"{HEADER}\n" + _TURN.replace('"hi"', "NaN") + "\n", "line 2: "),
    "binary": (f"{HEADER}\n\x00\x01\n", "line 2: binary data"),
    "deep": (f"{HEADER}\n" + "[" * 500 + "]" * 500 + "\n", "line 2: "),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_tape_is_one_line_naming_file_and_line(tmp_path: Path, name: str) -> None:
    text, expected = BAD[name]
    path = tmp_path / "model_tape.jsonl"
    path.write_bytes(text.encode("utf-8"))
    with pytest.raises(CaseError) as caught:
        read_tape(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_a_tape_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "model_tape.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(CaseError, match="FIFO"):
        read_tape(fifo)
    with pytest.raises(CaseError, match="no such file"):
        read_tape(tmp_path / "missing.jsonl")


def test_a_read_tape_holds_each_history_message_once(tmp_path: Path) -> None:
    tape = _tape()
    path = tmp_path / "model_tape.jsonl"
    path.write_text(tape_text(tape), encoding="utf-8")
    read = read_tape(path)
    assert read == tape and tape_text(read) == tape_text(tape)
    first, second = (turn.key.history or () for turn in read.turns)
    assert second[0] is first[0]  # turn 2 repeats turn 1's history: one object, not two
    assert second[1] is not first[0]
