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
    pool: dict[KeyMessage, KeyMessage] = {}
    try:
        for line, value in iter_jsonl(path, limits):
            if header is None:
                header = _header(path, line, value)
                continue
            turn = _shared(_turn(path, line, value), pool)
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


def _turn(path: Path, line: int, value: Any) -> TapeTurn:
    if not isinstance(value, dict):
        raise CaseError(path, f"line {line}: expected a turn (an object), got "
                              f"{json_kind(value)}")
    return _validated(TapeTurn, path, line, value, "turn")


def _validated(model: type[_M], path: Path, line: int, value: Any, what: str) -> _M:
    try:
        # strict, from JSON text: a list is a tuple, a "3" is not a 3
        return model.model_validate_json(json.dumps(value), strict=True)
    except ValidationError as exc:
        raise CaseError(path, f"line {line}: {what}: {validation_message(exc)}") from None


def _shared(turn: TapeTurn, pool: dict[KeyMessage, KeyMessage]) -> TapeTurn:
    """The turn with the messages of its history taken from ``pool``: turn k repeats the
    history of turn k-1, so a long tape holds each message once, not once a turn (memory,
    and what the garbage collector walks while the server answers)."""
    history = turn.key.history
    if history:
        turn.key = turn.key.model_copy(
            update={"history": tuple(pool.setdefault(m, m) for m in history)})
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
