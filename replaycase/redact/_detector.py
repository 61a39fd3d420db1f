"""What a secret detector is (a regex, a check of each match, the cheap tests that wake it) and
how one runs over a text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """Where one secret sits in a string; ``learn`` marks values found only from a key name."""

    start: int
    end: int
    kind: str
    priority: int
    learn: bool = False


Check = Callable[[re.Match[str]], "tuple[int, int] | None"]
Prefilter = Callable[[bytes | bytearray], bool]


@dataclass(frozen=True)
class Detector:
    """One kind of secret: its regex, the check each match must pass, and the cheap tests
    (markers, a gate regex, a shadow test) that decide whether it runs at all."""

    kind: str
    pattern: re.Pattern[str]
    priority: int
    check: Check
    markers: tuple[str, ...] = ()
    lower_markers: tuple[str, ...] = ()
    gate: re.Pattern[str] | None = None
    shadow: Prefilter | None = None
    learn: bool = False
    within: re.Pattern[bytes] | None = None
    """In a big text: the shadow segments that hold every match (the detector is run only
    there, which is much faster where digits abound)."""


def begins(first: str, chars: str) -> str:
    """``first`` (one character) not preceded by ``chars`` or a backslash, though allowed after
    an escaped ``\\n``: an escape such as ``\\u00e9`` must not start a match that the
    unescaped text does not hold. The check comes after ``first``, so the regex engine can
    skip ahead to ``first`` fast."""
    return first + rf"(?:(?<=\\[nrtbf][\s\S])|(?<![{chars}\\][\s\S]))"


def run(det: Detector, text: str) -> list[Span]:
    """Every match ``det`` accepts; a rejected match is retried one character later."""
    found: list[Span] = []
    _scan(det, text, 0, len(text), found)
    return found


def run_within(det: Detector, text: str, segments: Iterator[re.Match[bytes]]) -> list[Span]:
    """``run`` in the shadow ``segments`` (of ``det.within``): the same spans when every
    match lies in one. The search stops two characters past a segment, as far as a
    lookahead reads."""
    found: list[Span] = []
    pos = 0
    for segment in segments:
        pos = _scan(det, text, max(pos, segment.start()), min(len(text), segment.end() + 2),
                    found)
    return found


def _scan(det: Detector, text: str, pos: int, stop: int, found: list[Span]) -> int:
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
