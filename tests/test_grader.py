"""``replay --grader-cmd`` (issue 18): each semantic check is handed to the user's grader,
JSON on stdin, ``{"passed", "reason"}`` on stdout; a graded check counts like a desired
assertion and shows its reason; a grader that crashes, hangs, floods or prints garbage makes
that check ``error``; scaffold's placeholder check and cases not fixed or failing are not graded.
"""

from __future__ import annotations

import json
import shlex
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replaycase.assertions.catalogue import SEMANTIC_PLACEHOLDER
from replaycase.case import load_case
from replaycase.cli import app
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.replay.grading import GRADER_SCHEMA, Grader
from replaycase.results import ReplayResult

CHECK = "The answer apologizes and says when to try again"
RUNNER = textwrap.dedent('''
    import json, os, sys
    answer = sys.argv[1]
    with open(os.environ["REPLAYCASE_OUTPUT_PATH"], "w") as out:
        json.dump({"status": "success", "final_output": answer}, out)
''')
GRADER = textwrap.dedent('''
    import json, os, sys
    request = json.load(sys.stdin)
    with open(os.environ["GRADER_LOG"], "a") as log:
        log.write(json.dumps(request) + "\\n")
    mode = sys.argv[1]
    if mode == "judge":
        passed = "try again" in request["final_output"]
        print(json.dumps({"passed": passed, "reason": "mentions a retry" if passed
                          else "no word on when to try again"}))
    elif mode == "crash":
        sys.exit("judge model unreachable")
    elif mode == "hang":
        import time; time.sleep(60)
    elif mode == "garbage":
        print("I think it passed, mostly")
    elif mode == "wrong-type":
        print(json.dumps({"passed": "yes"}))
    elif mode == "flood":
        sys.stdout.write("x" * (3 * 1024 * 1024))
''')


def _case(root: Path, semantic: list[str]) -> Path:
    case = root / "cases" / "billing"
    (case / "fixtures").mkdir(parents=True)
    (case / "fixtures" / "input.json").write_text(json.dumps({"input": "Charged twice?"}))
    (case / "case.yaml").write_text(json.dumps({
        "schema": "replaycase/v1", "id": "billing", "title": "billing answer",
        "source": {"format": "replaykit", "run_id": "r1"},
        "observed_failure": [{"final_output_contains": "paid in full"}],
        "desired": [{"final_output_exists": True}],
        "semantic": [{"check": check} for check in semantic]}))
    return case


@pytest.fixture
def scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    (tmp_path / "runner.py").write_text(RUNNER)
    (tmp_path / "grader.py").write_text(GRADER)
    monkeypatch.setenv("GRADER_LOG", str(tmp_path / "grader.log"))
    return tmp_path / "runner.py", tmp_path / "grader.py"


def _cmd(script: Path, arg: str) -> str:
    return shlex.join([sys.executable, str(script), arg])


def _replay(tmp_path: Path, scripts: tuple[Path, Path], answer: str, mode: str | None,
            semantic: list[str] | None = None, timeout_s: float = 30) -> ReplayResult:
    case = _case(tmp_path, [CHECK] if semantic is None else semantic)
    grader = Grader(_cmd(scripts[1], mode), timeout_s=timeout_s, kill_grace_s=0.2) \
        if mode else None
    return replay_case(load_case(case), ReplayOptions(
        runner_cmd=_cmd(scripts[0], answer), evidence_root=tmp_path / "runs", grader=grader))


def _requests(tmp_path: Path) -> list[dict]:  # type: ignore[type-arg]
    log = tmp_path / "grader.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_without_a_grader_the_check_needs_review(tmp_path: Path, scripts: tuple[Path, Path]
                                                 ) -> None:
    result = _replay(tmp_path, scripts, "Sorry, please try again in an hour.", None)
    assert result.verdict == "fixed"
    assert [o.outcome for o in result.semantic] == ["needs_review"]


def test_a_passing_grade_keeps_the_case_fixed_and_shows_its_reason(
        tmp_path: Path, scripts: tuple[Path, Path]) -> None:
    result = _replay(tmp_path, scripts, "Sorry, please try again in an hour.", "judge")
    assert result.verdict == "fixed"
    [graded] = result.semantic
    assert (graded.outcome, graded.message) == ("passed", f"{CHECK}: mentions a retry")
    [request] = _requests(tmp_path)
    assert request["schema"] == GRADER_SCHEMA
    assert request["check"] == {"check": CHECK}
    assert request["case"]["id"] == "billing" and request["input"] == "Charged twice?"
    assert request["final_output"] == "Sorry, please try again in an hour."
    assert request["run"]["final_output"] == request["final_output"]
    logs = Path(result.evidence_dir or "")
    assert json.loads((logs / "grader-1.stdout.log").read_text())["passed"] is True


def test_a_failing_grade_makes_the_case_failing(tmp_path: Path,
                                                scripts: tuple[Path, Path]) -> None:
    result = _replay(tmp_path, scripts, "Sorry about that.", "judge")
    assert result.verdict == "failing"
    assert result.semantic[0].outcome == "failed"
    assert result.semantic[0].message.endswith("no word on when to try again")
    assert all(o.passed for o in result.assertions)  # only the graded check failed


@pytest.mark.parametrize(("mode", "says"), [
    ("crash", "grader exited with code 1: judge model unreachable"),
    ("hang", "grader timed out after 1s (process group killed)"),
    ("garbage", "grader printed no JSON object (got 'I think it passed, mostly')"),
    ("wrong-type", 'grader printed no {"passed": true|false} object'),
    ("flood", "grader stdout exceeded 1.0 MB"),
])
def test_a_broken_grader_makes_that_check_an_error(tmp_path: Path, scripts: tuple[Path, Path],
                                                   mode: str, says: str) -> None:
    result = _replay(tmp_path, scripts, "Sorry, please try again.", mode,
                     semantic=[CHECK, "second check"], timeout_s=1)
    assert [o.outcome for o in result.semantic] == ["error", "error"]
    assert says in result.semantic[0].message, result.semantic[0].message
    assert result.verdict == "failing"  # the case is not called fixed on an ungraded check
    assert result.runner.reason is None  # the candidate's own run is judged as it was


def test_the_placeholder_and_a_reproduced_case_are_not_graded(
        tmp_path: Path, scripts: tuple[Path, Path]) -> None:
    result = _replay(tmp_path, scripts, "Sorry, try again.", "judge",
                     semantic=[SEMANTIC_PLACEHOLDER])
    assert [o.outcome for o in result.semantic] == ["needs_review"]
    reproduced = _replay(tmp_path / "again", scripts, "It was paid in full.", "judge")
    assert reproduced.verdict == "reproduced"
    assert [o.outcome for o in reproduced.semantic] == ["needs_review"]
    assert _requests(tmp_path) == []


def test_the_cli_flag_and_the_configuration(tmp_path: Path, scripts: tuple[Path, Path],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _case(tmp_path, [CHECK])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.replaycase]\n"
        f"runner_cmd = {json.dumps(_cmd(scripts[0], 'Sorry.'))}\n"
        f"grader_cmd = {json.dumps(_cmd(scripts[1], 'judge'))}\n")
    runner = CliRunner()
    done = runner.invoke(app, ["replay", "cases", "--output", "json"])
    assert done.exit_code == 1, done.output
    [case] = json.loads(done.stdout)["results"]
    assert (case["verdict"], case["semantic"][0]["outcome"]) == ("failing", "failed")
    flagged = runner.invoke(app, ["replay", "cases", "--output", "json", "--grader-cmd",
                                  _cmd(scripts[1], "garbage")])
    assert json.loads(flagged.stdout)["results"][0]["semantic"][0]["outcome"] == "error"
    bad = runner.invoke(app, ["replay", "cases", "--grader-timeout", "0"])
    assert bad.exit_code == 2 and "--grader-timeout must be above 0" in bad.output
    text = runner.invoke(app, ["replay", "cases"])
    assert "desired 1/1 · graded 0/1" in text.output, text.output
    assert f"✗ semantic: {CHECK}: no word on when to try again" in " ".join(text.output.split())
