"""One way to pick a run out of a trace file by id, for diff, scaffold, inspect and import."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from replaycase.cli import app
from replaycase.errors import RunChoiceError
from replaycase.importers import load_trace, pick_run

MANY = Path(__file__).parent / "data" / "traces" / "otlp-genai" / "all-scenarios.jsonl"
ONE_ID = "61107fcea8c60f3773bcf44fd5c528b4"


def test_picks_the_run_of_the_id_or_the_only_run() -> None:
    runs = load_trace(MANY)
    assert pick_run(MANY, runs, ONE_ID).run_id == ONE_ID
    assert pick_run(MANY, runs[:1], None) is runs[0]


def test_no_run_of_the_id_names_the_runs_there() -> None:
    runs = load_trace(MANY)
    with pytest.raises(RunChoiceError) as caught:
        pick_run(MANY, runs, "nope")
    assert str(caught.value) == (f"{MANY}: no run 'nope' in the file (runs: "
                                 + ", ".join(r.run_id for r in runs) + ")")


def test_several_runs_and_no_id_names_the_flag() -> None:
    runs = load_trace(MANY)
    with pytest.raises(RunChoiceError, match=r"holds 5 runs \(.*\); choose one with --run-a$"):
        pick_run(MANY, runs, None, "--run-a")


def test_more_than_ten_runs_are_counted_not_listed() -> None:
    runs = load_trace(MANY) * 3
    with pytest.raises(RunChoiceError, match=r", … \(15 runs\)\); choose one with --run-id$"):
        pick_run(MANY, runs, None)


@pytest.mark.parametrize("argv", [
    ["inspect", str(MANY), "--run-id", "nope"],
    ["diff", str(MANY), str(MANY), "--run-a", "nope"],
])
def test_commands_share_the_message(argv: list[str]) -> None:
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2 and "no run 'nope' in the file (runs: " in result.stderr
