"""Results of evaluating entries and of replaying cases."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..model import STRUCTURE, Name

RESULTS_FORMAT: Final = "replaycase.results/v2"
"""v2 added the verdict ``diverged`` and ``ReplayResult.divergence``; v1 files read as v2."""
READABLE_FORMATS: Final = ("replaycase.results/v1", RESULTS_FORMAT)

OutcomeKind = Literal["passed", "failed", "needs_review", "error"]
Expect = Literal["fixed", "reproduced"]
Verdict = Literal["fixed", "reproduced", "failing", "diverged", "runner_error", "flaky"]
VERDICTS: tuple[str, ...] = ("fixed", "reproduced", "failing", "diverged", "runner_error",
                             "flaky")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Outcome(_Model):
    """One signature, assertion or semantic check, judged on one run."""

    key: Name = Field(description="The catalogue key, e.g. tool_call_count, or 'semantic'.")
    entry: Annotated[dict[str, Any], STRUCTURE] = Field(
        description="The entry as written in case.yaml.")
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
    output_format: Name | None = None


class RepeatRun(_Model):
    """One of the runs of a case replayed several times (``--repeat N``)."""

    verdict: Verdict
    passed: bool = Field(description="Whether this run met the expectation.")
    evidence_dir: Name | None = None
    duration_ms: float = 0.0
    reason: str | None = Field(default=None, description=(
        "Why this run did not meet the expectation (the runner error, where it diverged, the "
        "assertions that failed), None when it did."))


class DivergencePoint(_Model):
    """Where a candidate left the recording: it asked the model tape something the tape
    cannot answer, or asked the fixtures for a tool call they do not hold."""

    source: Literal["model_tape", "tool_fixtures"]
    message: str
    """One line: ``replaycase: diverged at model turn N: <path>: recorded <a>, received <b>``."""
    turn: int | None = None
    """The candidate's model turn (from 1) or tool call (from 1) that diverged."""
    path: str | None = None
    recorded: Any = None
    received: Any = None


class ReplayResult(_Model):
    """One case replayed against one candidate."""

    case_id: Name
    case_path: Name
    title: str = ""
    tags: list[Name] = Field(default_factory=list)
    verdict: Verdict
    reproduced: bool = False
    signatures: list[Outcome] = Field(default_factory=list)
    assertions: list[Outcome] = Field(default_factory=list)
    semantic: list[Outcome] = Field(default_factory=list)
    runner: RunnerInfo = Field(default_factory=RunnerInfo)
    divergence: DivergencePoint | None = Field(
        default=None, description="With the verdict diverged: where the candidate left the "
                                  "recording.")
    model_tape: Literal["served", "none", "off"] | None = Field(
        default=None, description="How the runner's model calls were answered: served from "
        "the case's tape, none (the case has no tape: the runner reached its own model), off "
        "(--no-model-tape).")
    evidence_dir: Name | None = None
    evidence_error: str | None = Field(
        default=None, description="What of the evidence folder could not be written or kept "
                                  "as it should, if anything (a full disk, a vandal runner).")
    duration_ms: float = 0.0
    repeats: int = Field(default=1, description="How many times the case was run.")
    pass_rate: float | None = Field(
        default=None, description="With --repeat: the share of runs that met the expectation.")
    repeat_runs: list[RepeatRun] = Field(
        default_factory=list, description="With --repeat: each run, in the order started.")

    @property
    def desired_passed(self) -> int:
        return sum(1 for a in self.assertions if a.passed)

    def passes(self, expect: Expect = "fixed",
               min_pass_rate: float | None = None) -> bool:
        """Whether this result meets the expectation the replay was run with.

        With ``min_pass_rate`` and a repeated case, a pass rate at or above it is a pass.
        """
        if self.verdict == "diverged":
            return False  # neither fixed nor reproduced, whatever is expected (DESIGN 8)
        if min_pass_rate is not None and self.pass_rate is not None:
            return self.pass_rate >= min_pass_rate
        return self.verdict == ("fixed" if expect == "fixed" else "reproduced")


class InvalidCase(_Model):
    """A case folder that could not be loaded, so was not replayed."""

    path: str
    error: str


class Summary(_Model):
    total: int = 0
    fixed: int = 0
    reproduced: int = 0
    failing: int = 0
    diverged: int = 0
    runner_error: int = 0
    flaky: int = 0
    expect: str = "fixed"
    passed: int = 0
    duration_ms: float = 0.0
    not_run: int = Field(default=0, description="Cases --fail-fast or an interrupt did not "
                                                "let finish.")
    not_run_ids: list[str] = Field(default_factory=list)
    invalid: int = Field(default=0, description="Case folders refused as invalid (not run).")
    invalid_cases: list[InvalidCase] = Field(default_factory=list)
    incomplete: bool = Field(default=False, description="The replay was stopped before every "
                                                        "case had run.")
    interrupted: str | None = Field(default=None, description="What stopped it: 'SIGINT', "
                                                              "'SIGTERM' or 'stopped'.")
    repeat: int = 1
    min_pass_rate: float | None = None
    shard: str | None = Field(default=None, description="'I/N' when one shard was replayed.")
    without_tape: list[str] = Field(default_factory=list, description="Cases replayed with no "
                                    "model tape to serve (their runners reached their own "
                                    "model).")


class ResultsDocument(_Model):
    """The JSON document of ``--output json`` and ``--json F``."""

    schema_: Literal["replaycase.results/v2"] = Field(default=RESULTS_FORMAT, alias="schema")
    results: list[ReplayResult]
    summary: Summary

    model_config = ConfigDict(populate_by_name=True)


def summarize(results: list[ReplayResult], expect: str = "fixed",
              duration_ms: float = 0.0, min_pass_rate: float | None = None) -> Summary:
    """Counts by verdict and how many met the expectation."""
    summary = Summary(total=len(results), expect=expect, duration_ms=round(duration_ms, 1),
                      min_pass_rate=min_pass_rate)
    for result in results:
        setattr(summary, result.verdict, getattr(summary, result.verdict) + 1)
        if result.passes("reproduced" if expect == "reproduced" else "fixed", min_pass_rate):
            summary.passed += 1
        if result.model_tape == "none":
            summary.without_tape.append(result.case_id)
    return summary
