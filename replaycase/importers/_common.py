"""Small readers shared by importers: typed fields, ISO times, failures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timezone
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .._jsonio import json_kind
from .._validation import validation_message
from ..errors import TraceFormatError
from ..model import parse_ts
from ..model.chat import ChatFormatError

if TYPE_CHECKING:
    from .base import TraceDocument


def iso_ts(value: str | None) -> str | None:
    """The value when it is a readable ISO 8601 time, else None."""
    return value if value and parse_ts(value) is not None else None


def epoch_s(value: str | None) -> float:
    """Seconds since the epoch of an ISO time (naive times count as UTC); 0.0 if unreadable."""
    moment = parse_ts(value)
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.timestamp()
    except (OverflowError, OSError, ValueError):
        return 0.0


def duration_ms(start: str | None, end: str | None) -> float | None:
    """Milliseconds between two ISO times; None when either is missing or end is earlier."""
    if not start or not end:
        return None
    millis = round((epoch_s(end) - epoch_s(start)) * 1000, 3)
    return millis if millis >= 0 else None


def fail(where: str, problem: str) -> TraceFormatError:
    """A malformed-input error at ``where`` (the registry adds the file name)."""
    return TraceFormatError(None, f"{where}: {problem}")


def object_at(obj: dict[str, Any], key: str) -> dict[str, Any]:
    """``obj[key]`` when it is an object, else an empty one."""
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def list_at(obj: dict[str, Any], key: str) -> list[Any]:
    """``obj[key]`` when it is a list, else an empty one."""
    value = obj.get(key)
    return value if isinstance(value, list) else []


def get_typed(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``obj[key]`` when present and not null; a one-line error when it has another type."""
    value = obj.get(key)
    if value is None or isinstance(value, kind):
        return value
    first = kind if isinstance(kind, type) else kind[0]
    names: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    expected = names.get(first, "a value")
    sep = "." if where else ""
    raise fail(f"{where}{sep}{key}", f"expected {expected}, got {json_kind(value)}")


def keys_problem(obj: dict[str, Any], wanted: dict[str, str]) -> str:
    """What a format check finds wrong with ``obj``'s keys (each key: the JSON type it needs,
    as ``json_kind`` names it, maybe with more words: "a list of spans"; "" for any): the
    missing keys, else the first of the wrong type. Never says a present key is missing."""
    missing = [f'"{key}"' for key in wanted if key not in obj]
    if missing:
        return f"no {' and no '.join(missing)} key"
    for key, expected in wanted.items():
        value = obj[key]
        if expected and json_kind(value) != expected.split(" of ")[0]:
            return f'"{key}" is {json_kind(value)}, expected {expected}'
    return "unexpected keys"


def text_or_none(content: Any) -> str | None:
    """An answer's or a question's text: a string, or the texts of a list's blocks joined;
    else None."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        texts = [p for p in parts if isinstance(p, str)]
        return "".join(texts) if texts else None
    return None


class BadRecord(ValueError):
    """A record of a JSONL session that cannot be read; the text says why."""


def feed_records(doc: TraceDocument, name: str, add: Callable[[Any], None]) -> None:
    """Hand every record of the JSONL ``doc`` to ``add`` as it is streamed; a record it
    cannot read is a one-line TraceFormatError naming its line."""
    for line, record in doc.records(name):
        try:
            add(record)
        except ValidationError as exc:
            raise TraceFormatError(None, f"line {line}: {validation_message(exc)}") from None
        except (ChatFormatError, BadRecord) as exc:
            raise TraceFormatError(None, f"line {line}: {exc}") from None
