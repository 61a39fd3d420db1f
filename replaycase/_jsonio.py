"""Reading untrusted JSON and JSONL safely: size, encoding, nesting and NaN checks.

Every problem becomes a ``TraceFormatError`` naming the file and, where known, the line.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pydantic_core

from ._safe_files import kind_of, open_regular, read_regular
from .errors import FileAccessError, TraceFormatError

BOM = b"\xef\xbb\xbf"
_MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on untrusted input; configurable through ``[tool.replaycase.limits]``."""

    max_file_mb: float = 512.0
    max_depth: int = 200
    max_string_mb: float = 16.0
    max_output_file_mb: float = 64.0
    """Largest output file a runner may write (key ``max_output_mb`` of the limits table)."""

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * _MB)

    @property
    def max_string_chars(self) -> int:
        return int(self.max_string_mb * _MB)


DEFAULT_LIMITS = Limits()
_TEXT_LIMITS = Limits(max_depth=64)
"""JSON held in a string sits inside a run: it is kept shallow enough that the run's own
native JSON still loads within ``max_depth``."""


def check_file(path: Path, limits: Limits = DEFAULT_LIMITS, max_bytes: int | None = None) -> int:
    """Refuse a missing file, anything but a regular file (a directory, a FIFO, a device, a
    socket: ``stat`` never blocks on them) or one over the size limit; return its size."""
    try:
        info = os.stat(path)
    except (OSError, ValueError) as exc:
        raise FileAccessError(path, _stat_problem(exc)) from None
    if not stat.S_ISREG(info.st_mode):
        kind = kind_of(info.st_mode)
        hint = ", expected a file" if kind == "a directory" else ", not a regular file"
        raise FileAccessError(path, f"is {kind}{hint}")
    limit = max_bytes if max_bytes is not None else limits.max_file_bytes
    if info.st_size > limit:
        raise FileAccessError(path, f"file is {info.st_size / _MB:.1f} MB, above the limit of "
                               f"{limit / _MB:.1f} MB")
    return info.st_size


def _stat_problem(exc: OSError | ValueError) -> str:
    if isinstance(exc, ValueError):  # a NUL byte in the path
        return "not a usable path (it holds a NUL byte)"
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.ELOOP:
        return "a loop of symbolic links"
    return f"cannot read: {exc.strerror or exc}"


def decode(data: bytes, path: Path, line: int | None = None) -> str:
    """Bytes to text: UTF-8 (a BOM is dropped), refusing binary data."""
    where = f"line {line}: " if line else ""
    if data.startswith(BOM):
        data = data[len(BOM):]
    if b"\x00" in data:
        raise TraceFormatError(path, f"{where}binary data (NUL bytes), not a text trace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TraceFormatError(
            path, f"{where}not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset "
                  f"{exc.start})") from None


def read_bytes(path: Path, max_bytes: int = DEFAULT_LIMITS.max_file_bytes) -> bytes:
    """A whole regular file's bytes, at most ``max_bytes``; a FileAccessError naming it when it
    cannot be read (a FIFO, a device, a socket, a file over the cap)."""
    check_file(path, max_bytes=max_bytes)  # names what a socket is (open says only ENXIO)
    return read_regular(path, max_bytes)


def read_text(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """Read a whole text file after the size, kind, encoding and binary checks."""
    return decode(read_bytes(path, limits.max_file_bytes), path)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _OutOfRange(ValueError):
    """A number beyond what a float holds (1e400): it would be written back as Infinity."""


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _OutOfRange(text)
    return value


def _number_shapes() -> bytes:
    """A byte table keeping only the shape of JSON text: a digit becomes '0', 'E' 'e', a
    quote 'q', another letter (or a non-ASCII byte) 'x', '+-.' stay, anything else (space,
    punctuation) ' '."""
    table = bytearray(b" " * 256)
    for byte in range(0x80, 0x100):
        table[byte] = ord("x")
    for byte in b"ABCDFGHIJKLMNOPQRSTUVWXYZabcdfghijklmnopqrstuvwxyz_":
        table[byte] = ord("x")
    for byte in b"0123456789":
        table[byte] = ord("0")
    for byte in b"+-.":
        table[byte] = byte
    table[ord("E")] = table[ord("e")] = ord("e")
    table[ord('"')] = ord("q")
    return bytes(table)


_SHAPES = _number_shapes()
_CHUNK = 1 << 20
_BIG_EXPONENT = re.compile(rb"e\+?000+(?![0xeq.+\-])")
"""In shapes: an exponent of three digits or more that ends a token (not inside an id)."""
_NUMBER_TOKEN = r"(?<![0-9.])-?(?:[0-9.]+[eE]\+?[0-9]+|[0-9]{309,}[.eE])"
_NUMBER_TOKENS = re.compile(_NUMBER_TOKEN)
_NUMBER_TOKENS_BYTES = re.compile(_NUMBER_TOKEN.encode())


def _may_hold_big_number(text: str | bytes) -> bool:
    """Whether a number too large for a float may be in JSON ``text``: its token has an
    exponent of three digits or more, or 309 digits or more.

    Looked for in the shape of the text (``_SHAPES``, mapped in C a chunk at a time: no
    copy of a big file), where such a token, outside a string, is a run of '0' and '.'
    after a space or '-', then 'e', then three '0' or more. A false alarm (the same shape in
    a string: "see 1e100 here") only costs one walk of the parsed value.
    """
    for start in range(0, len(text), _CHUNK):
        piece = text[start:start + _CHUNK + 320]
        if isinstance(piece, str):
            piece = piece.encode("utf-8", "surrogatepass")
        shape = (b" " if start == 0 else b"") + piece.translate(_SHAPES)
        if b"0" * 309 in shape:
            return True
        for match in _BIG_EXPONENT.finditer(shape):
            begin = match.start()
            while begin > 0 and shape[begin - 1] in b"0.":
                begin -= 1
            if begin < match.start() and (begin == 0 or shape[begin - 1] in b" -"):
                return True  # (at 0: the token may start in the chunk before)
    return False


def _is_infinite(token: str | bytes) -> bool:
    try:
        return math.isinf(float(token))
    except ValueError:
        return False


def _has_infinity(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float):
            if math.isinf(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _out_of_range(text: str | bytes, path: Path, line: int | None,
                  fmt: str | None) -> TraceFormatError:
    """The error for a number out of range, with the line of the first such token."""
    if line is None:
        pattern: Any = _NUMBER_TOKENS_BYTES if isinstance(text, bytes) else _NUMBER_TOKENS
        newline: Any = b"\n" if isinstance(text, bytes) else "\n"
        for match in pattern.finditer(text):
            if _is_infinite(match.group()):
                line = text.count(newline, 0, match.start()) + 1
                break
    where = f"line {line}: " if line is not None else ""
    return TraceFormatError(path, f"{where}number out of range (beyond the largest float, "
                                  "about 1.8e308)", fmt)


_JITER_DEPTH = 200
"""pydantic-core's JSON parser refuses nesting deeper than this by itself."""


def loads(text: str | bytes, path: Path, limits: Limits = DEFAULT_LIMITS,
          line: int | None = None, fmt: str | None = None) -> Any:
    """Parse JSON text (or its UTF-8 bytes), refusing NaN and Infinity, bounding nesting and
    string sizes.

    The fast path is pydantic-core's parser, which bounds nesting itself and checks UTF-8;
    anything it refuses is decoded (``decode``) and parsed again by the standard library for
    a precise message.
    """
    if limits.max_depth == _JITER_DEPTH:
        try:
            value = pydantic_core.from_json(text, allow_inf_nan=False)
        except ValueError:
            pass  # the slow path below says what is wrong (or accepts lone surrogates)
        else:
            if _may_hold_long_string(text, limits.max_string_chars):
                check_tree(value, path, limits, len(text), line, fmt)
            if _may_hold_big_number(text) and _has_infinity(value):
                raise _out_of_range(text, path, line, fmt)
            return value
    if isinstance(text, bytes):
        text = decode(text, path, line)
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        lineno = line if line is not None else exc.lineno
        where = f"line {lineno} column {exc.colno}" if line is None else f"line {lineno}"
        if not text.strip():
            raise TraceFormatError(path, "empty file, expected JSON" if line is None
                                   else f"line {lineno}: empty", fmt) from None
        raise TraceFormatError(path, f"{where}: invalid JSON ({exc.msg})", fmt) from None
    except _OutOfRange:
        raise _out_of_range(text, path, line, fmt) from None
    except ValueError as exc:  # NaN, Infinity
        where = f"line {line}: " if line is not None else ""
        raise TraceFormatError(path, f"{where}{exc}", fmt) from None
    except RecursionError:
        where = f"line {line}: " if line is not None else ""
        raise TraceFormatError(path, f"{where}nesting deeper than {limits.max_depth} levels",
                               fmt) from None
    check_tree(value, path, limits, len(text), line, fmt)
    if _SURROGATE_ESCAPE.search(text):
        value = _fix_surrogates(value)
    return value


def json_in_text(value: Any) -> Any:
    """The JSON value a string holds (tool arguments, a model's JSON answer), else ``value``
    unchanged: text that is not JSON, NaN or Infinity, nesting or strings past the limits."""
    if not isinstance(value, str):
        return value
    try:
        parsed = json.loads(value, parse_constant=_reject_constant, parse_float=_finite_float)
        check_tree(parsed, None, _TEXT_LIMITS)  # type: ignore[arg-type]
    except (ValueError, RecursionError, TraceFormatError):
        return value
    return parsed


def _may_hold_long_string(text: str | bytes, limit: int) -> bool:
    """Whether a run of more than ``limit`` characters without a quote may exist (in UTF-8
    bytes, a run of that many characters is at least that many bytes).

    Any such run contains a whole window of ``limit // 2`` characters (windows aligned on
    multiples of it), so checking those few windows for a quote is enough to rule it out.
    """
    if len(text) <= limit:
        return False
    step = max(1, limit // 2)
    quote: Any = b'"' if isinstance(text, bytes) else '"'
    return any(quote not in text[start:start + step] for start in range(0, len(text), step))


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _fix_surrogates(value: Any) -> Any:
    """Replace lone UTF-16 surrogates (from escapes like \\ud800) with U+FFFD."""
    if isinstance(value, str):
        if _LONE_SURROGATE.search(value):
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, list):
        return [_fix_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_fix_surrogates(k): _fix_surrogates(v) for k, v in value.items()}
    return value


def check_tree(value: Any, path: Path, limits: Limits = DEFAULT_LIMITS, size_hint: int = 0,
               line: int | None = None, fmt: str | None = None) -> None:
    """Refuse nesting deeper than the limit and strings longer than it."""
    check_strings = size_hint == 0 or size_hint > limits.max_string_chars
    max_depth = limits.max_depth
    max_chars = limits.max_string_chars
    where = f"line {line}: " if line is not None else ""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, (dict, list)) else []
    if isinstance(value, str) and check_strings and len(value) > max_chars:
        raise TraceFormatError(path, f"{where}a string of {len(value) / _MB:.1f} MB, above "
                                     f"the limit of {limits.max_string_mb:g} MB", fmt)
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise TraceFormatError(path, f"{where}nesting deeper than {max_depth} levels", fmt)
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
            elif check_strings and isinstance(child, str) and len(child) > max_chars:
                raise TraceFormatError(
                    path, f"{where}a string of {len(child) / _MB:.1f} MB, above the limit of "
                          f"{limits.max_string_mb:g} MB", fmt)


def iter_jsonl(path: Path, limits: Limits = DEFAULT_LIMITS,
               fmt: str | None = None) -> Iterator[tuple[int, Any]]:
    """Stream a JSONL file: (line number, value) for every non-blank line."""
    check_file(path, limits)
    with open_regular(path, max_bytes=limits.max_file_bytes) as handle:
        for lineno, raw in enumerate(handle, start=1):
            if lineno == 1 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            if not raw.strip():
                continue
            text = decode(raw, path, lineno)
            yield lineno, loads(text, path, limits, line=lineno, fmt=fmt)


def json_kind(value: Any) -> str:
    """A JSON type name for error messages: 'an object', 'a list', …"""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str,
                              separators=(",", ":")).encode
"""``json.dumps`` with these options, built once (``dumps`` builds an encoder every call)."""
_PLAIN_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(value: Any) -> bool:
    """Only dicts with string keys, lists, strings, ints, bools and None (exact types, no
    float): values that orjson writes exactly as ``json.dumps`` does."""
    kind = type(value)
    if kind is dict:
        return all(type(key) is str for key in value) and all(map(_plain, value.values()))
    if kind is list:
        return all(map(_plain, value))
    return kind in _PLAIN_SCALARS


def canonical_json(value: Any) -> str:
    """A stable text form of a value, equal for equal values: JSON with sorted keys (other
    objects as their ``str``; what JSON cannot hold at all, as its ``repr``): the text of
    ``json.dumps(value, sort_keys=True, ensure_ascii=False, default=str,
    separators=(",", ":"))``.

    Plain values (parsed tool arguments, nearly always) are written by orjson, seven times
    faster; orjson refuses what it cannot write the same way (an int beyond 64 bits, a lone
    surrogate), and floats (orjson writes ``1e-05`` as ``0.00001``) and anything else go to
    the standard encoder.
    """
    try:
        if _plain(value):
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except (TypeError, RecursionError):  # orjson.JSONEncodeError is a TypeError
        pass
    try:
        return _CANONICAL(value)
    except (TypeError, ValueError, RecursionError):
        return repr(value)
