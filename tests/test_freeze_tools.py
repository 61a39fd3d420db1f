"""``replay --freeze-tools --offline`` (issue 16): an unmodified plain-openai agent whose tool
(a plain function named in the configuration) failed in production is replayed from its
case's model tape with the tool answered from the fixtures, so the failure reproduces though
the tool works today (or would reach the network)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("openai")

from replaycase.case import load_case
from replaycase.freeze import FREEZE_LOADED, FROZEN_TOOLS, OFFLINE_REFUSALS
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.replay.model_server import ModelServer
from replaycase.results import ReplayResult
from replaycase.scaffolding.build import ScaffoldOptions, scaffold
from replaycase.tape.models import Answer, AnswerToolCall, MatchKey, TapeTurn

DATA = Path(__file__).parent / "data" / "freeze_agent"
AGENT = DATA / "agent.py"
QUESTION = "Why was I charged twice in March? My customer id is C-10442."
TOOLS = {"lookup_billing": "billing_tools:lookup_billing"}
ERROR = "Error: TimeoutError: billing-api did not respond within 10s"


class ScriptedModel:
    """Production's model: it asks for the billing lookup every time."""

    def answer(self, key: MatchKey) -> TapeTurn:
        return TapeTurn(turn=1, key=MatchKey(), answer=Answer(
            model="gpt-4o-mini", stop_reason="tool_calls",
            tool_calls=[AnswerToolCall(name="lookup_billing",
                                       arguments={"customer_id": "C-10442"})]))


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The agent's failed production run (the tool timed out), scaffolded."""
    work = tmp_path_factory.mktemp("freeze")
    transcript = work / "transcript.json"
    with ModelServer(ScriptedModel(), api_key="sk-prod", log_path=work / "prod.jsonl") as model:
        env = {**os.environ, "OPENAI_BASE_URL": model.openai_base_url,
               "OPENAI_API_KEY": "sk-prod", "AGENT_TRANSCRIPT": str(transcript),
               "TOOL_MODE": "fails"}
        done = subprocess.run([sys.executable, str(AGENT), "buggy"], input=QUESTION, env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "ToolLoopError" in done.stderr, done.stderr
    out = work / "cases" / "billing-loop"
    scaffold(transcript, out, ScaffoldOptions())
    calls = json.loads((out / "fixtures" / "tool_calls.json").read_text())
    assert [c["output"] for c in calls] == [ERROR] * 3
    return out


def _replay(case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tool_mode: str,
            variant: str = "buggy", python: str = "", **options: object) -> ReplayResult:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("TOOL_MODE", tool_mode)
    cmd = f"{shlex.quote(sys.executable)} {python} {shlex.quote(str(AGENT))} {variant}"
    return replay_case(load_case(case_dir), ReplayOptions(**{  # type: ignore[arg-type]
        "runner_cmd": cmd, "evidence_root": tmp_path / "runs", "timeout_s": 60, **options}))


def _records(result: ReplayResult, name: str) -> list[dict]:  # type: ignore[type-arg]
    path = Path(result.evidence_dir or "") / name
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


FROZEN = {"freeze_tools": True, "offline": True, "tools": TOOLS}


def test_the_tool_works_today_so_an_unfrozen_replay_diverges(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _replay(case_dir, tmp_path, monkeypatch, "works")
    assert result.verdict == "diverged", (result.verdict, result.runner.reason)


def test_frozen_and_offline_the_failure_reproduces_though_the_tool_works(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _replay(case_dir, tmp_path, monkeypatch, "works", **FROZEN)
    assert result.verdict == "reproduced", (result.verdict, result.runner.reason,
                                            result.divergence)
    served = _records(result, FROZEN_TOOLS)
    assert [(r["tool_name"], r["tool_args"], r["served"]) for r in served] == [
        ("lookup_billing", {"customer_id": "C-10442"}, "output")] * 3
    [loaded] = _records(result, FREEZE_LOADED)
    assert loaded["tools"] == ["lookup_billing"] and loaded["offline"] is True


def test_frozen_the_tool_never_reaches_the_network(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _replay(case_dir, tmp_path, monkeypatch, "network", **FROZEN)
    assert result.verdict == "reproduced", (result.verdict, result.runner.reason)
    assert _records(result, OFFLINE_REFUSALS) == []


def test_offline_refuses_the_unfrozen_tool_naming_the_host(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _replay(case_dir, tmp_path, monkeypatch, "network", offline=True)
    message = "replaycase --offline: connection to api.example.com:443 refused"
    assert message in (Path(result.evidence_dir or "") / "stderr.log").read_text()
    refused = _records(result, OFFLINE_REFUSALS)
    assert [(r["host"], r["port"], r["via"]) for r in refused] == [
        ("api.example.com", 443, "create_connection")]
    # the model is shown the refusal, not the recording: off the tape at the next turn
    assert result.verdict == "diverged" and result.divergence is not None
    assert result.divergence.source != "tool_fixtures"


def test_a_recorded_error_is_raised_again_with_its_type_and_message(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "case"
    import shutil

    shutil.copytree(case_dir, copy)
    calls_file = copy / "fixtures" / "tool_calls.json"
    calls = json.loads(calls_file.read_text())
    for call in calls:  # as a trace with an error flag and type records it
        call.update(is_error=True, error_type="TimeoutError",
                    output="billing-api did not respond within 10s")
    calls_file.write_text(json.dumps(calls))
    result = _replay(copy, tmp_path, monkeypatch, "works", **FROZEN)
    assert result.verdict == "reproduced", (result.verdict, result.divergence)
    assert {r["served"] for r in _records(result, FROZEN_TOOLS)} == {"error"}


def test_a_call_not_in_the_fixtures_is_diverged_naming_tool_and_arguments(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _replay(case_dir, tmp_path, monkeypatch, "works", variant="typo", **FROZEN)
    assert result.verdict == "diverged"
    assert result.divergence is not None and result.divergence.source == "tool_fixtures"
    assert result.divergence.message == ('replaycase: diverged at tool call 1: '
                                         'lookup_billing({"customer_id":"c-10442"}) is not in '
                                         'the fixtures')


def test_a_child_process_inherits_the_freeze_and_a_users_sitecustomize_still_runs(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mark = tmp_path / "user-site.txt"
    monkeypatch.setenv("PYTHONPATH", str(DATA / "user_site"))
    monkeypatch.setenv("USER_SITE_MARK", str(mark))
    result = _replay(case_dir, tmp_path, monkeypatch, "works", variant="child", **FROZEN)
    assert result.verdict == "reproduced", (result.verdict, result.runner.reason)
    loaded = _records(result, FREEZE_LOADED)
    assert len(loaded) == 4 and len({r["pid"] for r in loaded}) == 4  # the agent + 3 children
    assert sorted(mark.read_text().split()) == sorted(str(r["pid"]) for r in loaded)
    assert {r["pid"] for r in _records(result, FROZEN_TOOLS)} == {
        r["pid"] for r in loaded if "--tool-child" in r["argv"]}


def test_python_isolated_mode_is_detected_not_silently_unfrozen(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _replay(case_dir, tmp_path, monkeypatch, "works", python="-I", **FROZEN)
    assert result.verdict == "runner_error"
    assert "--freeze-tools and --offline asked, but the runner's Python never loaded " \
           "replaycase's sitecustomize (python -I" in (result.runner.reason or "")


def test_the_command_line_takes_the_flags_and_the_configured_tools(
        case_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaycase]\nfreeze_tools = true\n\n[tool.replaycase.tools]\n'
        'lookup_billing = "billing_tools:lookup_billing"\n')
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["TOOL_MODE"] = "network"
    cmd = f"{shlex.quote(sys.executable)} {shlex.quote(str(AGENT))} buggy"
    done = subprocess.run(
        [sys.executable, "-m", "replaycase", "replay", str(case_dir), "--runner-cmd", cmd,
         "--expect", "reproduced", "--offline", "--evidence-dir", str(tmp_path / "runs"),
         "--json", str(tmp_path / "results.json")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = json.loads((tmp_path / "results.json").read_text())["results"]
    assert result["verdict"] == "reproduced"
