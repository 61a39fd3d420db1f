"""Combining the repeated runs of one case (``--repeat N``) into one result.

The rule, in the order applied:

- a run diverged (left the recording): ``diverged``, details of the first that did;
- every run met the expectation: the verdict of the first run (``fixed``, or ``reproduced``
  under ``--expect reproduced``), details of the first run;
- no run met it: the most common verdict among the runs (the earliest on a tie), details of
  the first run with that verdict;
- some did and some did not: ``flaky``, details of the first run that did not.

``pass_rate`` is the share of runs that met the expectation. Whether a flaky case counts as a
pass is decided later, by ``ReplayResult.passes`` with ``--min-pass-rate``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from ..results import RepeatRun, ReplayResult

Expect = Literal["fixed", "reproduced"]


def combine(runs: Sequence[ReplayResult], expect: Expect = "fixed") -> ReplayResult:
    """One result for a case run ``len(runs)`` times; a single run is returned unchanged."""
    if not runs:
        raise ValueError("combine needs at least one run")
    if len(runs) == 1:
        return runs[0]
    passed = [run.passes(expect) for run in runs]
    diverged = next((run for run in runs if run.verdict == "diverged"), None)
    if diverged is not None:  # a run off the recording says nothing of the others
        base, verdict = diverged, "diverged"
    elif all(passed):
        base, verdict = runs[0], runs[0].verdict
    elif not any(passed):
        verdict = Counter(run.verdict for run in runs).most_common(1)[0][0]
        base = next(run for run in runs if run.verdict == verdict)
    else:
        base, verdict = runs[passed.index(False)], "flaky"
    repeat_runs = [
        RepeatRun(verdict=run.verdict, passed=ok, evidence_dir=run.evidence_dir,
                  duration_ms=run.duration_ms, reason=None if ok else why_not(run))
        for run, ok in zip(runs, passed, strict=True)
    ]
    return base.model_copy(update={
        "verdict": verdict,
        "repeats": len(runs),
        "pass_rate": sum(passed) / len(runs),
        "repeat_runs": repeat_runs,
        "duration_ms": round(sum(run.duration_ms for run in runs), 1),
    })


def why_not(run: ReplayResult) -> str:
    """Why a run did not meet the expectation, in a few words: the runner error, where it
    diverged, the desired assertions that failed, or its verdict."""
    if run.verdict == "runner_error":
        return f"runner: {run.runner.reason or 'error'}"
    if run.verdict == "diverged" and run.divergence is not None:
        return run.divergence.message
    failed = [f"{o.key}: {o.message}" for o in (*run.assertions, *run.semantic)
              if o.outcome in ("failed", "error")]
    if run.verdict == "failing" and failed:
        return "; ".join(failed)
    return run.verdict
