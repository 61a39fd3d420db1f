"""The document ``replaycase diff`` prints (``replaycase.diff/v1``), piece by piece."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from .prices import RunCost

DIFF_FORMAT: Final = "replaycase.diff/v1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ComparisonPlan(_Model):
    """Which events of the two runs are compared, and how: what `plan_comparison` decides."""

    mode: Literal["same_format", "cross_format"]
    formats: list[str | None]
    event_types: list[str] = Field(description="The event types compared.")
    note: str


class DivergenceSide(_Model):
    """One run's event at the divergence; ``seq`` None when that run had already ended."""

    seq: int | None = None
    type: str | None = None
    summary: str = "(the run ends here)"
    event: dict[str, Any] | None = None


class Divergence(_Model):
    """The first position where the two runs part."""

    position: int = Field(description="1-based position in the compared event sequences.")
    reason: str
    a: DivergenceSide
    b: DivergenceSide


class ToolCallEntry(_Model):
    tool_name: str
    tool_args: Any = None
    count: int


class ToolCallsDiff(_Model):
    """Tool calls by name and arguments, counted: only in B, only in A, in both."""

    added: list[ToolCallEntry] = Field(default_factory=list)
    removed: list[ToolCallEntry] = Field(default_factory=list)
    common: list[ToolCallEntry] = Field(default_factory=list)


class Metric(_Model):
    """One figure of each run, and B minus A when both are known."""

    name: str
    unit: str
    a: int | float | None = None
    b: int | float | None = None
    delta: int | float | None = None


class OutputDiff(_Model):
    equal: bool
    unified: str = Field(default="", description="Unified diff of the final outputs.")
    structured: dict[str, Any] | None = Field(
        default=None, description="deepdiff of the final outputs, when both are structured.")


class RunSide(_Model):
    label: str
    run_id: str
    status: str
    format: str | None = None
    agent: str | None = None
    version: str | None = None
    model: str | None = None
    input: Any = None
    states: list[str] = Field(default_factory=list)
    final_output: Any = None
    cost: RunCost


class RunDiff(_Model):
    """Everything ``replaycase diff`` shows, as one document."""

    schema_: Literal["replaycase.diff/v1"] = Field(default=DIFF_FORMAT, alias="schema")
    a: RunSide
    b: RunSide
    same_status: bool
    same_input: bool
    comparison: ComparisonPlan
    divergence: Divergence | None = None
    tool_calls: ToolCallsDiff
    metrics: list[Metric]
    final_output: OutputDiff

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)
