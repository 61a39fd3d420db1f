"""The bundled example (examples/agent.py): an unmodified openai-SDK agent, its production
traces (OpenTelemetry GenAI, examples/traces/) and the committed cases/ made of them. The
README's main job: the fixed agent replays every case `fixed`, offline; the buggy one
(`--buggy`, what production ran) `reproduced`."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("openai")

from replaycase.case import load_case
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

REPO = Path(__file__).parent.parent
EXAMPLES = REPO / "examples"
AGENT = f"{shlex.quote(sys.executable)} {shlex.quote(str(EXAMPLES / 'agent.py'))}"
CASES = ["tool-error-unhandled", "tool-loop", "wrong-tool"]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _replay(tmp_path: Path, runner: str, expect: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # its own model: nothing listens there
    results = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "replaycase", "replay", "cases/", "--runner-cmd", runner,
         "-j", "3", "--expect", expect, "--evidence-dir", str(tmp_path / "runs"),
         "--json", str(results)], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    found = json.loads(results.read_text())["results"]
    assert {r["model_tape"] for r in found} == {"served"}
    return {r["case_id"]: r["verdict"] for r in found}


@pytest.mark.parametrize(("flag", "verdict"), [("", "fixed"), (" --buggy", "reproduced")])
def test_the_committed_cases_replay_the_unmodified_agent_offline(
        tmp_path: Path, flag: str, verdict: str) -> None:
    assert _replay(tmp_path, AGENT + flag, verdict) == dict.fromkeys(CASES, verdict)


def test_the_cases_have_failing_and_accepted_branches_where_the_fix_asks_anew() -> None:
    branches = {}
    for name in CASES:
        tape = REPO / "cases" / name / "fixtures" / "model_tape.jsonl"
        turns = [json.loads(line) for line in tape.read_text().splitlines()[1:]]
        branches[name] = sorted({t["branch"] for t in turns})
        assert load_case(REPO / "cases" / name).spec.id == name
    assert branches == {"tool-loop": ["failing"], "tool-error-unhandled": ["accepted", "failing"],
                        "wrong-tool": ["accepted", "failing"]}


def test_the_agent_holds_no_replaycase_code_and_no_base_url() -> None:
    source = (EXAMPLES / "agent.py").read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["from __future__ import annotations", "import json", "import sys",
                       "from typing import Any", "from openai import OpenAI"]
    assert "base_url" not in source and "http" not in source


def test_the_scripted_model_is_deterministic_and_speaks_chat_completions() -> None:
    model = _load("scripted_model")
    from openai import OpenAI

    question = [{"role": "user", "content": "How do I change the card on my account?"}]
    with model.serve() as url:
        client = OpenAI(base_url=url, api_key="sk-any")
        answers = [client.chat.completions.create(model="m", messages=question).model_dump()
                   for _ in range(2)]
    assert answers[0] == answers[1]
    [call] = answers[0]["choices"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "search_kb",
                                "arguments": '{"query": "change payment card"}'}
    assert answers[0]["choices"][0]["finish_reason"] == "tool_calls"


@pytest.mark.slow  # 2 s on a quiet machine, 8 s on a loaded one: OTel, openai, four runs
def test_record_traces_still_makes_the_committed_traces(tmp_path: Path) -> None:
    """Fresh OTel traces are the committed ones byte for byte, and scaffold the committed
    tapes: the real instrumentation, with content captured, carries every message and answer
    the tape needs."""
    pytest.importorskip("opentelemetry.instrumentation.openai_v2",
                        reason="the examples extra is not installed")
    done = subprocess.run([sys.executable, str(EXAMPLES / "record_traces.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    fresh_traces = sorted(p.name for p in tmp_path.glob("*.otlp.jsonl"))
    assert fresh_traces == sorted(p.name for p in (EXAMPLES / "traces").glob("*.otlp.jsonl"))
    for name in fresh_traces:  # ids from a counter, a virtual clock, relative stack traces
        assert (tmp_path / name).read_bytes() == (EXAMPLES / "traces" / name).read_bytes(), name
    for name in CASES:
        trace = tmp_path / f"{name}.otlp.jsonl"
        kinds = [next(iter(json.loads(line))) for line in trace.read_text().splitlines()]
        assert kinds == ["resourceSpans", "resourceLogs"]
        out = tmp_path / "cases" / name
        scaffold(trace, out, ScaffoldOptions(
            observed=["tool_called: issue_refund"] if name == "wrong-tool" else []))
        fresh = (out / "fixtures" / "model_tape.jsonl").read_text().splitlines()
        committed = (REPO / "cases" / name / "fixtures" / "model_tape.jsonl").read_text()
        failing = [line for line in committed.splitlines() if '"branch":"accepted"' not in line]
        assert fresh == failing
        assert json.loads(fresh[0])["not_recorded"] == ["tools"]  # this instrumentation's way


def test_the_customer_e_mail_in_the_trace_never_reaches_the_cases() -> None:
    email = "jane.doe@example.com"
    assert email in (EXAMPLES / "traces" / "tool-loop.otlp.jsonl").read_text()
    leaked = [p for p in (REPO / "cases").rglob("*") if p.is_file() and email in p.read_text()]
    assert leaked == []
    notes = (REPO / "cases" / "tool-loop" / "notes.md").read_text()
    assert "<redacted:email:1>" in notes
