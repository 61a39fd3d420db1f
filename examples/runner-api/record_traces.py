"""Run the support agent "in production" on five tickets and write their traces.

    python examples/runner-api/record_traces.py [OUT_DIR]   # default: examples/runner-api/traces/

Production ran version 1.3.0 (the BUGGY policy). The tools and the clock are deterministic, so
every run of this script writes byte-identical files.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
if str(HERE.parents[1]) not in sys.path:
    sys.path.append(str(HERE.parents[1]))  # replaycase from this checkout when not installed

from support_agent import BUGGY, Policy, run_production  # noqa: E402


@dataclass(frozen=True)
class Scenario:
    """One support ticket as production received it."""

    name: str
    run_id: str
    start: str
    question: str


SCENARIOS = [
    Scenario("tool-loop", "sup-20260312-0001", "2026-03-12T10:00:00Z",
             "Why was I charged $49.99 twice in March? My customer id is C-10442 and my email "
             "is jane.doe@example.com."),
    Scenario("tool-error-unhandled", "sup-20260312-0002", "2026-03-12T10:07:00Z",
             "How do I change the card on my account?"),
    Scenario("wrong-tool", "sup-20260312-0003", "2026-03-12T10:14:00Z",
             "Can you explain the $12.00 charge on invoice INV-2024-0312? Customer id C-20077."),
    Scenario("no-final-output", "sup-20260312-0004", "2026-03-12T10:21:00Z",
             "Compare the Pro and Team plans for a 12-person company."),
    Scenario("happy", "sup-20260312-0005", "2026-03-12T10:28:00Z",
             "What is your refund policy?"),
]


def main(out_dir: Path | None = None, policy: Policy = BUGGY) -> list[Path]:
    """Record every scenario with ``policy`` into ``out_dir``; return the files written."""
    out = Path(out_dir) if out_dir is not None else HERE / "traces"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for scenario in SCENARIOS:
        recorder = run_production(scenario.question, policy, run_id=scenario.run_id,
                                  start=scenario.start)
        written.append(recorder.save(out / f"{scenario.name}.json"))
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else None):
        print(path)
