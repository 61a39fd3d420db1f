"""The run family: status, final output, errors."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, field_validator

from .._bounded_regex import search
from ..model import ErrorEvent, FinalOutputEvent, LlmCallEvent, RunStatus, TraceRun
from ..results import Outcome
from . import catalogue
from ._common import as_text, error, plural, quote, result, seq_list
from ._compare import deep_diff, maybe_json
from ._paths import MissingField, PathError, parse_path, path_text, resolve
from ._registry import Entry, register


def _final_seqs(run: TraceRun) -> list[int]:
    return [e.seq for e in run.events if isinstance(e, FinalOutputEvent)]


def errors_with_seq(run: TraceRun) -> list[tuple[int, str]]:
    """Every error message with its event number (as ``TraceRun.error_messages``)."""
    if not any(call.error for call in run.llm_calls()):  # the usual case: no walk of events
        return [(e.seq, e.message) for e in run.errors()]
    found: list[tuple[int, str]] = []
    for event in run.events:
        if isinstance(event, ErrorEvent):
            found.append((event.seq, event.message))
        elif isinstance(event, LlmCallEvent) and event.error:
            found.append((event.seq, event.error))
    return found


def status_is(entry: StatusIs, run: TraceRun) -> Outcome:
    ok = run.status == entry.status_is
    message = (f"status is {run.status}" if ok
               else f"status is {run.status}, expected {entry.status_is}")
    return result(entry, ok, message, expected=entry.status_is, actual=run.status)


def _unknown_answer(entry: Entry, run: TraceRun) -> Outcome | None:
    """An error outcome when the run's format did not record its answer: nothing can be
    judged of an answer the trace leaves out (None when it has one or records them)."""
    if run.answer_recorded():
        return None
    return error(entry, f"cannot judge the final answer: "
                        f"{run.metadata.answer_not_recorded} ({_format_of(run)})")


def _format_of(run: TraceRun) -> str:
    """The run's format, for a message."""
    return f"{run.source.format} format" if run.source else "its format"


def final_output_exists(entry: FinalOutputExists, run: TraceRun) -> Outcome:
    if (unknown := _unknown_answer(entry, run)) is not None:
        return unknown
    has = run.has_final_output()
    ok = has == entry.final_output_exists
    if has:
        message = "the run gave a final output" + ("" if ok else ", expected none")
    elif isinstance(run.final_output, str) and run.final_output.strip():
        message = (f"the run's final output {quote(run.final_output)} is a placeholder (no "
                   "letter or digit), not an answer" + (", expected one" if not ok else ""))
    else:
        message = "the run gave no final output" + (", expected one" if not ok else "")
    return result(entry, ok, message, expected=entry.final_output_exists, actual=has,
                  events=_final_seqs(run))


def _no_output(entry: Entry, wanted: str, expected: Any) -> Outcome:
    return result(entry, False, f"the run gave no final output, expected one {wanted}",
                  expected=expected, actual=None)


def final_output_contains(entry: FinalOutputContains, run: TraceRun) -> Outcome:
    if (unknown := _unknown_answer(entry, run)) is not None:
        return unknown
    needle = entry.final_output_contains
    if run.final_output is None:
        return _no_output(entry, f"containing {quote(needle)}", needle)
    text = as_text(run.final_output)
    ok = needle in text
    verb = "contains" if ok else "does not contain"
    return result(entry, ok, f"final output {verb} {quote(needle)}", expected=needle,
                  actual=text, events=_final_seqs(run))


def final_output_matches(entry: FinalOutputMatches, run: TraceRun) -> Outcome:
    if (unknown := _unknown_answer(entry, run)) is not None:
        return unknown
    pattern = entry.final_output_matches
    if run.final_output is None:
        return _no_output(entry, f"matching /{pattern}/", pattern)
    text = as_text(run.final_output)
    match = search(pattern, text)
    if match:
        message = f"final output matches /{pattern}/ at {quote(match.group(0), 60)}"
    else:
        message = f"final output does not match /{pattern}/"
    return result(entry, match is not None, message, expected=pattern, actual=text,
                  events=_final_seqs(run))


def final_output_equals(entry: FinalOutputEquals, run: TraceRun) -> Outcome:
    if (unknown := _unknown_answer(entry, run)) is not None:
        return unknown
    want = entry.final_output_equals
    actual = maybe_json(run.final_output, want.value)
    diff = deep_diff(want.value, actual, ignore_order=want.ignore_order)
    message = ("final output equals the expected value" if diff is None
               else f"final output differs from the expected value: {diff}")
    return result(entry, diff is None, message, expected=want.value, actual=actual,
                  events=_final_seqs(run))


def structured_output(run: TraceRun) -> tuple[Any, str | None]:
    """The final output as structured data, or the reason it is not."""
    value = run.final_output
    if value is None:
        return None, "the run gave no final output"
    if isinstance(value, str):
        try:
            return json.loads(value), None
        except ValueError:
            return None, f"the final output is text, not JSON: {quote(value, 60)}"
    return value, None


def output_field(entry: OutputField, run: TraceRun) -> Outcome:
    if (unknown := _unknown_answer(entry, run)) is not None:
        return unknown
    want = entry.output_field
    try:
        steps = parse_path(want.path)
    except PathError as exc:
        return error(entry, str(exc))
    path = path_text(steps)
    check = next(k for k in ("equals", "contains", "matches") if k in want.model_fields_set)
    expected = {check: getattr(want, check)}
    data, problem = structured_output(run)
    if problem is not None:
        return result(entry, False, f"{problem}, so it has no field {path}",
                      expected=expected, actual=run.final_output)
    try:
        value = resolve(data, steps)
    except MissingField as exc:
        return result(entry, False, f"final output has no field {path}: {exc}",
                      expected=expected, actual=None, events=_final_seqs(run))
    ok, how = _field_check(check, want, value)
    return result(entry, ok, f"field {path} {how}", expected=expected, actual=value,
                  events=_final_seqs(run))


def _field_check(check: str, want: catalogue.OutputFieldSpec, value: Any) -> tuple[bool, str]:
    if check == "equals":
        diff = deep_diff(want.equals, maybe_json(value, want.equals))
        if diff is None:
            return True, f"equals {quote(want.equals)}"
        detail = f" ({diff})" if isinstance(value, (dict, list)) else ""
        return False, f"is {quote(value)}, expected {quote(want.equals)}{detail}"
    if check == "contains":
        needle = want.contains or ""
        if isinstance(value, list):
            ok = any(item == needle or as_text(item) == needle for item in value)
            where = "list"
        elif isinstance(value, dict):
            ok, where = needle in value, "object's keys"
        else:
            ok, where = needle in as_text(value), "value"
        verb = "contains" if ok else "does not contain"
        return ok, f"{verb} {quote(needle)} (in its {where})"
    pattern = want.matches or ""
    ok = search(pattern, as_text(value)) is not None
    return ok, (f"matches /{pattern}/" if ok
                else f"is {quote(value)}, which does not match /{pattern}/")


def error_matches(entry: ErrorMatches, run: TraceRun) -> Outcome:
    pattern = entry.error_matches
    errors = errors_with_seq(run)
    hits = [(seq, msg) for seq, msg in errors if search(pattern, msg)]
    if hits:
        seq, msg = hits[0]
        message = f"error {quote(msg)} (event {seq}) matches /{pattern}/"
    elif errors:
        message = f"none of the {len(errors)} error messages matches /{pattern}/"
    else:
        message = f"the run records no error, expected one matching /{pattern}/"
    return result(entry, bool(hits), message, expected=pattern,
                  actual=[msg for _, msg in errors[:10]], events=[s for s, _ in hits])


def no_errors(entry: NoErrors, run: TraceRun) -> Outcome:
    errors = errors_with_seq(run)
    clean = not errors and run.status != "error"
    if clean:
        message = "the run has no errors"
    else:
        parts = []
        if errors:
            parts.append(f"{plural(len(errors), 'error')} ({seq_list(s for s, _ in errors)}), "
                         f"first: {quote(errors[0][1])}")
        if run.status == "error":
            parts.append("status error")
        message = "the run has " + " and ".join(parts)
    if clean != entry.no_errors:
        message += ", expected " + ("no errors" if entry.no_errors else "an error")
    return result(entry, clean == entry.no_errors, message, expected=entry.no_errors,
                  actual={"errors": [m for _, m in errors[:10]], "status": run.status},
                  events=[s for s, _ in errors])


# --- the entries of this family, each registered with its evaluator ---


@register("status_is", "run", status_is)
class StatusIs(Entry):
    status_is: RunStatus
    why: str | None = None


@register("final_output_exists", "run", final_output_exists)
class FinalOutputExists(Entry):
    final_output_exists: bool
    why: str | None = None


@register("final_output_contains", "run", final_output_contains)
class FinalOutputContains(Entry):
    final_output_contains: str = Field(min_length=1)
    why: str | None = None


@register("final_output_matches", "run", final_output_matches)
class FinalOutputMatches(Entry):
    final_output_matches: catalogue.Regex
    why: str | None = None

    _check = field_validator("final_output_matches")(catalogue.check_regex)


@register("final_output_equals", "run", final_output_equals)
class FinalOutputEquals(Entry):
    final_output_equals: catalogue.FinalOutputEqualsSpec
    why: str | None = None

    @field_validator("final_output_equals", mode="before")
    @classmethod
    def _wrap(cls, value: Any) -> Any:
        if isinstance(value, dict) and "value" in value and set(value) <= {"value",
                                                                            "ignore_order"}:
            return value
        return {"value": value}


@register("output_field", "run", output_field)
class OutputField(Entry):
    output_field: catalogue.OutputFieldSpec
    why: str | None = None


@register("error_matches", "run", error_matches)
class ErrorMatches(Entry):
    error_matches: catalogue.Regex
    why: str | None = None

    _check = field_validator("error_matches")(catalogue.check_regex)


@register("no_errors", "run", no_errors)
class NoErrors(Entry):
    no_errors: bool
    why: str | None = None
