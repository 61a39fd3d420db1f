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
    assert rows == ["replaykit", "inspect-ai", "replayt", "otlp-genai", "openinference",
                    "langsmith-runs", "langsmith-tree", "agents-chat", "agents-responses",
                    "mlflow", "transcript-openai", "transcript-anthropic", "langfuse",
                    "phoenix", "langsmith-multipart"]
    assert "expected" not in out  # the imported tool calls and events are as built


@pytest.mark.slow  # three interpreters with the openai SDK, 200 ms a turn on a busy machine
def test_replay_tape_runs_an_sdk_agent_from_the_tape_and_from_a_stub() -> None:
    pytest.importorskip("openai", reason="the bench's agent is on the official openai SDK")
    out = _run("replay_tape.py", "--quick", "--turns", "6")
    assert "6 model turns (5 tool calls, then the answer)" in out
    rows = {line.split("  ")[0] for line in out.splitlines()}
    assert {"stub http.server", "replaycase tape"} <= rows
    for figure in ("ratio tape / stub: process", "overhead per request, ms: client-observed p50",
                   "server-side p50", "start-up per case (median of 5)",
                   "reading the tape file"):
        assert figure in out, out
