"""Shared by the model server tests: a two-turn tape (a tool call, then the answer) and a
matcher that answers by exact key equality."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from replaycase.model import ChatMessage, RequestedToolCall
from replaycase.replay.model_server import ModelServer
from replaycase.tape.key import make_key
from replaycase.tape.models import (
    Answer,
    AnswerToolCall,
    AnswerUsage,
    Difference,
    Divergence,
    MatchKey,
    TapeTurn,
)

KEY = "replaycase-placeholder-key"
INSTRUCTIONS = "You are a shop assistant."
QUESTION = "Where is order A-1001?"
TOOL_RESULT = '{"status": "shipped"}'
FINAL = "Your order A-1001 has shipped."
TOOLS = ["get_order"]
ARGS = {"order_id": "A-1001"}
MODEL = "gpt-test"

FIRST = [ChatMessage(role="user", text=QUESTION)]
SECOND = [*FIRST,
          ChatMessage(role="assistant", tool_calls=[
              RequestedToolCall(tool_name="get_order", tool_args=ARGS, call_id="c1")]),
          ChatMessage(role="tool", text=TOOL_RESULT, call_id="c1")]

TURNS = [
    TapeTurn(turn=1, key=make_key(INSTRUCTIONS, FIRST, TOOLS),
             answer=Answer(model=MODEL, tool_calls=[AnswerToolCall(name="get_order",
                                                                   arguments=ARGS)],
                           stop_reason="tool_calls",
                           usage=AnswerUsage(input_tokens=12, output_tokens=5))),
    TapeTurn(turn=2, key=make_key(INSTRUCTIONS, SECOND, TOOLS),
             answer=Answer(model=MODEL, text=FINAL, stop_reason="stop",
                           usage=AnswerUsage(input_tokens=30, output_tokens=8))),
]


class ExactTurns:
    """Answers a key equal to a turn's; anything else diverges (against the first turn)."""

    def __init__(self, turns: list[TapeTurn]) -> None:
        self.turns = turns
        self.asked = 0
        self._lock = threading.Lock()

    def answer(self, key: MatchKey) -> TapeTurn | Divergence:
        with self._lock:
            self.asked += 1
            asked = self.asked
        for turn in self.turns:
            if turn.key == key:
                return turn
        first = self.turns[0].key.history or ()
        got = key.history or ()
        return Divergence(turn=asked, closest=1, difference=Difference(
            path="history[0].text", recorded=first[0].text if first else None,
            received=got[0].text if got else None))


@contextmanager
def serving(tmp_path: Path, turns: list[TapeTurn] = TURNS) -> Iterator[ModelServer]:
    with ModelServer(ExactTurns(turns), api_key=KEY, log_path=tmp_path / "model-log.jsonl",
                     case_id="shop-case", models=[MODEL]) as server:
        yield server
