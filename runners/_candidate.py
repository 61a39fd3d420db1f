"""What both candidate runners do: replay the support agent with one policy.

Reads the case's question, serves every tool call from the recorded fixtures (recorded errors
are raised again), records the run with replaycase's Recorder and writes it where replaycase
reads it. Exit code 0 whenever the run was recorded, even a failed one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "runner-api"))
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # replaycase from this checkout when not installed

from support_agent import AGENT, MODEL, Policy, ReplayWorld, SupportAgent  # noqa: E402

from replaycase.errors import ReplaycaseError  # noqa: E402
from replaycase.runner import Fixtures, Recorder, in_replay  # noqa: E402


def main(policy: Policy, name: str) -> int:
    """Replay the agent with ``policy`` on the case replaycase is replaying."""
    if not in_replay():
        print(f"{name}: not inside a replay; run: replaycase replay examples/runner-api/cases/ "
              f"--runner-cmd 'python {name}'", file=sys.stderr)
        return 2
    try:
        fixtures = Fixtures.from_env()
        question = str(fixtures.input or "")
        case = Path(os.environ.get("REPLAYCASE_CASE_DIR") or "case").name
        recorder = Recorder(f"{case}-{policy.name}", input=question, agent=AGENT,
                            version=policy.version, model=MODEL, tags=["replay"])
        SupportAgent(policy, ReplayWorld(fixtures), recorder).run(question)
        recorder.write_output()
    except (ReplaycaseError, OSError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    return 0
