"""The secret scan: ``find_spans`` locates secrets in one string (every detector, the user's
patterns, values already known), ``scan_text`` turns them into line and column findings for
lint."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .._text import PLACEHOLDER_OR_CUT
from ..errors import UsageError
from ._detector import Detector, Span, run, run_within
from ._keyvalue import KV_DETECTOR, key_values, meaningful
from .detectors import DETECTORS, shadow, shadow_lines


@dataclass(frozen=True)
class Finding:
    """One secret found by ``scan_text``: its kind and 1-based line and column."""

    kind: str
    line: int
    column: int


_RARE = "%@+JQZXKVjqzxkvYWBGFPUMywbgfpumHCDLSNROITEAhcdlsnroitea"
"""Characters, rarest first in ordinary trace text: a marker's probe is its rarest one."""


def _probe_char(marker: str) -> str:
    """The character of ``marker`` least likely in a text; finding one character is cheap."""
    return min(marker, key=lambda char: _RARE.find(char) % (len(_RARE) + 1))


def _gates() -> tuple[tuple[tuple[str, bool, int], ...], tuple[int, ...]]:
    """Bit masks: which markers wake which detector (one bit per detector; 0: always runs)."""
    markers: dict[tuple[str, bool], int] = {}
    needs = []
    for index, det in enumerate(DETECTORS):
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
        return [span for index in range(len(DETECTORS)) for span in scan.spans(index)]
    lower = text.lower()
    triggered = 0
    for marker, lowered, bits in _MARKERS:
        if marker in (lower if lowered else text):
            triggered |= bits
    spans: list[Span] = []
    for index, det in enumerate(DETECTORS):
        need = _NEEDS[index]
        if need and not triggered & need:
            continue
        if det.gate is not None and det.gate.search(text) is None:
            continue
        if det is KV_DETECTOR:
            spans.extend(key_values(text, lower))
        else:
            spans.extend(run(det, text))
    return spans


_LAST_LOWERED = max(index for index, det in enumerate(DETECTORS)
                    if det.lower_markers or det is KV_DETECTOR)
"""The last detector that reads the lowered text (the key/value one reads it too)."""
_BIG_TEXT = 4096
"""From this length on, probes and shadow tests pay for themselves; below it, a detector's
``gate`` regex is tested instead. A shadow test is the gate's own test, or one that every
match of a gateless detector passes: either way the same spans are found."""


class BigTextScan:
    """A big text scanned one detector at a time; ``find_spans`` of a big text is the spans
    of every detector, in detector order.

    A detector runs only where its markers occur (each looked for only where its probe, its
    rarest character, occurs, and only when it occurs in the text's ``line_digest``, a much
    shorter text where a loop repeats itself), and a digit-shaped one only where its shadow
    test passes (read on the shadow's distinct lines, so the whole shadow is made only for
    a text that does not repeat itself, or for the segments of a detector that passed).
    The lowered copy of the text is let go once the last detector that reads it has run (in
    detector order), before the digit-shaped ones make the shadow: one text-sized copy less
    at the peak.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._lower: str | None = None
        self._shadow: bytearray | None = None
        self._shadow_lines: bytes | None = None
        self._present: dict[tuple[str, bool], bool] = {}
        self._digests: dict[bool, str | None] = {}

    def spans(self, index: int) -> list[Span]:
        """What detector ``index`` finds in the text."""
        try:
            return self._spans(DETECTORS[index])
        finally:
            if index == _LAST_LOWERED:
                self._lower = None  # made again if asked for (detectors out of order)

    def _spans(self, det: Detector) -> list[Span]:
        if (det.markers or det.lower_markers) and not self._marked(det):
            return []
        if det.shadow is not None and not det.shadow(self.shadow_lines()):
            return []
        if det is KV_DETECTOR:
            return key_values(self.text, self.lower())
        if det.within is not None:
            return run_within(det, self.text, det.within.finditer(self.shadow()))
        return run(det, self.text)

    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    def shadow(self) -> bytearray:
        if self._shadow is None:
            self._shadow = shadow(self.text)
        return self._shadow

    def shadow_lines(self) -> bytes | bytearray:
        """What the shadow tests read: the shadow's distinct lines, or the whole shadow when
        the text does not repeat itself."""
        if self._shadow_lines is None:
            self._shadow_lines = shadow_lines(self.text)
        return self.shadow() if self._shadow_lines is None else self._shadow_lines

    def _marked(self, det: Detector) -> bool:
        return any(self._has(marker, False) for marker in det.markers) or any(
            self._has(marker, True) for marker in det.lower_markers)

    def _has(self, needle: str, lowered: bool) -> bool:
        """Whether ``needle`` occurs in the (lowered) text; a marker is looked for only where
        its probe occurs."""
        present = self._present.get((needle, lowered))
        if present is None:
            probe = _PROBES.get(needle, needle)
            present = ((len(needle) == 1 or self._in_digest(needle, lowered))
                       and (probe == needle or self._has(probe, lowered))
                       and needle in (self.lower() if lowered else self.text))
            self._present[needle, lowered] = present
        return present

    def _in_digest(self, needle: str, lowered: bool) -> bool:
        """False only when ``needle`` cannot occur in the (lowered) text: it is missing from
        the (lowered) ``line_digest``, which holds every needle of the text that has ASCII
        characters only and no digit."""
        if not needle.isascii() or _HAS_DIGIT.search(needle):
            return True
        if lowered not in self._digests:
            if False not in self._digests:
                self._digests[False] = line_digest(self.text, _MARKER_REACH)
            plain = self._digests[False]
            self._digests[lowered] = plain.lower() if lowered and plain is not None else plain
        digest = self._digests[lowered]
        return digest is None or needle in digest


_HAS_DIGIT = re.compile(r"[0-9]")
_MARKER_REACH = max(len(marker) for marker, _, _ in _MARKERS)
_DIGEST_CHUNK = 1 << 20
_DIGEST_SHARE = 4
"""A digest is used when it is at most a ``_DIGEST_SHARE``-th of the text's length."""
_ASCII_DIGITS = b"0123456789"


def line_digest(text: str, reach: int) -> str | None:
    """The distinct lines of ``text`` with their ASCII digits taken out, one a line; None
    when they are not much shorter than the text (``_DIGEST_SHARE``; runs that repeat
    themselves, as loops do, have few distinct lines).

    A needle of ASCII characters only, with no digit and no line break, no longer than
    ``reach``, that occurs in the text (or in its lowered copy) occurs in the digest (or in
    its lowered copy) too; the digest may hold needles the text does not.

    Read a chunk at a time, each chunk ``reach - 1`` characters longer than the step, so
    every needle lies whole in one chunk; the pieces of a line cut at a chunk's edge are
    kept as lines of their own."""
    pieces: set[bytes] = set()
    size = 0
    for start in range(0, len(text), _DIGEST_CHUNK):
        chunk = text[start:start + _DIGEST_CHUNK + reach - 1].encode("utf-8", "surrogatepass")
        fresh = set(chunk.translate(None, _ASCII_DIGITS).split(b"\n"))
        fresh -= pieces
        size += sum(map(len, fresh)) + len(fresh)
        if size * _DIGEST_SHARE > len(text):
            return None
        pieces |= fresh
    return b"\n".join(pieces).decode("utf-8", "surrogatepass")


def _around_placeholders(spans: list[Span], text: str) -> list[Span]:
    """Spans cut short where a placeholder (whole or cut) begins; spans that start inside one
    are dropped."""
    kept = [(m.start(), m.end()) for m in PLACEHOLDER_OR_CUT.finditer(text)]
    starts = [begin for begin, _ in kept]
    out = []
    for span in spans:
        index = bisect.bisect_right(starts, span.start) - 1
        if index >= 0 and kept[index][1] > span.start:
            continue
        end = min(span.end, starts[index + 1]) if index + 1 < len(starts) else span.end
        if end > span.start and meaningful(text[span.start:end]):
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
