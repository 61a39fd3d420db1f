"""The tape file, ``fixtures/model_tape.jsonl``: a header line, then one turn a line.

Read with the safe readers (a regular file only, capped, JSON checked for depth, size and
NaN) and strictly (an unknown field or a wrong type is an error); every problem is one
``CaseError`` naming the file and the line. Written deterministically: compact JSON, fields
in model order, parts that are not recorded left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .._jsonio import DEFAULT_LIMITS, Limits, iter_jsonl, json_kind
from .._validation import validation_message
from ..errors import CaseError, InputError
from .key import shared_message
from .models import TAPE_FORMAT, KeyMessage, Tape, TapeHeader, TapeTurn

_M = TypeVar("_M", bound=BaseModel)


def read_tape(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Tape:
    """The tape in a file; CaseError naming the file and the line on the first problem."""
    return read_tape_lines(path, limits)[0]


def read_tape_lines(path: str | Path,
                    limits: Limits = DEFAULT_LIMITS) -> tuple[Tape, list[int]]:
    """The tape and the line number of each of its turns."""
    path = Path(path)
    header: TapeHeader | None = None
    turns: list[TapeTurn] = []
    lines: list[int] = []
    last_of: dict[str, int] = {}
    histories = _Histories()
    try:
        for line, value in iter_jsonl(path, limits):
            if header is None:
                header = _header(path, line, value)
                continue
            turn = _turn(path, line, value, histories)
            last = last_of.get(turn.branch)
            if last is not None and turn.turn <= last:
                raise CaseError(path, f"line {line}: {turn.branch} turn {turn.turn} after "
                                      f"turn {last}: turn numbers must increase in a branch")
            if turn.branch == "failing" and "accepted" in last_of:
                raise CaseError(path, f"line {line}: a failing turn after the accepted "
                                      "ones: the failing branch comes first")
            last_of[turn.branch] = turn.turn
            turns.append(turn)
            lines.append(line)
    except CaseError:
        raise
    except InputError as exc:
        raise CaseError(path, exc.problem) from None
    if header is None:
        raise CaseError(path, f'empty tape: expected a header line {{"schema": "{TAPE_FORMAT}"}}')
    if not turns:
        raise CaseError(path, "line 2: the tape holds no turns (a header only)")
    return Tape(header=header, turns=turns), lines


def _header(path: Path, line: int, value: Any) -> TapeHeader:
    schema = value.get("schema") if isinstance(value, dict) else None
    if schema != TAPE_FORMAT:
        if isinstance(schema, str) and schema.startswith("replaycase.tape/"):
            problem = f"schema {schema!r} is newer than this replaycase reads ({TAPE_FORMAT})"
        else:
            problem = f'expected the tape header {{"schema": "{TAPE_FORMAT}", ...}} first'
        raise CaseError(path, f"line {line}: {problem}")
    return _validated(TapeHeader, path, line, value, "header")


def _turn(path: Path, line: int, value: Any, histories: _Histories) -> TapeTurn:
    if not isinstance(value, dict):
        raise CaseError(path, f"line {line}: expected a turn (an object), got "
                              f"{json_kind(value)}")
    key = value.get("key")
    raw = key.get("history") if isinstance(key, dict) else None
    history = histories.read(raw) if isinstance(raw, list) and raw else None
    if history is not None and isinstance(key, dict):
        try:
            turn = TapeTurn.model_validate_json(
                json.dumps({**value, "key": {**key, "history": []}}), strict=True)
        except ValidationError:
            pass  # the whole turn validated below says what is wrong, as it would alone
        else:
            turn.key = turn.key.model_copy(update={"history": history})
            return turn
    return _shared(_validated(TapeTurn, path, line, value, "turn"))


class _Histories:
    """The last turn's history, raw and read: turn k repeats the history of turn k-1, so a
    history that starts with the last one is validated past it only; each message alone, as
    strictly as in its turn.

    "Starts with" is Python's ``==`` (C speed) on the raw messages, and the types of their
    ``call_ref`` s: a message equal to a valid one is valid but for a ``call_ref`` of
    ``true`` or ``1.0`` (equal to 1 in Python; strings, lists and objects equal only their
    kind)."""

    def __init__(self) -> None:
        self.raw: list[Any] = []
        self.read_messages: tuple[KeyMessage, ...] = ()

    def read(self, raw: list[Any]) -> tuple[KeyMessage, ...] | None:
        """The history read, None when a message is not valid."""
        done = self.read_messages
        count = len(done)
        if not (done and len(raw) >= count and raw[:count] == self.raw
                and all(type(m.get("call_ref")) in _REF_TYPES for m in raw[:count])):
            done = ()
        messages = list(done)
        for message in raw[len(done):]:
            try:
                messages.append(shared_message(KeyMessage.model_validate_json(
                    json.dumps(message), strict=True)))
            except ValidationError:
                return None
        self.raw, self.read_messages = raw, tuple(messages)
        return self.read_messages


_REF_TYPES = (int, type(None))


def _validated(model: type[_M], path: Path, line: int, value: Any, what: str) -> _M:
    try:
        # strict, from JSON text: a list is a tuple, a "3" is not a 3
        return model.model_validate_json(json.dumps(value), strict=True)
    except ValidationError as exc:
        raise CaseError(path, f"line {line}: {what}: {validation_message(exc)}") from None


def _shared(turn: TapeTurn) -> TapeTurn:
    """The turn with the messages of its history the ones alive (``shared_message``): turn k
    repeats the history of turn k-1, so a long tape holds each message once, not once a turn
    (memory, and what the garbage collector walks while the server answers), and the same
    objects as the keys of the requests served."""
    history = turn.key.history
    if history:
        turn.key = turn.key.model_copy(
            update={"history": tuple(shared_message(m) for m in history)})
    return turn


def tape_text(tape: Tape) -> str:
    """The file's text: the header, then one turn a line (byte-deterministic)."""
    lines = [_line(tape.header.model_dump(by_alias=True, exclude_none=True))]
    for turn in tape.turns:
        lines.append(_line({
            "turn": turn.turn,
            "branch": turn.branch,
            "key": turn.key.model_dump(exclude_defaults=True),
            "answer": turn.answer.model_dump(exclude_none=True),
        }))
    return "".join(lines)


def _line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
