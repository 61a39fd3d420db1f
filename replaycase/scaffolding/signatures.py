"""What went wrong: failure signatures derived from a trace, and the desired assertions that
contradict them.

Only what the trace shows is derived: a failed status, errors, loops of identical calls (a
tool called again and again, when its arguments were not recorded), tool errors, a missing
final answer, a turn or step limit. A run paused for approval has neither a failed status nor
a missing answer; nor has a run whose format did not record its answer
(``TraceRun.answer_recorded``) a missing one. Tool errors are observed but never negated: the
fixtures replay them in every run, so the candidate must cope, not avoid them.

Desired assertions that only contradict the failure are all passed by a candidate that does
nothing: ``non_vacuity`` adds what the trace shows a correct run does.
"""

from __future__ import annotations

import re
from collections import defaultdict

from .._bounded_regex import RegexTimeout, search
from .._text import clip
from ..assertions import Entry, parse_entry
from ..assertions.budget import LlmCallCount
from ..assertions.catalogue import CountSpec, RepeatedToolCallSpec, ToolCountSpec
from ..assertions.logic import Not
from ..assertions.run import ErrorMatches, FinalOutputExists, StatusIs
from ..assertions.tools import RepeatedToolCall, ToolCallCount, ToolErrorCount
from ..model import TraceRun

_HEALTHY = frozenset({"success", "paused"})
"""Statuses that are no failure by themselves: a run paused for a person's approval waits
for them, and asking a candidate to end in success would push it to skip the approval."""

LOOP_MIN = 3
"""Identical calls repeated this many times count as a loop."""

LOOP_ALLOWED = 2
"""The most identical calls a fixed run may make (one retry)."""

_LIMIT = re.compile(
    r"max(imum)?[ _-]?(turns|steps|iterations)|(turn|step|iteration|recursion) limit"
    r"|too many (turns|steps|iterations)", re.IGNORECASE)
_VOLATILE = re.compile(
    r"(?P<placeholder><redacted:[a-z_]+:\d+>)"
    r"|(?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)"
    r"|(?P<hex>(?<![0-9A-Za-z])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}(?![0-9A-Za-z]))"
    r"|(?P<number>\d+(?:\.\d+)?)")
_MASKS = {
    "placeholder": ".+?",
    "uuid": "[0-9a-fA-F-]{36}",
    "hex": "[0-9a-fA-F]+",
    "number": r"\d+(?:\.\d+)?",
}
_MAX_PATTERN_SOURCE = 160
_META = frozenset(".^$*+?{}[]\\|()")


def mask_message(message: str) -> str:
    """An error message as a regex with its volatile parts (ids, numbers, times) masked."""
    first_line = message.strip().splitlines()[0] if message.strip() else message
    text = clip(first_line, _MAX_PATTERN_SOURCE, "")
    pattern, last = [], 0
    for match in _VOLATILE.finditer(text):
        pattern.append(_escape(text[last:match.start()]))
        pattern.append(_MASKS[match.lastgroup or "number"])
        last = match.end()
    pattern.append(_escape(text[last:]))
    return "".join(pattern)


def _escape(text: str) -> str:
    """Escape regex metacharacters only (re.escape also escapes spaces and dashes)."""
    return "".join("\\" + c if c in _META else c for c in text)


def _matches(pattern: str, text: str) -> bool:
    """Whether the pattern matches, with the engine and time bound lint and replay use."""
    try:
        return search(pattern, text) is not None
    except RegexTimeout:
        return False


def _events(seqs: list[int], limit: int = 12) -> str:
    shown = ",".join(str(s) for s in seqs[:limit])
    more = f",… ({len(seqs)} in all)" if len(seqs) > limit else ""
    return f"event{'s' if len(seqs) > 1 else ''} {shown}{more}"


def derive_observed(run: TraceRun) -> list[Entry]:
    """Failure signatures the trace shows, each with a ``why`` citing event numbers."""
    found: list[Entry] = []
    last_seq = run.events[-1].seq if run.events else 0
    errors = [e for e in run.errors()]
    if run.status not in _HEALTHY:
        cite = errors[-1].seq if errors else last_seq
        found.append(StatusIs(status_is=run.status,
                              why=f"run ended with status {run.status} (event {cite})"))
    if errors:
        message = errors[-1].message
        pattern = mask_message(message)
        seqs = [e.seq for e in errors if _matches(pattern, e.message)]
        shown = message.strip().splitlines()[0][:120] if message.strip() else "(empty)"
        found.append(ErrorMatches(error_matches=pattern,
                                  why=f"error {shown!r} ({_events(seqs)})"))
    found.extend(_loops(run))
    found.extend(_tool_errors(run))
    found.extend(_failed_scores(run))
    if not run.has_final_output() and run.answer_recorded() and run.status != "paused":
        found.append(FinalOutputExists(final_output_exists=False,
                                       why=f"the run gave no final output ({run.status}, "
                                           f"{len(run.events)} events)"))
    limit = next((m for m in run.error_messages() if _LIMIT.search(m)), None)
    llm_calls = run.llm_calls()
    if limit is not None and llm_calls:
        found.append(LlmCallCount(
            llm_call_count=CountSpec(min=len(llm_calls)),
            why=f"the run hit a turn or step limit ({limit.splitlines()[0][:80]!r}) after "
                f"{len(llm_calls)} model calls ({_events([c.seq for c in llm_calls])})"))
    return found


def _loops(run: TraceRun) -> list[Entry]:
    """Identical calls made ``LOOP_MIN`` times or more, per tool. A call whose arguments were
    not recorded is identical to nothing: when such calls make a tool reach ``LOOP_MIN``, the
    signature is the weaker "called N times" (``tool_call_count``), never "identical args"."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    calls: dict[str, list[int]] = defaultdict(list)
    unknown: dict[str, int] = defaultdict(int)
    for call in run.tool_calls():
        calls[call.tool_name].append(call.seq)
        if call.tool_args is None:
            unknown[call.tool_name] += 1
        else:
            groups[(call.tool_name, call.args_key())].append(call.seq)
    best: dict[str, list[int]] = {}
    for (tool, _), seqs in groups.items():
        if len(seqs) >= LOOP_MIN and len(seqs) > len(best.get(tool, [])):
            best[tool] = seqs
    found: list[tuple[int, Entry]] = [
        (seqs[0], RepeatedToolCall(
            repeated_tool_call=RepeatedToolCallSpec(tool=tool, min=len(seqs)),
            why=f"{tool} called {len(seqs)} times with identical args ({_events(seqs)})"))
        for tool, seqs in best.items()]
    for tool, seqs in calls.items():
        if tool in best or not unknown[tool] or len(seqs) < LOOP_MIN:
            continue
        which = "the arguments were" if unknown[tool] == len(seqs) else \
            f"the arguments of {unknown[tool]} of them were"
        found.append((seqs[0], ToolCallCount(
            tool_call_count=ToolCountSpec(tool=tool, min=len(seqs)),
            why=f"{tool} called {len(seqs)} times ({_events(seqs)}); {which} not recorded, "
                f"so whether they were identical is unknown")))
    return [entry for _, entry in sorted(found, key=lambda item: item[0])]


def _tool_errors(run: TraceRun) -> list[Entry]:
    """Each tool's error count; where the model was shown some of them, only those: a run
    judged from the wire (DESIGN 8) sees a tool result only in the model request that carries
    it, so an error after the last model call is not counted (a run that stopped on it)."""
    errors: dict[str, list[int]] = defaultdict(list)
    for call in run.tool_calls():
        if call.is_error:
            errors[call.tool_name].append(call.result_seq or call.seq)
    last_call = max((e.seq for e in run.llm_calls()), default=0)
    found: list[Entry] = []
    for tool, seqs in errors.items():
        shown = [s for s in seqs if s < last_call]
        note = " shown to the model" if shown and len(shown) < len(seqs) else ""
        seqs = shown or seqs
        found.append(ToolErrorCount(
            tool_error_count=ToolCountSpec(tool=tool, min=len(seqs)),
            why=f"{tool} returned an error {len(seqs)} time{'s' if len(seqs) > 1 else ''}"
                f"{note} ({_events(seqs)})"))
    return found


def _failed_scores(run: TraceRun) -> list[Entry]:
    """An eval's failed ``includes`` score (``metadata.extra["failed_scores"]``, as the
    Inspect AI importer records it): the answer does not contain the target, without case
    (what the scorer checked), when that holds on the run's final output."""
    found: list[Entry] = []
    failed = run.metadata.extra.get("failed_scores")
    answer = run.final_output
    if not isinstance(failed, list) or not isinstance(answer, str):
        return found
    for item in failed:
        if not isinstance(item, dict) or item.get("scorer") != "includes":
            continue
        target = item.get("target")
        targets = [target] if isinstance(target, str) else target
        if not (isinstance(targets, list) and targets and all(
                isinstance(t, str) and t.strip() for t in targets)):
            continue
        if any(t.lower() in answer.lower() for t in targets):
            continue
        pattern = "(?i)" + "|".join(_escape(t) for t in targets)
        cite = next((e.seq for e in reversed(run.events) if e.type == "final_output"),
                    run.events[-1].seq if run.events else 0)
        shown = ", ".join(repr(t) for t in targets)
        found.append(Not.model_validate({
            "not": {"final_output_matches": pattern},
            "why": f"score {item.get('score')} failed: the answer does not contain {shown} "
                   f"(event {cite})"}))
    return found


def desired_for(signature: Entry) -> Entry | None:
    """The desired assertion that contradicts a derived signature (None: nothing to ask)."""
    if isinstance(signature, StatusIs):
        return StatusIs(status_is="success")
    if isinstance(signature, ErrorMatches):
        return Not.model_validate({"not": {"error_matches": signature.error_matches}})
    if isinstance(signature, RepeatedToolCall):
        tool = signature.repeated_tool_call.tool
        return RepeatedToolCall(
            repeated_tool_call=RepeatedToolCallSpec(tool=tool or None, max=LOOP_ALLOWED))
    if isinstance(signature, ToolCallCount) and signature.tool_call_count.min is not None:
        return ToolCallCount(tool_call_count=ToolCountSpec(
            tool=signature.tool_call_count.tool, max=LOOP_ALLOWED))
    if isinstance(signature, FinalOutputExists):
        return FinalOutputExists(final_output_exists=not signature.final_output_exists)
    if isinstance(signature, LlmCallCount):
        low = signature.llm_call_count.min
        return LlmCallCount(llm_call_count=CountSpec(max=max(low - 1, 0))) if low else None
    if isinstance(signature, ToolErrorCount):
        return None
    return negation(signature)


def negation(entry: Entry) -> Entry:
    """``not: entry`` (or the inner entry when it is itself a ``not``)."""
    if isinstance(entry, Not):
        return entry.not_
    data = entry.to_yaml_dict()
    data.pop("why", None)
    return parse_entry({"not": data})
