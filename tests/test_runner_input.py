"""Every runner gets the case input on stdin and in REPLAYCASE_INPUT (DESIGN 8): a string as
it is, anything else as JSON, so `python agent.py "$REPLAYCASE_INPUT"` needs no glue."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from replaycase.case import load_case
from replaycase.errors import CaseError
from replaycase.replay.case_run import MAX_ENV_INPUT, ReplayOptions, replay_case
from replaycase.scaffolding.build import scaffold

DATA = Path(__file__).parent / "data" / "replaykit"
PY = shlex.quote(sys.executable)
# Writes what it was given (stdin, the variable, whether the variable is set) as its output.
ECHO = ("import json, os, sys; e = os.environ; json.dump({'status': 'success', "
        "'final_output': json.dumps({'stdin': sys.stdin.read(), "
        "'env': e.get('REPLAYCASE_INPUT')})}, open(e['REPLAYCASE_OUTPUT_PATH'], 'w'))")


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    out = tmp_path / "cases" / "billing-loop"
    scaffold(DATA / "billing-loop.json", out)
    return out


def _given(case_dir: Path, tmp_path: Path, cmd: str = f"{PY} -c {shlex.quote(ECHO)}",
           ) -> dict[str, str | None]:
    result = replay_case(load_case(case_dir), ReplayOptions(
        runner_cmd=cmd, evidence_root=tmp_path / "runs", kill_grace_s=0.5))
    assert result.runner.reason is None, result.runner.reason
    output = json.loads((Path(result.evidence_dir or "") / "runner-output.json").read_text())
    seen: dict[str, str | None] = json.loads(output["final_output"])
    return seen


def _set_input(case_dir: Path, value: object) -> None:
    path = case_dir / "fixtures" / "input.json"
    path.write_text(json.dumps({"run_id": "r", "input": value}))


def test_a_text_input_is_given_as_it_is(case_dir: Path, tmp_path: Path) -> None:
    recorded = json.loads((case_dir / "fixtures" / "input.json").read_text())["input"]
    assert isinstance(recorded, str) and recorded
    assert _given(case_dir, tmp_path) == {"stdin": recorded, "env": recorded}


def test_a_structured_input_is_given_as_json(case_dir: Path, tmp_path: Path) -> None:
    _set_input(case_dir, {"question": "refund?", "customer": "C-1", "é": [1, 2]})
    seen = _given(case_dir, tmp_path)
    assert json.loads(seen["stdin"] or "") == {"question": "refund?", "customer": "C-1",
                                                "é": [1, 2]}
    assert seen["env"] == seen["stdin"]


def test_the_input_works_as_an_argument(case_dir: Path, tmp_path: Path) -> None:
    _set_input(case_dir, "it's $HOME; `rm -rf /`")  # quoted by the shell, never run
    script = ("import json, os, sys; json.dump({'status': 'success', 'final_output': "
              "json.dumps({'stdin': sys.argv[1], 'env': None})}, "
              "open(os.environ['REPLAYCASE_OUTPUT_PATH'], 'w'))")
    cmd = f'{PY} -c {shlex.quote(script)} "$REPLAYCASE_INPUT"'
    assert _given(case_dir, tmp_path, cmd)["stdin"] == "it's $HOME; `rm -rf /`"


def test_a_big_input_is_on_stdin_but_not_in_the_variable(case_dir: Path, tmp_path: Path) -> None:
    big = "x" * (MAX_ENV_INPUT + 10)
    _set_input(case_dir, big)
    assert _given(case_dir, tmp_path) == {"stdin": big, "env": None}


def test_no_input_is_empty_stdin_and_no_variable(case_dir: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLAYCASE_INPUT", "the caller's, never passed on")
    _set_input(case_dir, None)
    assert _given(case_dir, tmp_path) == {"stdin": "", "env": None}
    (case_dir / "fixtures" / "input.json").unlink()
    assert _given(case_dir, tmp_path) == {"stdin": "", "env": None}


def test_a_runner_that_never_reads_stdin_is_not_blocked(case_dir: Path, tmp_path: Path) -> None:
    _set_input(case_dir, "y" * 5_000_000)  # far more than a pipe holds
    script = ("import json, os; json.dump({'status': 'success', 'final_output': "
              "json.dumps({'stdin': 'unread', 'env': None})}, "
              "open(os.environ['REPLAYCASE_OUTPUT_PATH'], 'w'))")
    assert _given(case_dir, tmp_path, f"{PY} -c {shlex.quote(script)}")["stdin"] == "unread"


@pytest.mark.parametrize("bad", ["{not json", "[1, 2", "\ufeff\x00\x01"])
def test_a_malformed_input_file_is_a_case_error(case_dir: Path, tmp_path: Path,
                                                bad: str) -> None:
    (case_dir / "fixtures" / "input.json").write_text(bad)
    with pytest.raises(CaseError, match=r"fixtures/input\.json: "):
        _given(case_dir, tmp_path)


def test_an_input_file_that_is_a_link_is_refused(case_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"input": "outside the case"}))
    path = case_dir / "fixtures" / "input.json"
    path.unlink()
    path.symlink_to(secret)
    with pytest.raises(CaseError, match=r"fixtures/input\.json: "):
        _given(case_dir, tmp_path)


def test_replay_of_a_case_with_a_malformed_input_exits_2_naming_the_file(
        case_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from replaycase.cli import app

    (case_dir / "fixtures" / "input.json").write_text("{bad")
    done = CliRunner().invoke(app, ["replay", str(case_dir.parent), "--runner-cmd", "true",
                                    "--evidence-dir", str(tmp_path / "runs")])
    assert done.exit_code == 2
    [line] = [x for x in done.stderr.splitlines() if "input.json" in x]
    assert "billing-loop/fixtures/input.json: line 1" in line and "invalid JSON" in line
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
