"""Redaction at scaffold: every secret in a trace becomes a numbered placeholder (DESIGN 7).

A placeholder ``<redacted:KIND:N>`` is numbered by first appearance per kind within one
``Redactor``. The same value always gets the same placeholder (JSON-escaped copies of a value
count as the same value), so equality between calls survives; the placeholder says nothing
about the value. Detectors live in ``redact/detectors.py``, shared with lint's scan.

- Values under sensitive keys (``password``, ``client_secret``, ``x-api-key``, ...) are
  replaced whole; under ``secrets`` / ``credentials`` every nested value is. Such values are
  then learned: later copies of them anywhere (raw or JSON-escaped) are replaced too, when
  they are long enough not to be ordinary words (6 characters with a digit or symbol, or 16).
- URLs with credentials keep their scheme and host: ``https://<redacted:url_credentials:1>@host``.
- Mapping keys are kept, unless a key itself holds a secret (an e-mail address as a key).
- User patterns (``--redact-pattern``) rewrite values only, never mapping keys; with
  ``patterns=False`` only the built-in detectors run (``redact/models.py`` then applies the patterns
  to a model's free text alone).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from typing import Any

from ._detector import Span
from ._keyvalue import dict_key_kind, is_container_key, is_trivial_value, unescape
from .scan import compile_patterns, find_spans

_CACHE_TEXT_MAX = 200
_CACHE_SIZE = 100_000
_ROUNDS = 50
_CARD_MIN = 10**12


class Redactor:
    """Replaces secrets with placeholders, consistently across every call on one instance."""

    def __init__(self, extra_patterns: Sequence[str] = (), enabled: bool = True) -> None:
        self._extra = compile_patterns(extra_patterns)
        self._enabled = enabled
        self._placeholders: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._literals: dict[str, None] = {}
        self._literal_re: re.Pattern[str] | None = None
        self._probes: dict[str, None] = {}
        self._probe_set: frozenset[str] = frozenset()
        self._caches: dict[bool, dict[str, str]] = {True: {}, False: {}}

    @property
    def has_patterns(self) -> bool:
        """Whether user patterns are to be applied."""
        return self._enabled and bool(self._extra)

    def redact(self, value: Any, patterns: bool = True) -> Any:
        """A deep copy of ``value`` (JSON-like data: dicts, lists, tuples, scalars) with every
        string redacted (user patterns too, unless ``patterns`` is False; never in a mapping's
        keys); other objects are deep-copied untouched."""
        if not self._enabled:
            return copy.deepcopy(value)
        known = len(self._literals)
        result = self._walk(value, None, False, patterns)
        if len(self._literals) != known:
            result = self._walk_literals(result)
        return result

    def redact_text(self, text: str, patterns: bool = True) -> str:
        """``text`` with every secret replaced by its placeholder; the user patterns are
        applied too unless ``patterns`` is False."""
        if not self._enabled:
            return text
        known = len(self._literals)
        result = self._text(text, patterns=patterns)
        if len(self._literals) != known:
            result = self._text(result, detect=False)
        return result

    def redact_patterns(self, text: str) -> str:
        """``text`` with what the user patterns match replaced (placeholders left whole): for
        free text the detectors have already scanned."""
        if not self.has_patterns:
            return text
        return self._redact_spans(text, False, patterns=True)

    def report(self) -> dict[str, int]:
        """How many distinct values were redacted, per kind (never the values)."""
        return dict(sorted(self._counts.items()))

    def _walk(self, value: Any, kind: str | None, deep: bool, patterns: bool) -> Any:
        """Copy ``value``; leaves under a sensitive key (``kind``) are replaced whole.

        Sensitivity reaches into lists, and into nested mappings only under a container key
        such as ``secrets``; elsewhere a nested mapping is judged by its own keys.
        """
        if isinstance(value, str):
            if kind is not None and not is_trivial_value(value):
                return self._whole(value, kind)
            return self._text(value, patterns=patterns)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, (int, float)):
            if kind is not None and not is_trivial_value(str(value), 4):
                return self._whole(str(value), kind)
            if isinstance(value, int) and abs(value) >= _CARD_MIN:
                text = str(value)
                redacted = self._text(text, patterns=patterns)
                return value if redacted == text else redacted
            return value
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                sub, sub_deep = (kind if deep else None), deep
                if isinstance(key, str):
                    key, own, container = self._key(key)
                    sub, sub_deep = own or sub, deep or container
                out[key] = self._walk(item, sub, sub_deep, patterns)
            return out
        if isinstance(value, (list, tuple)):
            items = [self._walk(item, kind, deep, patterns) for item in value]
            return items if isinstance(value, list) else tuple(items)
        return copy.deepcopy(value)

    def _key(self, key: str) -> tuple[str, str | None, bool]:
        """A mapping key, redacted, with the kind of secret its value holds (the redacted
        text is cached with every short text, the kind with ``key_kind``)."""
        return self._text(key, patterns=False), dict_key_kind(key), is_container_key(key)

    def _walk_literals(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._text(value, detect=False)
        if isinstance(value, dict):
            return {self._text(k, detect=False) if isinstance(k, str) else k:
                    self._walk_literals(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk_literals(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self._walk_literals(item) for item in value)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _CARD_MIN:
            redacted = self._text(str(value), detect=False)
            return value if redacted == str(value) else redacted
        return value

    def _whole(self, value: str, kind: str) -> str:
        value = value.strip()
        spans = find_spans(value, self._extra)
        if len(spans) == 1 and (spans[0].start, spans[0].end) == (0, len(value)):
            return self._placeholder(value, spans[0].kind)
        placeholder = self._placeholder(value, kind)
        self._learn(value, placeholder)
        return placeholder

    def _text(self, text: str, detect: bool = True, patterns: bool = True) -> str:
        if not detect:
            return self._redact_spans(text, False, patterns=False)
        if len(text) > _CACHE_TEXT_MAX:
            return self._redact_spans(text, True, patterns=patterns)
        cache = self._caches[patterns]
        done = cache.get(text)
        if done is None:
            done = self._redact_spans(text, True, patterns=patterns)
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cache[text] = done
        return done

    def _redact_spans(self, text: str, detect: bool, patterns: bool = True) -> str:
        """Replace every secret (the detectors' when ``detect``, the user patterns' when
        ``patterns``, learned values always); repeat until nothing more is found, so redacting
        is idempotent (a placeholder's ``>`` can expose a phone number a secret's last letter
        hid)."""
        extra = self._extra if patterns else ()
        spans = find_spans(text, extra, self._literal_gate(text), detect)
        if spans and detect and any(s.learn for s in spans) and text.lstrip()[:1] in ("{", "["):
            known = len(self._literals)
            self._learn_json(text, 0)
            if len(self._literals) != known:
                spans = find_spans(text, extra, self._literal_gate(text))
        for _ in range(_ROUNDS):
            if not spans:
                break
            text = self._replace(text, spans)
            spans = find_spans(text, extra, self._literal_gate(text), detect)
        return text

    def _replace(self, text: str, spans: list[Span]) -> str:
        parts, pos = [], 0
        for span in spans:
            value = text[span.start:span.end]
            placeholder = self._placeholder(value, span.kind)
            parts.append(text[pos:span.start])
            parts.append(placeholder)
            if span.learn:
                self._learn(value, placeholder)
            pos = span.end
        parts.append(text[pos:])
        return "".join(parts)

    def _learn_json(self, text: str, depth: int) -> None:
        """Learn sensitive values from a JSON document held in a string, however escaped.

        The text regexes cut a quoted value at an escaped quote two levels down; the parsed
        document gives the whole value, whose encoded forms are then replaced as they stand.
        """
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return
        self._learn_data(data, None, depth)

    def _learn_data(self, data: Any, kind: str | None, depth: int) -> None:
        if isinstance(data, dict):
            for key, item in data.items():
                self._learn_data(item, dict_key_kind(key), depth)
        elif isinstance(data, list):
            for item in data:
                self._learn_data(item, kind, depth)
        elif isinstance(data, str):
            if kind is not None and not is_trivial_value(data) and _learnable(data.strip()):
                self._whole(data, kind)
            elif depth < 3 and data.lstrip()[:1] in ("{", "["):
                self._learn_json(data, depth + 1)

    def _placeholder(self, value: str, kind: str) -> str:
        key = unescape(value)
        placeholder = self._placeholders.get(key)
        if placeholder is None:
            number = self._counts.get(kind, 0) + 1
            self._counts[kind] = number
            placeholder = self._placeholders[key] = f"<redacted:{kind}:{number}>"
        return placeholder

    def _learn(self, value: str, placeholder: str) -> None:
        """Remember a value found only from its key, to replace its other copies too."""
        value = value.strip()
        if not _learnable(value):
            return
        fresh = [form for form in _forms(value) if form not in self._literals]
        if not fresh:
            return
        for form in fresh:
            self._literals[form] = None
            self._placeholders.setdefault(unescape(form), placeholder)
        probe = _probe(value)
        for word in [probe] if probe else fresh:
            self._probes[word] = None
        self._probe_set = frozenset(self._probes)
        for cache in self._caches.values():
            cache.clear()
        ordered = sorted(self._literals, key=len, reverse=True)
        self._literal_re = re.compile(
            r"(?<![A-Za-z0-9])(?:" + "|".join(map(re.escape, ordered)) + r")(?![A-Za-z0-9])")

    def _literal_gate(self, text: str) -> re.Pattern[str] | None:
        """The learned-values regex, when ``text`` may hold one of them (a cheap probe: each
        value's longest run of letters and digits, which no escaping changes)."""
        if self._literal_re is None:
            return None
        if len(self._probes) <= _PROBES_BY_SCAN:
            hit = any(probe in text for probe in self._probes)
        else:
            hit = not self._probe_set.isdisjoint(_ALNUM_RUN.findall(text))
        return self._literal_re if hit else None


_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")
_PROBES_BY_SCAN = 16


def _probe(value: str) -> str:
    """The longest run of letters and digits in ``value`` that every encoding keeps whole
    (not right after a character JSON escapes as ``\\n`` or ``\\u00e9``); "" if none."""
    runs = [m.group() for m in _ALNUM_RUN.finditer(value)
            if m.start() == 0 or (value[m.start() - 1].isascii()
                                  and value[m.start() - 1].isprintable())]
    longest = max(runs, key=len, default="")
    return longest if len(longest) >= 3 else ""


def _learnable(value: str) -> bool:
    """Long enough not to be an ordinary word: 6 characters with a non-letter, or 16."""
    return len(value) >= 16 or (len(value) >= 6 and not value.isalpha())


def _forms(value: str) -> list[str]:
    """The encodings a value may take in a trace: raw, JSON-escaped (once, twice), ``\\/``."""
    once = json.dumps(value)[1:-1]
    forms = [value, once, json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(once)[1:-1],
             once.replace("/", "\\/")]
    return list(dict.fromkeys(forms))
