"""Results of evaluating entries and of replaying cases."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RESULTS_SCHEMA = "replaycase.results/v1"

OutcomeKind = Literal["passed", "failed", "needs_review", "error"]
Verdict = Literal["fixed", "reproduced", "failing", "runner_error"]
VERDICTS: tuple[str, ...] = ("fixed", "reproduced", "failing", "runner_error")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Outcome(_Model):
    """One signature, assertion or semantic check, judged on one run."""

    key: str = Field(description="The catalogue key, e.g. tool_call_count, or 'semantic'.")
    entry: dict[str, Any] = Field(description="The entry as written in case.yaml.")
    outcome: OutcomeKind
    message: str
    expected: Any = None
    actual: Any = None
    why: str | None = None
    events: list[int] = Field(default_factory=list, description="Event numbers cited.")
    children: list[Outcome] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


class RunnerInfo(_Model):
    """What happened to the runner process."""

    cmd: str | None = None
    exit_code: int | None = None
    duration_ms: float = 0.0
    reason: str | None = Field(default=None, description="Why the runner erred, if it did.")
    timed_out: bool = False
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    stderr_tail: str = ""
    output_format: str | None = None


class ReplayResult(_Model):
    """One case replayed against one candidate."""

    case_id: str
    case_path: str
    title: str = ""
    tags: list[str] = Field(default_factory=list)
    verdict: Verdict
    reproduced: bool = False
    signatures: list[Outcome] = Field(default_factory=list)
    assertions: list[Outcome] = Field(default_factory=list)
    semantic: list[Outcome] = Field(default_factory=list)
    runner: RunnerInfo = Field(default_factory=RunnerInfo)
    evidence_dir: str | None = None
    duration_ms: float = 0.0

    @property
    def desired_passed(self) -> int:
        return sum(1 for a in self.assertions if a.passed)

    def passes(self, expect: Literal["fixed", "reproduced"] = "fixed") -> bool:
        """Whether this result meets the expectation the replay was run with."""
        return self.verdict == ("fixed" if expect == "fixed" else "reproduced")


class Summary(_Model):
    total: int = 0
    fixed: int = 0
    reproduced: int = 0
    failing: int = 0
    runner_error: int = 0
    expect: str = "fixed"
    passed: int = 0
    duration_ms: float = 0.0


class ResultsDocument(_Model):
    """The JSON document of ``--output json`` and ``--json F``."""

    schema_: Literal["replaycase.results/v1"] = Field(default=RESULTS_SCHEMA, alias="schema")
    results: list[ReplayResult]
    summary: Summary

    model_config = ConfigDict(populate_by_name=True)


def summarize(results: list[ReplayResult], expect: str = "fixed",
              duration_ms: float = 0.0) -> Summary:
    """Counts by verdict and how many met the expectation."""
    summary = Summary(total=len(results), expect=expect, duration_ms=round(duration_ms, 1))
    for result in results:
        setattr(summary, result.verdict, getattr(summary, result.verdict) + 1)
        if result.passes("reproduced" if expect == "reproduced" else "fixed"):
            summary.passed += 1
    return summary
