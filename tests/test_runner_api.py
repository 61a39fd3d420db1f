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


def test_fixtures_serve_only_the_calls_they_hold(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPLAYCASE_RUN_DIR", raising=False)
    monkeypatch.delenv("REPLAYKIT_RUN_DIR", raising=False)
    fixtures = Fixtures(_fixtures(tmp_path))
    assert fixtures.input == "hello"
    assert fixtures.tool_output("lookup", {"id": 2}).output == "two"
    with pytest.raises(FixtureMissing, match=r"with these arguments of tool 'lookup'.*"
                                             r'lookup\(\{"id":99\}\)'):
        fixtures.tool_output("lookup", {"id": 99})  # never another call's output
    assert fixtures.tool_output("lookup", {"id": 1}).output == "one"
    assert fixtures.tool_output("lookup", {"id": 2}).output == "two"  # the frozen world repeats
    with pytest.raises(FixtureMissing, match="search"):
        fixtures.tool_output("search", {"q": "other"})
    recorded = fixtures.tool_output("search", {"q": "x"})
    assert recorded.is_error and recorded.output == "Boom"
    with pytest.raises(FixtureMissing, match="no recorded call of tool 'issue_refund'"):
        fixtures.tool_output("issue_refund", {})
    assert fixtures.calls == 7
    assert not list(tmp_path.rglob("fixture-misses.jsonl"))  # no run folder: nothing written


def test_identical_calls_are_served_in_order_then_the_last_again(tmp_path: Path) -> None:
    folder = tmp_path / "fixtures"
    folder.mkdir()
    calls = [{"tool_name": "poll", "tool_args": {"job": 1}, "output": f"try {i}"}
             for i in range(3)] + [{"tool_name": "poll", "tool_args": None, "output": "none"}]
    (folder / "tool_calls.json").write_text(json.dumps(calls))
    fixtures = Fixtures(folder)
    assert [fixtures.tool_output("poll", {"job": 1}).output for _ in range(5)] == [
        "try 0", "try 1", "try 2", "try 2", "try 2"]
    assert [fixtures.tool_output("poll").output for _ in range(2)] == ["none", "none"]


def test_fixtures_match_args_in_any_key_order(tmp_path: Path) -> None:
    folder = tmp_path / "fixtures"
    folder.mkdir()
    calls = [{"tool_name": "page", "tool_args": {"n": i, "of": "C-1"}, "output": i}
             for i in range(3)] + [{"tool_name": "page", "tool_args": {1: "mixed", "a": 2},
                                    "output": "odd"}]
    (folder / "tool_calls.json").write_text(json.dumps(calls))
    fixtures = Fixtures(folder)
    assert fixtures.tool_output("page", {"of": "C-1", "n": 2}).output == 2
    assert fixtures.tool_output("page", {"of": "C-1", "n": 2}).output == 2
    assert fixtures.tool_output("page", {"a": 2, "1": "mixed"}).output == "odd"
    with pytest.raises(FixtureMissing):
        fixtures.tool_output("page", {1: "x", "a": 2})  # unsortable keys are canonical too
    with pytest.raises(FixtureMissing):
        fixtures.tool_output("page")


def test_serving_by_order_only_when_asked(tmp_path: Path) -> None:
    folder = _fixtures(tmp_path)
    fixtures = Fixtures(folder)
    assert fixtures.tool_output("lookup", {"id": 2}).output == "two"
    assert fixtures.tool_output("lookup", {"id": 99}, by_order=True).output == "one"
    assert fixtures.tool_output("lookup", {"id": 1}, by_order=True).output == "two"  # the last
    with pytest.raises(FixtureMissing):
        fixtures.tool_output("lookup", {"id": 99})
    everywhere = Fixtures(folder, by_order=True)
    assert everywhere.tool_output("search", {"q": "other"}).output == "Boom"
    assert everywhere.tool_output("lookup", {"id": 7}).output == "one"
    with pytest.raises(FixtureMissing):
        everywhere.tool_output("lookup", {"id": 7}, by_order=False)
    with pytest.raises(FixtureMissing, match="issue_refund"):  # a tool never called: no order
        everywhere.tool_output("issue_refund", {})


def test_a_miss_is_recorded_in_the_run_folder(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setenv("REPLAYCASE_RUN_DIR", str(run))
    fixtures = Fixtures(_fixtures(tmp_path))
    fixtures.tool_output("lookup", {"id": 1})
    for args in ({"id": 99}, {"id": "x" * 5000}):
        with pytest.raises(FixtureMissing):
            fixtures.tool_output("lookup", args)
    with pytest.raises(FixtureMissing):
        fixtures.tool_output("issue_refund", {"amount": 12.0})
    first, long, other = [json.loads(line) for line in
                          (run / "fixture-misses.jsonl").read_text().splitlines()]
    assert first == {"call": 2, "tool_name": "lookup", "tool_args": '{"id":99}',
                     "recorded_args": ['{"id":1}', '{"id":2}']}
    assert len(long["tool_args"]) <= 2001 and long["tool_args"].endswith("…")
    assert other == {"call": 4, "tool_name": "issue_refund", "tool_args": '{"amount":12.0}',
                     "recorded_args": []}


def test_misses_stop_at_the_cap_and_never_follow_a_link(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setenv("REPLAYCASE_RUN_DIR", str(run))
    fixtures = Fixtures(_fixtures(tmp_path))
    for n in range(150):
        with pytest.raises(FixtureMissing):
            fixtures.tool_output("lookup", {"id": "y" * 3000, "n": n})
    text = (run / "fixture-misses.jsonl").read_text()
    assert 0 < len(text.encode()) <= 256 * 1024 and len(text.splitlines()) <= 100
    (run / "fixture-misses.jsonl").unlink()
    target = tmp_path / "elsewhere"
    target.write_text("")
    (run / "fixture-misses.jsonl").symlink_to(target)
    (tmp_path / "again").mkdir()
    with pytest.raises(FixtureMissing, match=r"not recorded in fixture-misses\.jsonl"):
        Fixtures(_fixtures(tmp_path / "again")).tool_output("lookup", {"id": 99})
    assert target.read_text() == ""


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
