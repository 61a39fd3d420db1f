"""The fast paths of the secret scan on big texts find exactly what the plain scan finds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replaycase.redact import _detector, detectors, scan

CARD = next(det for det in detectors.DETECTORS if det.within is not None)
_parts = st.one_of(
    st.sampled_from(["4111 1111 1111 1111", "4111-1111-1111-1111", "5555555555554444",
                     "1763769729449919000", "2026-11-22T00:02:09.449919+00:00", "GB82 ",
                     " ", "-", "x", "\\n", "\\", '"', ".", "_", "٣", "(", "\n"]),
    st.text(alphabet="0123456789 -", min_size=1, max_size=30))


@settings(max_examples=300, deadline=None)
@given(st.lists(_parts, max_size=60).map("".join))
def test_card_runs_only_in_digit_runs_and_finds_the_same(text: str) -> None:
    def found(spans: list[_detector.Span]) -> list[tuple[int, int]]:
        return [(s.start, s.end) for s in spans]

    segments = CARD.within.finditer(detectors.shadow(text))
    assert found(_detector.run_within(CARD, text, segments)) == found(_detector.run(CARD, text))


def test_a_card_in_a_big_text_is_found() -> None:
    text = "log line 12 " * 500 + "paid with 4111 1111 1111 1111 today"
    assert [s.kind for s in scan.find_spans(text)] == ["card"]


_NEEDLES = sorted({marker for marker, _, _ in scan._MARKERS if len(marker) > 1})
_LINES = st.lists(st.one_of(st.sampled_from([*_NEEDLES, "\n", "7", "0 ", "\u212aey", "İ", "\udc80",
                                             "é", "SK-", "Secret"]),
                            st.text(alphabet="ab7\n-:/_", max_size=8)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(_LINES, st.integers(min_value=1, max_value=9))
def test_line_digest_holds_every_marker_of_the_text(text: str, chunk: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "_DIGEST_CHUNK", chunk)  # needles cut at chunk edges
        patch.setattr(scan, "_DIGEST_SHARE", 0)  # a digest, however long
        digest = scan.line_digest(text, scan._MARKER_REACH)
    assert digest is not None
    for needle in _NEEDLES:
        if needle.isascii() and not any(char.isdigit() for char in needle):
            assert needle not in text or needle in digest
            assert needle not in text.lower() or needle in digest.lower()


def test_a_text_that_does_not_repeat_itself_has_no_digest() -> None:
    words = ("".join(chr(97 + n // 26**k % 26) for k in range(3)) for n in range(26**3))
    assert scan.line_digest("".join(f"line {word}\n" for word in words), 15) is None


_SHADOWED = [det for det in detectors.DETECTORS if det.shadow is not None]
_DIGIT_LINES = st.lists(st.one_of(
    st.sampled_from(["4111 1111 1111 1111", "(415) 555-0123", "415.555.0123", "GB82 WEST",
                     "020 7946 0958", "\n", "\u0663", "x", "AB12"]),
    st.text(alphabet="0123456789 -.()\nAZa", max_size=12)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(_DIGIT_LINES, st.integers(min_value=1, max_value=20))
def test_shadow_tests_pass_on_the_shadow_lines_as_on_the_shadow(text: str, chunk: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(detectors, "_SHADOW_CHUNK", chunk)  # matches cut at chunk edges
        patch.setattr(detectors, "_SHADOW_LINES_SHARE", 0)  # the lines, however long
        lines = detectors.shadow_lines(text)
    assert lines is not None
    whole = detectors.shadow(text)
    assert [det.shadow(lines) for det in _SHADOWED] == [det.shadow(whole) for det in _SHADOWED]
