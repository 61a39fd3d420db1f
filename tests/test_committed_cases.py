"""cases/ is what scaffold makes of examples/traces today (examples/scaffold_cases.sh)."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from replaycase.scaffolding.build import ScaffoldOptions, scaffold

REPO = Path(__file__).parent.parent
OBSERVED = {"wrong-tool": ["tool_called: issue_refund"]}
SCENARIOS = ["tool-loop", "tool-error-unhandled", "wrong-tool", "no-final-output"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_committed_case_matches_a_fresh_scaffold(tmp_path: Path, scenario: str) -> None:
    out = tmp_path / "cases" / scenario
    scaffold(REPO / "examples" / "traces" / f"{scenario}.json", out,
             ScaffoldOptions(observed=OBSERVED.get(scenario, [])))
    committed = REPO / "cases" / scenario
    fresh = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    kept = sorted(p.relative_to(committed).as_posix() for p in committed.rglob("*")
                  if p.is_file())
    assert fresh == kept
    for name in fresh:
        assert filecmp.cmp(out / name, committed / name, shallow=False), \
            f"cases/{scenario}/{name} is stale: run sh examples/scaffold_cases.sh"
