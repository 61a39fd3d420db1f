"""The README's walkthrough works as written: every `$ replaycase …` line runs, in order,
with the verdict lines it shows."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
README = (REPO / "README.md").read_text()


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


@pytest.mark.slow
def test_walkthrough_runs_as_written(tmp_path: Path) -> None:
    steps = _walkthrough()
    assert len(steps) >= 5
    for command, shown in steps:
        command = (command.replace("/tmp/cases", str(tmp_path / "cases"))
                   .replace("examples/", f"{REPO}/examples/")
                   .replace("runners/", f"{REPO}/runners/")
                   .replace("python ", f"{sys.executable} "))
        args = shlex.split(command)
        assert args[0] == "replaycase"
        done = subprocess.run([sys.executable, "-m", "replaycase", *args[1:]], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        expected_code = 1 if "buggy.py" in command else 0
        assert done.returncode == expected_code, (command, done.stdout, done.stderr)
        for line in shown:
            if "REPRODUCED" in line or "FIXED" in line or line.endswith(": ok"):
                expected = line.replace("/tmp/cases", str(tmp_path / "cases"))
                assert expected in done.stdout, (command, done.stdout)
