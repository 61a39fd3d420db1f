"""`replaycase init` for CI: .replaycase/ in .gitignore, --force keeps runner_cmd, and the
workflow passes on a repository with no case yet, installing a replaycase that exists."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from replaycase.cli import app
from replaycase.project.config import load_config
from replaycase.project.init import GIT_REQUIREMENT, WORKFLOW

DATA = Path(__file__).parent / "data" / "replaykit"


def cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def steps(folder: Path) -> dict[str, dict[str, str]]:
    [job] = yaml.safe_load((folder / WORKFLOW).read_text())["jobs"].values()
    return {step["name"]: step for step in job["steps"] if "name" in step}


def test_gitignore_is_created_with_the_evidence_folder(tmp_path: Path) -> None:
    code, out, err = cli(["init", str(tmp_path)])
    assert code == 0, err
    assert (tmp_path / ".gitignore").read_text() == ".replaycase/\n"
    assert f"created {(tmp_path / '.gitignore').as_posix()}" in out


def test_gitignore_is_appended_once_keeping_its_lines(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("__pycache__/\n# mine\n.venv")  # no final newline
    assert cli(["init", str(tmp_path)])[0] == 0
    assert (tmp_path / ".gitignore").read_text() == "__pycache__/\n# mine\n.venv\n.replaycase/\n"
    code, out, err = cli(["init", str(tmp_path), "--force"])
    assert code == 0, err
    assert (tmp_path / ".gitignore").read_text().count(".replaycase") == 1
    assert ".gitignore" not in out  # nothing to do the second time


@pytest.mark.parametrize("line", ["/.replaycase/", ".replaycase", "  .replaycase/  "])
def test_gitignore_that_already_ignores_it_is_left_alone(tmp_path: Path, line: str) -> None:
    (tmp_path / ".gitignore").write_text(f"dist/\n{line}\n")
    assert cli(["init", str(tmp_path)])[0] == 0
    assert (tmp_path / ".gitignore").read_text() == f"dist/\n{line}\n"


def test_force_without_runner_cmd_keeps_the_configured_one(tmp_path: Path) -> None:
    assert cli(["init", str(tmp_path), "--runner-cmd", 'python "my agent.py"'])[0] == 0
    code, out, err = cli(["init", str(tmp_path), "--force"])
    assert code == 0, err
    assert load_config(tmp_path).runner_cmd == 'python "my agent.py"'
    assert "next: set runner_cmd" not in out
    assert "Check the runner command" not in steps(tmp_path)
    assert cli(["init", str(tmp_path), "--force", "--runner-cmd", "python other.py"])[0] == 0
    assert load_config(tmp_path).runner_cmd == "python other.py"


def _run_in(folder: Path, command: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    argv = shlex.split(command)
    assert argv[0] == "replaycase"
    monkeypatch.chdir(folder)
    return cli(argv[1:])


@pytest.mark.parametrize("cases", ["missing", "empty"])
def test_the_workflow_passes_with_no_case_yet(tmp_path: Path, cases: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli(["init", str(tmp_path)])[0] == 0  # no --runner-cmd either
    if cases == "empty":
        (tmp_path / "cases").mkdir()
    workflow = steps(tmp_path)
    check = subprocess.run([sys.executable, "-c", workflow["Check the runner command"]["run"]],
                           cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout
    for name, verb in (("Lint cases", "lint"), ("Replay cases", "replay")):
        code, out, err = _run_in(tmp_path, workflow[name]["run"], monkeypatch)
        assert code == 0, (name, out, err)
        assert out == f"no cases yet under cases: nothing to {verb}\n"


def test_the_workflow_fails_on_a_case_without_a_runner(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli(["init", str(tmp_path)])[0] == 0
    monkeypatch.chdir(tmp_path)
    assert cli(["scaffold", str(DATA / "billing-loop.json"), "--out", "cases/loop"])[0] == 0
    workflow = steps(tmp_path)
    check = subprocess.run([sys.executable, "-c", workflow["Check the runner command"]["run"]],
                           cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert check.returncode == 1 and "::error title=replaycase::no runner command" in check.stdout
    code, _, err = _run_in(tmp_path, workflow["Replay cases"]["run"], monkeypatch)
    assert code == 2 and "runner" in err


@pytest.mark.parametrize("command", ["replay", "lint"])
@pytest.mark.parametrize("cases", ["missing", "empty"])
def test_without_the_flag_no_case_stays_an_error(tmp_path: Path, command: str, cases: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    if cases == "empty":
        (tmp_path / "cases").mkdir()
    runner = ["--runner-cmd", "true"] if command == "replay" else []
    code, out, err = cli([command, "cases/", *runner])
    assert code == 2 and "no cases yet" not in out
    assert ("no such file or folder" if cases == "missing" else "no case folders") in err
    (tmp_path / "notes.txt").write_text("x")  # not a case folder: an error even with the flag
    code, _, err = cli([command, "notes.txt", "--allow-no-cases"])
    assert code == 2 and "not a case folder" in err


def _install(folder: Path) -> subprocess.CompletedProcess[str]:
    """The workflow's Install step, with pip replaced by an echo."""
    script = steps(folder)["Install"]["run"].replace("python -m pip", "echo pip")
    return subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True,
                          timeout=30, env={**os.environ})


def test_default_install_is_the_git_url_with_a_placeholder_to_fill(tmp_path: Path) -> None:
    assert cli(["init", str(tmp_path)])[0] == 0
    text = (tmp_path / WORKFLOW).read_text()
    assert GIT_REQUIREMENT in text and "replace <OWNER>" in text
    assert f'REPLAYCASE="replaycase=={version("replaycase")}"' in text  # the PyPI form, noted
    done = _install(tmp_path)
    assert done.returncode == 1
    assert "::error title=replaycase::replace <OWNER> in the replaycase git URL" in done.stdout


def test_install_pypi_pins_the_version_that_wrote_it(tmp_path: Path) -> None:
    assert cli(["init", str(tmp_path), "--install", "pypi"])[0] == 0
    done = _install(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == f"pip install replaycase=={version('replaycase')}"


def test_install_a_filled_git_url(tmp_path: Path) -> None:
    url = "replaycase @ git+https://github.com/acme/replaycase.git@v0.1.0"
    assert cli(["init", str(tmp_path), "--install", url])[0] == 0
    done = _install(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == f"pip install {url}"
    code, _, err = cli(["init", str(tmp_path / "x"), "--install", 'a"b'])
    assert code == 2 and "--install" in err
