"""An unmodified agent on the OpenAI Agents SDK, replayed from its case's model tape with no
network and no real key (issue 14): its failed production run (against a scripted model) is
exported by the SDK's own tracing, as a team's exporter writes it, and scaffolded from that
export; the buggy agent reproduces, a fix in code alone is fixed, a fix that asks the model
something new is diverged, naming the turn. On the SDK's default Responses API and on Chat
Completions, with ``Runner.run`` and ``Runner.run_streamed``; the agent under replay reaches
nothing but the loopback model server."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("agents", reason="the OpenAI Agents SDK (openai-agents) is not installed")

from replaycase.case import load_case
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.replay.model_server import ModelServer
from replaycase.scaffolding.build import ScaffoldOptions, scaffold
from replaycase.tape.file import read_tape
from replaycase.tape.models import Answer, AnswerToolCall, AnswerUsage, MatchKey, TapeTurn

DATA = Path(__file__).parent / "data" / "sdk_agents"
AGENT = DATA / "agents_sdk_agent.py"
QUESTION = "Why was I charged twice in March? My customer id is C-10442."
APOLOGY = "Sorry, our billing system is not answering; please try again later."
LOOKUP = TapeTurn(turn=1, key=MatchKey(), answer=Answer(
    model="gpt-4o-mini-2024-07-18", stop_reason="tool_calls",
    usage=AnswerUsage(input_tokens=412, output_tokens=18),
    tool_calls=[AnswerToolCall(name="lookup_billing", arguments={"customer_id": "C-10442"})]))
GUARD = '''import os, socket
_LOCAL = ("127.0.0.1", "localhost", "::1")
def _refuse(host):
    with open(os.environ["NET_LOG"], "a") as log:
        log.write(f"{host}\\n")
    raise OSError(f"network refused by the test: {host}")
_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    if host not in _LOCAL and not (isinstance(host, bytes) and host.decode() in _LOCAL):
        _refuse(host)
    return _getaddrinfo(host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo
_connect = socket.socket.connect
def connect(self, address):
    if isinstance(address, tuple) and address[0] not in _LOCAL:
        _refuse(address[0])
    return _connect(self, address)
socket.socket.connect = connect
'''
"""A ``sitecustomize`` that refuses, and logs to NET_LOG, every non-loopback host."""

slow = pytest.mark.slow
MODES = [pytest.param(("responses", "run"), id="responses-run"),
         pytest.param(("responses", "streamed"), id="responses-streamed", marks=slow),
         pytest.param(("chat", "run"), id="chat-run", marks=slow),
         pytest.param(("chat", "streamed"), id="chat-streamed", marks=slow)]
PROTOCOL = {"responses": ("/v1/responses", "openai.responses"),
            "chat": ("/v1/chat/completions", "openai.chat")}


class ScriptedModel:
    """Production's model, scripted: it asks for the billing lookup every time."""

    def answer(self, key: MatchKey) -> TapeTurn:
        return LOOKUP


def guard_dir(root: Path) -> Path:
    folder = root / "guard"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(GUARD)
    return folder


@pytest.fixture(scope="module", params=MODES)
def recorded(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[str, str]]:
    """The case scaffolded from the buggy agent's production export, and its mode."""
    api, how = request.param
    work = tmp_path_factory.mktemp(f"agents-{api}-{how}")
    trace = work / "trace.json"
    with ModelServer(ScriptedModel(), api_key="sk-prod", log_path=work / "prod.jsonl") as model:
        env = {**os.environ, "OPENAI_BASE_URL": model.openai_base_url,
               "OPENAI_API_KEY": "sk-prod", "AGENT_TRACE": str(trace),
               "PYTHONPATH": str(guard_dir(work)), "NET_LOG": str(work / "net.log")}
        done = subprocess.run([sys.executable, str(AGENT), "buggy", api, how], input=QUESTION,
                              env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "MaxTurnsExceeded" in done.stderr, done.stderr
    assert not (work / "net.log").exists(), "the team's exporter replaces the default one"
    out = work / "cases" / "billing-loop"
    [report] = scaffold(trace, out, ScaffoldOptions())
    observed = [{k: v for k, v in e.items() if k != "why"} for e in report.observed]
    assert {"repeated_tool_call": {"tool": "lookup_billing", "min": 3}} in observed
    [pattern] = [e["error_matches"] for e in observed if "error_matches" in e]
    assert re.search(pattern, "agents.exceptions.MaxTurnsExceeded: Max turns (3) exceeded")
    tape = read_tape(out / "fixtures" / "model_tape.jsonl")
    assert len(tape.turns) == 3 and tape.header.not_recorded == []
    assert all(t.key.tools == ("lookup_billing",) for t in tape.turns)
    assert [len(t.key.history or ()) for t in tape.turns] == [1, 3, 5]
    return out, (api, how)


def _replay(case_dir: Path, tmp_path: Path, mode: tuple[str, str], variant: str):  # type: ignore[no-untyped-def]
    env_key = os.environ.pop("OPENAI_API_KEY", None)  # a real key must never be needed
    try:
        guard = guard_dir(tmp_path)
        cmd = (f"PYTHONPATH={shlex.quote(str(guard))} "
               f"NET_LOG={shlex.quote(str(tmp_path / 'net.log'))} "
               f"{shlex.quote(sys.executable)} {shlex.quote(str(AGENT))} {variant} {mode[0]} "
               f"{mode[1]}")
        result = replay_case(load_case(case_dir), ReplayOptions(
            runner_cmd=cmd, evidence_root=tmp_path / "runs", timeout_s=60))
    finally:
        if env_key is not None:
            os.environ["OPENAI_API_KEY"] = env_key
    assert not (tmp_path / "net.log").exists(), (tmp_path / "net.log").read_text()
    return result


def _log(result) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    path = Path(result.evidence_dir or "") / "model-log.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_buggy_agent_reproduces_from_the_tape(recorded: tuple[Path, tuple[str, str]],
                                                   tmp_path: Path) -> None:
    case_dir, mode = recorded
    result = _replay(case_dir, tmp_path, mode, "buggy")
    assert result.verdict == "reproduced", (result.verdict, result.runner.reason,
                                            result.divergence)
    assert result.runner.exit_code == 1
    log = _log(result)
    assert [entry["answer"]["turn"] for entry in log] == [1, 2, 3]
    assert {(entry["path"], entry["protocol"]) for entry in log} == {PROTOCOL[mode[0]]}
    assert all(bool(entry["request"].get("stream")) == (mode[1] == "streamed") for entry in log)
    candidate = json.loads((Path(result.evidence_dir or "") / "candidate-run.json").read_text())
    assert candidate["status"] == "error"


def test_a_fix_in_code_alone_is_fixed(recorded: tuple[Path, tuple[str, str]],
                                      tmp_path: Path) -> None:
    case_dir, mode = recorded
    result = _replay(case_dir, tmp_path, mode, "fixed")
    assert result.verdict == "fixed", (result.verdict, result.runner.reason, result.assertions)
    assert [entry["answer"]["turn"] for entry in _log(result)] == [1, 2]
    candidate = json.loads((Path(result.evidence_dir or "") / "candidate-run.json").read_text())
    assert candidate["final_output"] == APOLOGY


def test_a_fix_that_asks_something_new_is_diverged(recorded: tuple[Path, tuple[str, str]],
                                                   tmp_path: Path) -> None:
    case_dir, mode = recorded
    result = _replay(case_dir, tmp_path, mode, "asks")
    assert result.verdict == "diverged", (result.verdict, result.runner.reason)
    assert result.divergence is not None and result.divergence.turn == 3
    assert result.divergence.message.startswith("replaycase: diverged at model turn 3: history")
    assert not result.passes("fixed") and not result.passes("reproduced")


@slow
def test_without_the_switch_the_sdk_exports_its_traces_to_openai(tmp_path: Path) -> None:
    """The control: the default exporter posts to api.openai.com; replay's environment
    (OPENAI_AGENTS_DISABLE_TRACING=1) is what keeps the agent above off it."""
    with ModelServer(ScriptedModel(), api_key="sk-x", log_path=tmp_path / "log.jsonl") as model:
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_AGENTS_DISABLE_TRACING"}
        env.update(OPENAI_BASE_URL=model.openai_base_url, OPENAI_API_KEY="sk-x",
                   PYTHONPATH=str(guard_dir(tmp_path)), NET_LOG=str(tmp_path / "net.log"))
        done = subprocess.run([sys.executable, str(AGENT), "fixed"], input=QUESTION, env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == APOLOGY, done.stderr
    assert set((tmp_path / "net.log").read_text().split()) == {"api.openai.com"}


@pytest.mark.parametrize("recorded", [MODES[0]], indirect=True)
def test_frozen_tools_reproduce_though_the_outage_is_over(
        recorded: tuple[Path, tuple[str, str]], tmp_path: Path) -> None:
    """The Agents SDK's function tool, frozen by --freeze-tools (its framework hook): with the
    billing API back up, the unfrozen agent leaves the recording, the frozen one is answered
    the recorded timeout through the SDK's own error handling and reproduces, and the fix,
    frozen, is fixed."""
    case_dir, mode = recorded
    env_key = os.environ.pop("OPENAI_API_KEY", None)
    os.environ["BILLING_API_UP"] = "1"
    try:
        verdicts = [replay_case(load_case(case_dir), ReplayOptions(
            runner_cmd=(f"{shlex.quote(sys.executable)} {shlex.quote(str(AGENT))} {variant} "
                        f"{mode[0]} {mode[1]}"),
            evidence_root=tmp_path / "runs", timeout_s=60, freeze_tools=frozen, offline=frozen))
            for variant, frozen in (("buggy", False), ("buggy", True), ("fixed", True))]
    finally:
        os.environ.pop("BILLING_API_UP")
        if env_key is not None:
            os.environ["OPENAI_API_KEY"] = env_key
    assert [r.verdict for r in verdicts] == ["diverged", "reproduced", "fixed"], [
        (r.verdict, r.runner.reason, r.divergence) for r in verdicts]
    served = (Path(verdicts[1].evidence_dir or "") / "frozen-tools.jsonl").read_text()
    assert served.count("lookup_billing") == 3
