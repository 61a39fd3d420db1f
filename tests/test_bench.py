"""The bench scripts still run (tiny sizes; their figures are not checked here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("shape", ["tools", "agent"])
def test_scaffold_large_runs(shape: str) -> None:
    out = _run("scaffold_large.py", "--calls", "200", "--repeat", "1", "--phases",
               "--shape", shape)
    assert f"200 tool calls, shape {shape}" in out
    assert "ratio scaffold / json.load" in out and "fixtures" in out


@pytest.mark.slow
def test_import_formats_scales_every_format_into_a_trace_that_imports() -> None:
    out = _run("import_formats.py", "--calls", "5", "--repeat", "1")
    rows = [line.split()[0] for line in out.splitlines()[1:] if line and line[0] != "x"]
    assert rows == ["replaykit", "replayt", "otlp-genai", "openinference", "langsmith-runs",
                    "langsmith-tree", "agents-chat", "agents-responses", "transcript-openai",
                    "transcript-anthropic"]
    assert "expected" not in out  # the imported tool calls and events are as built
