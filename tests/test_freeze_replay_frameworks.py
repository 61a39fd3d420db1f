"""``replay --freeze-tools --offline`` end to end on agents of three frameworks (issue 16):
LangGraph (ChatOpenAI + ToolNode), PydanticAI and a LlamaIndex FunctionTool. Each agent's tool
failed in production; the case is scaffolded from the OpenAI messages the agent logged. Today
the billing API is back up (BILLING_API_UP): replayed unfrozen, the tool answers, so the agent
leaves the recording (``diverged``); frozen, each call is answered the recorded failure,
raised again inside the tool, so the framework renders the same error text to the model and
the failure reproduces; the fix, frozen, is ``fixed``. (The OpenAI Agents SDK's end-to-end
test is in test_sdk_replay_agents.py; CrewAI is not tested: it requires openai<3.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sdk_agent_checks import evidence, record_production, replay_variant

from replaycase.scaffolding.build import ScaffoldOptions, scaffold

DATA = Path(__file__).parent / "data" / "freeze_frameworks"
FRAMEWORKS = {
    # name: (module the agent needs, agent, what the recorded tool error reads as)
    "langgraph": ("langgraph", "langgraph_agent.py",
                  "Error: TimeoutError('billing-api did not respond within 10s')\n"
                  " Please fix your mistakes."),
    "llama_index": ("llama_index.core", "llama_index_agent.py",
                    "Encountered error: billing-api did not respond within 10s"),
}
FROZEN = {"freeze_tools": True, "offline": True}


def _agent(name: str) -> Path:
    module, agent, _ = FRAMEWORKS[name]
    pytest.importorskip(module, reason=f"{module} is not installed (pip install -e '.[freeze]')")
    pytest.importorskip("langchain_openai" if name == "langgraph" else "openai")
    return DATA / agent


@pytest.fixture(scope="module")
def case_of(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The case scaffolded from a framework agent's failed production run (made once)."""
    made: dict[str, Path] = {}

    def case(name: str) -> Path:
        if name not in made:
            work = tmp_path_factory.mktemp(name)
            done = record_production(_agent(name), work)
            assert done.returncode == 1, done.stderr
            out = work / "cases" / f"{name}-billing-loop"
            [report] = scaffold(work / "transcript.json", out, ScaffoldOptions())
            calls = json.loads((out / "fixtures" / "tool_calls.json").read_text())
            assert [(c["tool_name"], c["is_error"], c["output"]) for c in calls] == [
                ("lookup_billing", True, FRAMEWORKS[name][2])] * len(calls)
            assert len(calls) == 3
            assert {"repeated_tool_call": {"tool": "lookup_billing", "min": 3}} in [
                {k: v for k, v in entry.items() if k != "why"} for entry in report.observed]
            made[name] = out
        return made[name]

    return case


def _served(result: object) -> list[str]:
    path = evidence(result, "frozen-tools.jsonl")  # type: ignore[arg-type]
    return [json.loads(line)["served"] for line in path.read_text().splitlines()]


@pytest.mark.parametrize("name", sorted(FRAMEWORKS))
def test_frozen_tools_reproduce_though_the_outage_is_over(
        case_of: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        name: str) -> None:
    case_dir = case_of(name)
    monkeypatch.setenv("BILLING_API_UP", "1")
    agent = _agent(name)
    unfrozen = replay_variant(case_dir, tmp_path / "unfrozen", agent, "buggy")
    assert unfrozen.verdict == "diverged", (unfrozen.verdict, unfrozen.runner.reason)
    frozen = replay_variant(case_dir, tmp_path / "frozen", agent, "buggy", **FROZEN)
    assert frozen.verdict == "reproduced", (frozen.verdict, frozen.runner.reason,
                                            frozen.divergence)
    assert frozen.runner.exit_code == 1
    assert _served(frozen) == ["error"] * 3


@pytest.mark.parametrize("name", sorted(FRAMEWORKS))
def test_the_fix_replayed_frozen_is_fixed(case_of: Callable[[str], Path], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("BILLING_API_UP", "1")
    result = replay_variant(case_of(name), tmp_path, _agent(name), "fixed", **FROZEN)
    assert result.verdict == "fixed", (result.verdict, result.runner.reason, result.assertions)
    assert _served(result) == ["error"] * 2
