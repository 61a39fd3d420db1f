"""The fast paths of the secret scan on big texts find exactly what the plain scan finds."""

from __future__ import annotations

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
