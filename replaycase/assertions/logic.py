"""The logic family: ``not``, ``all_of``, ``any_of`` over other entries.

Three-valued: a child that could not be evaluated (``error``) makes the whole an error
unless the other children decide it anyway (one failed child fails ``all_of``).
"""

from __future__ import annotations

from ..model import TraceRun
from ..results import Outcome, OutcomeKind
from . import catalogue
from ._common import Evaluator, build, clip


def _evaluate(entry: catalogue._Entry, run: TraceRun) -> Outcome:
    from .evaluator import evaluate  # the registry holds this module's functions

    return evaluate(entry, run)


def _first(children: list[Outcome], kind: str) -> Outcome | None:
    return next((c for c in children if c.outcome == kind), None)


def not_(entry: catalogue.Not, run: TraceRun) -> Outcome:
    child = _evaluate(entry.not_, run)
    flipped: dict[OutcomeKind, OutcomeKind] = {"passed": "failed", "failed": "passed"}
    kind = flipped.get(child.outcome, child.outcome)
    if child.outcome == "failed":
        message = f"as required, {child.key} does not hold: {child.message}"
    elif child.outcome == "passed":
        message = f"{child.key} holds, expected it not to: {child.message}"
    else:
        message = f"{child.key} could not be judged: {child.message}"
    return build(entry, kind, message, expected="failed", actual=child.outcome,
                 events=child.events, children=[child])


def all_of(entry: catalogue.AllOf, run: TraceRun) -> Outcome:
    children = [_evaluate(child, run) for child in entry.all_of]
    held = sum(c.passed for c in children)
    failed, erred = _first(children, "failed"), _first(children, "error")
    summary = f"{held} of {len(children)} checks hold"
    kind: OutcomeKind
    if failed is not None:
        kind, message = "failed", f"{summary}; first failure: {failed.key}: {failed.message}"
    elif erred is not None:
        kind, message = "error", f"{summary}; {erred.key} could not be judged: {erred.message}"
    else:
        kind, message = "passed", f"all {len(children)} checks hold"
    return _combined(entry, kind, message, children)


def any_of(entry: catalogue.AnyOf, run: TraceRun) -> Outcome:
    children = [_evaluate(child, run) for child in entry.any_of]
    passed, erred = _first(children, "passed"), _first(children, "error")
    kind: OutcomeKind
    if passed is not None:
        kind, message = "passed", f"{passed.key} holds: {passed.message}"
    elif erred is not None:
        kind = "error"
        message = f"no check holds; {erred.key} could not be judged: {erred.message}"
    else:
        kind = "failed"
        message = f"none of {len(children)} checks holds: " + "; ".join(
            f"{c.key}: {clip(c.message, 120)}" for c in children[:5])
    return _combined(entry, kind, message, children)


def _combined(entry: catalogue._Entry, kind: OutcomeKind, message: str,
              children: list[Outcome]) -> Outcome:
    events = [seq for child in children if child.outcome == kind for seq in child.events]
    expected = (f"all of {len(children)} checks pass" if entry.key == "all_of"
                else f"at least one of {len(children)} checks passes")
    return build(entry, kind, message, expected=expected,
                 actual=[c.outcome for c in children], events=events, children=children)


EVALUATORS: dict[str, Evaluator] = {
    "not": not_,
    "all_of": all_of,
    "any_of": any_of,
}
