"""The key/value detector: a value is secret because of its key's name (``password``,
``client_secret``, ``x-api-key``, ``access_token``...), whatever the value looks like."""

from __future__ import annotations

import json
import re
from functools import lru_cache

from .._text import PLACEHOLDER, PLACEHOLDER_OR_CUT
from ._detector import Detector, Span, begins

_PASSWORD_WORDS = frozenset({"password", "passwd", "passphrase", "pwd", "pass", "passwords"})
_CONTAINER_WORDS = frozenset({"secrets", "credentials", "passwords"})
_SECRET_WORDS = frozenset({"secret", "credential", "credentials", "secrets"})
_AUTH_WORDS = frozenset({"authorization", "auth"})
_JOINED_KEYS = frozenset({"apikey", "privatekey", "accesskey", "secretkey"})
_TOKEN_NOT_SECRET = frozenset({"max", "num", "total", "stop", "eos", "bos", "pad", "unk", "sep",
                               "cls", "mask", "page", "next", "continuation", "cursor", "sync",
                               "start", "end", "special"})
_KEY_KINDS = {"api": "api_key", "private": "private_key", "access": "secret",
              "secret": "secret", "signing": "secret", "encryption": "secret",
              "master": "secret", "client": "secret", "subscription": "secret"}
_TRIVIAL = frozenset({"none", "null", "nil", "true", "false", "undefined", "n/a", "redacted",
                      "bearer", "basic", "token", "digest", "bot"})
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_KEY_TAIL = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}\Z")


@lru_cache(maxsize=4096)
def key_kind(key: str) -> str | None:
    """The kind of secret a key's value holds, judged from the key's name; None if none."""
    words = [word.lower() for word in _WORDS.findall(key)]
    if not words:
        return None
    if any(word in _PASSWORD_WORDS for word in words):
        return "password"
    last, prev = words[-1], (words[-2] if len(words) > 1 else "")
    if last in _AUTH_WORDS:
        return "bearer"
    if last in _JOINED_KEYS:
        return _KEY_KINDS[last[:-3]]
    if last == "key" and prev in _KEY_KINDS:
        if "aws" in words and "secret" in words:
            return "aws_secret_key"
        return _KEY_KINDS[prev]
    if last in _SECRET_WORDS:
        return "secret"
    if last == "token" and prev not in _TOKEN_NOT_SECRET:
        return "secret"
    return None


def dict_key_kind(key: str) -> str | None:
    """``key_kind`` of a mapping key: its whole name, or the tail the text scan would see.

    Placeholders in the key (a redacted value used as a key) do not count."""
    if "<redacted:" in key:
        key = PLACEHOLDER.sub(" ", key)
    kind = key_kind(key)
    if kind is None:
        tail = _KEY_TAIL.search(key)
        kind = key_kind(tail.group()) if tail and tail.start() > 0 else None
    return kind


def is_container_key(key: str) -> bool:
    """Keys such as ``secrets`` or ``credentials`` whose nested values are all secret."""
    words = [word.lower() for word in _WORDS.findall(key)]
    return bool(words) and words[-1] in _CONTAINER_WORDS


def unescape(value: str) -> str:
    """``value`` with its JSON string escapes undone, up to eight levels deep."""
    for _ in range(8):
        if "\\" not in value:
            break
        try:
            decoded = json.loads(f'"{value}"', strict=False)
        except ValueError:
            break
        if not isinstance(decoded, str) or decoded == value:
            break
        value = decoded
    return value


def is_trivial_value(value: str, min_len: int = 1) -> bool:
    """Values under a sensitive key that are not secrets: empty, null-ish, masks, $VARS,
    placeholders (whole or cut short, maybe after an auth scheme: ``Bearer <redacted:…``)."""
    text = value.strip().strip("\"'")
    if "<" in text:
        text = PLACEHOLDER_OR_CUT.sub("", text).strip()
    return (len(text) < min_len or text.lower() in _TRIVIAL or text.startswith(("$", "{{", "%("))
            or not any(char.isalnum() for char in text))


_ESCAPE = re.compile(r"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
"""Escape sequences (JSON, YAML) left in a value: not what makes a value a secret."""


def _bare(value: str) -> str:
    """A value with escape sequences (JSON, YAML, YAML's doubled quote) taken out."""
    return _ESCAPE.sub("", unescape(value)).replace("''", "'")


def meaningful(text: str) -> bool:
    """Holds a letter or digit once escape sequences are taken out."""
    return any(char.isalnum() for char in _bare(text))


def _key_value(match: re.Match[str]) -> tuple[int, int] | None:
    name = next(g for g in ("dq", "eq", "sq", "bare") if match.group(g) is not None)
    value = _bare(match.group(name))
    if key_kind(match.group("key")) is None or is_trivial_value(value, 4):
        return None
    return match.span(name)


_OPENS = r"(?![,:;}\]])"
"""After a quote: an opening quote, not the closing quote of a string before it."""
_KEY_VALUE = re.compile(
    r"(?P<key>" + begins("[A-Za-z_]", r"A-Za-z0-9_.\-") + r"[A-Za-z0-9_.\-]{0,63})"  # name
    r"\\*[\"']?[ \t]*(?:=>|[:=])[ \t]*"  # its closing quote (maybe escaped), then : = =>
    r"(?:\"" + _OPENS + r"(?P<dq>(?:[^\"\\\r\n]|\\[^\r\n])+)"  # "JSON value"
    r"|\\+\"" + _OPENS + r"(?P<eq>(?:[^\"\\\r\n]|\\+[^\"\\\r\nnr])+)"  # \"escaped\"
    r"|'(?P<sq>(?:[^'\"\\\r\n]|\"(?![,:;}\]\s]|\Z))+)"  # 'value'
    r"|(?P<bare>(?:(?:Bearer|Basic|Token|Digest|Bot|bearer|basic|token)[ \t]+)?"
    r"[^\s\"'\\,;&<>(){}\[\]`]+))")  # unquoted value, maybe after an auth scheme


KV_DETECTOR = Detector("password", _KEY_VALUE, 50, _key_value, learn=True,
                       lower_markers=("pass", "pwd", "secret", "token", "key", "auth",
                                      "credential"))


def _shortest_words(words: frozenset[str]) -> tuple[str, ...]:
    """The words of ``words`` that hold none of the others: every word holds one of them."""
    return tuple(sorted(w for w in words if not any(o != w and o in w for o in words)))


_KEY_WORDS = _shortest_words(_PASSWORD_WORDS | _SECRET_WORDS | _AUTH_WORDS | _JOINED_KEYS
                             | {"key", "token"})
"""Every name ``key_kind`` accepts holds one of these (lower case): the words it judges by,
shortened to the ones the others contain (``pass`` for ``password``, ``key`` for ``apikey``)."""
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_KEY_RUN = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
"""A key name as ``_KEY_VALUE`` reads it: the whole run of name characters (a longer run
cannot be followed by the ``:`` or ``=`` that a key needs)."""


def key_values(text: str, lower: str) -> list[Span]:
    """The key/value detector, run only where a sensitive word occurs (fast on big files):
    from each occurrence, back to where its key name starts, and match there. Key names
    repeat (``input_tokens`` in every model call), so each is judged once."""
    starts = set()
    for word in _KEY_WORDS:
        index = lower.find(word)
        while index != -1:
            start, floor = index, max(0, index - 63)
            while start > floor and text[start - 1] in _NAME_CHARS:
                start -= 1
            starts.add(start)
            if start >= 1 and text[start - 1] == "\\" and text[start] in "nrtbf":
                starts.add(start + 1)
            index = lower.find(word, index + 1)
    found = []
    for start in sorted(starts):
        name = _KEY_RUN.match(text, start)
        if name is None or key_kind(name.group()) is None:
            continue  # not a sensitive key: the match below would reject it anyway
        match = _KEY_VALUE.match(text, start)
        span = _key_value(match) if match else None
        if match and span is not None and span[1] > span[0]:
            kind = key_kind(match.group("key")) or "password"
            found.append(Span(span[0], span[1], kind, KV_DETECTOR.priority, True))
    return found
