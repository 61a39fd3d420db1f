"""``replaycase record`` (DESIGN 8): a fix that asks the model something new is replayed once
with a live model behind the tape (here a scripted upstream started by the test); its new
turns become the case's accepted branch only when the recorded run passes, and from then on
the fix replays ``fixed`` offline while the buggy agent still reproduces."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

import pytest

pytest.importorskip("openai")

from replaycase.case import load_case
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.replay.model_server import ModelServer
from replaycase.scaffolding.build import ScaffoldOptions, scaffold
from replaycase.tape import read_tape
from replaycase.tape.models import Answer, AnswerToolCall, MatchKey, TapeTurn

AGENTS = Path(__file__).parent / "data" / "sdk_agents"
SECRET = "sk-upstream-" + "7" * 40
MODEL = "gpt-4o-mini-2024-07-18"
APOLOGY_TEXT = "I'm sorry: our billing system is down. Please try again in an hour."


class Flavour(NamedTuple):
    """An agent and the API it talks: OpenAI Chat Completions, Responses, or Anthropic."""

    agent: str
    api: str
    question: str

    @property
    def anthropic(self) -> bool:
        return self.agent == "claims_agent.py"

    def cmd(self, variant: str) -> str:
        return (f"{shlex.quote(sys.executable)} {shlex.quote(str(AGENTS / self.agent))} "
                f"{variant} {self.api}")

    def base_url(self, server: ModelServer) -> str:
        return server.url if self.anthropic else server.openai_base_url


BILLING = "Why was I charged twice in March? My customer id is C-10442."
FLAVOURS = {name: Flavour(agent, api, question) for name, agent, api, question in [
    ("chat", "billing_agent.py", "chat", BILLING),
    ("chat-stream", "billing_agent.py", "chat-stream", BILLING),
    ("responses", "billing_agent.py", "responses", BILLING),
    ("responses-previous", "billing_agent.py", "responses-previous", BILLING),
    ("anthropic", "claims_agent.py", "json", "Where is my claim CL-5521?"),
    ("anthropic-stream", "claims_agent.py", "stream", "Where is my claim CL-5521?")]}
CHAT = FLAVOURS["chat"]


class Scripted:
    """A model: it asks for the lookup until the tool failed twice and the agent asked it to
    apologize; then it answers ``then`` (or asks for the lookup again: ``then=None``)."""

    def __init__(self, then: str | None = APOLOGY_TEXT) -> None:
        self.then = then
        self.asked = 0

    def answer(self, key: MatchKey) -> TapeTurn:
        self.asked += 1
        apologize = any("apologize" in m.text for m in key.history or ())
        if apologize and self.then is not None:
            answer = Answer(model=MODEL, stop_reason="stop", text=self.then)
        elif "get_claim" in (key.tools or ()):
            answer = Answer(model=MODEL, stop_reason="tool_use", tool_calls=[
                AnswerToolCall(name="get_claim", arguments={"claim_id": "CL-5521"})])
        else:
            answer = Answer(model=MODEL, stop_reason="tool_calls", tool_calls=[
                AnswerToolCall(name="lookup_billing", arguments={"customer_id": "C-10442"})])
        return TapeTurn(turn=self.asked, key=MatchKey(), answer=answer)


def _scaffolded(tmp_path: Path, flavour: Flavour) -> Path:
    """The buggy agent's production run against the scripted model, scaffolded."""
    transcript = tmp_path / "transcript.json"
    with ModelServer(Scripted(), api_key="sk-prod", log_path=tmp_path / "prod.jsonl") as model:
        env = {**os.environ, "OPENAI_BASE_URL": model.openai_base_url,
               "ANTHROPIC_BASE_URL": model.url, "OPENAI_API_KEY": "sk-prod",
               "ANTHROPIC_API_KEY": "sk-prod", "AGENT_TRANSCRIPT": str(transcript)}
        done = subprocess.run(shlex.split(flavour.cmd("buggy")), input=flavour.question,
                              env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    out = tmp_path / "cases" / "billing-loop"
    scaffold(transcript, out, ScaffoldOptions(case_id="billing-loop"))
    return out


@pytest.fixture()
def case_dir(tmp_path: Path) -> Path:
    return _scaffolded(tmp_path, CHAT)


def _record(case_dir: Path, upstream: str, variant: str = "asks", *flags: str,
            flavour: Flavour = CHAT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["UPSTREAM_KEY"] = SECRET
    return subprocess.run(
        [sys.executable, "-m", "replaycase", "record", str(case_dir), "--runner-cmd",
         flavour.cmd(variant), "--upstream", upstream, "--upstream-key-env", "UPSTREAM_KEY",
         "--evidence-dir", str(case_dir.parent.parent / "runs"), *flags],
        env=env, cwd=case_dir.parent.parent, capture_output=True, text=True, timeout=120)


def _replay(case_dir: Path, variant: str, flavour: Flavour = CHAT) -> str:
    result = replay_case(load_case(case_dir), ReplayOptions(
        runner_cmd=flavour.cmd(variant), evidence_root=case_dir.parent.parent / "runs",
        timeout_s=60))
    return result.verdict


def _folder(case_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(case_dir).as_posix(): p.read_bytes()
            for p in sorted(case_dir.rglob("*")) if p.is_file()}


def _everything_written(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", FLAVOURS)
def test_a_fix_that_asks_something_new_is_recorded_then_replays_fixed(name: str,
                                                                      tmp_path: Path) -> None:
    flavour = FLAVOURS[name]
    case_dir = _scaffolded(tmp_path, flavour)
    if flavour == CHAT:
        assert _replay(case_dir, "asks", flavour) == "diverged"
    upstream_log = tmp_path / "upstream.jsonl"
    with ModelServer(Scripted(), api_key=SECRET, log_path=upstream_log) as upstream:
        done = _record(case_dir, flavour.base_url(upstream), flavour=flavour)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "billing-loop  RECORDED  recorded 1 turn(s) as the accepted branch" in done.stdout
    assert "turn 3: asked " in done.stdout and "-> text \"I'm sorry" in done.stdout
    # the upstream was asked once, without streaming, whatever the agent asked
    [asked] = [json.loads(line) for line in upstream_log.read_text().splitlines()]
    assert "stream" not in asked["request"] and "previous_response_id" not in asked["request"]
    tape = read_tape(case_dir / "fixtures" / "model_tape.jsonl")
    assert [(t.turn, t.branch) for t in tape.turns] == [
        (1, "failing"), (2, "failing"), (3, "failing"), (3, "accepted")]
    assert tape.turns[-1].answer.text == APOLOGY_TEXT
    assert "revision: 2" in (case_dir / "case.yaml").read_text()
    notes = (case_dir / "notes.md").read_text()
    assert "## Accepted model turns (replaycase record)" in notes and "turn 3: asked" in notes
    # offline from now on: the fix is fixed, the buggy agent still reproduces
    assert _replay(case_dir, "asks", flavour) == "fixed"
    assert _replay(case_dir, "buggy", flavour) == "reproduced"
    # the real key is never written anywhere, nor printed
    assert SECRET.encode() not in _everything_written(tmp_path)
    assert SECRET not in done.stdout + done.stderr


def test_recording_the_same_fix_twice_gives_the_same_folder(case_dir: Path,
                                                           tmp_path: Path) -> None:
    with ModelServer(Scripted(), api_key=SECRET, log_path=tmp_path / "u.jsonl") as up:
        assert _record(case_dir, up.openai_base_url).returncode == 0
        first = _folder(case_dir)
        again = _record(case_dir, up.openai_base_url)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "UNCHANGED" in again.stdout
    assert _folder(case_dir) == first


def test_re_recording_replaces_the_accepted_branch_never_the_failing_one(
        case_dir: Path, tmp_path: Path) -> None:
    failing = [line for line in (case_dir / "fixtures" / "model_tape.jsonl").read_text()
               .splitlines() if '"failing"' in line]
    for text in (APOLOGY_TEXT, "Sorry, billing is down; a specialist will e-mail you."):
        with ModelServer(Scripted(text), api_key=SECRET, log_path=tmp_path / "u.jsonl") as up:
            done = _record(case_dir, up.openai_base_url)
        assert done.returncode == 0, done.stdout + done.stderr
    lines = (case_dir / "fixtures" / "model_tape.jsonl").read_text().splitlines()
    assert [line for line in lines if '"failing"' in line] == failing
    [accepted] = [json.loads(line) for line in lines if '"accepted"' in line]
    assert accepted["answer"]["text"].startswith("Sorry, billing is down")
    assert "revision: 3" in (case_dir / "case.yaml").read_text()
    notes = (case_dir / "notes.md").read_text()
    assert notes.count("## Accepted model turns") == 1 and "Revision 3:" in notes


def test_a_recorded_run_that_fails_its_assertions_writes_nothing(case_dir: Path,
                                                                 tmp_path: Path) -> None:
    before = _folder(case_dir)
    with ModelServer(Scripted(None), api_key=SECRET, log_path=tmp_path / "u.jsonl") as up:
        done = _record(case_dir, up.openai_base_url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED  the recorded run does not pass its desired assertions" in done.stdout
    assert _folder(case_dir) == before


def test_dry_run_shows_the_turns_and_writes_nothing(case_dir: Path, tmp_path: Path) -> None:
    before = _folder(case_dir)
    with ModelServer(Scripted(), api_key=SECRET, log_path=tmp_path / "u.jsonl") as up:
        done = _record(case_dir, up.openai_base_url, "asks", "--dry-run", "--output", "json")
    assert done.returncode == 0, done.stderr
    [case] = json.loads(done.stdout)["cases"]
    assert case["status"] == "would_record" and case["turns"][0].startswith("turn 3: asked")
    assert case["result"]["verdict"] == "fixed"
    assert _folder(case_dir) == before


_CUT = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
        b'{"choices": [{"mess')
_HTML = b"HTTP/1.1 200 OK\r\nContent-Length: 21\r\n\r\n<html>Welcome!</html>"


class _RawUpstream:
    """An upstream that reads the request and answers ``reply`` as it is, then hangs up."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                if not self.reply:
                    time.sleep(5)
                conn.sendall(self.reply)


class _Broken:
    """An upstream whose model fails: every request is a 500."""

    def answer(self, key: MatchKey) -> TapeTurn:
        raise RuntimeError("model overloaded")


@pytest.mark.parametrize("problem", ["refused", "unauthorized", "server error", "cut short",
                                     "not json", "silent"])
def test_an_upstream_that_fails_ends_the_case_with_one_line(case_dir: Path, tmp_path: Path,
                                                            problem: str) -> None:
    before = _folder(case_dir)
    if problem == "unauthorized":
        with ModelServer(Scripted(), api_key="sk-other",
                         log_path=tmp_path / "u.jsonl") as up:
            done = _record(case_dir, up.openai_base_url)
        expected = "answered HTTP 401"
    elif problem == "server error":
        with ModelServer(_Broken(), api_key=SECRET, log_path=tmp_path / "u.jsonl") as up:
            done = _record(case_dir, up.openai_base_url)
        expected = "answered HTTP 500"
    elif problem == "refused":
        done = _record(case_dir, "http://127.0.0.1:9/v1")
        expected = "cannot be reached"
    elif problem == "silent":
        raw = _RawUpstream(b"")  # reads the request, never answers
        done = _record(case_dir, raw.url, "asks", "--upstream-timeout", "1")
        raw.sock.close()
        expected = "cannot be reached: timed out"
    else:
        raw = _RawUpstream(_CUT if problem == "cut short" else _HTML)
        done = _record(case_dir, raw.url)
        raw.sock.close()
        expected = "hung up mid-answer" if problem == "cut short" else "not JSON"
    assert done.returncode == 2, done.stdout + done.stderr
    [line] = [line for line in done.stdout.splitlines() if "UPSTREAM ERROR" in line]
    assert expected in line and line.endswith("nothing written"), line
    assert _folder(case_dir) == before
    assert SECRET not in done.stdout + done.stderr


def test_record_needs_an_upstream_and_a_runner(case_dir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "replaycase", "record", str(case_dir),
                           "--runner-cmd", "true"], capture_output=True, text=True)
    assert done.returncode == 2 and "record needs --upstream URL" in done.stderr
    done = subprocess.run([sys.executable, "-m", "replaycase", "record", str(case_dir),
                           "--runner-cmd", "true", "--upstream", "ftp://x"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "not an http:// or https:// URL" in done.stderr


def test_lint_judges_the_accepted_branch(case_dir: Path, tmp_path: Path) -> None:
    from replaycase.case.lint import lint_case

    with ModelServer(Scripted(), api_key=SECRET, log_path=tmp_path / "u.jsonl") as up:
        assert _record(case_dir, up.openai_base_url).returncode == 0
    report = lint_case(case_dir)
    assert report.clean, report.problems
    recorded = case_dir / "fixtures" / "accepted_run.json"
    run = json.loads(recorded.read_text())
    assert run["final_output"].startswith("I'm sorry")
    run["status"], run["final_output"] = "error", None  # as if the fix no longer passed
    recorded.write_text(json.dumps(run))
    messages = [p.message for p in lint_case(case_dir).problems]
    assert any("fails on the run the accepted branch was recorded in" in m for m in messages), \
        messages
    recorded.unlink()
    assert lint_case(case_dir).clean
    assert any("accepted_run.json" in w.file for w in lint_case(case_dir).warnings)
    tape = case_dir / "fixtures" / "model_tape.jsonl"
    lines = tape.read_text().splitlines()
    lines[-1] = lines[-1].replace("Why was I charged twice", "Why was I charged thrice")
    tape.write_text("\n".join(lines) + "\n")
    messages = [p.message for p in lint_case(case_dir).problems]
    assert any("accepted turn 3 does not continue the failing branch" in m
               for m in messages), messages


def test_two_cases_are_recorded_at_once(case_dir: Path, tmp_path: Path) -> None:
    twin = case_dir.parent / "billing-loop-twin"
    shutil.copytree(case_dir, twin)
    spec = twin / "case.yaml"
    spec.write_text(spec.read_text().replace("id: billing-loop", "id: billing-loop-twin", 1))
    with ModelServer(Scripted(), api_key=SECRET, log_path=tmp_path / "u.jsonl") as up:
        done = _record(case_dir.parent, up.openai_base_url, "asks", "-j", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("RECORDED") == 2
    for folder in (case_dir, twin):
        tape = read_tape(folder / "fixtures" / "model_tape.jsonl")
        assert [t.branch for t in tape.turns].count("accepted") == 1


@pytest.mark.parametrize(("variant", "code"), [("fixed", 0), ("buggy", 1)])
def test_a_candidate_that_asks_nothing_new_has_nothing_to_record(
        case_dir: Path, tmp_path: Path, variant: str, code: int) -> None:
    before = _folder(case_dir)
    with ModelServer(Scripted(), api_key=SECRET, log_path=tmp_path / "u.jsonl") as up:
        done = _record(case_dir, up.openai_base_url, variant)
    assert done.returncode == code, done.stdout + done.stderr
    assert "NOTHING NEW  the candidate asked nothing off the tape" in done.stdout
    assert _folder(case_dir) == before
    assert not (tmp_path / "u.jsonl").read_text()  # the upstream was never asked
