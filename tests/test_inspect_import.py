"""`replaycase inspect` and `replaycase import` on real traces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replaycase.cli import app
from replaycase.importers import load_trace

TRACES = Path(__file__).parent / "data" / "traces"
THREE = Path(__file__).parent / "data" / "replaykit" / "three-runs.json"


@pytest.mark.parametrize("source", ["otlp-genai/tool-loop.json", "replayt/tool-loop.jsonl",
                                    "langsmith/tool-loop.tree.json",
                                    "transcript-anthropic/tool-loop.json"])
def test_import_round_trips_to_native(tmp_path: Path, source: str) -> None:
    out = tmp_path / "run.json"
    result = CliRunner().invoke(app, ["import", str(TRACES / source), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    [original] = load_trace(TRACES / source)
    [native] = load_trace(out)
    assert native.source is not None and native.source.format == original.source.format
    assert native.model_dump(exclude={"source"}) == original.model_dump(exclude={"source"})


def test_import_several_runs_and_run_id(tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    assert CliRunner().invoke(app, ["import", str(THREE), "--out", str(out)]).exit_code == 0
    assert [r.run_id for r in load_trace(out)] == ["run-billing-2024-0312", "run-happy",
                                                   "run-refund"]
    one = tmp_path / "one.json"
    result = CliRunner().invoke(app, ["import", str(THREE), "--out", str(one), "--run-id",
                                      "run-happy"])
    assert result.exit_code == 0
    assert [r.run_id for r in load_trace(one)] == ["run-happy"]
    result = CliRunner().invoke(app, ["import", str(THREE), "--out", str(tmp_path / "x.json"),
                                      "--run-id", "nope"])
    assert result.exit_code == 2 and "no run 'nope'" in result.stderr


def test_inspect_shows_the_timeline() -> None:
    result = CliRunner().invoke(app, ["inspect", str(TRACES / "replayt" / "tool-loop.jsonl")])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "ERROR" in out and "lookup_billing" in out and "ToolLoopError" in out
    assert "model calls" in out and "tool calls" in out
    assert "entered think" in out  # workflow states are shown


def test_inspect_json_and_run_id() -> None:
    result = CliRunner().invoke(app, ["inspect", str(THREE), "--run-id", "run-refund",
                                      "--output", "json"])
    assert result.exit_code == 0
    run = json.loads(result.stdout)  # one run: the run itself, as ``import`` writes it
    assert run["run_id"] == "run-refund" and run["status"] == "success"
    assert [e["type"] for e in run["events"]][:2] == ["input_message", "tool_call"]


@pytest.mark.parametrize("run_id", [None, "run-happy"], ids=["three-runs", "one-run"])
def test_inspect_json_prints_what_import_writes(tmp_path: Path, run_id: str | None) -> None:
    picked = ["--run-id", run_id] if run_id else []
    shown = CliRunner().invoke(app, ["inspect", str(THREE), "--output", "json", *picked])
    out = tmp_path / "native.json"
    written = CliRunner().invoke(app, ["import", str(THREE), "--out", str(out), *picked])
    assert shown.exit_code == 0 and written.exit_code == 0, shown.stderr + written.stderr
    assert shown.stdout == out.read_text(encoding="utf-8")
    runs = load_trace(out)
    assert [r.run_id for r in runs] == ([run_id] if run_id else
                                        ["run-billing-2024-0312", "run-happy", "run-refund"])
    assert [r.to_json() for r in runs] == [r.to_json() for r in load_trace(THREE)
                                           if run_id in (None, r.run_id)]


def test_import_json_names_the_file_and_the_runs(tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    result = CliRunner().invoke(app, ["import", str(THREE), "--out", str(out),
                                      "--output", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "schema": "replaycase.import/v1", "path": out.as_posix(),
        "runs": ["run-billing-2024-0312", "run-happy", "run-refund"]}
    assert [r.run_id for r in load_trace(out)] == ["run-billing-2024-0312", "run-happy",
                                                   "run-refund"]
