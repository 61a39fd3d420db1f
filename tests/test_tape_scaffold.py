"""Scaffold writes the model tape; lint checks it against the source trace (DESIGN 8)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from replaycase.case import load_case
from replaycase.case.lint import lint_case
from replaycase.cli import app
from replaycase.importers import load_trace
from replaycase.scaffolding.build import ScaffoldOptions, scaffold
from replaycase.tape import TapeMatcher, TapeTurn, key_of_call, read_tape, tape_from_run

DATA = Path(__file__).parent / "data" / "tape"
WRONG_TOOL = DATA / "wrong-tool.native.json"
NO_ANSWERS = DATA / "no-answers.native.json"
OPTIONS = ScaffoldOptions(observed=["tool_called: issue_refund"])
TAPE = "fixtures/model_tape.jsonl"


def _case(tmp_path: Path, trace: Path = WRONG_TOOL, name: str = "wrong-tool") -> Path:
    out = tmp_path / "cases" / name
    scaffold(trace, out, OPTIONS)
    return out


def _lint(folder: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["lint", str(folder)])
    return result.exit_code, result.output


def test_scaffold_writes_a_redacted_deterministic_tape(tmp_path: Path) -> None:
    first = _case(tmp_path / "a")
    second = _case(tmp_path / "b")
    text = (first / TAPE).read_bytes()
    assert text == (second / TAPE).read_bytes()
    assert b"jane.doe@example.com" not in text and b"<redacted:email:1>" in text
    tape = read_tape(first / TAPE)
    assert tape.header.case_id == "wrong-tool" and tape.header.source_format == "native"
    assert tape.header.not_recorded == []
    assert [t.branch for t in tape.turns] == ["failing", "failing"]
    assert tape.turns[0].answer.tool_calls[0].name == "issue_refund"
    assert tape.turns[1].answer.text.startswith("I have refunded")
    notes = (first / "notes.md").read_text()
    assert "fixtures/model_tape.jsonl` holds the run's 2 recorded" in notes
    assert lint_case(first).clean and lint_case(first).warnings == []


def test_the_recorded_requests_are_answered_from_the_tape(tmp_path: Path) -> None:
    [run] = load_trace(_case(tmp_path) / "source-trace.json")
    matcher = TapeMatcher(read_tape(tmp_path / "cases" / "wrong-tool" / TAPE).turns)
    for number, call in enumerate(reversed(run.llm_calls()), start=1):  # in any order
        got = matcher.answer(key_of_call(call))
        assert isinstance(got, TapeTurn) and got.turn == 3 - number


def test_a_trace_without_answers_gets_no_tape_and_lint_says_why(tmp_path: Path) -> None:
    folder = _case(tmp_path, NO_ANSWERS, "no-answers")
    assert not (folder / TAPE).exists()
    assert "No model tape: the trace recorded no model answers" in (folder / "notes.md").read_text()
    code, output = _lint(folder)
    assert code == 0, output
    assert "warning: no model tape: the trace recorded no model answers" in output
    [run] = load_trace(NO_ANSWERS)
    tape, reason = tape_from_run(run, "x", "otlp")
    assert tape is None and reason is not None and "(OTLP without captured content)" in reason


def test_answers_without_the_requests_that_got_them_give_no_tape() -> None:
    [run] = load_trace(WRONG_TOOL)
    for call in run.llm_calls():
        assert call.output_text is not None or call.tool_calls
        call.messages = None  # the answers were recorded, the conversations not
    tape, reason = tape_from_run(run, "x", "native")
    assert tape is None and reason is not None
    assert "not the conversations that got them" in reason


def test_a_deleted_tape_is_a_warning(tmp_path: Path) -> None:
    folder = _case(tmp_path)
    (folder / TAPE).unlink()
    report = lint_case(folder)
    assert report.clean
    assert [w.message for w in report.warnings] == [
        "missing, though the source trace recorded model answers: re-scaffold to replay "
        "unmodified agents from a model tape"]


def test_parts_not_recorded_are_warnings_not_problems(tmp_path: Path) -> None:
    trace = json.loads(WRONG_TOOL.read_text())
    for event in trace["events"]:
        event.pop("instructions", None)
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(trace))
    folder = _case(tmp_path, path)
    assert read_tape(folder / TAPE).header.not_recorded == ["instructions"]
    assert "Not recorded by the trace, so not compared: instructions." in \
        (folder / "notes.md").read_text()
    code, output = _lint(folder)
    assert code == 0, output
    assert "warning: instructions not recorded: matching on tools and history only" in output


def test_a_tape_of_another_case_is_a_problem(tmp_path: Path) -> None:
    folder = _case(tmp_path)
    other = tmp_path / "trace.json"
    trace = json.loads(WRONG_TOOL.read_text())
    trace["events"][1]["messages"][0]["text"] = "A different question."
    other.write_text(json.dumps(trace))
    stranger = _case(tmp_path, other, "other")
    shutil.copy(stranger / TAPE, folder / TAPE)
    code, output = _lint(folder)
    assert code == 1, output
    line = next(x for x in output.splitlines() if TAPE in x)
    assert line.endswith("model_tape.jsonl:2: turn 1: its match key does not fit model call 1 "
                         "of the source trace (history[0].text): is this the tape of another "
                         "case? Re-scaffold to remake it")
    assert "warning: made for case 'other', not 'wrong-tool'" in output


def test_a_tape_with_turns_the_trace_lacks_is_a_problem(tmp_path: Path) -> None:
    folder = _case(tmp_path)
    lines = (folder / TAPE).read_text().splitlines()
    extra = json.loads(lines[2])
    extra["turn"] = 3
    (folder / TAPE).write_text("\n".join([*lines, json.dumps(extra)]) + "\n")
    report = lint_case(folder)
    assert [(p.line, p.message) for p in report.problems] == [
        (4, "turn 3: the source trace has only 2 answered model call(s): is this the tape of "
            "another case?")]
    (folder / TAPE).write_text("\n".join(lines[:2]) + "\n")
    assert [p.message for p in lint_case(folder).problems] == [
        "holds 1 failing turn(s), the source trace 2 answered model call(s): re-scaffold to "
        "remake it"]


def test_accepted_turns_are_not_checked_against_the_trace(tmp_path: Path) -> None:
    folder = _case(tmp_path)
    lines = (folder / TAPE).read_text().splitlines()
    accepted = json.loads(lines[2])
    accepted.update(turn=3, branch="accepted")
    accepted["key"]["history"][-1]["text"] = "something new"
    (folder / TAPE).write_text("\n".join([*lines, json.dumps(accepted)]) + "\n")
    assert lint_case(folder).clean  # the conversation starts as the failing branch's does


@pytest.mark.parametrize("text, expected", [
    ("{nope\n", "model_tape.jsonl:1: invalid JSON (Expecting property name enclosed in "
                "double quotes)"),
    ('{"schema": "replaycase.tape/v1"}\n{"turn": 1, "key": {}, "answer": {}, "x": 1}\n',
     "model_tape.jsonl:2: turn: x: unknown key"),
    ('{"schema": "replaycase.tape/v1"}\n',
     "model_tape.jsonl:2: the tape holds no turns (a header only)"),
    ("", "model_tape.jsonl: empty tape: expected a header line "
         '{"schema": "replaycase.tape/v1"}'),
])
def test_a_bad_tape_is_one_lint_problem(tmp_path: Path, text: str, expected: str) -> None:
    folder = _case(tmp_path)
    (folder / TAPE).write_text(text)
    code, output = _lint(folder)
    assert code == 1
    problems = [x for x in output.splitlines() if TAPE in x]
    assert len(problems) == 1 and problems[0].endswith(expected), output


def test_model_tape_match_in_case_yaml(tmp_path: Path) -> None:
    folder = _case(tmp_path)
    case_yaml = folder / "case.yaml"
    assert "model_tape" not in case_yaml.read_text()  # the default is not written
    assert load_case(folder).spec.model_tape.match == "exact"
    case_yaml.write_text(case_yaml.read_text() + "model_tape: {match: history}\n")
    assert load_case(folder).spec.model_tape.match == "history"
    data = yaml.safe_load(case_yaml.read_text())
    assert data["model_tape"] == {"match": "history"}
    case_yaml.write_text(case_yaml.read_text().replace("match: history", "match: loose"))
    code, output = _lint(folder)
    assert code == 1 and "model_tape.match: Input should be 'exact' or 'history'" in output


def test_history_mode_silences_the_instructions_warning(tmp_path: Path) -> None:
    trace = json.loads(WRONG_TOOL.read_text())
    for event in trace["events"]:
        event.pop("instructions", None)
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(trace))
    folder = _case(tmp_path, path)
    case_yaml = folder / "case.yaml"
    case_yaml.write_text(case_yaml.read_text() + "model_tape: {match: history}\n")
    assert lint_case(folder).warnings == []
