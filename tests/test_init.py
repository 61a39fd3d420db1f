"""`replaycase init`: the [tool.replaycase] block and the GitHub Actions workflow."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from replaycase.cli import app
from replaycase.project.config import load_config, parse_toml
from replaycase.project.init import JUNIT_FILE, WORKFLOW

DATA = Path(__file__).parent / "data" / "replaykit"
EXISTING = """\
[project]
name = "my-agent"
version = "1.0"
dependencies = ["httpx"]

[tool.replaycase]
jobs = 9
cases = ["old-cases"]

[tool.replaycase.limits]
max_depth = 20

# ruff: keep this comment with its table
[tool.ruff]
line-length = 88
"""


def cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def workflow_steps(folder: Path) -> list[dict[str, object]]:
    document = yaml.safe_load((folder / WORKFLOW).read_text())
    [job] = document["jobs"].values()
    return job["steps"]


def test_fresh_folder_gets_pyproject_and_workflow(tmp_path: Path) -> None:
    code, out, err = cli(["init", str(tmp_path)])
    assert code == 0, err
    assert f"created {(tmp_path / 'pyproject.toml').as_posix()}" in out
    assert f"created {(tmp_path / WORKFLOW).as_posix()}" in out
    config = load_config(tmp_path)
    assert config.file == tmp_path / "pyproject.toml"
    assert config.cases == ["cases"] and config.runner_cmd is None
    assert config.evidence_dir == ".replaycase/runs" and config.timeout_s == 60
    steps = workflow_steps(tmp_path)
    runs = "\n".join(str(s.get("run", "")) for s in steps)
    assert ("replaycase replay cases/ --allow-no-cases --junit replaycase-junit.xml --markdown "
            '"$GITHUB_STEP_SUMMARY"') in runs
    assert "pip install -e ." not in runs  # no [project] to install
    junit = next(s for s in steps if "action-junit-report" in str(s.get("uses")))
    assert junit["with"]["report_paths"] == JUNIT_FILE  # type: ignore[index]
    upload = next(s for s in steps if "upload-artifact" in str(s.get("uses")))
    assert upload["with"]["path"] == ".replaycase/runs"  # type: ignore[index]
    assert upload["if"] == "${{ !cancelled() }}"
    assert junit["if"] == f"${{{{ !cancelled() && hashFiles('{JUNIT_FILE}') != '' }}}}"


def test_the_workflow_replay_command_is_accepted_by_this_cli(tmp_path: Path) -> None:
    assert cli(["init", str(tmp_path)])[0] == 0
    [command] = [str(s["run"]) for s in workflow_steps(tmp_path)
                 if "replaycase replay" in str(s.get("run"))]
    argv = shlex.split(command)
    assert argv[:2] == ["replaycase", "replay"]
    code, help_text, _ = cli(["replay", "--help"])
    assert code == 0
    for option in (a for a in argv if a.startswith("--")):
        assert option in help_text, f"{option} is not an option of replay"


def test_appends_to_an_existing_pyproject_keeping_it_byte_for_byte(tmp_path: Path) -> None:
    original = '[project]\nname = "my-agent"\nversion = "1.0"  # keep me\n\n[tool.ruff]\nx = 1'
    (tmp_path / "pyproject.toml").write_text(original)
    code, out, err = cli(["init", str(tmp_path), "--runner-cmd", 'python "run me.py" --flag'])
    assert code == 0, err
    assert "appended" in out
    text = (tmp_path / "pyproject.toml").read_text()
    assert text.startswith(original + "\n\n[tool.replaycase]\n")
    data = parse_toml(text, Path("pyproject.toml"))
    assert data["project"]["name"] == "my-agent" and data["tool"]["ruff"] == {"x": 1}
    assert load_config(tmp_path).runner_cmd == 'python "run me.py" --flag'
    runs = "\n".join(str(s.get("run", "")) for s in workflow_steps(tmp_path))
    assert "python -m pip install -e ." in runs  # the project is a package


def test_refuses_an_existing_block_or_workflow_without_force(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(EXISTING)
    code, _, err = cli(["init", str(tmp_path)])
    assert code == 2
    assert "already has a [tool.replaycase] table" in err and "--force" in err
    assert len(err.strip().splitlines()) == 1
    assert (tmp_path / "pyproject.toml").read_text() == EXISTING
    assert not (tmp_path / WORKFLOW).exists()  # nothing written at all

    other = tmp_path / "other"
    (other / WORKFLOW).parent.mkdir(parents=True)
    (other / WORKFLOW).write_text("name: mine\n")
    code, _, err = cli(["init", str(other)])
    assert code == 2 and "replaycase.yml exists" in err
    assert not (other / "pyproject.toml").exists()
    assert (other / WORKFLOW).read_text() == "name: mine\n"


def test_force_replaces_only_the_replaycase_tables(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(EXISTING)
    (tmp_path / WORKFLOW).parent.mkdir(parents=True)
    (tmp_path / WORKFLOW).write_text("name: mine\n")
    code, out, err = cli(["init", str(tmp_path), "--force"])
    assert code == 0, err
    assert out.count("replaced") == 2
    text = (tmp_path / "pyproject.toml").read_text()
    data = parse_toml(text, Path("pyproject.toml"))
    assert data["project"]["dependencies"] == ["httpx"]
    assert data["tool"]["ruff"] == {"line-length": 88}
    assert "# ruff: keep this comment with its table\n[tool.ruff]" in text
    assert text.count("[tool.replaycase]") == 1 and text.count("[tool.replaycase.limits]") == 1
    config = load_config(tmp_path)
    assert config.jobs is None and config.cases == ["cases"]
    assert config.limits.max_depth == 200
    assert "name: replaycase" in (tmp_path / WORKFLOW).read_text()


def test_force_refuses_a_table_it_cannot_rewrite_safely(tmp_path: Path) -> None:
    original = '[tool]\nreplaycase.jobs = 2\n'
    (tmp_path / "pyproject.toml").write_text(original)
    code, _, err = cli(["init", str(tmp_path), "--force"])
    assert code == 2 and "edit it by hand" in err
    assert (tmp_path / "pyproject.toml").read_text() == original
    assert not (tmp_path / WORKFLOW).exists()


def test_invalid_pyproject_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\n")
    code, _, err = cli(["init", str(tmp_path)])
    assert code == 2
    assert err.strip().startswith(f"replaycase: error: {tmp_path / 'pyproject.toml'}: "
                                  "invalid TOML")
    assert len(err.strip().splitlines()) == 1


def test_init_then_scaffold_then_replay_with_no_arguments(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = f'cp {shlex.quote(str(DATA / "output-fixed.json"))} "$REPLAYCASE_OUTPUT_PATH"'
    assert cli(["init", "--runner-cmd", runner])[0] == 0
    code, _, err = cli(["scaffold", str(DATA / "billing-loop.json"), "--out",
                        "cases/billing-loop"])
    assert code == 0, err
    code, out, err = cli(["replay"])
    assert code == 0, err
    assert "FIXED" in out
    assert any((tmp_path / ".replaycase" / "runs").iterdir())
