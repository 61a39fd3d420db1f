"""Secret detectors, shared by redaction at scaffold and by the lint scan (DESIGN 7).

``find_spans`` locates secrets in one string; ``scan_text`` turns them into line and column
findings. Every detector also matches the JSON-escaped forms a trace may hold (``\\"``,
``\\/``, ``\\n`` before a value, PEM blocks with literal ``\\n``). Text already redacted
(``<redacted:KIND:N>``) is never reported.

Detectors are conservative where a false positive would corrupt ordinary trace text: phone
numbers need separators or a ``+``, card numbers a known issuer prefix and a Luhn check, IBANs
a known country length and the mod-97 check. Values of sensitive keys (``password``,
``client_secret``, ``x-api-key``, ``access_token``...) are found from the key's name; their
kind is ``password``, ``api_key``, ``bearer``, ``private_key``, ``aws_secret_key`` or, for
other tokens and secrets, ``secret``.

Big texts are scanned fast: a detector runs only where its markers occur (each found after a
cheap probe for its rarest character), and the digit-shaped ones only where a necessary shape
occurs in the text's ``shadow`` (one byte per character, digits as ``0``).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import codecs
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..errors import UsageError

PLACEHOLDER = re.compile(r"<redacted:[a-z_]+:\d+>")
"""A value replaced by the redactor: never reported, never redacted again."""
_REDACTED = re.compile(PLACEHOLDER.pattern + r"|<(?:redacted:[a-z_]*(?::\d*)?"
                       r"|r(?:e(?:d(?:a(?:c(?:t(?:e(?:d)?)?)?)?)?)?)?)?…")
"""A placeholder, or one cut short by an ellipsis (``<r…``, ``<redacted:api_…``)."""


def clip(text: str, limit: int, mark: str = "…") -> str:
    """``text`` cut to at most ``limit`` characters ending in ``mark``, never inside a
    placeholder (half of one would read as a secret): the cut moves to its start."""
    if len(text) <= limit:
        return text
    cut = max(0, limit - len(mark))
    start = text.rfind("<", 0, cut)
    whole = PLACEHOLDER.match(text, start) if start != -1 else None
    if whole is not None and whole.end() > cut:
        cut = start
    return text[:cut] + mark


@dataclass(frozen=True)
class Finding:
    """One secret found by ``scan_text``: its kind and 1-based line and column."""

    kind: str
    line: int
    column: int


@dataclass(frozen=True)
class Span:
    """Where one secret sits in a string; ``learn`` marks values found only from a key name."""

    start: int
    end: int
    kind: str
    priority: int
    learn: bool = False


_Check = Callable[[re.Match[str]], "tuple[int, int] | None"]
_Prefilter = Callable[[bytearray], bool]


@dataclass(frozen=True)
class _Detector:
    kind: str
    pattern: re.Pattern[str]
    priority: int
    check: _Check
    markers: tuple[str, ...] = ()
    lower_markers: tuple[str, ...] = ()
    gate: re.Pattern[str] | None = None
    shadow: _Prefilter | None = None
    learn: bool = False
    within: re.Pattern[bytes] | None = None
    """In a big text: the shadow segments that hold every match (the detector is run only
    there, which is much faster where digits abound)."""


def _start(first: str, chars: str) -> str:
    """``first`` (one character) not preceded by ``chars`` or a backslash, though allowed after
    an escaped ``\\n``: an escape such as ``\\u00e9`` must not start a match that the
    unescaped text does not hold. The check comes after ``first``, so the regex engine can
    skip ahead to ``first`` fast."""
    return first + rf"(?:(?<=\\[nrtbf][\s\S])|(?<![{chars}\\][\s\S]))"


def _whole(match: re.Match[str]) -> tuple[int, int] | None:
    return match.span()


def _group_v(match: re.Match[str]) -> tuple[int, int] | None:
    return match.span("v")


def _mixed(match: re.Match[str]) -> tuple[int, int] | None:
    tail = match.group()[3:]
    return match.span() if re.search(r"\d", tail) and re.search(r"[A-Za-z]", tail) else None


def _bearer(match: re.Match[str]) -> tuple[int, int] | None:
    return match.span("v") if re.search(r"\d", match.group("v")) else None


def _basic(match: re.Match[str]) -> tuple[int, int] | None:
    raw = match.group("v").replace("\\/", "/")
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    ok = b":" in decoded and decoded.isascii() and decoded.decode("ascii").isprintable()
    return match.span("v") if ok else None


_FILE_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "js", "ts",
                        "py", "json", "css", "html", "txt", "md", "yaml", "yml", "xml", "csv",
                        "pdf", "zip", "gz", "log", "jsonl", "ndjson"})
_FILE_EXT = "(?i:" + "|".join(sorted(_FILE_TLDS)) + ")(?![A-Za-z0-9])"
"""A file name's extension, not a top-level domain: ``icon@2x.png`` is no address, and in
``alice@example.com-run.json`` or ``alice@example.com.json`` the address ends at ``.com``."""


_URL_USER = re.compile(r"(?:\\?/){2}[^\s/@:\"'\\<>]+:\Z")


def _email(match: re.Match[str]) -> tuple[int, int] | None:
    start = match.start("v")
    in_url = _URL_USER.search(match.string, max(0, start - 200), start) is not None
    return None if in_url else match.span("v")


IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
    "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}
"""Length of an IBAN per country code."""
_NANP = re.compile(r"\(?\d{3}\)? ?([.\-]?)\d{3}[ .\-]\d{4}")


def phone_ok(value: str) -> bool:
    """A candidate phone number has a plausible digit count (and NANP area/exchange codes)."""
    digits = re.sub(r"\D", "", value)
    if value.startswith("+"):
        return 8 <= len(digits) <= 15
    if _NANP.fullmatch(value) and not value.startswith("0"):
        return len(digits) == 10 and digits[0] in "23456789" and digits[3] in "23456789"
    return value.startswith("0") and 9 <= len(digits) <= 11


_CARD_GROUPS = ([4, 4, 4, 4], [4, 4, 4, 4, 3], [4, 6, 5], [4, 6, 4], [4, 4, 5], [4, 4, 4, 1])


def _issuer_ok(digits: str) -> bool:
    """A known card network's prefix, with a length that network issues."""
    size, two, three, four = len(digits), int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":
        return size in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return size == 16
    if two in (34, 37):
        return size == 15
    if 300 <= three <= 305 or two in (36, 38, 39):
        return 14 <= size <= 19
    networks = four == 6011 or 644 <= three <= 649 or 3528 <= four <= 3589
    return (networks or two in (50, 56, 57, 58, 62, 65, 67)) and 16 <= size <= 19


def card_ok(value: str) -> bool:
    """13 to 19 digits in card-like groups, a known issuer prefix and a valid Luhn sum."""
    separators = {char for char in value if char in " -"}
    digits = re.sub(r"[ \-]", "", value)
    if len(separators) > 1 or not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    if separators:
        sizes = [len(group) for group in re.split(r"[ \-]", value)]
        if sizes not in _CARD_GROUPS:
            return False
    if not _issuer_ok(digits):
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char) * (2 if index % 2 else 1)
        total += number - 9 if number > 9 else number
    return total % 10 == 0


def iban_ok(value: str) -> bool:
    """The country's IBAN length and a valid mod-97 check."""
    compact = value.replace(" ", "")
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _phone(match: re.Match[str]) -> tuple[int, int] | None:
    return match.span("v") if phone_ok(match.group("v")) else None


def _card(match: re.Match[str]) -> tuple[int, int] | None:
    return match.span("v") if card_ok(match.group("v")) else None


def _iban(match: re.Match[str]) -> tuple[int, int] | None:
    return match.span("v") if iban_ok(match.group("v")) else None


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
        text = _REDACTED.sub("", text).strip()
    return (len(text) < min_len or text.lower() in _TRIVIAL or text.startswith(("$", "{{", "%("))
            or not any(char.isalnum() for char in text))


_ESCAPE = re.compile(r"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
"""Escape sequences (JSON, YAML) left in a value: not what makes a value a secret."""


def _bare(value: str) -> str:
    """A value with escape sequences (JSON, YAML, YAML's doubled quote) taken out."""
    return _ESCAPE.sub("", unescape(value)).replace("''", "'")


def _meaningful(text: str) -> bool:
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
    r"(?P<key>" + _start("[A-Za-z_]", r"A-Za-z0-9_.\-") + r"[A-Za-z0-9_.\-]{0,63})"  # name
    r"\\*[\"']?[ \t]*(?:=>|[:=])[ \t]*"  # its closing quote (maybe escaped), then : = =>
    r"(?:\"" + _OPENS + r"(?P<dq>(?:[^\"\\\r\n]|\\[^\r\n])+)"  # "JSON value"
    r"|\\+\"" + _OPENS + r"(?P<eq>(?:[^\"\\\r\n]|\\+[^\"\\\r\nnr])+)"  # \"escaped\"
    r"|'(?P<sq>(?:[^'\"\\\r\n]|\"(?![,:;}\]\s]|\Z))+)"  # 'value'
    r"|(?P<bare>(?:(?:Bearer|Basic|Token|Digest|Bot|bearer|basic|token)[ \t]+)?"
    r"[^\s\"'\\,;&<>(){}\[\]`]+))")  # unquoted value, maybe after an auth scheme


def _shadow_error(exc: UnicodeError) -> tuple[str, int]:
    """Encoding error handler: a non-ASCII decimal digit (``\\d`` matches it) becomes ``0``,
    any other non-ASCII character ``x``; one byte per character, so positions are kept."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    chunk = exc.object[exc.start:exc.end]
    return "".join("0" if char.isdecimal() else "x" for char in chunk), exc.end


codecs.register_error("replaycase-shadow", _shadow_error)
_SHADOW_TABLE = bytes(
    ord("0") if "0" <= chr(code) <= "9" else ord("A") if "A" <= chr(code) <= "Z"
    else code if chr(code) in " -.()" else ord("x") for code in range(256))


def shadow(text: str) -> bytearray:
    """``text`` as one byte per character: every digit (``\\d``) ``0``, ``A-Z`` ``A``, space
    ``-`` ``.`` ``(`` ``)`` kept, anything else ``x``. Plain substring searches of it are cheap
    exact tests of digit-shaped regexes that are slow to run over a big text.

    Made a chunk at a time into one buffer: no whole-size intermediate copy."""
    out = bytearray(len(text))
    for start in range(0, len(text), _SHADOW_CHUNK):
        chunk = text[start:start + _SHADOW_CHUNK]
        out[start:start + len(chunk)] = chunk.encode("ascii", "replaycase-shadow").translate(
            _SHADOW_TABLE)
    return out


_SHADOW_CHUNK = 1 << 20


def _any_of(*needles: bytes) -> _Prefilter:
    return lambda data: any(needle in data for needle in needles)


def _shadow_search(pattern: bytes) -> _Prefilter:
    compiled = re.compile(pattern)
    return lambda data: compiled.search(data) is not None


_KV_DETECTOR = _Detector("password", _KEY_VALUE, 50, _key_value, learn=True,
                         lower_markers=("pass", "pwd", "secret", "token", "key", "auth",
                                        "credential"))
_KEY_START = "A-Za-z0-9"
"""A key shape starts after anything but a letter or digit, so a key glued to an id by ``-``,
``_``, ``.`` or ``/`` (``run-sk-…``, ``lookup_ghp_…``, ``id_AKIA…``) is found too."""
_DETECTORS: tuple[_Detector, ...] = (
    _Detector("private_key", re.compile(
        r"-----BEGIN[A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----.*?"
        r"(?:-----END[A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----|\Z)", re.DOTALL),
        100, _whole, markers=("PRIVATE KEY",)),
    _Detector("api_key", re.compile(
        _start("s", _KEY_START) + r"k-[A-Za-z0-9_\-]{20,}"), 90, _mixed, markers=("sk-",)),
    # no markers for the next two: their regexes skip ahead to a literal first character, and
    # run faster than a scan of the text for each of their four or six markers would
    _Detector("aws_access_key", re.compile(
        _start("A", _KEY_START) + r"(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])"), 90, _whole),
    _Detector("github_token", re.compile(
        _start("g", _KEY_START) + r"(?:h[pousr]_[A-Za-z0-9]{36,}|ithub_pat_[A-Za-z0-9_]{22,})"),
        90, _whole),
    _Detector("slack_token", re.compile(
        _start("x", _KEY_START) + r"(?:ox[abposer]-[A-Za-z0-9\-]{10,}|app-\d-[A-Za-z0-9\-]{10,})"
        r"|hooks\.slack\.com(?:\\?/)services(?:\\?/)(?P<v>T[A-Za-z0-9]+(?:\\?/)B[A-Za-z0-9]+"
        r"(?:\\?/)[A-Za-z0-9]+)"), 90, lambda m: m.span("v") if m.group("v") else m.span(),
        markers=("xox", "xapp-", "hooks.slack.com")),
    _Detector("google_api_key", re.compile(
        _start("A", _KEY_START) + r"Iza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"), 90, _whole,
        markers=("AIza",)),
    _Detector("stripe_key", re.compile(
        _start("[sr]", _KEY_START) + r"k_(?:live|test)_[0-9A-Za-z]{16,}"), 90, _whole,
        markers=("_live_", "_test_")),
    _Detector("jwt", re.compile(
        _start("e", _KEY_START) + r"yJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
        90, _whole, markers=("eyJ",)),
    _Detector("aws_secret_key", re.compile(
        r"[Ss](?i:ecret[_\-.]?(?:access[_\-.]?)?key)\\*[\"']?[ \t]*(?:=>|[:=])[ \t]*"
        r"\\*[\"']?(?P<v>(?:[A-Za-z0-9+]|\\?/){40})(?![A-Za-z0-9+/=])"), 85, _group_v,
        lower_markers=("secret",)),
    _Detector("url_credentials", re.compile(
        r"[A-Za-z][A-Za-z0-9+.\-]{0,20}:(?:\\?/){2}(?P<v>[^\s/@:\"'\\<>]+:[^\s/@\"'\\<>]+)@"),
        80, _group_v, markers=("://", ":\\/\\/")),
    _Detector("bearer", re.compile(
        _start("[Bb]", "A-Za-z0-9_") + r"(?:earer|EARER)[ \t]+"
        r"(?P<v>(?:[A-Za-z0-9\-._~+]|\\?/){16,}=*)"), 70, _bearer, lower_markers=("bearer",)),
    _Detector("bearer", re.compile(
        _start("[Bb]", "A-Za-z0-9_") + r"(?:asic|ASIC)[ \t]+"
        r"(?P<v>(?:[A-Za-z0-9+]|\\?/){4,}={0,2})(?![A-Za-z0-9+/=])"), 70, _basic,
        lower_markers=("basic",)),
    _KV_DETECTOR,
    _Detector("iban", re.compile(
        r"(?P<v>" + _start("[A-Z]", "A-Za-z0-9") + r"[A-Z]\d{2}"
        r"(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)(?![A-Za-z0-9])"), 45, _iban,
        gate=re.compile(r"[A-Z]{2}\d\d"), shadow=_any_of(b"AA00")),
    _Detector("card", re.compile(
        r"(?P<v>" + _start(r"\d", r"A-Za-z0-9_.\-") + r"(?<![A-Z]{2}\d{2} \d)(?:[ \-]?\d){12,18})"
        r"(?![A-Za-z0-9_]|[.\-]\d)"), 40, _card,
        gate=re.compile(r"\d{4}[ \-]?\d{4}[ \-]?\d\d"),
        shadow=_shadow_search(rb"0000[ \-]?0000[ \-]?00"),  # the same test as the gate
        # a match is 13 or more digits, one space or dash at most between two: it lies in a
        # whole such run (its start not after a digit, its end as far as the run goes)
        within=re.compile(rb"0(?<!00)(?<!0[ \-]0)(?:[ \-]?0){12,}")),
    _Detector("email", re.compile(
        r"(?P<v>" + _start("[A-Za-z0-9]", r"A-Za-z0-9._%+\-") + r"[A-Za-z0-9._%+\-]{0,63}(?:@|%40)"
        r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
        r"(?!" + _FILE_EXT + r")[A-Za-z]{2,24})"
        r"(?![A-Za-z0-9]|\.(?!" + _FILE_EXT + r")[A-Za-z0-9])"), 35, _email, markers=("@", "%40")),
    _Detector("phone", re.compile(
        r"(?P<v>" + _start(r"\+", r"A-Za-z0-9_+")
        + r"[1-9]\d{0,2}(?:[ .\-]?\(\d{1,4}\)|[ .\-]?\d{1,4})"
        r"(?:[ .\-]?\d{2,5}){1,5})(?![A-Za-z0-9_]|[.\-]?\d)"), 30, _phone, markers=("+",)),
    _Detector("phone", re.compile(
        r"(?P<v>" + _start(r"[(\d]", r"A-Za-z0-9_.+\-/")
        + r"(?<!\d [(\d])(?:(?<=\()\d{3}\) ?\d{3}[ .\-]\d{4}"
        r"|(?<=\d)(?:\d{2}-\d{3}-\d{4}|\d{2}\.\d{3}\.\d{4})"
        r"|(?<=0)[1-9]\d{0,3}(?:[ \-]\d{2,8}){1,4}))"
        r"(?![A-Za-z0-9_]|[.\-:/ ]?\d)"), 30, _phone,
        # every match holds "\d{3})", "\d\d[ \-]\d\d" or "\d{3}\.\d{3}\.\d{4}"
        shadow=_any_of(b"000)", b"00-00", b"00 00", b"000.000.0000")),
)


_RARE = "%@+JQZXKVjqzxkvYWBGFPUMywbgfpumHCDLSNROITEAhcdlsnroitea"
"""Characters, rarest first in ordinary trace text: a marker's probe is its rarest one."""


def _probe_char(marker: str) -> str:
    """The character of ``marker`` least likely in a text; finding one character is cheap."""
    return min(marker, key=lambda char: _RARE.find(char) % (len(_RARE) + 1))


def _gates() -> tuple[tuple[tuple[str, bool, int], ...], tuple[int, ...]]:
    """Bit masks: which markers wake which detector (one bit per detector; 0: always runs)."""
    markers: dict[tuple[str, bool], int] = {}
    needs = []
    for index, det in enumerate(_DETECTORS):
        bit = 1 << index
        for marker, lowered in [(m, False) for m in det.markers] + [
                (m, True) for m in det.lower_markers]:
            markers[marker, lowered] = markers.get((marker, lowered), 0) | bit
        needs.append(bit if det.markers or det.lower_markers else 0)
    return tuple((m, low, bits) for (m, low), bits in markers.items()), tuple(needs)


_MARKERS, _NEEDS = _gates()
_PROBES = {marker: _probe_char(marker) for marker, _, _ in _MARKERS}
"""Each marker's probe: in a big text, a marker is looked for only where its probe occurs."""


def compile_patterns(patterns: Sequence[str]) -> tuple[re.Pattern[str], ...]:
    """User patterns, compiled; an invalid one raises ``UsageError``."""
    compiled = []
    for source in patterns:
        try:
            compiled.append(re.compile(source))
        except re.error as exc:
            raise UsageError(f"invalid redaction pattern {source!r}: {exc}") from None
    return tuple(compiled)


def find_spans(text: str, extra: Sequence[re.Pattern[str]] = (),
               literals: re.Pattern[str] | None = None, detect: bool = True) -> list[Span]:
    """Every secret in ``text``, overlapping finds merged, placeholders left out, in order.

    ``extra`` are user patterns (group 1 when they have groups, else the whole match);
    ``literals`` matches values already known to be secret; ``detect=False`` runs only those.
    """
    spans = _detect(text) if detect and len(text) >= 6 else []
    for pattern in extra:
        for match in pattern.finditer(text):
            start, end = match.span(1) if pattern.groups else match.span()
            if end > start >= 0:
                spans.append(Span(start, end, "user_pattern", 95))
    if literals is not None:
        spans.extend(Span(*m.span(), "password", 60) for m in literals.finditer(text))
    return _merge(spans, text) if spans else spans


def _detect(text: str) -> list[Span]:
    if len(text) >= _BIG_TEXT:
        scan = BigTextScan(text)
        return [span for index in range(len(_DETECTORS)) for span in scan.spans(index)]
    lower = text.lower()
    triggered = 0
    for marker, lowered, bits in _MARKERS:
        if marker in (lower if lowered else text):
            triggered |= bits
    spans: list[Span] = []
    for index, det in enumerate(_DETECTORS):
        need = _NEEDS[index]
        if need and not triggered & need:
            continue
        if det.gate is not None and det.gate.search(text) is None:
            continue
        if det is _KV_DETECTOR:
            spans.extend(_key_values(text, lower))
        else:
            spans.extend(_run(det, text))
    return spans


_BIG_TEXT = 4096
"""From this length on, probes and shadow tests pay for themselves; below it, a detector's
``gate`` regex is tested instead. A shadow test is the gate's own test, or one that every
match of a gateless detector passes: either way the same spans are found."""


class BigTextScan:
    """A big text scanned one detector at a time; ``find_spans`` of a big text is the spans
    of every detector, in detector order.

    A detector runs only where its markers occur (each looked for only where its probe, its
    rarest character, occurs), and a digit-shaped one only where its shadow test passes.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._lower: str | None = None
        self._shadow: bytearray | None = None
        self._present: dict[tuple[str, bool], bool] = {}

    def spans(self, index: int) -> list[Span]:
        """What detector ``index`` finds in the text."""
        det = _DETECTORS[index]
        if (det.markers or det.lower_markers) and not self._marked(det):
            return []
        if det.shadow is not None and not det.shadow(self.shadow()):
            return []
        if det is _KV_DETECTOR:
            return _key_values(self.text, self.lower())
        if det.within is not None:
            return _run_within(det, self.text, det.within.finditer(self.shadow()))
        return _run(det, self.text)

    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    def shadow(self) -> bytearray:
        if self._shadow is None:
            self._shadow = shadow(self.text)
        return self._shadow

    def _marked(self, det: _Detector) -> bool:
        return any(self._has(marker, False) for marker in det.markers) or any(
            self._has(marker, True) for marker in det.lower_markers)

    def _has(self, needle: str, lowered: bool) -> bool:
        """Whether ``needle`` occurs in the (lowered) text; a marker is looked for only where
        its probe occurs."""
        present = self._present.get((needle, lowered))
        if present is None:
            probe = _PROBES.get(needle, needle)
            present = ((probe == needle or self._has(probe, lowered))
                       and needle in (self.lower() if lowered else self.text))
            self._present[needle, lowered] = present
        return present


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


def _key_values(text: str, lower: str) -> list[Span]:
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
            found.append(Span(span[0], span[1], kind, _KV_DETECTOR.priority, True))
    return found


def _run(det: _Detector, text: str) -> list[Span]:
    """Every match ``det`` accepts; a rejected match is retried one character later."""
    found: list[Span] = []
    _scan(det, text, 0, len(text), found)
    return found


def _run_within(det: _Detector, text: str, segments: Iterator[re.Match[bytes]]) -> list[Span]:
    """``_run`` in the shadow ``segments`` (of ``det.within``): the same spans when every
    match lies in one. The search stops two characters past a segment, as far as a
    lookahead reads."""
    found: list[Span] = []
    pos = 0
    for segment in segments:
        pos = _scan(det, text, max(pos, segment.start()), min(len(text), segment.end() + 2),
                    found)
    return found


def _scan(det: _Detector, text: str, pos: int, stop: int, found: list[Span]) -> int:
    """Add the matches ``det`` accepts in ``text[pos:stop]`` to ``found``; where it stopped."""
    search = det.pattern.search
    while (match := search(text, pos, stop)) is not None:
        span = det.check(match)
        if span is not None and span[1] > span[0]:
            found.append(Span(span[0], span[1], det.kind, det.priority, det.learn))
            pos = max(match.end(), match.start() + 1)
        else:
            pos = match.start() + 1
    return pos


def _around_placeholders(spans: list[Span], text: str) -> list[Span]:
    """Spans cut short where a placeholder (whole or cut) begins; spans that start inside one
    are dropped."""
    kept = [(m.start(), m.end()) for m in _REDACTED.finditer(text)]
    starts = [begin for begin, _ in kept]
    out = []
    for span in spans:
        index = bisect.bisect_right(starts, span.start) - 1
        if index >= 0 and kept[index][1] > span.start:
            continue
        end = min(span.end, starts[index + 1]) if index + 1 < len(starts) else span.end
        if end > span.start and _meaningful(text[span.start:end]):
            out.append(Span(span.start, end, span.kind, span.priority, span.learn))
    return out


def _merge(spans: list[Span], text: str) -> list[Span]:
    if "<redacted:" in text or "…" in text:
        spans = _around_placeholders(spans, text)
    spans.sort(key=lambda s: (s.start, -s.end))
    merged: list[Span] = []
    for span in spans:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            best = last if last.priority >= span.priority else span
            merged[-1] = Span(last.start, max(last.end, span.end), best.kind, best.priority,
                              best.learn)
        else:
            merged.append(span)
    return merged


def scan_text(text: str, extra_patterns: Sequence[str] = ()) -> list[Finding]:
    """Every secret in a file's text, with 1-based line and column; placeholders are skipped."""
    findings, line, pos = [], 1, 0
    for span in find_spans(text, compile_patterns(extra_patterns)):
        line += text.count("\n", pos, span.start)
        pos = span.start
        column = span.start - text.rfind("\n", 0, span.start)
        findings.append(Finding(span.kind, line, column))
    return findings
