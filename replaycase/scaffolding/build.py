"""scaffold: a failed trace becomes a case folder (DESIGN 3).

Deterministic (the same trace and options give byte-identical folders), atomic (written to a
temporary folder and renamed into place), redacted before anything is written, and sound
(every observed signature holds on the source trace; the desired assertions do not all pass).
Beside the case folder it keeps ``case.schema.json`` current, for editors (case_schema.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .._bounded_regex import RegexTimeout
from .._bounded_regex import search as bounded_search
from .._jsonio import DEFAULT_LIMITS, Limits
from .._templating import render
from .._text import clip
from .._validation import validation_message
from ..assertions import Entry, all_hold, evaluate, evaluate_all, parse_entry
from ..assertions.catalogue import SEMANTIC_PLACEHOLDER, SemanticCheck
from ..assertions.describe import describe
from ..assertions.run import ErrorMatches
from ..case import (
    CASE_FILE,
    CASE_FORMAT,
    NOTES,
    SOURCE_TRACE,
    CaseSource,
    CaseSpec,
    RunnerDefaults,
    Scenario,
    dump_case_yaml,
)
from ..case.load import parse_yaml
from ..case.schema import check_schema_beside, write_schema_beside
from ..errors import InputError, RunChoiceError, UsageError
from ..importers import load_trace, pick_run
from ..model import TraceRun
from ..model.timeline import event_line
from ..redact import Redactor, redact_run
from ..tape import TapeFromRun
from .fixtures import fixture_files, model_tape
from .non_vacuity import missing_piece
from .signatures import derive_observed, desired_for, negation
from .writer import FileText, check_target, write_folder

TIMELINE_ROWS = 200
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class ScaffoldOptions:
    """Everything `replaycase scaffold` can be told."""

    format: str = "auto"
    run_id: str | None = None
    all_runs: bool = False
    case_id: str | None = None
    force: bool = False
    redact: bool = True
    redact_patterns: Sequence[str] = ()
    observed: Sequence[str] = ()
    desired: Sequence[str] = ()
    limits: Limits = DEFAULT_LIMITS


class ScaffoldReport(BaseModel):
    """What one scaffolded case holds: ``scaffold --output json`` lists these."""

    case_id: str
    path: Path
    run_id: str
    observed: list[dict[str, Any]]
    """The observed failure signatures, as written to case.yaml."""
    desired: list[dict[str, Any]]
    """The desired assertions, as written to case.yaml."""
    redaction: dict[str, int] | None = None
    """Secrets redacted, by kind; None when redaction was off."""
    hints: list[str] = []
    """What the case still needs (lint reports it): a desired assertion a candidate that
    does nothing fails, when the trace shows none."""


def parse_cli_entry(text: str, option: str) -> Entry:
    """One catalogue entry in YAML flow form, as given to --observed / --desired."""
    try:
        data, _ = parse_yaml(text, Path(option))
    except InputError as exc:
        raise UsageError(f"{option} {text!r}: {exc.problem}") from None
    try:
        return parse_entry(data)
    except ValidationError as exc:
        raise UsageError(f"{option} {text!r}: {validation_message(exc)}") from None


def scaffold(trace: str | Path, out: str | Path,
             options: ScaffoldOptions | None = None) -> list[ScaffoldReport]:
    """Scaffold one case (or, with ``all_runs``, one per failed run) from a trace file."""
    options = options or ScaffoldOptions()
    trace, out = Path(trace), Path(out)
    observed_user = [parse_cli_entry(t, "--observed") for t in options.observed]
    desired_user = [parse_cli_entry(t, "--desired") for t in options.desired]
    if desired_user and not observed_user:
        raise UsageError("--desired needs an --observed: say what went wrong first")
    redactor = Redactor(options.redact_patterns, enabled=options.redact)
    if options.all_runs:
        if options.run_id or options.case_id:
            raise UsageError("--all makes one case per failed run: drop --run-id and --id")
        runs = load_trace(trace, options.format, options.limits)
        return _scaffold_all(trace, out, runs, options, observed_user, desired_user)

    check_target(out, options.force)  # refused before the trace is read, and again when written
    check_schema_beside(out)
    run = pick_run(trace, load_trace(trace, options.format, options.limits), options.run_id,
                   "--run-id, or scaffold every failed run with --all")
    plan = _plan(trace, run, options.case_id or out.name, out, observed_user, desired_user,
                 redactor, options.redact)
    write_folder(out, plan.files, options.force)
    write_schema_beside(out)
    return [plan.report]


def _scaffold_all(trace: Path, out: Path, runs: list[TraceRun], options: ScaffoldOptions,
                  observed: list[Entry], desired: list[Entry]) -> list[ScaffoldReport]:
    plans = []
    used: set[str] = set()
    for run in runs:
        if not observed and not _actionable(derive_observed(run)):
            continue  # no failure, or only tool errors the fixtures replay anyway
        redactor = Redactor(options.redact_patterns, enabled=options.redact)
        case_id = _unique(_slug(redactor.redact_text(run.run_id)), used)  # the folder's name
        plans.append(_plan(trace, run, case_id, out / case_id, observed, desired, redactor,
                           options.redact))
    if not plans:
        raise RunChoiceError(trace, f"none of its {len(runs)} runs shows a failure; state one "
                                "with --observed")
    for plan in plans:  # every folder checked before any is written
        check_target(plan.report.path, options.force)
    check_schema_beside(plans[0].report.path)
    for plan in plans:
        write_folder(plan.report.path, plan.files, options.force)
    write_schema_beside(out / plans[0].report.case_id)
    return [plan.report for plan in plans]


def _actionable(observed: list[Entry]) -> bool:
    """Whether derived signatures give at least one desired assertion."""
    return any(desired_for(entry) is not None for entry in observed)


def _slug(text: str) -> str:
    slug = _SLUG.sub("-", text).strip("-.")[:100]
    return slug if slug and slug[0].isalnum() else f"run-{slug}".rstrip("-")


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}-{n}", n + 1
    used.add(candidate)
    return candidate


@dataclass
class _Plan:
    files: dict[str, FileText]
    report: ScaffoldReport


@dataclass
class _Derived:
    """What a case says about its run: everything but the redaction report."""

    spec: CaseSpec
    observed: list[Entry]
    desired: list[Entry]
    fixtures: dict[str, str | Iterator[str]]
    tape: TapeFromRun
    hint: str | None = None


def _plan(trace: Path, run: TraceRun, case_id: str, out: Path, observed_user: list[Entry],
          desired_user: list[Entry], redactor: Redactor, redacting: bool) -> _Plan:
    if redacting:
        run, source_text = redact_run(run, redactor)
    else:
        source_text = run.to_json()
    derived = _derive(trace, run, case_id, observed_user, desired_user)
    source_name = redactor.redact_text(trace.name)  # a file name can hold an address or a key
    redaction = redactor.report() if redacting else None
    files: dict[str, FileText] = {
        CASE_FILE: dump_case_yaml(derived.spec),
        SOURCE_TRACE: source_text,
        NOTES: _notes(derived.spec, run, source_name, out, redaction, derived.tape),
        **derived.fixtures,
    }
    report = ScaffoldReport(case_id=case_id, path=out, run_id=run.run_id,
                            observed=[e.to_yaml_dict() for e in derived.observed],
                            desired=[e.to_yaml_dict() for e in derived.desired],
                            redaction=redaction, hints=[derived.hint] if derived.hint else [])
    return _Plan(files=files, report=report)


def _without_why(entry: Entry) -> dict[str, Any]:
    return {k: v for k, v in entry.to_yaml_dict().items() if k != "why"}


def _derive(trace: Path, run: TraceRun, case_id: str, observed_user: list[Entry],
            desired_user: list[Entry]) -> _Derived:
    derived = derive_observed(run)
    for entry in observed_user:
        outcome = evaluate(entry, run)
        if outcome.outcome != "passed":
            raise UsageError(f"--observed {_flow(entry)} does not hold on {trace.name} "
                             f"(run {run.run_id}): {outcome.message}")
    known = [_without_why(entry) for entry in derived]
    observed_user = [e for e in observed_user if _without_why(e) not in known]  # said once
    observed = derived + observed_user
    if not observed:
        raise RunChoiceError(trace, f"run {run.run_id} shows no failure replaycase can detect "
                                f"(status {run.status}, no errors, loops or missing answer"
                                f"{_unknown_answer(run, '; ')}); "
                                "state what went wrong with --observed, e.g. --observed "
                                "\"tool_called: issue_refund\"")
    desired = [d for d in (desired_for(s) for s in derived) if d is not None]
    desired += desired_user or [negation(entry) for entry in observed_user]
    if not desired:
        raise UsageError(f"{trace}: run {run.run_id} shows only tool errors, which the "
                         "fixtures replay to every candidate; state what the agent did wrong "
                         "with --observed (e.g. --observed \"final_output_contains: ...\")")
    added, hint = missing_piece(run, desired)  # so that doing nothing is not a fix
    desired += added
    if all_hold(evaluate_all(desired, run)):
        raise UsageError("the desired assertions all pass on the source trace, so the case "
                         "could not catch its own failure; give a stricter --desired")
    try:
        spec = CaseSpec.model_validate({
            "schema": CASE_FORMAT,
            "id": case_id,
            "title": _title(run, observed),
            "source": CaseSource(format=run.source.format if run.source else "unknown",
                                 run_id=run.run_id,
                                 sha256=run.source.sha256 if run.source else None),
            "tags": list(run.metadata.tags),
            "scenario": Scenario(input=run.input),
            "runner": RunnerDefaults(),
            "observed_failure": observed,
            "desired": desired,
            "semantic": [SemanticCheck(check=SEMANTIC_PLACEHOLDER)],
        })
    except ValidationError as exc:
        raise UsageError(f"case id {case_id!r}: {validation_message(exc)}; choose another "
                         "with --id") from None
    tape = model_tape(run, case_id)
    return _Derived(spec=spec, observed=observed, desired=desired,
                    fixtures=fixture_files(run, tape), tape=tape, hint=hint)


def _flow(entry: Entry) -> str:
    data = entry.to_yaml_dict()
    data.pop("why", None)
    return str(data)


def _title(run: TraceRun, observed: list[Entry]) -> str:
    """A sentence: the agent, then what its run did (``support_agent called issue_refund``);
    an error is named by the run's own message, not by the signature's pattern."""
    agent = run.metadata.agent or "the agent"
    rank = ["repeated_tool_call", "tool_called", "error_matches", "llm_call_count",
            "final_output_exists", "status_is"]
    first = min(observed, key=lambda e: rank.index(e.key) if e.key in rank else len(rank))
    message = _error_message(run, first) if isinstance(first, ErrorMatches) else None
    shown = clip(" ".join(message.split()), 80) if message else ""
    headline = f'failed with error "{shown}"' if message else describe(first)
    unknown = _unknown_answer(run, "; ").split(" (")[0]
    return clip(f"{agent} {headline}{unknown}", 120)


def _error_message(run: TraceRun, entry: ErrorMatches) -> str | None:
    """The message of the run's last error the signature matches."""
    try:
        found = [m for m in run.error_messages() if bounded_search(entry.error_matches, m)]
    except RegexTimeout:
        return None
    return found[-1] if found else None


def _unknown_answer(run: TraceRun, lead: str) -> str:
    """Why the run's answer is unknown, after ``lead`` ("" when the run's format recorded
    it): a missing answer the format never records is not taken for a failure."""
    reason = run.metadata.answer_not_recorded
    return "" if run.answer_recorded() or not reason else f"{lead}{reason}"


def _notes(spec: CaseSpec, run: TraceRun, source_name: str, out: Path,
           redaction: dict[str, int] | None, tape: TapeFromRun) -> str:
    cited: set[int] = set()
    for entry in spec.observed_failure:
        for number in re.findall(r"\d+", _event_part(entry.why or "")):
            cited.add(int(number))
    rows = [
        {"seq": e.seq, "type": e.type, "text": event_line(e), "flagged": e.seq in cited}
        for e in run.events[:TIMELINE_ROWS]
    ]
    case_dir = out.as_posix() if not out.is_absolute() else f"cases/{spec.id}"
    return render("notes.md.j2", spec=spec, run=run, totals=run.totals(), timeline=rows,
                  timeline_cut=max(0, len(run.events) - TIMELINE_ROWS),
                  source_name=source_name, redaction=redaction, case_dir=case_dir,
                  tape=tape, answer_unknown=_unknown_answer(run, ""), describe=describe)


def _event_part(why: str) -> str:
    match = re.search(r"\(events? ([\d,]+)", why)
    return match.group(1) if match else ""
