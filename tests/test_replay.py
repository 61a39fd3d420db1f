from __future__ import annotations

import json
import shlex
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replaycase.case import load_case
from replaycase.cli import app
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.scaffolding.build import scaffold

DATA = Path(__file__).parent / "data" / "replaykit"
PY = shlex.quote(sys.executable)


def copy_cmd(name: str) -> str:
    return f'cp {shlex.quote(str(DATA / name))} "$REPLAYCASE_OUTPUT_PATH"'


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    out = tmp_path / "cases" / "billing-loop"
    scaffold(DATA / "billing-loop.json", out)
    return out


def options(tmp_path: Path, cmd: str, **kw: object) -> ReplayOptions:
    return ReplayOptions(runner_cmd=cmd, evidence_root=tmp_path / "runs", kill_grace_s=0.5,
                         **kw)  # type: ignore[arg-type]


def test_fixed_candidate(case_dir: Path, tmp_path: Path) -> None:
    result = replay_case(load_case(case_dir), options(tmp_path, copy_cmd("output-fixed.json")))
    assert result.verdict == "fixed", result
    assert not result.reproduced
    assert all(a.outcome == "passed" for a in result.assertions)
    assert [s.outcome for s in result.semantic] == ["needs_review"]
    evidence = Path(result.evidence_dir or "")
    assert {p.name for p in evidence.iterdir()} >= {
        "result.json", "summary.md", "runner-output.json", "stdout.log", "stderr.log",
        "candidate-run.json"}
    saved = json.loads((evidence / "result.json").read_text())
    assert saved["verdict"] == "fixed" and saved["case_id"] == "billing-loop"
    assert "FIXED" in (evidence / "summary.md").read_text()


def test_buggy_candidate_reproduces(case_dir: Path, tmp_path: Path) -> None:
    result = replay_case(load_case(case_dir), options(tmp_path, copy_cmd("output-buggy.json")))
    assert result.verdict == "reproduced"
    assert all(s.outcome == "passed" for s in result.signatures)
    assert [a.key for a in result.assertions if a.outcome == "passed"] == ["tool_called"]


def test_failing_candidate(case_dir: Path, tmp_path: Path) -> None:
    result = replay_case(load_case(case_dir),
                         options(tmp_path, copy_cmd("output-failing.json")))
    assert result.verdict == "failing"
    failed = [a.key for a in result.assertions if a.outcome == "failed"]
    assert failed == ["final_output_exists", "tool_called"]  # it answered nothing, called none


def test_nonzero_exit_after_valid_output_is_judged(case_dir: Path, tmp_path: Path) -> None:
    result = replay_case(load_case(case_dir),
                         options(tmp_path, copy_cmd("output-fixed.json") + "; exit 3"))
    assert result.verdict == "fixed"
    assert result.runner.exit_code == 3


def test_both_env_prefixes(case_dir: Path, tmp_path: Path) -> None:
    script = ("import json, os; e = os.environ; json.dump({'status': 'success', "
              "'final_output': json.dumps({k: v for k, v in e.items() "
              "if k.startswith(('REPLAYCASE_', 'REPLAYKIT_'))})}, "
              "open(e['REPLAYKIT_OUTPUT_PATH'], 'w'))")
    cmd = f"{PY} -c {shlex.quote(script)}"
    result = replay_case(load_case(case_dir), options(tmp_path, cmd))
    assert result.runner.reason is None
    seen = json.loads(json.loads((Path(result.evidence_dir or "") / "runner-output.json")
                                 .read_text())["final_output"])
    for name in ("CASE_PATH", "CASE_DIR", "FIXTURES_DIR", "INPUT_PATH", "SOURCE_TRACE_PATH",
                 "OUTPUT_PATH", "RUN_DIR"):
        assert seen["REPLAYCASE_" + name] == seen["REPLAYKIT_" + name]
    assert seen["REPLAYCASE_CASE_PATH"].endswith("billing-loop/case.yaml")
    assert json.loads(Path(seen["REPLAYCASE_INPUT_PATH"]).read_text())["input"]


FAULTS = {
    "crash": (f"{PY} -c 'raise SystemExit(\"boom: runner crashed\")'",
              "exited with code 1 without writing an output"),
    "no output": ("true", "wrote no output"),
    "invalid json": ('printf "{not json" > "$REPLAYCASE_OUTPUT_PATH"', "invalid output"),
    "wrong shape": ('echo "[1, 2, 3]" > "$REPLAYCASE_OUTPUT_PATH"', "invalid output"),
    "empty output": (': > "$REPLAYCASE_OUTPUT_PATH"', "invalid output"),
    "hang": ("sleep 60", "timed out after 1s"),
    "sigterm ignored": (f"{PY} -c 'import signal, time; signal.signal(signal.SIGTERM, "
                        f"signal.SIG_IGN); time.sleep(60)'", "timed out"),
    "missing binary": ("no-such-binary-replaycase-test", "exited with code 127"),
    "stdout flood": ("yes replaycase", "stdout exceeded"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_runner_faults_give_runner_error(case_dir: Path, tmp_path: Path, fault: str) -> None:
    cmd, reason = FAULTS[fault]
    result = replay_case(load_case(case_dir),
                         options(tmp_path, cmd, timeout_s=1.0, max_output_bytes=1 << 20))
    assert result.verdict == "runner_error"
    assert reason in (result.runner.reason or ""), result.runner
    assert result.signatures == [] and result.assertions == []


def test_crash_keeps_stderr_tail(case_dir: Path, tmp_path: Path) -> None:
    result = replay_case(load_case(case_dir), options(tmp_path, FAULTS["crash"][0]))
    assert "boom: runner crashed" in result.runner.stderr_tail


def _cli(args: list[str]) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def test_cli_exit_codes_and_reports(case_dir: Path, tmp_path: Path) -> None:
    cases = str(case_dir.parent)
    runs = str(tmp_path / "runs")
    code, out, _ = _cli(["replay", cases, "--runner-cmd", copy_cmd("output-fixed.json"),
                         "--evidence-dir", runs])
    assert code == 0
    assert "billing-loop" in out and "FIXED" in out
    assert "observed failure reproduced: no" in out and "desired 5/5" in out
    code, out, _ = _cli(["replay", cases, "--runner-cmd", copy_cmd("output-buggy.json"),
                         "--evidence-dir", runs])
    assert code == 1 and "REPRODUCED" in out
    junit = tmp_path / "junit.xml"
    json_file = tmp_path / "results.json"
    code, out, _ = _cli(["replay", cases, "--runner-cmd", copy_cmd("output-buggy.json"),
                         "--expect", "reproduced", "--evidence-dir", runs, "--output", "json",
                         "--junit", str(junit), "--json", str(json_file)])
    assert code == 0
    document = json.loads(out)
    assert document["schema"] == "replaycase.results/v2"
    assert document["summary"]["reproduced"] == 1 and document["summary"]["passed"] == 1
    [result] = document["results"]
    assert result["case_id"] == "billing-loop" and result["verdict"] == "reproduced"
    assert {"signatures", "assertions", "semantic", "runner", "evidence_dir"} <= set(result)
    assert json.loads(json_file.read_text()) == document
    root = ET.parse(junit).getroot()
    assert root.get("tests") == "1" and root.get("failures") == "0"


def test_cli_failing_case_exit_1_with_junit_failure(case_dir: Path, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    code, out, _ = _cli(["replay", str(case_dir), "--runner-cmd",
                         copy_cmd("output-failing.json"), "--evidence-dir",
                         str(tmp_path / "runs"), "--junit", str(junit)])
    assert code == 1 and "FAILING" in out
    case = ET.parse(junit).getroot().find("testsuite/testcase")
    assert case is not None and case.find("failure") is not None


def test_cli_runner_error_other_cases_go_on(tmp_path: Path) -> None:
    for name in ("a-case", "b-case"):
        scaffold(DATA / "billing-loop.json", tmp_path / "cases" / name)
    cmd = ('case "$REPLAYCASE_CASE_DIR" in *a-case) exit 4;; esac; '
           + copy_cmd("output-fixed.json"))
    code, out, _ = _cli(["replay", str(tmp_path / "cases"), "--runner-cmd", cmd,
                         "--evidence-dir", str(tmp_path / "runs"), "-j", "2"])
    assert code == 1
    lines = [line for line in out.splitlines() if "-case" in line]
    assert "a-case" in lines[0] and "RUNNER ERROR" in lines[0]
    assert "b-case" in lines[1] and "FIXED" in lines[1]


def test_cli_without_runner_cmd_is_usage_error(case_dir: Path, tmp_path: Path) -> None:
    code, _, err = _cli(["replay", str(case_dir), "--evidence-dir", str(tmp_path / "r")])
    assert code == 2
    assert "no runner command" in err and "Traceback" not in err


def test_cli_replay_missing_path(tmp_path: Path) -> None:
    code, _, err = _cli(["replay", str(tmp_path / "nope"), "--runner-cmd", "true"])
    assert code == 2 and "no such file or folder" in err


def test_evidence_is_redacted(case_dir: Path, tmp_path: Path) -> None:
    secret = "sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"
    script = ("import json, os, sys; print('token " + secret + "'); "
              "print('mail jane.roe@example.org', file=sys.stderr); "
              "json.dump({'status': 'success', 'final_output': 'used " + secret + "'}, "
              "open(os.environ['REPLAYCASE_OUTPUT_PATH'], 'w'))")
    cmd = f"{PY} -c {shlex.quote(script)}"
    result = replay_case(load_case(case_dir), options(tmp_path, cmd))
    assert result.verdict in ("fixed", "failing")
    evidence = Path(result.evidence_dir or "")
    for path in evidence.iterdir():
        text = path.read_text()
        assert secret not in text, path.name
        assert "jane.roe@example.org" not in text, path.name
    assert "<redacted:api_key:1>" in (evidence / "stdout.log").read_text()
    assert "<redacted:api_key:1>" in (evidence / "runner-output.json").read_text()
    assert secret not in result.model_dump_json()


def test_env_allow_passes_only_listed_variables(case_dir: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_DEPLOY_TOKEN", "do-not-leak")
    monkeypatch.setenv("KEEP_ME", "kept")
    script = ("import json, os; e = os.environ; json.dump({'status': 'success', "
              "'final_output': json.dumps(sorted(e))}, open(e['REPLAYCASE_OUTPUT_PATH'], 'w'))")
    cmd = f"{PY} -c {shlex.quote(script)}"
    code, _, err = _cli(["replay", str(case_dir), "--runner-cmd", cmd, "--env-allow",
                         "KEEP_ME", "--evidence-dir", str(tmp_path / "runs"), "--output",
                         "json"])
    assert code == 1, err  # it calls no tool: failing; what it saw is what is checked
    runs = sorted((tmp_path / "runs").iterdir())
    output = json.loads((runs[-1] / "runner-output.json").read_text())
    names = json.loads(output["final_output"])
    assert "KEEP_ME" in names and "PATH" in names and "REPLAYCASE_OUTPUT_PATH" in names
    assert "CI_DEPLOY_TOKEN" not in names and "HOME" not in names


def test_grandchildren_are_killed_and_the_case_judged(case_dir: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    cmd = (f"sleep 300 & echo $! >> {pids}; "
           f"{PY} -c 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
           f"time.sleep(300)' & echo $! >> {pids}; " + copy_cmd("output-fixed.json"))
    result = replay_case(load_case(case_dir), options(tmp_path, cmd, timeout_s=20.0))
    assert result.verdict == "fixed"
    assert result.runner.duration_ms < 10_000  # it did not wait for the grandchildren
    for pid in pids.read_text().split():
        stat = Path(f"/proc/{pid}/stat")
        assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z", pid
