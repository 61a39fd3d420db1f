"""bench/coding_agents.py still runs, and its sessions import as built (tiny sizes)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from replaycase.importers import load_trace

BENCH = Path(__file__).resolve().parents[1] / "bench" / "coding_agents.py"


def _module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("coding_agents", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("fmt", "tool"), [("claude-code", "Bash"), ("codex-cli",
                                                                      "exec_command")])
def test_generated_session_imports_with_every_round(tmp_path: Path, fmt: str,
                                                    tool: str) -> None:
    path = tmp_path / "s.jsonl"
    rounds = _module().write_session(fmt, path, 0.3, 2.0, 10)
    [run] = load_trace(path)
    assert run.source is not None and run.source.format == fmt
    calls = run.tool_calls()
    tasks = rounds // 20 if fmt == "claude-code" else 0  # every 20th round is a Task
    assert len(calls) == rounds and sum(c.tool_name == tool for c in calls) == rounds - tasks
    assert len(run.llm_calls()) == rounds
    assert max(len(c.messages or []) for c in run.llm_calls()) <= 3 * 10 + 2  # compacted
