"""Secret detectors, shared by redaction and by the lint scan (DESIGN 7): the key shapes,
the personal data, and the value checks (Luhn, mod-97, phone digit counts) they rely on.

``scan.find_spans`` runs them over one string. Every detector also matches the JSON-escaped
forms a trace may hold (``\\"``, ``\\/``, ``\\n`` before a value,
PEM blocks with literal ``\\n``). Text already redacted (``<redacted:KIND:N>``) is never
reported.

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
import codecs
import re

from ._detector import Detector, Prefilter, begins
from ._keyvalue import KV_DETECTOR


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
_SHADOW_LINES_TABLE = _SHADOW_TABLE[:10] + b"\n" + _SHADOW_TABLE[11:]  # line breaks kept
SHADOW_REACH = 16
"""A shadow test (``Detector.shadow``) reads at most this many bytes at a time, and never
an ``x``: it finds in ``shadow_lines`` exactly what it finds in the shadow."""
_SHADOW_LINES_SHARE = 4


def shadow_lines(text: str) -> bytes | None:
    """The distinct lines of the ``shadow`` of ``text``, one a line; None when they are not
    at most a quarter of its length. Where a loop repeats itself, a shadow test passes on
    it much faster, and the whole shadow need not be made.

    Made a chunk at a time, each chunk ``SHADOW_REACH - 1`` characters longer than the
    step, so every match of a test lies whole in one chunk: a line break is an ``x`` in the
    shadow, which a test never reads, so a match lies whole in one line of a chunk."""
    pieces: set[bytes] = set()
    size = 0
    for start in range(0, len(text), _SHADOW_CHUNK):
        chunk = text[start:start + _SHADOW_CHUNK + SHADOW_REACH - 1]
        lines = chunk.encode("ascii", "replaycase-shadow").translate(_SHADOW_LINES_TABLE)
        fresh = set(lines.split(b"\n"))
        fresh -= pieces
        size += sum(map(len, fresh)) + len(fresh)
        if size * _SHADOW_LINES_SHARE > len(text):
            return None
        pieces |= fresh
    return b"\n".join(pieces)


def _any_of(*needles: bytes) -> Prefilter:
    return lambda data: any(needle in data for needle in needles)


def _shadow_search(pattern: bytes) -> Prefilter:
    compiled = re.compile(pattern)
    return lambda data: compiled.search(data) is not None


_KEY_START = "A-Za-z0-9"
"""A key shape starts after anything but a letter or digit, so a key glued to an id by ``-``,
``_``, ``.`` or ``/`` (``run-sk-…``, ``lookup_ghp_…``, ``id_AKIA…``) is found too."""
DETECTORS: tuple[Detector, ...] = (
    Detector("private_key", re.compile(
        r"-----BEGIN[A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----.*?"
        r"(?:-----END[A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----|\Z)", re.DOTALL),
        100, _whole, markers=("PRIVATE KEY",)),
    Detector("api_key", re.compile(
        begins("s", _KEY_START) + r"k-[A-Za-z0-9_\-]{20,}"), 90, _mixed, markers=("sk-",)),
    # no markers for the next two: their regexes skip ahead to a literal first character, and
    # run faster than a scan of the text for each of their four or six markers would
    Detector("aws_access_key", re.compile(
        begins("A", _KEY_START) + r"(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])"), 90, _whole),
    Detector("github_token", re.compile(
        begins("g", _KEY_START) + r"(?:h[pousr]_[A-Za-z0-9]{36,}|ithub_pat_[A-Za-z0-9_]{22,})"),
        90, _whole),
    Detector("slack_token", re.compile(
        begins("x", _KEY_START) + r"(?:ox[abposer]-[A-Za-z0-9\-]{10,}|app-\d-[A-Za-z0-9\-]{10,})"
        r"|hooks\.slack\.com(?:\\?/)services(?:\\?/)(?P<v>T[A-Za-z0-9]+(?:\\?/)B[A-Za-z0-9]+"
        r"(?:\\?/)[A-Za-z0-9]+)"), 90, lambda m: m.span("v") if m.group("v") else m.span(),
        markers=("xox", "xapp-", "hooks.slack.com")),
    Detector("google_api_key", re.compile(
        begins("A", _KEY_START) + r"Iza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"), 90, _whole,
        markers=("AIza",)),
    Detector("stripe_key", re.compile(
        begins("[sr]", _KEY_START) + r"k_(?:live|test)_[0-9A-Za-z]{16,}"), 90, _whole,
        markers=("_live_", "_test_")),
    Detector("jwt", re.compile(
        begins("e", _KEY_START) + r"yJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
        90, _whole, markers=("eyJ",)),
    Detector("aws_secret_key", re.compile(
        r"[Ss](?i:ecret[_\-.]?(?:access[_\-.]?)?key)\\*[\"']?[ \t]*(?:=>|[:=])[ \t]*"
        r"\\*[\"']?(?P<v>(?:[A-Za-z0-9+]|\\?/){40})(?![A-Za-z0-9+/=])"), 85, _group_v,
        lower_markers=("secret",)),
    Detector("url_credentials", re.compile(
        r"[A-Za-z][A-Za-z0-9+.\-]{0,20}:(?:\\?/){2}(?P<v>[^\s/@:\"'\\<>]+:[^\s/@\"'\\<>]+)@"),
        80, _group_v, markers=("://", ":\\/\\/")),
    Detector("bearer", re.compile(
        begins("[Bb]", "A-Za-z0-9_") + r"(?:earer|EARER)[ \t]+"
        r"(?P<v>(?:[A-Za-z0-9\-._~+]|\\?/){16,}=*)"), 70, _bearer, lower_markers=("bearer",)),
    Detector("bearer", re.compile(
        begins("[Bb]", "A-Za-z0-9_") + r"(?:asic|ASIC)[ \t]+"
        r"(?P<v>(?:[A-Za-z0-9+]|\\?/){4,}={0,2})(?![A-Za-z0-9+/=])"), 70, _basic,
        lower_markers=("basic",)),
    KV_DETECTOR,
    Detector("iban", re.compile(
        r"(?P<v>" + begins("[A-Z]", "A-Za-z0-9") + r"[A-Z]\d{2}"
        r"(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)(?![A-Za-z0-9])"), 45, _iban,
        gate=re.compile(r"[A-Z]{2}\d\d"), shadow=_any_of(b"AA00")),
    Detector("card", re.compile(
        r"(?P<v>" + begins(r"\d", r"A-Za-z0-9_.\-") + r"(?<![A-Z]{2}\d{2} \d)(?:[ \-]?\d){12,18})"
        r"(?![A-Za-z0-9_]|[.\-]\d)"), 40, _card,
        gate=re.compile(r"\d{4}[ \-]?\d{4}[ \-]?\d\d"),
        shadow=_shadow_search(rb"0000[ \-]?0000[ \-]?00"),  # the same test as the gate
        # a match is 13 or more digits, one space or dash at most between two: it lies in a
        # whole such run (its start not after a digit, its end as far as the run goes)
        within=re.compile(rb"0(?<!00)(?<!0[ \-]0)(?:[ \-]?0){12,}")),
    Detector("email", re.compile(
        r"(?P<v>" + begins("[A-Za-z0-9]", r"A-Za-z0-9._%+\-") + r"[A-Za-z0-9._%+\-]{0,63}(?:@|%40)"
        r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
        r"(?!" + _FILE_EXT + r")[A-Za-z]{2,24})"
        r"(?![A-Za-z0-9]|\.(?!" + _FILE_EXT + r")[A-Za-z0-9])"), 35, _email, markers=("@", "%40")),
    Detector("phone", re.compile(
        r"(?P<v>" + begins(r"\+", r"A-Za-z0-9_+")
        + r"[1-9]\d{0,2}(?:[ .\-]?\(\d{1,4}\)|[ .\-]?\d{1,4})"
        r"(?:[ .\-]?\d{2,5}){1,5})(?![A-Za-z0-9_]|[.\-]?\d)"), 30, _phone, markers=("+",)),
    Detector("phone", re.compile(
        r"(?P<v>" + begins(r"[(\d]", r"A-Za-z0-9_.+\-/")
        + r"(?<!\d [(\d])(?:(?<=\()\d{3}\) ?\d{3}[ .\-]\d{4}"
        r"|(?<=\d)(?:\d{2}-\d{3}-\d{4}|\d{2}\.\d{3}\.\d{4})"
        r"|(?<=0)[1-9]\d{0,3}(?:[ \-]\d{2,8}){1,4}))"
        r"(?![A-Za-z0-9_]|[.\-:/ ]?\d)"), 30, _phone,
        # every match holds "\d{3})", "\d\d[ \-]\d\d" or "\d{3}\.\d{3}\.\d{4}"
        shadow=_any_of(b"000)", b"00-00", b"00 00", b"000.000.0000")),
)
