"""canonical_json: the one comparable text of tool arguments (loops, diffs, assertions)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from replaycase._jsonio import canonical_json

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(values)
def test_same_text_as_json_dumps_with_sorted_keys(value: Any) -> None:
    assert canonical_json(value) == json.dumps(value, sort_keys=True, ensure_ascii=False,
                                               default=str, separators=(",", ":"))


plain = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.text(st.characters(codec="utf-8")) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(plain)
def test_values_without_floats_the_same_text_too(value: Any) -> None:
    """Values without floats (orjson's fast path, and its refusals: big ints, surrogates)."""
    assert canonical_json(value) == json.dumps(value, sort_keys=True, ensure_ascii=False,
                                               default=str, separators=(",", ":"))


def test_control_characters_and_non_ascii_as_json_dumps_writes_them() -> None:
    value = {"é": "\x00\x1f\x7f\u2028\b\f\n\r\t\"\\/😀", "a": [True, None, -2**63, 2**64]}
    assert canonical_json(value) == json.dumps(value, sort_keys=True, ensure_ascii=False,
                                               separators=(",", ":"))


def test_key_order_does_not_matter() -> None:
    assert canonical_json({"b": 1, "a": [{"d": 2, "c": 3}]}) == \
        canonical_json({"a": [{"c": 3, "d": 2}], "b": 1})
    assert canonical_json({"a": 1}) != canonical_json({"a": 1.0})


def test_what_json_cannot_hold_falls_back_to_text() -> None:
    loop: list[Any] = []
    loop.append(loop)
    assert canonical_json(loop) == "[[...]]"
    assert canonical_json({1: "x", "a": "y"}) == repr({1: "x", "a": "y"})
    assert canonical_json({"when": object}) == '{"when":"<class \'object\'>"}'
