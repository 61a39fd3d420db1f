"""The README's walkthrough works as written: every `$ replaycase …` line runs, in order,
with the verdict lines it shows (scaffold → reproduced → diverged → record → fixed), the
agent unmodified and `record`'s upstream the scripted model, started here; and the main job
of "On a fresh machine" replays the committed cases all fixed."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
README = (REPO / "README.md").read_text()
UPSTREAM = "http://127.0.0.1:8765/v1"  # where the README starts the scripted model
VERDICTS = ("REPRODUCED", "FIXED", "DIVERGED", "RECORDED")


def _walkthrough() -> list[tuple[str, list[str]]]:
    """(command, the output lines shown under it) for each console line of the walkthrough."""
    section = README.split("## A five-minute walkthrough", 1)[1].split("\n## ", 1)[0]
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
    return steps


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


@pytest.mark.slow
def test_walkthrough_runs_as_written(tmp_path: Path) -> None:
    pytest.importorskip("openai")
    steps = _walkthrough()
    commands = [shlex.split(command)[1] for command, _ in steps]
    assert commands == ["inspect", "scaffold", "lint", "replay", "replay", "record", "replay",
                        "replay"]
    shown_verdicts = [v for _, shown in steps for line in shown for v in VERDICTS if v in line]
    assert shown_verdicts == ["REPRODUCED", "DIVERGED", "RECORDED", "FIXED", "REPRODUCED"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-scripted-model"}
    with _scripted_model().serve() as upstream:
        for command, shown in steps:
            command = (command.replace("/tmp/cases", str(tmp_path / "cases"))
                       .replace("examples/", f"{REPO}/examples/")
                       .replace(UPSTREAM, upstream)
                       .replace("python ", f"{sys.executable} "))
            done = _run(command, tmp_path, env)
            assert done.returncode == _expected_code(command, shown), \
                (command, done.stdout, done.stderr)
            for line in shown:
                if any(v in line for v in VERDICTS) or line.endswith((": ok", "(1 warning)")):
                    expected = line.replace("/tmp/cases", str(tmp_path / "cases"))
                    assert expected in done.stdout, (command, done.stdout)


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
