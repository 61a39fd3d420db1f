"""Decoding OTLP/JSON building blocks: attribute values, ids, timestamps and enums.

OTLP/JSON proper uses lowerCamelCase keys, hex ids and integer enums; protobuf's default JSON
(and hand-rolled exporters) may write snake_case keys, base64 ids and enum names. Both are read.
Every problem raises the ``TraceFormatError`` of ``malformed``, with the location of the
offending value.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from ..._jsonio import json_in_text, json_kind
from ...errors import TraceFormatError

_HEX = re.compile(r"[0-9a-fA-F]+")
_INT = re.compile(r"[+-]?[0-9]+")
_URLSAFE = str.maketrans("-_", "+/")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MAX_NANOS = 253_402_300_799 * 10**9  # 9999-12-31T23:59:59Z
_SPAN_KINDS = {"UNSPECIFIED": 0, "INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4,
               "CONSUMER": 5}
_STATUS_CODES = {"UNSET": 0, "OK": 1, "ERROR": 2}
_VALUE_KEYS = ("stringValue", "boolValue", "intValue", "doubleValue", "arrayValue",
               "kvlistValue", "bytesValue")


def malformed(where: str, problem: str) -> TraceFormatError:
    """The error for a malformed OTLP value; ``where`` locates it, e.g.
    ``resourceSpans[0].scopeSpans[1]``."""
    return TraceFormatError(None, f"{where}: {problem}" if where else problem)


@functools.lru_cache(maxsize=256)
def snake(key: str) -> str:
    """'parentSpanId' -> 'parent_span_id' (the few field names are converted once each)."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def field(obj: dict[str, Any], key: str, default: Any = None) -> Any:
    """``obj[key]``, accepting the snake_case spelling of protobuf's field name too."""
    if key in obj:
        return obj[key]
    return obj.get(snake(key), default)


def expect_dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise malformed(where, f"expected an object, got {json_kind(value)}")
    return value


def expect_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise malformed(where, f"expected a list, got {json_kind(value)}")
    return value


def attributes(value: Any, where: str) -> dict[str, Any]:
    """An OTLP ``KeyValue`` list as a dict of plain Python values."""
    out: dict[str, Any] = {}
    for index, item in enumerate(expect_list(value, where)):
        at = f"{where}[{index}]"
        item = expect_dict(item, at)
        key = item.get("key")
        if not isinstance(key, str):
            raise malformed(f"{at}.key", f"expected a string, got {json_kind(key)}")
        out[key] = any_value(item.get("value"), f"{at}.value")
    return out


def any_value(value: Any, where: str) -> Any:
    """An OTLP ``AnyValue`` (``{"stringValue": …}``, ``{"arrayValue": …}``, …) as Python."""
    if value is None:
        return None
    value = expect_dict(value, where)
    for key in _VALUE_KEYS:
        if key in value or snake(key) in value:
            return _decode(key, field(value, key), f"{where}.{key}")
    if not value:
        return None
    keys = ", ".join(sorted(str(k) for k in value)[:5])
    raise malformed(where, f"unknown attribute value shape (keys: {keys})")


def _decode(kind: str, raw: Any, where: str) -> Any:
    if kind == "stringValue":
        if not isinstance(raw, str):
            raise malformed(where, f"expected a string, got {json_kind(raw)}")
        return raw
    if kind == "boolValue":
        if not isinstance(raw, bool):
            raise malformed(where, f"expected true or false, got {json_kind(raw)}")
        return raw
    if kind == "intValue":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and _INT.fullmatch(raw.strip()):
            return int(raw)
        raise malformed(where, f"expected an integer, got {_show(raw)}")
    if kind == "doubleValue":
        return _double(raw, where)
    if kind == "bytesValue":
        return hex_bytes(raw, where)
    if kind == "arrayValue":
        raw = expect_dict(raw, where) if raw is not None else {}
        items = expect_list(raw.get("values"), f"{where}.values")
        return [any_value(item, f"{where}.values[{i}]") for i, item in enumerate(items)]
    raw = expect_dict(raw, where) if raw is not None else {}
    return attributes(raw.get("values"), f"{where}.values")


def _double(raw: Any, where: str) -> float | str:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, str):
        if raw in ("NaN", "Infinity", "-Infinity"):
            return raw  # protobuf's JSON spelling; kept as text, JSON has no NaN
        try:
            number = float(raw)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    raise malformed(where, f"expected a number, got {_show(raw)}")


def hex_bytes(raw: Any, where: str) -> str:
    """Bytes written as hex (OTLP/JSON) or base64 (protobuf JSON), returned as lowercase hex."""
    if not isinstance(raw, str):
        raise malformed(where, f"expected a hex or base64 string, got {json_kind(raw)}")
    text = raw.strip()
    if _HEX.fullmatch(text) and len(text) % 2 == 0:
        return text.lower()
    try:
        padded = text.translate(_URLSAFE) + "=" * (-len(text) % 4)
        data = base64.b64decode(padded.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise malformed(where, f"{_show(raw)} is neither hex nor base64") from None
    if not data:
        raise malformed(where, f"{_show(raw)} is neither hex nor base64")
    return data.hex()


def required_id(raw: Any, where: str) -> str:
    """A trace or span id as lowercase hex."""
    if raw is None or raw == "":
        raise malformed(where, "missing")
    ident = hex_bytes(raw, where)
    if not ident.strip("0"):
        raise malformed(where, "an all-zero id is invalid")
    return ident


def optional_id(raw: Any, where: str) -> str | None:
    """A parent span id as lowercase hex; None when absent, empty or all zeros."""
    if raw is None or raw == "":
        return None
    ident = hex_bytes(raw, where)
    return ident if ident.strip("0") else None


def nanos(raw: Any, where: str) -> int | None:
    """A ``*UnixNano`` timestamp (number or decimal string); None when absent or zero."""
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str) and _INT.fullmatch(raw.strip()):
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise malformed(where, f"expected an integer of nanoseconds, got {_show(raw)}")
    if raw < 0 or raw > _MAX_NANOS:
        raise malformed(where, f"timestamp {raw} is out of range")
    return raw or None


def iso(ns: int | None) -> str | None:
    """Nanoseconds since the epoch as an ISO 8601 UTC string."""
    if ns is None:
        return None
    moment = _EPOCH + timedelta(seconds=ns // 10**9, microseconds=(ns % 10**9) // 1000)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def enum(raw: Any, where: str, names: dict[str, int], prefix: str) -> int:
    """An enum written as an integer, a digit string or a name (``SPAN_KIND_CLIENT``)."""
    if raw is None:
        return 0
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        text = raw.strip().upper()
        if _INT.fullmatch(text):
            return int(text)
        name = text.removeprefix(prefix)
        if name in names:
            return names[name]
    raise malformed(where, f"unknown value {_show(raw)}")


def span_kind(raw: Any, where: str) -> int:
    return enum(raw, where, _SPAN_KINDS, "SPAN_KIND_")


def status_code(raw: Any, where: str) -> int:
    return enum(raw, where, _STATUS_CODES, "STATUS_CODE_")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return json_kind(value)


def parse_json_text(value: Any) -> Any:
    """A JSON object or array held in a string, parsed; anything else returned unchanged."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if (text[:1], text[-1:]) in (("{", "}"), ("[", "]")):
        return json_in_text(value)
    return value
