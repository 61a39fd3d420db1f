"""Comparing two results documents case by case (``replaycase compare OLD.json NEW.json``).

Each case id falls in one category, "passing" meaning it met the expectation its document
was replayed with (``--expect``, ``--min-pass-rate``):

- ``regressed``: passing in OLD, not in NEW (the only category that fails the command);
- ``improved``: not passing in OLD, passing in NEW;
- ``still_failing`` / ``still_passing``: the same in both;
- ``added``: only in NEW; ``removed``: only in OLD. Neither is a regression: a case that
  disappeared is reported, and a new failing case fails its own replay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import UsageError
from ._models import Expect, ReplayResult, ResultsDocument
from .merge import read_results

COMPARE_FORMAT: Final = "replaycase.compare/v1"
Category = Literal["regressed", "improved", "still_failing", "still_passing", "added",
                   "removed"]
CATEGORIES: tuple[str, ...] = ("regressed", "improved", "still_failing", "still_passing",
                               "added", "removed")


class CaseChange(BaseModel):
    """One case id, in OLD and in NEW."""

    case_id: str
    category: Category
    old_verdict: str | None = None
    new_verdict: str | None = None
    old_passed: bool | None = None
    new_passed: bool | None = None


class ResultsComparison(BaseModel):
    """Two results documents compared (`replaycase.compare/v1`): every case of OLD and NEW,
    categorized; sorted by category, then case id."""

    schema_: Literal["replaycase.compare/v1"] = Field(default=COMPARE_FORMAT, alias="schema")
    old: str
    new: str
    expect: str
    cases: list[CaseChange]
    counts: dict[str, int]

    model_config = ConfigDict(populate_by_name=True)

    @property
    def regressed(self) -> bool:
        return self.counts.get("regressed", 0) > 0

    def of(self, category: str) -> list[CaseChange]:
        return [c for c in self.cases if c.category == category]


def compare_files(old: Path, new: Path) -> ResultsComparison:
    """Read two results documents and compare them."""
    return compare_documents(read_results(old), read_results(new), str(old), str(new))


def compare_documents(old: ResultsDocument, new: ResultsDocument, old_name: str = "OLD",
                      new_name: str = "NEW") -> ResultsComparison:
    """Categorize every case id of either document."""
    if old.summary.expect != new.summary.expect:
        raise UsageError(f"{old_name} was replayed with --expect {old.summary.expect} and "
                         f"{new_name} with --expect {new.summary.expect}: compare results of "
                         "the same expectation")
    before = {r.case_id: r for r in old.results}
    after = {r.case_id: r for r in new.results}
    cases = []
    for case_id in sorted(before.keys() | after.keys()):
        was, now = before.get(case_id), after.get(case_id)
        old_passed = _passed(was, old)
        new_passed = _passed(now, new)
        cases.append(CaseChange(
            case_id=case_id, category=_category(old_passed, new_passed),
            old_verdict=was.verdict if was else None, new_verdict=now.verdict if now else None,
            old_passed=old_passed, new_passed=new_passed))
    cases.sort(key=lambda c: (CATEGORIES.index(c.category), c.case_id))
    counts = {name: sum(1 for c in cases if c.category == name) for name in CATEGORIES}
    return ResultsComparison(old=old_name, new=new_name, expect=new.summary.expect, cases=cases,
                      counts=counts)


def _passed(result: ReplayResult | None, document: ResultsDocument) -> bool | None:
    if result is None:
        return None
    expect: Expect = "reproduced" if document.summary.expect == "reproduced" else "fixed"
    return result.passes(expect, document.summary.min_pass_rate)


def _category(old_passed: bool | None, new_passed: bool | None) -> Category:
    if old_passed is None:
        return "added"
    if new_passed is None:
        return "removed"
    if old_passed and not new_passed:
        return "regressed"
    if new_passed and not old_passed:
        return "improved"
    return "still_passing" if new_passed else "still_failing"


def text_lines(comparison: ResultsComparison) -> list[str]:
    """The comparison for people: each category with its cases (still passing: a count)."""
    lines: list[str] = []
    for name in CATEGORIES:
        cases = comparison.of(name)
        if not cases or name == "still_passing":
            continue
        lines.append(f"{name.replace('_', ' ')} ({len(cases)}):")
        width = max(len(c.case_id) for c in cases)
        for case in cases:
            lines.append(f"  {case.case_id.ljust(width)}  {case.old_verdict or '-'} -> "
                         f"{case.new_verdict or '-'}")
    lines.append(" · ".join(f"{comparison.counts[name]} {name.replace('_', ' ')}"
                            for name in CATEGORIES))
    return lines
