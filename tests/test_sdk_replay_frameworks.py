"""Unmodified agents on LangChain (``langchain-openai``) and PydanticAI (``pydantic-ai-slim``,
OpenAI provider), replayed from their cases' model tapes with no network and no real key
(issue 14), as tests/test_sdk_replay_openai.py does for the bare openai SDK.

Each agent's failed production run (against a scripted model) is scaffolded from the OpenAI
messages it logged; the buggy agent reproduces, a fix in code alone is fixed, a fix that asks
the model something new is diverged at turn 3. The frameworks send what the bare SDK does not
(temperature, tool_choice, parallel_tool_calls, strict tool schemas, stream_options) and
PydanticAI talks the Responses API by default: the match key ignores all of that (DESIGN 8),
so a run recorded on one protocol and mode replays on another, LangChain's
``previous_response_id`` conversations (only the new items sent) too."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sdk_agent_checks import (
    AGENTS,
    candidate_run,
    model_log,
    record_production,
    replay_variant,
)

from replaycase.results import ReplayResult
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

APOLOGY = "Sorry, our billing system is not answering"


@dataclass(frozen=True)
class Framework:
    module: str
    """What the agent imports: its tests are skipped when it is not installed."""
    agent: Path
    abort: str
    """What the buggy agent's stderr says when its loop guard stops the run."""
    protocol: str
    """The wire protocol the agent talks by default."""
    extra: frozenset[str]
    """Request fields the framework sends that the bare SDK agent does not."""
    logs_tools: bool
    """The agent's transcript lists the offered tools, so its tape's keys compare them."""


FRAMEWORKS = {
    "langchain": Framework("langchain_openai", AGENTS / "langchain_agent.py", "ToolLoopError",
                           "openai.chat",
                           frozenset({"temperature", "tool_choice", "parallel_tool_calls"}),
                           logs_tools=True),
    "pydantic_ai": Framework("pydantic_ai", AGENTS / "pydantic_ai_agent.py",
                             "UnexpectedModelBehavior", "openai.responses",
                             frozenset({"tool_choice"}), logs_tools=False),
}


def _framework(name: str) -> Framework:
    framework = FRAMEWORKS[name]
    pytest.importorskip(framework.module, reason=f"{framework.module} is not installed "
                        "(pip install -e '.[frameworks]')")
    return framework


@pytest.fixture(scope="module")
def case_of(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The case scaffolded from a framework's failed production run (made once)."""
    made: dict[str, Path] = {}

    def case(name: str) -> Path:
        if name not in made:
            framework = _framework(name)
            work = tmp_path_factory.mktemp(name)
            done = record_production(framework.agent, work)
            assert done.returncode == 1 and framework.abort in done.stderr, done.stderr
            out = work / "cases" / f"{name}-billing-loop"
            [report] = scaffold(work / "transcript.json", out, ScaffoldOptions())
            assert {"repeated_tool_call": {"tool": "lookup_billing", "min": 3}} in [
                {k: v for k, v in entry.items() if k != "why"} for entry in report.observed]
            header, *turns = (out / "fixtures" / "model_tape.jsonl").read_text().splitlines()
            assert len(turns) == 3
            assert ("tools" in json.loads(header)["not_recorded"]) is not framework.logs_tools
            made[name] = out
        return made[name]

    return case


def _replay(case_of: Callable[[str], Path], tmp_path: Path, name: str, variant: str,
            modes: str) -> ReplayResult:
    return replay_variant(case_of(name), tmp_path, _framework(name).agent, variant,
                          *modes.split())


def _protocol(name: str, modes: str) -> str:
    if "responses" in modes.split():
        return "openai.responses"
    return "openai.chat" if "chat" in modes.split() else FRAMEWORKS[name].protocol


@pytest.mark.parametrize(("name", "modes"), [
    ("langchain", ""), ("langchain", "stream"), ("langchain", "responses stream"),
    ("langchain", "responses previous"),
    ("pydantic_ai", ""), ("pydantic_ai", "stream"), ("pydantic_ai", "chat")])
def test_the_buggy_agent_reproduces_from_the_tape(case_of: Callable[[str], Path],
                                                  tmp_path: Path, name: str,
                                                  modes: str) -> None:
    result = _replay(case_of, tmp_path, name, "buggy", modes)
    assert result.verdict == "reproduced", (result.verdict, result.runner.reason,
                                            result.divergence)
    assert result.runner.exit_code == 1
    log = model_log(result)
    assert [entry["answer"]["turn"] for entry in log] == [1, 2, 3]
    assert {entry["protocol"] for entry in log} == {_protocol(name, modes)}
    for entry in log:  # the framework's own fields reached the server and were not compared
        request = entry["request"]
        assert FRAMEWORKS[name].extra <= set(request), sorted(request)
        assert request.get("stream", False) is ("stream" in modes.split())
        assert all(tool.get("strict") or tool.get("function", {}).get("strict")
                   for tool in request["tools"])
    assert candidate_run(result)["status"] == "error"


@pytest.mark.parametrize(("name", "modes"), [("langchain", ""), ("pydantic_ai", "")])
def test_a_fix_in_code_alone_is_fixed(case_of: Callable[[str], Path], tmp_path: Path,
                                      name: str, modes: str) -> None:
    result = _replay(case_of, tmp_path, name, "fixed", modes)
    assert result.verdict == "fixed", (result.verdict, result.runner.reason, result.assertions)
    assert [entry["answer"]["turn"] for entry in model_log(result)] == [1, 2]
    assert candidate_run(result)["final_output"].startswith(APOLOGY)


@pytest.mark.parametrize(("name", "modes"), [
    ("langchain", ""), ("langchain", "stream"), ("pydantic_ai", ""),
    ("pydantic_ai", "chat stream")])
def test_a_fix_that_asks_something_new_is_diverged(case_of: Callable[[str], Path],
                                                   tmp_path: Path, name: str,
                                                   modes: str) -> None:
    result = _replay(case_of, tmp_path, name, "asks", modes)
    assert result.verdict == "diverged", (result.verdict, result.runner.reason)
    assert result.divergence is not None and result.divergence.turn == 3
    assert result.divergence.message.startswith("replaycase: diverged at model turn 3: history")
    log = model_log(result)  # the 400 was not retried: one request a turn
    assert [entry["turn"] for entry in log] == [1, 2, 3]
    assert log[-1]["status"] == 400 and "answer" not in log[-1]
    assert not result.passes("fixed") and not result.passes("reproduced")
