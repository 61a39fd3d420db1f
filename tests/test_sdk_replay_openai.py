"""An unmodified agent on the official openai SDK, replayed from its case's model tape with
no network and no real key (issue 14): its failed production run (against a scripted model)
is scaffolded from the log it writes; the buggy agent reproduces, a fix in code alone is
fixed, a fix that asks the model something new is diverged, naming the turn. Every test runs
over each API the agent can use: Chat Completions, streamed or not (its log: chat messages),
and Responses, streamed or not and chained with ``previous_response_id`` (its log: the input
items)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("openai")

from replaycase.case import load_case
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.replay.model_server import ModelServer
from replaycase.scaffolding.build import ScaffoldOptions, scaffold
from replaycase.tape.models import Answer, AnswerToolCall, MatchKey, TapeTurn

AGENT = Path(__file__).parent / "data" / "sdk_agents" / "billing_agent.py"
QUESTION = "Why was I charged twice in March? My customer id is C-10442."
LOOKUP = TapeTurn(turn=1, key=MatchKey(), answer=Answer(
    model="gpt-4o-mini-2024-07-18", stop_reason="tool_calls",
    tool_calls=[AnswerToolCall(name="lookup_billing", arguments={"customer_id": "C-10442"})]))


APIS = ["chat", "chat-stream", "responses", "responses-stream", "responses-previous"]
PROTOCOLS = {"chat": "openai.chat", "responses": "openai.responses"}


class ScriptedModel:
    """Production's model, scripted: it asks for the billing lookup every time."""

    def answer(self, key: MatchKey) -> TapeTurn:
        return LOOKUP


@pytest.fixture(params=APIS)
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def _cases() -> dict[str, Path]:
    """One production run and case an API, made once a worker (in any test order)."""
    return {}


@pytest.fixture
def case_dir(_cases: dict[str, Path], tmp_path_factory: pytest.TempPathFactory,
             api: str) -> Path:
    if api not in _cases:
        _cases[api] = _production_case(tmp_path_factory.mktemp(f"sdk-{api}"), api)
    return _cases[api]


def _production_case(work: Path, api: str) -> Path:
    """The agent's failed production run against the scripted model, scaffolded from the
    log it wrote."""
    transcript = work / "transcript.json"
    with ModelServer(ScriptedModel(), api_key="sk-prod", log_path=work / "prod.jsonl") as model:
        env = {**os.environ, "OPENAI_BASE_URL": model.openai_base_url,
               "OPENAI_API_KEY": "sk-prod", "AGENT_TRANSCRIPT": str(transcript)}
        done = subprocess.run([sys.executable, str(AGENT), "buggy", api], input=QUESTION, env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "ToolLoopError" in done.stderr, done.stderr
    logged = json.loads(transcript.read_text())
    kinds = [item.get("type", item.get("role")) for item in logged]
    if api.startswith("responses"):  # the Responses input items, as the agent sent them
        assert kinds == ["user"] + ["function_call", "function_call_output"] * 3
    else:
        assert kinds == ["system", "user"] + ["assistant", "tool"] * 3
    out = work / "cases" / "billing-loop"
    [report] = scaffold(transcript, out, ScaffoldOptions())
    assert {"repeated_tool_call": {"tool": "lookup_billing", "min": 3}} in [
        {k: v for k, v in entry.items() if k != "why"} for entry in report.observed]
    assert (out / "fixtures" / "model_tape.jsonl").is_file()
    return out


def _replay(case_dir: Path, tmp_path: Path, variant: str, api: str, **options: object):  # type: ignore[no-untyped-def]
    env_key = os.environ.pop("OPENAI_API_KEY", None)  # a real key must never be needed
    try:
        cmd = f"{shlex.quote(sys.executable)} {shlex.quote(str(AGENT))} {variant} {api}"
        return replay_case(load_case(case_dir), ReplayOptions(
            **{"runner_cmd": cmd, "evidence_root": tmp_path / "runs", "timeout_s": 60,
               **options}))  # type: ignore[arg-type]
    finally:
        if env_key is not None:
            os.environ["OPENAI_API_KEY"] = env_key


def test_the_buggy_agent_reproduces_from_the_tape(case_dir: Path, tmp_path: Path,
                                                  api: str) -> None:
    result = _replay(case_dir, tmp_path, "buggy", api)
    assert result.verdict == "reproduced", (result.verdict, result.runner.reason,
                                            result.divergence)
    assert result.runner.exit_code == 1
    log = (Path(result.evidence_dir or "") / "model-log.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in log]
    assert [entry["answer"]["turn"] for entry in entries] == [1, 2, 3]
    assert {entry["protocol"] for entry in entries} == {PROTOCOLS[api.split("-")[0]]}
    requests = [entry["request"] for entry in entries]
    assert [r.get("stream", False) for r in requests] == [api not in ("chat", "responses")] * 3
    if api == "chat-stream":
        assert all(r["stream_options"] == {"include_usage": True} for r in requests)
    chained = [r.get("previous_response_id") for r in requests]
    if api == "responses-previous":  # the later requests carry only the new items
        assert chained == [None, "resp_billing_loop_1", "resp_billing_loop_2"]
        assert [len(r["input"]) for r in requests] == [1, 1, 1]
    else:
        assert chained == [None] * 3
    candidate = json.loads((Path(result.evidence_dir or "") / "candidate-run.json").read_text())
    assert candidate["status"] == "error"


def test_a_fix_in_code_alone_is_fixed(case_dir: Path, tmp_path: Path, api: str) -> None:
    result = _replay(case_dir, tmp_path, "fixed", api)
    assert result.verdict == "fixed", (result.verdict, result.runner.reason, result.assertions)
    candidate = json.loads((Path(result.evidence_dir or "") / "candidate-run.json").read_text())
    assert candidate["final_output"].startswith("Sorry, our billing system is not answering")


def test_a_fix_that_asks_something_new_is_diverged(case_dir: Path, tmp_path: Path,
                                                   api: str) -> None:
    result = _replay(case_dir, tmp_path, "asks", api)
    assert result.verdict == "diverged", (result.verdict, result.runner.reason)
    assert result.divergence is not None and result.divergence.turn == 3
    assert result.divergence.message.startswith("replaycase: diverged at model turn 3: history")
    assert not result.passes("fixed") and not result.passes("reproduced")


def test_without_the_tape_the_agent_cannot_reach_a_model(case_dir: Path,
                                                         tmp_path: Path, api: str) -> None:
    result = _replay(case_dir, tmp_path, "fixed", api, model_tape=False)
    assert result.verdict == "runner_error"
    assert not (Path(result.evidence_dir or "") / "model-log.jsonl").exists()


@pytest.mark.parametrize("api", ["chat", "responses-stream"])  # 2 s each: two APIs are enough
def test_an_agent_that_hangs_after_talking_is_a_timeout_not_judged_from_the_wire(
        case_dir: Path, tmp_path: Path, api: str) -> None:
    result = _replay(case_dir, tmp_path, "hangs", api, timeout_s=2, kill_grace_s=0.5)
    assert result.verdict == "runner_error"
    assert (result.runner.reason or "").startswith("timed out after 2s")


def _cli_replay(cases: list[Path], tmp_path: Path, api: str,
                *flags: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # its own model: nothing listens there
    cmd = f"{shlex.quote(sys.executable)} {shlex.quote(str(AGENT))} buggy {api}"
    return subprocess.run(
        [sys.executable, "-m", "replaycase", "replay", *map(str, cases), "--runner-cmd", cmd,
         "--expect", "reproduced", "--evidence-dir", str(tmp_path / "runs"),
         "--json", str(tmp_path / "results.json"), *flags],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("api", ["chat", "responses-previous"])  # each its own response store
def test_two_cases_at_once_are_each_served_their_own_tape(case_dir: Path, tmp_path: Path,
                                                          api: str) -> None:
    twin = tmp_path / "cases" / "billing-loop-twin"
    shutil.copytree(case_dir, twin)
    spec = twin / "case.yaml"
    spec.write_text(spec.read_text().replace("id: billing-loop", "id: billing-loop-twin", 1))
    done = _cli_replay([case_dir, twin], tmp_path, api, "-j", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((tmp_path / "results.json").read_text())["results"]
    assert sorted(r["case_id"] for r in results) == ["billing-loop", "billing-loop-twin"]
    for result in results:
        assert result["verdict"] == "reproduced" and result["model_tape"] == "served"
        log = Path(result["evidence_dir"]) / "model-log.jsonl"
        served = [json.loads(line)["answer"]["turn"] for line in log.read_text().splitlines()]
        assert served == [1, 2, 3]
    assert "no model tape" not in done.stdout + done.stderr


@pytest.mark.parametrize("api", ["chat"])
def test_a_case_without_a_tape_falls_back_and_says_so_once(case_dir: Path, tmp_path: Path,
                                                           api: str) -> None:
    bare = []
    for name in ("no-tape-a", "no-tape-b"):
        copy = tmp_path / "cases" / name
        shutil.copytree(case_dir, copy)
        (copy / "fixtures" / "model_tape.jsonl").unlink()
        spec = copy / "case.yaml"
        spec.write_text(spec.read_text().replace("id: billing-loop", f"id: {name}", 1))
        bare.append(copy)
    done = _cli_replay([case_dir, *bare], tmp_path, api)
    said = done.stdout + done.stderr
    assert said.count("no model tape") == 1, said
    assert "2 cases have no model tape (no-tape-a, no-tape-b)" in said
    document = json.loads((tmp_path / "results.json").read_text())
    by_id = {r["case_id"]: r for r in document["results"]}
    assert by_id["billing-loop"]["model_tape"] == "served"
    assert by_id["no-tape-a"]["model_tape"] == "none"
    # without a tape the agent reaches for its own model, and there is none: a runner error
    assert by_id["no-tape-a"]["verdict"] == "runner_error"
    assert document["summary"]["without_tape"] == ["no-tape-a", "no-tape-b"]
    assert done.returncode == 1
