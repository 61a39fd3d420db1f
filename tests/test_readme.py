"""The README's walkthrough works as written: every `$ replaycase …` line runs, in order,
with the verdict lines it shows (scaffold → reproduced → diverged → record → fixed), the
agent unmodified and `record`'s upstream the scripted model, started here; and the main job
of "On a fresh machine" replays the committed cases all fixed."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
README = (REPO / "README.md").read_text()
UPSTREAM = "http://127.0.0.1:8765/v1"  # where the README starts the scripted model
VERDICTS = ("REPRODUCED", "FIXED", "DIVERGED", "RECORDED")


def _section() -> str:
    return README.split("## A five-minute walkthrough", 1)[1].split("\n## ", 1)[0]


def _walkthrough() -> list[tuple[str, list[str]]]:
    """(command, the output lines shown under it) for each console line of the walkthrough."""
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", _section(), re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
    return steps


def _shell_commands() -> list[str]:
    """Each command of the walkthrough's ```sh blocks, continuation lines joined, comments
    dropped."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", _section(), re.S):
        for command in block.replace("\\\n", " ").splitlines():
            command = command.split("   #", 1)[0].strip()
            if command:
                commands.append(" ".join(command.split()))
    return commands


def _clone(tmp_path: Path) -> Path:
    """What a clone has that the walkthrough uses, in a fresh git repository."""
    clone = tmp_path / "clone"
    shutil.copytree(REPO / "examples", clone / "examples",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / ".gitignore", clone / ".gitignore")
    subprocess.run(["git", "init", "-q", str(clone)], check=True, timeout=30)
    return clone


def _scripted_model():  # type: ignore[no-untyped-def]
    path = REPO / "examples" / "scripted_model.py"
    spec = importlib.util.spec_from_file_location("example_scripted_model", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = shlex.split(command)
    assert args[0] == "replaycase"
    return subprocess.run([sys.executable, "-m", "replaycase", *args[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _expected_code(command: str, shown: list[str]) -> int:
    if any("DIVERGED" in line for line in shown):
        return 1
    return 1 if "--buggy" in command and "--expect reproduced" not in command else 0


def test_walkthrough_uses_paths_inside_the_clone() -> None:
    commands = [command for command, _ in _walkthrough()] + _shell_commands()
    for command in commands:
        for arg in shlex.split(command):
            assert not arg.startswith(("/", "~")), (command, arg)  # e.g. /tmp/cases/...
    assert _shell_commands()[:2] == ["python examples/scripted_model.py --port 8765",
                                     "export OPENAI_API_KEY=sk-scripted-model"]


@pytest.mark.slow
def test_walkthrough_runs_as_written(tmp_path: Path) -> None:
    """Every command, console and sh, runs from the root of a clone as written (but the
    scripted model's port, started here, and this Python)."""
    pytest.importorskip("openai")
    steps = _walkthrough()
    commands = [shlex.split(command)[1] for command, _ in steps]
    assert commands == ["inspect", "scaffold", "lint", "replay", "replay", "record", "replay",
                        "replay"]
    shown_verdicts = [v for _, shown in steps for line in shown for v in VERDICTS if v in line]
    assert shown_verdicts == ["REPRODUCED", "DIVERGED", "RECORDED", "FIXED", "REPRODUCED"]
    clone = _clone(tmp_path)
    env = {**os.environ, "OPENAI_API_KEY": "sk-scripted-model"}
    with _scripted_model().serve() as upstream:
        for command, shown in steps:
            command = command.replace(UPSTREAM, upstream).replace("python ",
                                                                  f"{sys.executable} ")
            done = _run(command, clone, env)
            assert done.returncode == _expected_code(command, shown), \
                (command, done.stdout, done.stderr)
            for line in shown:
                if any(v in line for v in VERDICTS) or line.endswith((": ok", "(1 warning)")):
                    assert line in done.stdout, (command, done.stdout)
    # the sh blocks after the model is started: commit the case, replay it, scaffold another
    for command in _shell_commands()[2:]:
        if command.startswith("git "):
            done = subprocess.run(shlex.split(command), cwd=clone, capture_output=True,
                                  text=True, timeout=30)
        else:
            done = _run(command.replace("python ", f"{sys.executable} "), clone, env)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    added = subprocess.run(["git", "ls-files", "my-cases"], cwd=clone, capture_output=True,
                           text=True, check=True, timeout=30).stdout.split()
    assert "my-cases/tool-error-unhandled/case.yaml" in added
    assert (clone / "junit.xml").is_file() and (clone / "my-cases" / "wrong-tool").is_dir()


@pytest.mark.slow  # tests/test_example_sdk_agent.py replays the same cases while you work
def test_the_main_job_replays_the_committed_cases_all_fixed(tmp_path: Path) -> None:
    pytest.importorskip("openai")
    [line] = [line for line in README.splitlines() if line.startswith("pip install \".[sdk]\"")]
    lint, replay = line.split(" && ")[1:]
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    done = _run(lint, REPO, env)
    assert done.returncode == 0, done.stdout + done.stderr
    replay = replay.replace("python ", f"{shlex.quote(sys.executable)} ")
    done = _run(f"{replay} -j 3 --evidence-dir {tmp_path / 'runs'}", REPO, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("FIXED") == 3 and "3 cases · 3 fixed" in done.stdout, done.stdout


def test_the_github_annotation_example_of_the_ci_doc_is_the_real_output(tmp_path: Path) -> None:
    pytest.importorskip("openai")
    section = (REPO / "docs" / "ci.md").read_text().split("### GitHub annotations", 1)[1]
    block = re.findall(r"```text\n(.*?)```", section, re.S)[0].splitlines()
    assert block[0].startswith("$ GITHUB_ACTIONS=true replaycase replay ")
    shown = block[1:]
    assert shown and all(line.startswith("::error file=") for line in shown)
    command = block[0].removeprefix("$ GITHUB_ACTIONS=true ")
    command = command.replace("python ", f"{shlex.quote(sys.executable)} ")
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    done = _run(f"{command} --evidence-dir {tmp_path / 'runs'}", REPO,
                {**env, "GITHUB_ACTIONS": "true"})
    assert done.returncode == 1, done.stdout + done.stderr
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert annotations == shown
