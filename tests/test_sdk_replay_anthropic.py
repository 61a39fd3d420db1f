"""An unmodified agent on the official anthropic SDK (Messages API), replayed from its case's
model tape with no network and no real key (issue 14), in JSON (``messages.create``) and SSE
(``messages.stream``) mode: its failed production run (against a scripted model) is
scaffolded from its {"model", "system", "messages"} transcript; the buggy agent reproduces, a
fix in code alone is fixed, a fix that asks the model something new is diverged, naming the
turn. Both modes replay the case recorded with ``messages.create`` (streaming is not part of
the match key), and a streamed production run scaffolds the same tape."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("anthropic")

import anthropic

from replaycase.case import load_case
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.replay.model_server import ModelServer
from replaycase.results import ReplayResult
from replaycase.scaffolding.build import ScaffoldOptions, scaffold
from replaycase.tape.file import read_tape
from replaycase.tape.match import TapeMatcher
from replaycase.tape.models import Answer, AnswerToolCall, AnswerUsage, MatchKey, TapeTurn

AGENT = Path(__file__).parent / "data" / "sdk_agents" / "claims_agent.py"
SYSTEM = "You are Acme's claims agent. Use get_claim for claim data."
QUESTION = "Where is my claim CL-5521? It was filed three weeks ago."
LOOKUP = TapeTurn(turn=1, key=MatchKey(), answer=Answer(
    model="claude-3-5-haiku-20241022", stop_reason="tool_use", text="Let me check that claim.",
    tool_calls=[AnswerToolCall(name="get_claim", arguments={"claim_id": "CL-5521"})],
    usage=AnswerUsage(input_tokens=410, output_tokens=52)))
MODES = ("json", "stream")


class ScriptedModel:
    """Production's model, scripted: it asks for the claim lookup every time."""

    def answer(self, key: MatchKey) -> TapeTurn:
        return LOOKUP


def _record(work: Path, mode: str) -> Path:
    """The production run in ``mode``, scaffolded: its case folder."""
    transcript = work / "transcript.json"
    log = work / "prod.jsonl"
    with ModelServer(ScriptedModel(), api_key="sk-ant-prod", log_path=log) as model:
        env = {**os.environ, "ANTHROPIC_BASE_URL": model.url, "ANTHROPIC_API_KEY": "sk-ant-prod",
               "AGENT_TRANSCRIPT": str(transcript)}
        done = subprocess.run([sys.executable, str(AGENT), "buggy", mode], input=QUESTION,
                              env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "ToolLoopError" in done.stderr, done.stderr
    requests = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["turn"], r["protocol"], r["request"].get("stream", False)) for r in requests] == [
        (turn, "anthropic.messages", mode == "stream") for turn in (1, 2, 3)]
    out = work / "cases" / "claims-loop"
    [report] = scaffold(transcript, out, ScaffoldOptions())
    assert {"repeated_tool_call": {"tool": "get_claim", "min": 3}} in [
        {k: v for k, v in entry.items() if k != "why"} for entry in report.observed]
    return out


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _record(tmp_path_factory.mktemp("anthropic"), "json")


def _tape(case: Path) -> str:
    return (case / "fixtures" / "model_tape.jsonl").read_text()


def _replay(case_dir: Path, tmp_path: Path, variant: str, mode: str) -> ReplayResult:
    env_key = os.environ.pop("ANTHROPIC_API_KEY", None)  # a real key must never be needed
    try:
        cmd = " ".join(shlex.quote(part) for part in (sys.executable, str(AGENT), variant, mode))
        return replay_case(load_case(case_dir), ReplayOptions(
            runner_cmd=cmd, evidence_root=tmp_path / "runs", timeout_s=60))
    finally:
        if env_key is not None:
            os.environ["ANTHROPIC_API_KEY"] = env_key


def _model_log(result: ReplayResult) -> list[dict[str, Any]]:
    path = Path(result.evidence_dir or "") / "model-log.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_transcript_keeps_the_system_prompt_and_model(case_dir: Path) -> None:
    tape = read_tape(case_dir / "fixtures" / "model_tape.jsonl")
    assert tape.header.not_recorded == ["tools"]  # the transcript does not list them
    assert [t.key.instructions for t in tape.turns] == [SYSTEM] * 3
    assert [t.answer.text for t in tape.turns] == ["Let me check that claim."] * 3
    [result] = tape.turns[1].key.history[2:3]
    assert (result.role, result.text) == ("tool", "ConnectionError: claims-db refused the "
                                                  "connection")
    case = load_case(case_dir)
    assert case.spec.scenario.input == QUESTION
    assert {"tool_error_count": {"tool": "get_claim", "min": 2}} in [
        e.model_dump(exclude_none=True, exclude={"why"}) for e in case.spec.observed_failure]
    source = json.loads((case_dir / "source-trace.json").read_text())
    assert source["metadata"]["model"] == "claude-3-5-haiku-latest"
    assert {e.get("instructions") for e in source["events"] if e["type"] == "llm_call"} == {SYSTEM}


@pytest.mark.parametrize("mode", MODES)
def test_the_buggy_agent_reproduces_from_the_tape(case_dir: Path, tmp_path: Path,
                                                  mode: str) -> None:
    result = _replay(case_dir, tmp_path, "buggy", mode)
    assert result.verdict == "reproduced", (result.verdict, result.runner.reason,
                                            result.divergence)
    assert result.runner.exit_code == 1
    log = _model_log(result)
    assert [(e["turn"], e["answer"]["turn"], e["request"].get("stream", False))
            for e in log] == [(n, n, mode == "stream") for n in (1, 2, 3)]
    assert all(e["request"]["system"] == SYSTEM for e in log)
    candidate = json.loads((Path(result.evidence_dir or "") / "candidate-run.json").read_text())
    assert candidate["status"] == "error"


@pytest.mark.parametrize("mode", MODES)
def test_a_fix_in_code_alone_is_fixed(case_dir: Path, tmp_path: Path,
                                      mode: str) -> None:
    result = _replay(case_dir, tmp_path, "fixed", mode)
    assert result.verdict == "fixed", (result.verdict, result.runner.reason, result.assertions)
    assert [e["answer"]["turn"] for e in _model_log(result)] == [1, 2]
    candidate = json.loads((Path(result.evidence_dir or "") / "candidate-run.json").read_text())
    assert candidate["final_output"].startswith("Sorry, our claims system is not answering")


@pytest.mark.parametrize("mode", MODES)
def test_a_fix_that_asks_something_new_is_diverged(case_dir: Path, tmp_path: Path,
                                                   mode: str) -> None:
    result = _replay(case_dir, tmp_path, "asks", mode)
    assert result.verdict == "diverged", (result.verdict, result.runner.reason)
    assert result.divergence is not None and result.divergence.turn == 3
    assert result.divergence.message.startswith("replaycase: diverged at model turn 3: history")
    log = _model_log(result)
    assert [e["turn"] for e in log] == [1, 2, 3] and "answer" not in log[2]
    assert log[2]["divergence"]["message"] == result.divergence.message
    assert not result.passes("fixed") and not result.passes("reproduced")


def test_a_streamed_production_run_scaffolds_the_same_tape(case_dir: Path,
                                                           tmp_path: Path) -> None:
    assert _tape(_record(tmp_path, "stream")) == _tape(case_dir)


def test_the_scaffolded_tape_streams_the_events_the_sdk_reads(case_dir: Path,
                                                              tmp_path: Path) -> None:
    """``create(stream=True)`` on the scaffolded tape's first turn: the raw SSE events."""
    tape = read_tape(case_dir / "fixtures" / "model_tape.jsonl")
    with ModelServer(TapeMatcher(tape.turns), api_key="sk-placeholder",
                     log_path=tmp_path / "log.jsonl") as server:
        client = anthropic.Anthropic(base_url=server.url, api_key="sk-placeholder")
        events = list(client.messages.create(
            model="claude-3-5-haiku-latest", max_tokens=1024, system=SYSTEM,
            messages=[{"role": "user", "content": QUESTION}], stream=True,
            tools=[{"name": "get_claim", "input_schema": {"type": "object"}}]))
    assert [e.type for e in events] == [
        "message_start", "content_block_start", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop", "message_delta",
        "message_stop"]
    assert events[0].message.model == "claude-3-5-haiku-latest"  # the transcript has none
    assert events[2].delta.type == "text_delta"
    assert events[4].content_block.type == "tool_use"
    assert events[5].delta.type == "input_json_delta"
    assert json.loads(events[5].delta.partial_json) == {"claim_id": "CL-5521"}
    assert events[7].delta.stop_reason == "tool_use"
