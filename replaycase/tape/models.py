"""The model tape (DESIGN 8): the recorded model turns of a case, served to a candidate by
the loopback model server. ``fixtures/model_tape.jsonl`` holds a header line, then one turn a
line.

A turn's *match key* is the canonical conversation of the request that got its answer: the
instructions, the names of the offered tools, and the history. Tool-call ids are replaced by
their position (``call_ref``), so ids the candidate's SDK makes up never matter. A part the
trace did not record is None: it is not compared.
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from .._text import clip

TAPE_FORMAT: Final = "replaycase.tape/v1"
TAPE_FILE = "model_tape.jsonl"
ACCEPTED_RUN = "accepted_run.json"
"""Beside the tape: the recorded run its accepted branch was judged on (native JSON)."""
Branch = Literal["failing", "accepted"]
MatchMode = Literal["exact", "history"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyToolCall(_Strict):
    """An assistant's tool call in a match key: the tool and its canonical JSON arguments."""

    name: str
    arguments: str
    """Canonical JSON text (sorted keys, no spaces); arguments that are not JSON as given."""


class KeyMessage(_Strict):
    """One message of a match key's history."""

    role: Literal["user", "assistant", "tool"]
    text: str = ""
    tool_calls: tuple[KeyToolCall, ...] = ()
    call_ref: int | None = None
    """A tool message: the position (from 0) of the call it answers among the history's
    tool calls; None when the call is not in the history. (Whether a result was an error is
    not compared: Chat Completions cannot say it.)"""


class MatchKey(_Strict):
    """The canonical conversation of a model request."""

    instructions: str | None = None
    tools: tuple[str, ...] | None = None
    """The offered tool names, sorted."""
    history: tuple[KeyMessage, ...] | None = None


class AnswerToolCall(BaseModel):
    """A tool call the recorded answer asked for."""

    model_config = ConfigDict(extra="forbid")

    name: str
    arguments: Any = None
    """The arguments as recorded: a JSON value, or the text the model wrote."""


class AnswerUsage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_tokens: int | None = None
    output_tokens: int | None = None


class Answer(BaseModel):
    """What the model answered: served back in the protocol the candidate asked in."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    text: str = ""
    tool_calls: list[AnswerToolCall] = Field(default_factory=list)
    stop_reason: str | None = None
    """As recorded (``stop``, ``tool_calls``, ``end_turn``, ``tool_use``...); the protocol
    writer maps it; None: from the answer (tool calls or not)."""
    usage: AnswerUsage | None = None


class TapeTurn(BaseModel):
    """One recorded model turn."""

    model_config = ConfigDict(extra="forbid")

    turn: int = Field(ge=1)
    """Its position in the recording, from 1."""
    branch: Branch = "failing"
    key: MatchKey
    answer: Answer


class TapeHeader(BaseModel):
    """The first line of a tape."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    format: Literal["replaycase.tape/v1"] = Field(default=TAPE_FORMAT, alias="schema")
    case_id: str | None = None
    source_format: str | None = None
    """The trace format the failing branch was made from."""
    not_recorded: list[Literal["instructions", "tools", "history"]] = Field(
        default_factory=list)
    """Parts of the match key the source trace did not record (not compared)."""


class Tape(BaseModel):
    """A whole tape: its header and its turns, in order."""

    header: TapeHeader = Field(default_factory=TapeHeader)
    turns: list[TapeTurn] = Field(default_factory=list)


class Difference(BaseModel):
    """The first place a received request parts from the closest recorded turn."""

    path: str
    """Where, in the match key: ``history[3].tool_calls[0].arguments``, ``instructions``..."""
    recorded: Any = None
    received: Any = None


class Divergence(BaseModel):
    """A request the tape cannot answer."""

    turn: int
    """The candidate's model turn, counted from 1 in the order it asked."""
    closest: int | None = None
    """The recorded turn it was compared with (its ``turn``), when there was one."""
    difference: Difference | None = None

    def message(self) -> str:
        """``replaycase: diverged at model turn N: <path>: recorded <a>, received <b>``."""
        head = f"replaycase: diverged at model turn {self.turn}"
        if self.difference is None:
            return f"{head}: the tape has no turn for this request"
        d = self.difference
        return f"{head}: {d.path}: recorded {_shown(d.recorded)}, received {_shown(d.received)}"


def _shown(value: Any) -> str:
    """A key value in a divergence message: JSON, on one line, clipped."""
    return "nothing" if value is None else clip(json.dumps(value, ensure_ascii=False), 200)
