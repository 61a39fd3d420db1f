"""A tool call the fixtures do not hold makes the case diverged (DESIGN 8, runner API): the
runner API records it in the run folder and replay judges it, whatever the agent did next."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from replaycase.case import load_case
from replaycase.model.fixture_miss import FIXTURE_MISSES, MAX_FILE_BYTES
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.results import ReplayResult
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

AGENT = Path(__file__).parent / "data" / "runner_agents" / "order_agent.py"
ROOT = Path(__file__).resolve().parent.parent
MESSAGE = ('replaycase: diverged at tool call 1: get_order({"order_id":"Z-9999"}) is not in the '
           'fixtures')


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The order agent's failed production run ("lost"), scaffolded."""
    folder = tmp_path_factory.mktemp("orders")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, str(AGENT), "record", str(folder / "trace.json")],
                   check=True, env=env, timeout=60)
    scaffold(folder / "trace.json", folder / "cases" / "order-lost",
             ScaffoldOptions(observed=["final_output_contains: lost"]))
    return folder / "cases" / "order-lost"


def _replay(case_dir: Path, tmp_path: Path, cmd: str) -> ReplayResult:
    return replay_case(load_case(case_dir), ReplayOptions(
        runner_cmd=cmd, evidence_root=tmp_path / "runs", kill_grace_s=0.5, cwd=ROOT))


def _agent(variant: str) -> str:
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(AGENT))} {variant}"


def test_the_recorded_call_reproduces(case_dir: Path, tmp_path: Path) -> None:
    result = _replay(case_dir, tmp_path, _agent("same"))
    assert result.verdict == "reproduced" and result.divergence is None
    assert not (Path(result.evidence_dir or "") / FIXTURE_MISSES).exists()


def test_other_arguments_diverge_though_the_agent_answers_plausibly(
        case_dir: Path, tmp_path: Path) -> None:
    result = _replay(case_dir, tmp_path, _agent("other"))
    assert result.verdict == "diverged" and not result.reproduced
    assert result.divergence is not None
    assert result.divergence.source == "tool_fixtures"
    assert result.divergence.message == MESSAGE
    assert (result.divergence.turn, result.divergence.path) == (1, "get_order")
    assert result.divergence.received == {"order_id": "Z-9999"}
    assert result.divergence.recorded == [{"order_id": "A-1001"}]
    assert all(a.passed for a in result.assertions)  # judged alone, the answer would pass
    evidence = Path(result.evidence_dir or "")
    [line] = (evidence / FIXTURE_MISSES).read_text().splitlines()
    assert json.loads(line)["tool_name"] == "get_order"
    assert json.loads((evidence / "result.json").read_text())["verdict"] == "diverged"
    assert MESSAGE in (evidence / "summary.md").read_text()


def test_a_crash_the_miss_caused_is_diverged_too(case_dir: Path, tmp_path: Path) -> None:
    result = _replay(case_dir, tmp_path, _agent("crash"))
    assert result.verdict == "diverged"
    assert result.divergence is not None and result.divergence.message == MESSAGE


def test_serving_by_order_when_asked_is_judged_on_the_answer(
        case_dir: Path, tmp_path: Path) -> None:
    result = _replay(case_dir, tmp_path, _agent("by-order"))
    assert result.verdict == "reproduced"  # served A-1001's "lost"
    assert result.divergence is None


def test_the_miss_record_is_redacted(case_dir: Path, tmp_path: Path) -> None:
    secret = "sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"
    result = _replay(case_dir, tmp_path, _agent("secret"))
    assert result.verdict == "diverged" and result.divergence is not None
    assert secret not in result.model_dump_json()
    assert "<redacted:" in result.divergence.message
    evidence = Path(result.evidence_dir or "")
    for path in evidence.iterdir():
        assert secret not in path.read_text(errors="replace"), path.name
    assert "<redacted:" in (evidence / FIXTURE_MISSES).read_text()


def _writes(text: str) -> str:
    """A runner that writes a passing output and the text of Python expression ``text`` as
    the misses file."""
    script = ("import json, os, pathlib; run = pathlib.Path(os.environ['REPLAYCASE_RUN_DIR']); "
              f"(run / {FIXTURE_MISSES!r}).write_text({text}); "
              "json.dump({'status': 'success', 'final_output': 'on its way'}, "
              "open(os.environ['REPLAYCASE_OUTPUT_PATH'], 'w'))")
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}"


@pytest.mark.parametrize("text", [
    "garbage\n",
    '{"call": 1, "tool_name": "get_order"}\n',
    '{"call": "1", "tool_name": "get_order", "tool_args": "{}"}\n',
    '[1, 2]\n{"call": 1}\n',
    '{"call": 1, "tool_name": "x", "tool_args": "' + "a" * 5000 + '"}\n',
    "\ud800" * 3,
    "{" * 10_000,
])
def test_a_vandalized_misses_file_is_a_runner_error_in_one_line(
        case_dir: Path, tmp_path: Path, text: str) -> None:
    result = _replay(case_dir, tmp_path, _writes(repr(text.encode("utf-8", "surrogatepass")
                                                      .decode("utf-8", "replace"))))
    assert result.verdict == "runner_error"
    reason = result.runner.reason or ""
    assert FIXTURE_MISSES in reason and "\n" not in reason and "Traceback" not in reason


def test_a_misses_file_past_its_cap_is_a_runner_error(case_dir: Path, tmp_path: Path) -> None:
    line = '{"call":1,"tool_name":"get_order","tool_args":"{}"}\n'
    result = _replay(case_dir, tmp_path,
                     _writes(f"{line!r} * {5 * MAX_FILE_BYTES // len(line)}"))
    assert result.verdict == "runner_error"
    assert FIXTURE_MISSES in (result.runner.reason or "")


def test_a_link_in_place_of_the_misses_file_is_a_runner_error(
        case_dir: Path, tmp_path: Path) -> None:
    script = ("import json, os; run = os.environ['REPLAYCASE_RUN_DIR']; "
              f"os.symlink('/etc/hostname', os.path.join(run, {FIXTURE_MISSES!r})); "
              "json.dump({'status': 'success', 'final_output': 'on its way'}, "
              "open(os.environ['REPLAYCASE_OUTPUT_PATH'], 'w'))")
    result = _replay(case_dir, tmp_path, f"{shlex.quote(sys.executable)} -c "
                                         f"{shlex.quote(script)}")
    assert result.verdict == "runner_error"
    assert "symbolic link" in (result.runner.reason or "")


@pytest.mark.parametrize("runner,verdict", [("fixed", "fixed"), ("buggy", "reproduced")])
def test_the_committed_cases_hold_every_call_their_runners_make(
        tmp_path: Path, runner: str, verdict: str) -> None:
    """The runner-API example: runners/fixed.py 4/4 fixed, runners/buggy.py 4/4 reproduced,
    each tool call served from the case's own fixtures (none asked off them)."""
    results = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "replaycase", "replay", "examples/runner-api/cases", "--runner-cmd",
         f"{shlex.quote(sys.executable)} runners/{runner}.py", "-j", "4", "--expect", verdict,
         "--evidence-dir", str(tmp_path / "runs"), "--json", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    found = json.loads(results.read_text())["results"]
    assert sorted(r["verdict"] for r in found) == [verdict] * 4
    assert not list((tmp_path / "runs").rglob(FIXTURE_MISSES))


def test_the_pytest_plugin_fails_a_diverged_case_with_the_message(case_dir: Path,
                                                                  tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(case_dir), "-p", "replaycase.pytest_plugin",
         "-p", "no:cacheprovider", "--replaycase-runner", _agent("other"), "-q"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "order-lost: DIVERGED" in done.stdout, done.stdout
    assert MESSAGE in done.stdout and "1 failed" in done.stdout
