"""Hostile case files and options: a case folder runs nothing of its own, untrusted regexes
run with a time bound, every number is validated, ids are whole-string matched, and the
JUnit report stays well-formed XML whatever the candidate prints."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from replaycase.case import load_case
from replaycase.case_schema import case_json_schema
from replaycase.cli import app
from replaycase.init import NO_RUNNER_MESSAGE, WORKFLOW
from replaycase.lint import lint_case
from replaycase.replay.case_run import NO_RUNNER_CMD, ReplayOptions, replay_case
from replaycase.scaffold.build import scaffold

DATA = Path(__file__).parent / "data" / "replaykit"
PY = shlex.quote(sys.executable)


def cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    out = tmp_path / "cases" / "billing-loop"
    scaffold(DATA / "billing-loop.json", out)
    return out


def edit_case(case_dir: Path, change: dict[str, object]) -> None:
    """Rewrite case.yaml with some top-level keys replaced."""
    path = case_dir / "case.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(change)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def copy_cmd(name: str) -> str:
    return f'cp {shlex.quote(str(DATA / name))} "$REPLAYCASE_OUTPUT_PATH"'


# -- 1. nothing in a case folder runs ------------------------------------------------------


@pytest.fixture
def marker_case(case_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "marker"
    edit_case(case_dir, {"runner": {"cmd": f"touch {shlex.quote(str(marker))}",
                                    "timeout_s": 30}})
    return case_dir, marker


def test_replay_without_runner_cmd_never_runs_the_case_command(
        marker_case: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case_dir, marker = marker_case
    monkeypatch.chdir(tmp_path)  # no [tool.replaycase] with a runner_cmd around
    code, _, err = cli(["replay", str(case_dir), "--evidence-dir", str(tmp_path / "runs")])
    assert one_line_error(code, err) == f"replaycase: error: {NO_RUNNER_CMD}"
    assert NO_RUNNER_CMD.endswith("pass --runner-cmd or set runner_cmd in [tool.replaycase]")
    assert not marker.exists()


def test_replay_case_api_without_runner_cmd_is_a_usage_error(
        marker_case: tuple[Path, Path], tmp_path: Path) -> None:
    case_dir, marker = marker_case
    from replaycase.errors import UsageError

    with pytest.raises(UsageError, match="pass --runner-cmd or set runner_cmd"):
        replay_case(load_case(case_dir), ReplayOptions(evidence_root=tmp_path / "runs"))
    assert not marker.exists()


def test_with_runner_cmd_the_case_command_is_still_not_run(
        marker_case: tuple[Path, Path], tmp_path: Path) -> None:
    case_dir, marker = marker_case
    code, out, err = cli(["replay", str(case_dir), "--runner-cmd", copy_cmd("output-fixed.json"),
                          "--evidence-dir", str(tmp_path / "runs"), "--output", "json"])
    assert code == 0, err
    [result] = json.loads(out)["results"]
    assert result["verdict"] == "fixed"
    assert result["runner"]["cmd"] == copy_cmd("output-fixed.json")
    assert not marker.exists()


def test_pytest_plugin_never_runs_the_case_command(marker_case: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    case_dir, marker = marker_case
    # Without --replaycase-runner the plugin collects nothing, so nothing can run.
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(case_dir)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 5, done.stdout  # no tests collected
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(case_dir), "--replaycase-runner", copy_cmd("output-fixed.json"),
                           "--replaycase-evidence-dir", str(tmp_path / "runs")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout
    assert not marker.exists()


def test_a_case_with_runner_cmd_loads_and_lint_warns_it_is_ignored(
        marker_case: tuple[Path, Path]) -> None:
    case_dir, _ = marker_case
    assert load_case(case_dir).spec.runner.timeout_s == 30
    report = lint_case(case_dir)
    assert report.clean, report.problems  # a warning does not make lint fail
    [warning] = report.warnings
    assert warning.file == "case.yaml" and warning.line is not None
    assert "runner.cmd is ignored" in warning.message

    code, out, _ = cli(["lint", str(case_dir)])
    assert code == 0
    assert f"case.yaml:{warning.line}: warning: runner.cmd is ignored" in out
    assert "1 warning" in out
    code, out, _ = cli(["lint", str(case_dir), "--output", "json"])
    assert code == 0
    document = json.loads(out)
    assert document["clean"] is True
    [case] = document["cases"]
    assert case["problems"] == []
    assert "runner.cmd is ignored" in case["warnings"][0]["message"]


def test_a_fresh_case_has_no_warnings_and_no_runner_cmd(case_dir: Path) -> None:
    text = (case_dir / "case.yaml").read_text()
    assert "cmd" not in yaml.safe_load(text)["runner"]
    assert "cmd:" not in text
    report = lint_case(case_dir)
    assert report.clean and report.warnings == []


def test_schema_says_runner_cmd_is_ignored() -> None:
    runner = case_json_schema()["$defs"]["RunnerDefaults"]
    cmd = runner["properties"]["cmd"]
    assert cmd.get("deprecated") is True and "Ignored" in cmd["description"]
    assert "never" in runner["description"]


def _guard_step(folder: Path) -> dict[str, object] | None:
    document = yaml.safe_load((folder / WORKFLOW).read_text())
    [job] = document["jobs"].values()
    names = [step.get("name") for step in job["steps"]]
    replay = names.index("Replay cases")
    guard = next((s for s in job["steps"] if s.get("name") == "Check the runner command"), None)
    if guard is not None:
        assert job["steps"].index(guard) < replay
    return guard


def test_init_without_runner_cmd_writes_a_workflow_that_fails_clearly(tmp_path: Path) -> None:
    code, out, err = cli(["init", str(tmp_path)])
    assert code == 0, err
    assert "the workflow fails until it is set" in out
    guard = _guard_step(tmp_path)
    assert guard is not None and guard["shell"] == "python"
    script = tmp_path / "guard.py"
    script.write_text(str(guard["run"]))
    failed = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert failed.returncode == 1
    assert failed.stdout.strip() == f"::error title=replaycase::{NO_RUNNER_MESSAGE}"
    # Once runner_cmd is configured, the same workflow goes on to replay.
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        "# runner_cmd = ", 'runner_cmd = "python my_agent_runner.py" # '))
    passed = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_init_with_runner_cmd_writes_no_guard(tmp_path: Path) -> None:
    code, _, err = cli(["init", str(tmp_path), "--runner-cmd", "python run.py"])
    assert code == 0, err
    assert _guard_step(tmp_path) is None
