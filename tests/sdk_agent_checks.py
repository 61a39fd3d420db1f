"""What the end-to-end SDK replay tests share (issue 14): production's scripted model, a
production run of an unmodified agent recorded against it, and a replay of one variant of the
agent from its case's model tape, with no network and no real key."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from replaycase.case import load_case
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.replay.model_server import ModelServer
from replaycase.results import ReplayResult
from replaycase.tape.models import Answer, AnswerToolCall, MatchKey, TapeTurn

AGENTS = Path(__file__).parent / "data" / "sdk_agents"
QUESTION = "Why was I charged twice in March? My customer id is C-10442."
LOOKUP = TapeTurn(turn=1, key=MatchKey(), answer=Answer(
    model="gpt-4o-mini-2024-07-18", stop_reason="tool_calls",
    tool_calls=[AnswerToolCall(name="lookup_billing", arguments={"customer_id": "C-10442"})]))


class ScriptedModel:
    """Production's model, scripted: it asks for the billing lookup every time."""

    def answer(self, key: MatchKey) -> TapeTurn:
        return LOOKUP


def record_production(agent: Path, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``agent buggy ARGS`` against the scripted model, as production did; the agent
    writes its transcript to ``work/transcript.json``, the server its log to ``prod.jsonl``."""
    with ModelServer(ScriptedModel(), api_key="sk-prod", log_path=work / "prod.jsonl") as model:
        env = {**os.environ, "OPENAI_BASE_URL": model.openai_base_url,
               "OPENAI_API_KEY": "sk-prod", "AGENT_TRANSCRIPT": str(work / "transcript.json"),
               "AGENT_TRACE": str(work / "trace.json")}
        return subprocess.run([sys.executable, str(agent), "buggy", *args], input=QUESTION,
                              env=env, capture_output=True, text=True, timeout=90)


def replay_variant(case_dir: Path, tmp_path: Path, agent: Path, *args: str,
                   **options: Any) -> ReplayResult:
    """Replay ``agent ARGS`` against the case, with any real OpenAI key out of the way."""
    env_key = os.environ.pop("OPENAI_API_KEY", None)  # a real key must never be needed
    try:
        cmd = shlex.join([sys.executable, str(agent), *args])
        return replay_case(load_case(case_dir), ReplayOptions(
            **{"runner_cmd": cmd, "evidence_root": tmp_path / "runs", "timeout_s": 90,
               **options}))
    finally:
        if env_key is not None:
            os.environ["OPENAI_API_KEY"] = env_key


def evidence(result: ReplayResult, name: str) -> Path:
    return Path(result.evidence_dir or "") / name


def model_log(result: ReplayResult) -> list[dict[str, Any]]:
    """The replay's model-log.jsonl, one entry a request."""
    return [json.loads(line)
            for line in evidence(result, "model-log.jsonl").read_text().splitlines()]


def candidate_run(result: ReplayResult) -> dict[str, Any]:
    return dict(json.loads(evidence(result, "candidate-run.json").read_text()))
