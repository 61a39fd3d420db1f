from __future__ import annotations

import json
from pathlib import Path

import pytest

from replaycase.errors import FixtureMissing, ReplaycaseError
from replaycase.importers import load_trace
from replaycase.runner import Fixtures, Recorder, in_replay


def _clock() -> object:
    ticks = iter(range(1000))
    return lambda: f"2026-01-01T00:00:{next(ticks):02d}Z"


def test_recorder_writes_a_native_trace(tmp_path: Path) -> None:
    rec = Recorder("run-1", "Why was I charged?", agent="bot", version="2", model="m",
                   tags=["billing"], clock=_clock())
    rec.llm_call(response=None, tool_calls=[{"tool_name": "lookup", "tool_args": {"id": 1}}],
                 usage={"input_tokens": 10, "output_tokens": 3}, latency_ms=12.5)
    call = rec.tool_call("lookup", {"id": 1})
    rec.tool_result(call, "TimeoutError: slow", is_error=True)
    rec.error("ToolLoopError: stop", "ToolLoopError")
    path = rec.save(tmp_path / "trace.json")
    [run] = load_trace(path)
    assert run.source is not None and run.source.format == "native"
    assert run.run_id == "run-1" and run.status == "error" and run.input == "Why was I charged?"
    assert [e.type for e in run.events] == ["input_message", "llm_call", "tool_call",
                                            "tool_result", "error"]
    assert run.events[3].tool_name == "lookup"  # type: ignore[union-attr]
    assert run.tool_calls()[0].is_error
    assert run.totals().total_tokens == 13
    assert run.metadata.agent == "bot" and run.metadata.tags == ["billing"]
    assert run.totals().duration_ms == 4000.0


def test_status_defaults(tmp_path: Path) -> None:
    rec = Recorder("ok", "q", clock=None)
    rec.final_output("answer")
    assert rec.finish().status == "success"
    assert Recorder("none", "q").finish().status == "error"
    assert rec.finish("timeout").status == "timeout"


def test_write_output_needs_a_replay(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REPLAYCASE_OUTPUT_PATH", raising=False)
    monkeypatch.delenv("REPLAYKIT_OUTPUT_PATH", raising=False)
    assert not in_replay()
    with pytest.raises(ReplaycaseError, match="not inside a replay"):
        Recorder().write_output()
    monkeypatch.setenv("REPLAYCASE_OUTPUT_PATH", str(tmp_path / "out.json"))
    assert in_replay()
    rec = Recorder("r", "q")
    rec.final_output("done")
    rec.write_output()
    assert json.loads((tmp_path / "out.json").read_text())["status"] == "success"


def _fixtures(tmp_path: Path) -> Path:
    folder = tmp_path / "fixtures"
    folder.mkdir()
    (folder / "input.json").write_text(json.dumps({"run_id": "r", "input": "hello"}))
    calls = [
        {"tool_name": "lookup", "tool_args": {"id": 1}, "output": "one", "is_error": False},
        {"tool_name": "lookup", "tool_args": {"id": 2}, "output": "two", "is_error": False},
        {"tool_name": "search", "tool_args": {"q": "x"}, "output": "Boom", "is_error": True},
    ]
    (folder / "tool_calls.json").write_text(json.dumps(calls))
    return folder


def test_fixtures_serve_by_name_and_args_then_order(tmp_path: Path) -> None:
    fixtures = Fixtures(_fixtures(tmp_path))
    assert fixtures.input == "hello"
    assert fixtures.tool_output("lookup", {"id": 2}).output == "two"
    assert fixtures.tool_output("lookup", {"id": 99}).output == "one"  # falls back to order
    assert fixtures.tool_output("lookup", {"id": 1}).output == "two"  # the frozen world repeats
    recorded = fixtures.tool_output("search", {"q": "other"})
    assert recorded.is_error and recorded.output == "Boom"
    with pytest.raises(FixtureMissing, match="issue_refund"):
        fixtures.tool_output("issue_refund", {})


def test_fixtures_match_args_in_any_key_order_and_serve_each_call_once(tmp_path: Path) -> None:
    folder = tmp_path / "fixtures"
    folder.mkdir()
    calls = [{"tool_name": "page", "tool_args": {"n": i, "of": "C-1"}, "output": i}
             for i in range(3)] + [{"tool_name": "page", "tool_args": {1: "mixed", "a": 2},
                                    "output": "odd"}]
    (folder / "tool_calls.json").write_text(json.dumps(calls))
    fixtures = Fixtures(folder)
    assert fixtures.tool_output("page", {"of": "C-1", "n": 2}).output == 2
    assert fixtures.tool_output("page", {"of": "C-1", "n": 2}).output == 0  # served: by order
    assert fixtures.tool_output("page", {1: "x", "a": 2}).output == 1  # unsortable keys too
    assert [fixtures.tool_output("page").output for _ in range(3)] == ["odd", "odd", "odd"]


def test_fixtures_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REPLAYCASE_FIXTURES_DIR", raising=False)
    monkeypatch.setenv("REPLAYKIT_FIXTURES_DIR", str(_fixtures(tmp_path)))
    assert Fixtures.from_env().input == "hello"
    monkeypatch.delenv("REPLAYKIT_FIXTURES_DIR")
    with pytest.raises(ReplaycaseError, match="not inside a replay"):
        Fixtures.from_env()


def test_broken_fixture_file_is_a_replaycase_error(tmp_path: Path) -> None:
    folder = _fixtures(tmp_path)
    (folder / "tool_calls.json").write_text("{")
    with pytest.raises(ReplaycaseError, match="cannot read fixture"):
        Fixtures(folder)
