"""Catalogue entries as phrases a person reads: ``tool_called: issue_refund`` is "called
issue_refund", its ``not`` "did not call issue_refund".

A phrase says what a run did, without its subject (a title puts the agent's name first:
"support_agent called issue_refund"). Each kind is a verb in the past tense and in its base
form, and the rest (``called`` / ``call`` / ``issue_refund``), so that ``not`` of any kind
reads as "did not call …"; a kind that is itself negative (``tool_not_called``,
``final_output_exists: false``) reads back positive under ``not``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._text import clip
from ._registry import Entry

_VALUE_LIMIT = 60
_ARROW = " → "


@dataclass(frozen=True)
class _Phrase:
    past: str
    base: str
    rest: str
    negative: bool = False

    def text(self, negated: bool = False) -> str:
        if self.negative != negated:
            return f"did not {self.base} {self.rest}"
        return f"{self.past} {self.rest}"


def describe(entry: Entry | dict[str, Any]) -> str:
    """The phrase for a catalogue entry (or its case.yaml mapping), e.g. "called X"."""
    data = entry.to_yaml_dict() if isinstance(entry, Entry) else entry
    return _describe(data, negated=False)


def _describe(data: dict[str, Any], negated: bool) -> str:
    key = next((k for k in data if k != "why"), "")
    value = data.get(key)
    if key == "not" and isinstance(value, dict):
        return _describe(value, not negated)
    if key in ("all_of", "any_of") and isinstance(value, list):
        parts = [_describe(v, False) for v in value if isinstance(v, dict)]
        if negated:
            return ("did not do all of: " if key == "all_of" else "did none of: ") + \
                "; ".join(parts)
        return (" and " if key == "all_of" else " or ").join(parts)
    maker = _KINDS.get(key)
    phrase = maker(value) if maker is not None else None
    if phrase is None:
        text = f"{key}: {_show(value)}"
        return f"not {text}" if negated else text
    return phrase.text(negated)


def _show(value: Any) -> str:
    """A value inline: a string as is, anything else as compact JSON, clipped."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           sort_keys=True, default=str)
    return clip(" ".join(text.split()), _VALUE_LIMIT)


def _quoted(value: Any) -> str:
    return f'"{_show(value)}"'


def _bounds(spec: dict[str, Any]) -> str:
    """``{min: 3}`` -> "at least 3", ``{max: 2}`` -> "at most 2", both -> "3 to 5"."""
    low, high, equals = spec.get("min"), spec.get("max"), spec.get("equals")
    if equals is not None:
        return f"exactly {equals}"
    if low is not None and high is not None:
        return f"{low} to {high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def _times(spec: dict[str, Any]) -> str:
    low, high, equals = spec.get("min"), spec.get("max"), spec.get("equals")
    last = equals if equals is not None else high if high is not None else low
    return f"{_bounds(spec)} time{'' if last == 1 else 's'}"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _count(noun: str) -> Callable[[Any], _Phrase | None]:
    def make(spec: Any) -> _Phrase | None:
        return _Phrase("made", "make", f"{_bounds(spec)} {noun}") \
            if isinstance(spec, dict) else None
    return make


def _tool_count(spec: Any) -> _Phrase | None:
    if not isinstance(spec, dict):
        return None
    if spec.get("tool"):
        return _Phrase("called", "call", f"{spec['tool']} {_times(spec)}")
    return _Phrase("made", "make", f"{_bounds(spec)} tool calls")


def _tool_errors(spec: Any) -> _Phrase | None:
    if not isinstance(spec, dict):
        return None
    source = f"from {spec['tool']}" if spec.get("tool") else "from tools"
    return _Phrase("got", "get", f"{_bounds(spec)} tool errors {source}")


def _repeated(spec: Any) -> _Phrase | None:
    if not isinstance(spec, dict):
        return None
    tool = spec.get("tool") or "a tool"
    if spec.get("min") is not None and spec.get("max") is None:
        return _Phrase("called", "call", f"{tool} {_times(spec)} with identical args")
    return _Phrase("made", "make", f"{_bounds(spec)} identical calls to {tool}")


def _tool_args(spec: Any) -> _Phrase | None:
    if not isinstance(spec, dict):
        return None
    how = {"exact": "exactly", "regex": "matching"}.get(spec.get("match", "subset"),
                                                         "including")
    args = _show(spec.get("args"))
    return _Phrase("called", "call", f"{spec.get('tool')} with args {how} {args}")


def _sequence(verb: tuple[str, str], noun: str, items: str) -> Callable[[Any], _Phrase | None]:
    modes = {"strict": "exactly", "in_order": "in order", "any_order": "in any order",
             "subset": "among others", "superset": "and no others"}

    def make(spec: Any) -> _Phrase | None:
        if not isinstance(spec, dict) or not isinstance(spec.get(items), list):
            return None
        mode = modes.get(spec.get("mode", "in_order"), "in order")
        return _Phrase(*verb, f"{noun}{_ARROW.join(map(str, spec[items]))} {mode}")
    return make


def _output_field(spec: Any) -> _Phrase | None:
    if not isinstance(spec, dict):
        return None
    path = spec.get("path")
    if "contains" in spec:
        check = f"containing {_quoted(spec['contains'])}"
    elif "matches" in spec:
        check = f"matching /{_show(spec['matches'])}/"
    else:
        check = f"= {_show(spec.get('equals'))}"
    return _Phrase("answered", "answer", f"with {path} {check}")


def _approval(value: Any) -> _Phrase:
    if value is False:
        return _Phrase("asked", "ask", "for approval", negative=True)
    return _Phrase("asked", "ask", "for approval" + (f" of {value}" if isinstance(value, str)
                                                     else ""))


def _equals(spec: Any) -> _Phrase:
    value = spec.get("value") if isinstance(spec, dict) else spec
    order = " in any order" if isinstance(spec, dict) and spec.get("ignore_order") else ""
    return _Phrase("answered", "answer", f"exactly {_quoted(value)}{order}")


_KINDS: dict[str, Callable[[Any], _Phrase | None]] = {
    "tool_called": lambda v: _Phrase("called", "call", str(v)),
    "tool_not_called": lambda v: _Phrase("called", "call", str(v), negative=True),
    "tool_call_count": _tool_count,
    "max_tool_calls": lambda v: _Phrase("made", "make", f"at most {v} tool calls"),
    "tool_args": _tool_args,
    "tool_sequence": _sequence(("called", "call"), "", "tools"),
    "repeated_tool_call": _repeated,
    "tool_error_count": _tool_errors,
    "status_is": lambda v: _Phrase("ended", "end", f"with status {v}"),
    "final_output_exists": lambda v: _Phrase("gave", "give", "a final answer",
                                             negative=v is False),
    "final_output_contains": lambda v: _Phrase("answered", "answer", f"with {_quoted(v)}"),
    "final_output_matches": lambda v: _Phrase("answered", "answer", f"matching /{_show(v)}/"),
    "final_output_equals": _equals,
    "output_field": _output_field,
    "error_matches": lambda v: _Phrase("raised", "raise", f"an error matching /{_show(v)}/"),
    "no_errors": lambda v: _Phrase("had", "have", "errors", negative=v is not False),
    "llm_call_count": _count("model calls"),
    "max_tokens": lambda v: _Phrase("used", "use", f"at most {v} tokens"),
    "max_cost_usd": lambda v: _Phrase("cost", "cost", f"at most ${_number(v)}"),
    "max_duration_ms": lambda v: _Phrase("took", "take", f"at most {_number(v)} ms"),
    "state_visited": lambda v: _Phrase("visited", "visit", f"state {v}"),
    "state_sequence": _sequence(("went", "go"), "through states ", "states"),
    "failed_in_state": lambda v: _Phrase("failed", "fail", f"in state {v}"),
    "approval_requested": _approval,
}
