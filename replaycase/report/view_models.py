"""The view model of replay results: what the Markdown, HTML, diff and GitHub renderers
render, and the pure helpers that word its values. ``view`` builds it from results and case
folders (the enrich step); renderers import only this module, so they read no files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from pydantic import BaseModel, Field

from ..diff.models import RunDiff


class OutcomeView(BaseModel):
    key: str
    outcome: str
    entry: str
    message: str
    expected: str
    actual: str
    why: str = ""
    children: list[OutcomeView] = Field(default_factory=list)


class EventView(BaseModel):
    seq: int
    type: str
    summary: str
    detail: str
    is_error: bool = False
    compared: bool = True
    divergent: bool = False


class TimelineView(BaseModel):
    label: str
    run_id: str
    status: str
    format: str | None = None
    events: list[EventView] = Field(default_factory=list)
    ends_divergent: bool = Field(default=False,
                                 description="The run ended where the other went on.")


class MetricView(BaseModel):
    name: str
    a: str
    b: str
    delta: str
    changed: bool
    note: str = Field(default="", description="Why there is no difference (a duration).")


class ToolRow(BaseModel):
    change: str
    sign: str
    tool: str
    args: str
    count: int


class LinkView(BaseModel):
    name: str
    path: str = Field(description="Absolute path of the file.")


class LeftRecordingView(BaseModel):
    """Where a diverged candidate left the recording, for the report to show side by side."""

    message: str
    where: str
    recorded: str
    received: str


class CaseView(BaseModel):
    anchor: str
    case_id: str
    title: str
    tags: list[str]
    verdict: str
    verdict_label: str
    headline: str
    passes: bool
    signatures: list[OutcomeView]
    assertions: list[OutcomeView]
    semantic: list[OutcomeView]
    runner_cmd: str
    exit_code: str
    runner_ms: str
    runner_reason: str
    evidence_error: str
    stderr_tail: str
    source: TimelineView | None = None
    candidate: TimelineView | None = None
    diff: RunDiff | None = None
    divergence_line: str = Field(default="", description="The first divergence in one line.")
    structured_diff: str = Field(default="", description="deepdiff of the final outputs.")
    metrics: list[MetricView] = Field(default_factory=list)
    tool_rows: list[ToolRow] = Field(default_factory=list)
    links: list[LinkView] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Why a part is missing.")
    search: str = Field(description="Lower-case text the HTML search looks in.")
    left_recording: LeftRecordingView | None = Field(
        default=None, description="With the verdict diverged: the turn, recorded vs received.")


class SuiteView(BaseModel):
    expect: str
    total: int
    passed: int
    all_passed: bool
    counts: dict[str, int]
    summary_line: str
    tags: list[str]
    cases: list[CaseView]


def href(path: str, base: Path) -> str:
    """A relative link from the folder ``base`` to ``path``, percent-encoded."""
    relative = os.path.relpath(path, start=base.resolve())
    return quote(Path(relative).as_posix())


def format_value(value: int | float | None, unit: str) -> str:
    """A metric as people read it; None is unknown, never zero."""
    if value is None:
        return "unknown"
    if unit == "usd":
        return f"${value:,.6f}".rstrip("0").rstrip(".") if value else "$0"
    if unit == "ms":
        return f"{value / 1000:,.2f} s" if abs(value) >= 1000 else f"{value:,.0f} ms"
    return f"{value:,.0f}"


def format_delta(value: int | float | None, unit: str) -> str:
    if value is None:
        return ""
    if value == 0:
        return "="
    sign = "+" if value > 0 else "−"
    return sign + format_value(abs(value), unit)


def divergence_line(diff: RunDiff | None) -> str:
    """Where the two runs part, in one line ("" without a diff)."""
    if diff is None:
        return ""
    point = diff.divergence
    if point is None:
        return "none: the runs agree on every compared event"
    where = " · ".join(f"{side.label} #{p.seq}" if p.seq is not None
                       else f"{side.label} ended" for side, p in ((diff.a, point.a),
                                                                  (diff.b, point.b)))
    return f"compared event {point.position} ({where}): {point.reason}"


YamlLoc = tuple[str | int, ...]
"""A place in case.yaml, as pydantic names it: ``("desired", 0)`` is the first desired entry."""


@dataclass(frozen=True)
class CaseYamlLines:
    """Where the entries of one case.yaml are, for the annotations that point at them."""

    path: Path
    lines: Mapping[YamlLoc, int] = field(default_factory=dict)

    def line(self, loc: YamlLoc) -> int:
        """The 1-based line of ``loc``; 1 when it is not known."""
        return self.lines.get(loc, 1)
