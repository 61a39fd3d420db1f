"""The dogfooded example: the support agent, its recorded traces and its candidate runners."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from replaycase.importers import load_trace
from replaycase.model import TraceRun
from replaycase.runner import Fixtures, Recorder
from replaycase.scaffolding.fixtures import fixture_files

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "runner-api"))

import record_traces  # noqa: E402
from support_agent import (  # noqa: E402
    BUGGY,
    FIXED,
    MAX_TURNS,
    Policy,
    ReplayWorld,
    SupportAgent,
    decide,
    recorded_exception,
    run_production,
)

SCENARIOS = {s.name: s for s in record_traces.SCENARIOS}
EMAIL = "jane.doe@example.com"

# scenario -> (status, tools called in order, text the answer holds, or None for no answer)
BUGGY_RUNS = {
    "tool-loop": ("error", ["lookup_billing"] * 6, None),
    "tool-error-unhandled": ("error", ["search_kb"], None),
    "wrong-tool": ("success", ["lookup_billing", "issue_refund"], "I've refunded $12.00"),
    "no-final-output": ("error", ["search_kb"] * MAX_TURNS, None),
    "happy": ("success", ["search_kb"], "refund policy"),
}
FIXED_RUNS = {
    "tool-loop": ("success", ["lookup_billing"] * 2, "billing specialist"),
    "tool-error-unhandled": ("success", ["search_kb"], "Settings > Billing > Payment method"),
    "wrong-tool": ("success", ["lookup_billing"], "1 extra Pro seat"),
    "no-final-output": ("success", ["search_kb"] * 2, "12 x $25 = $300"),
    "happy": ("success", ["search_kb"], "refund policy"),
}
BUGGY_ERRORS = {
    "tool-loop": "ToolLoopError: lookup_billing called 6 times with identical arguments",
    "tool-error-unhandled": "ConnectionError: kb-service unavailable (503)",
    "no-final-output": f"MaxTurnsExceeded: agent stopped after {MAX_TURNS} turns",
}


def _production(name: str, policy: Policy) -> TraceRun:
    scenario = SCENARIOS[name]
    return run_production(scenario.question, policy, run_id=scenario.run_id,
                          start=scenario.start).finish()


def _check(run: TraceRun, expected: tuple[str, list[str], str | None]) -> None:
    status, tools, answer = expected
    assert run.status == status
    assert [c.tool_name for c in run.tool_calls()] == tools
    if answer is None:
        assert run.final_output is None
    else:
        assert answer in run.final_output


def test_record_traces_writes_identical_bytes_every_time(tmp_path: Path) -> None:
    first = record_traces.main(tmp_path / "a")
    second = record_traces.main(tmp_path / "b")
    assert sorted(p.name for p in first) == sorted(f"{n}.json" for n in SCENARIOS)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    run = load_trace(first[0])[0]
    assert run.metadata.version == BUGGY.version
    assert run.events[0].ts == "2026-03-12T10:00:00.000Z"


@pytest.mark.parametrize("name", sorted(BUGGY_RUNS))
def test_buggy_policy_in_production(name: str) -> None:
    run = _production(name, BUGGY)
    _check(run, BUGGY_RUNS[name])
    if name in BUGGY_ERRORS:
        assert run.error_messages()[-1].startswith(BUGGY_ERRORS[name])


@pytest.mark.parametrize("name", sorted(FIXED_RUNS))
def test_fixed_policy_in_production(name: str) -> None:
    run = _production(name, FIXED)
    _check(run, FIXED_RUNS[name])
    assert run.errors() == []
    assert len(run.llm_calls()) < MAX_TURNS


def test_a_redacted_customer_id_is_still_looked_up() -> None:
    decision = decide("Why was I charged twice? My customer id is <redacted:phone:1>.", [], FIXED)
    assert decision.tool == "lookup_billing"
    assert decision.args == {"customer_id": "<redacted:phone:1>"}


def test_recorded_errors_are_raised_as_their_own_type() -> None:
    timeout = recorded_exception("TimeoutError: billing-api did not respond within 10s")
    assert type(timeout) is TimeoutError
    assert str(timeout) == "billing-api did not respond within 10s"
    unknown = recorded_exception("BillingApiError: quota exceeded")
    assert type(unknown) is RuntimeError
    assert str(unknown) == "BillingApiError: quota exceeded"
    assert type(recorded_exception({"code": 503})) is RuntimeError


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TraceRun]:
    folder = tmp_path_factory.mktemp("traces")
    return {p.stem: load_trace(p)[0] for p in record_traces.main(folder)}


def _case(folder: Path, run: TraceRun, question: str | None = None) -> Path:
    """A case folder's fixtures for ``run``, the e-mail redacted as scaffold does."""
    for rel, pieces in fixture_files(run).items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(pieces).replace(EMAIL, "<redacted:email:1>"), encoding="utf-8")
    if question is not None:
        (folder / "fixtures" / "input.json").write_text(
            json.dumps({"run_id": run.run_id, "input": question}), encoding="utf-8")
    return folder


def _replay(runner: str, case: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run a candidate runner the way `replaycase replay` does: env vars, case folder as cwd."""
    output = case / "runner-output.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPLAYCASE_", "REPLAYKIT_"))}
    env.update({"REPLAYCASE_CASE_DIR": str(case),
                "REPLAYCASE_FIXTURES_DIR": str(case / "fixtures"),
                "REPLAYCASE_INPUT_PATH": str(case / "fixtures" / "input.json"),
                "REPLAYCASE_OUTPUT_PATH": str(output)})
    done = subprocess.run([sys.executable, str(ROOT / "runners" / f"{runner}.py")], env=env,
                          cwd=case, capture_output=True, text=True, timeout=60)
    return done, output


@pytest.mark.parametrize("runner,expected", [("buggy", BUGGY_RUNS), ("fixed", FIXED_RUNS)])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_runner_replays_the_recorded_world(tmp_path: Path, traces: dict[str, TraceRun],
                                           runner: str, expected: dict, name: str) -> None:
    done, output = _replay(runner, _case(tmp_path / name, traces[name]))
    assert done.returncode == 0, done.stderr
    run = load_trace(output)[0]
    _check(run, expected[name])
    assert run.run_id == f"{name}-{runner}"
    assert EMAIL not in output.read_text(encoding="utf-8")
    if runner == "buggy" and name in BUGGY_ERRORS:
        assert run.error_messages()[-1].startswith(BUGGY_ERRORS[name])


@pytest.mark.parametrize("policy,status", [(FIXED, "success"), (BUGGY, "error")])
def test_a_tool_missing_from_the_fixtures_is_a_tool_error(
        tmp_path: Path, traces: dict[str, TraceRun], policy: Policy, status: str) -> None:
    question = SCENARIOS["wrong-tool"].question
    case = _case(tmp_path / "case", traces["happy"], question)
    recorder = Recorder("missing", input=question, clock=None)
    SupportAgent(policy, ReplayWorld(Fixtures(case / "fixtures")), recorder).run(question)
    run = recorder.finish()
    assert run.status == status
    [call] = run.tool_calls()
    assert call.tool_name == "lookup_billing"
    assert call.is_error
    assert call.output.startswith("FixtureMissing: no recorded call of tool 'lookup_billing'")
    assert (run.final_output is not None) == (status == "success")


def test_runner_outside_a_replay_fails_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPLAYCASE_", "REPLAYKIT_"))}
    done = subprocess.run([sys.executable, str(ROOT / "runners" / "fixed.py")], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "runners/fixed.py: not inside a replay; run: replaycase replay examples/runner-api/cases/ "
        "--runner-cmd 'python runners/fixed.py'")
    assert list(tmp_path.iterdir()) == []
