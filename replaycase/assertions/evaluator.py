"""The evaluator: one registry from catalogue key to evaluator, and the public entry points.

Every evaluator reads a TraceRun only, so a source trace and a candidate's output are
judged the same way. Nothing here raises for a bad run: what cannot be judged comes back
as an outcome ``error`` with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._bounded_regex import RegexTimeout, time_bound
from ..model import TraceRun
from ..results import Outcome
from . import budget, catalogue, logic, tools, workflow
from . import run as run_family
from ._common import Evaluator, error

REGISTRY: dict[str, Evaluator] = {
    **run_family.EVALUATORS,
    **tools.EVALUATORS,
    **workflow.EVALUATORS,
    **budget.EVALUATORS,
    **logic.EVALUATORS,
}


def evaluate(entry: catalogue._Entry, run: TraceRun) -> Outcome:
    """Judge one catalogue entry on one run."""
    evaluator = REGISTRY.get(entry.key)
    if evaluator is None:
        return error(entry, f"no evaluator for catalogue key {entry.key!r}")
    try:
        with time_bound():
            return evaluator(entry, run)
    except RegexTimeout as exc:
        return error(entry, str(exc))
    except RecursionError:
        return error(entry, "could not evaluate: the values are nested too deeply")
    except Exception as exc:  # any fault of one entry becomes its outcome, never a traceback
        return error(entry, f"could not evaluate: {type(exc).__name__}: {exc}")


def evaluate_all(entries: Sequence[catalogue._Entry], run: TraceRun) -> list[Outcome]:
    """Judge every entry on one run, in order."""
    return [evaluate(entry, run) for entry in entries]


def semantic_outcomes(checks: list[catalogue.SemanticCheck]) -> list[Outcome]:
    """Semantic checks are never auto-graded: each is reported as needs_review."""
    return [
        Outcome(key="semantic", entry=check.model_dump(exclude_none=True),
                outcome="needs_review", message=check.check, why=check.why)
        for check in checks
    ]


def all_hold(outcomes: list[Outcome]) -> bool:
    """True when every outcome passed (needs_review and error do not)."""
    return all(outcome.outcome == "passed" for outcome in outcomes)

