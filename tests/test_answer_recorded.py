"""An answer the format did not record is unknown, not missing (issue 17, defects 1, 11, 12):
scaffold never observes ``final_output_exists: false`` for it and says why in the title and
notes.md, the final-output checks cannot judge it, a run paused for approval is healthy, and a
replayt ``step_error`` + ``run_failed`` with the same message is one error.

Real files: replayt's own example logs of the shared corpus and the refund_review logs that
``tests/data/traces/replayt/generate_refund_review.py`` wrote with replayt 0.4.25.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml

from replaycase.assertions import evaluate, parse_entry
from replaycase.case import load_case
from replaycase.errors import RunChoiceError
from replaycase.importers import load_trace
from replaycase.model import ANSWER_NOT_RECORDED, ErrorEvent, TraceRun
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.scaffolding.build import ScaffoldOptions, scaffold
from replaycase.scaffolding.signatures import derive_observed

TRACES = Path(__file__).parent / "data" / "traces"
REPLAYT = TRACES / "replayt"
COMPLETED = ["refund-review-completed", "ex01-hello", "ex04-tools", "ex05-retry",
             "ex-refund-dryrun-full", "ex-preflight-approval"]
PAUSED = ["refund-review-paused", "ex-preflight-approval.before-resume"]


def _run(path: Path) -> TraceRun:
    [run] = load_trace(path)
    return run


def _keys(entries: list[dict[str, object]]) -> list[str]:
    return [next(iter(entry)) for entry in entries]


def _case(out: Path) -> dict[str, object]:
    data = yaml.safe_load((out / "case.yaml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", COMPLETED)
def test_a_completed_replayt_workflow_leaves_its_answer_unknown(tmp_path: Path,
                                                                name: str) -> None:
    run = _run(REPLAYT / f"{name}.jsonl")
    assert run.status == "success" and run.final_output is None
    assert not run.answer_recorded()
    assert (run.metadata.answer_not_recorded or "").startswith(ANSWER_NOT_RECORDED)
    assert derive_observed(run) == []  # no "final_output_exists: false"
    with pytest.raises(RunChoiceError, match="the trace does not record the final answer"):
        scaffold(REPLAYT / f"{name}.jsonl", tmp_path / "case")


def test_a_replayt_answer_note_records_the_answer() -> None:
    run = _run(REPLAYT / "happy.jsonl")
    assert run.answer_recorded() and run.metadata.answer_not_recorded is None


def test_scaffold_says_why_the_answer_is_not_judged(tmp_path: Path) -> None:
    out = tmp_path / "cases" / "refund"
    [report] = scaffold(REPLAYT / "refund-review-completed.jsonl", out,
                        ScaffoldOptions(observed=["tool_called: lookup_billing"]))
    assert "final_output_exists" not in _keys(report.observed) + _keys(report.desired)
    case = _case(out)
    assert _keys(case["observed_failure"]) == ["tool_called"]  # type: ignore[arg-type]
    assert case["title"] == ("refund_review called lookup_billing; the trace does not record "
                             "the final answer")
    notes = (out / "notes.md").read_text()
    assert ("No final answer is judged missing: the trace does not record the final answer "
            "(a replayt log has no final-output record") in notes
    final = notes.split("## Final output", 1)[1].split("##", 1)[0]
    assert "Not recorded: the trace does not record the final answer" in final
    assert "(none)" not in final


def test_a_failed_replayt_run_without_an_answer_note_is_judged_on_its_error(
        tmp_path: Path) -> None:
    out = tmp_path / "cases" / "step-error"
    [report] = scaffold(REPLAYT / "refund-review-step-error.jsonl", out)
    assert _keys(report.observed) == ["status_is", "error_matches", "repeated_tool_call",
                                      "tool_error_count"]
    assert "final_output_exists" not in _keys(report.desired)
    assert _case(out)["title"] == ("refund_review called lookup_billing at least 3 times with "
                                   "identical args; the trace does not record the final answer")


@pytest.mark.parametrize("name", PAUSED)
def test_a_run_paused_for_approval_is_healthy(tmp_path: Path, name: str) -> None:
    run = _run(REPLAYT / f"{name}.jsonl")
    assert run.status == "paused"
    assert derive_observed(run) == []
    with pytest.raises(RunChoiceError, match="status paused"):
        scaffold(REPLAYT / f"{name}.jsonl", tmp_path / "case")
    out = tmp_path / "cases" / "paused"
    scaffold(REPLAYT / f"{name}.jsonl", out,
             ScaffoldOptions(observed=["state_visited: checklist" if name.startswith("ex-")
                                       else "tool_called: lookup_billing"]))
    case = _case(out)
    for key in ("observed_failure", "desired"):
        entries = case[key]
        assert isinstance(entries, list)
        assert not any("status_is" in e or "final_output_exists" in e for e in entries), entries


def test_a_paused_run_with_an_error_is_judged_on_the_error(tmp_path: Path) -> None:
    lines = (REPLAYT / "refund-review-paused.jsonl").read_text().splitlines()
    paused = next(i for i, line in enumerate(lines) if '"run_paused"' in line)
    error = json.loads(lines[paused])
    error.update(type="step_error", payload={"state": "review", "error": {
        "type": "ValueError", "message": "approval summary too long"}})
    lines.insert(paused, json.dumps(error))
    path = tmp_path / "paused-error.jsonl"
    path.write_text("\n".join(lines) + "\n")
    observed = derive_observed(_run(path))
    assert [e.key for e in observed] == ["error_matches"]


def test_step_error_and_run_failed_with_the_same_message_are_one_error(tmp_path: Path) -> None:
    run = _run(REPLAYT / "refund-review-step-error.jsonl")
    [error] = run.errors()
    assert error.error_type == "BillingAPIError" and error.message.startswith("503 ")
    assert run.status == "error"
    out = tmp_path / "case"
    [report] = scaffold(REPLAYT / "refund-review-step-error.jsonl", out)
    status, matches = report.observed[:2]
    assert status["why"] == f"run ended with status error (event {error.seq})"
    assert str(matches["why"]).endswith(f"(event {error.seq})")
    for name in ("ex04-failed", "gen-tool-error-full", "tool-loop", "no-final-output"):
        assert len(_run(REPLAYT / f"{name}.jsonl").errors()) == 1, name


def test_a_run_failed_with_another_message_is_a_second_error(tmp_path: Path) -> None:
    text = (REPLAYT / "refund-review-step-error.jsonl").read_text()
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if '"run_failed"' in line)
    record = json.loads(lines[index])
    record["payload"]["error"]["message"] = "run aborted by the billing guard"
    lines[index] = json.dumps(record)
    path = tmp_path / "two.jsonl"
    path.write_text("\n".join(lines) + "\n")
    messages = [e.message for e in _run(path).events if isinstance(e, ErrorEvent)]
    assert messages[-1] == "run aborted by the billing guard" and len(messages) == 2


@pytest.mark.parametrize("entry", ["final_output_exists: true", "final_output_exists: false",
                                   "final_output_contains: refund",
                                   "final_output_matches: refund",
                                   "output_field: {path: amount, equals: 1}"])
def test_the_final_output_checks_cannot_judge_an_unrecorded_answer(entry: str) -> None:
    run = _run(REPLAYT / "refund-review-completed.jsonl")
    outcome = evaluate(parse_entry(yaml.safe_load(entry)), run)
    assert outcome.outcome == "error"
    assert outcome.message.startswith("cannot judge the final answer: the trace does not "
                                      "record the final answer")
    recorded = _run(REPLAYT / "happy.jsonl")
    assert evaluate(parse_entry(yaml.safe_load(entry)), recorded).outcome != "error"


def test_a_candidate_whose_format_does_not_record_the_answer_does_not_reproduce(
        tmp_path: Path) -> None:
    """A case that saw no answer: a candidate log that cannot show one neither reproduces
    the failure nor fixes it."""
    source = TRACES / "transcript-openai" / "no-final-output.json"
    out = tmp_path / "cases" / "no-answer"
    [report] = scaffold(source, out)
    assert "final_output_exists" in _keys(report.observed)
    candidate = REPLAYT / "refund-review-completed.jsonl"
    result = replay_case(load_case(out), ReplayOptions(
        runner_cmd=f'cp {shlex.quote(str(candidate))} "$REPLAYCASE_OUTPUT_PATH"',
        evidence_root=tmp_path / "runs"))
    [unknown] = [s for s in result.signatures if s.key == "final_output_exists"]
    assert unknown.outcome == "error" and "does not record" in unknown.message
    assert result.verdict != "reproduced" and result.verdict != "fixed"


def test_older_native_files_keep_their_flag(tmp_path: Path) -> None:
    run = _run(REPLAYT / "ex01-hello.jsonl")
    data = json.loads(run.to_json())
    assert data["metadata"]["answer_not_recorded"] == run.metadata.answer_not_recorded
    legacy = dict(data, metadata={"agent": "hello", "extra": {"final_output_recorded": False,
                                                              "log_mode": "redacted"}})
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(legacy))
    loaded = _run(path)
    assert loaded.metadata.answer_not_recorded == ANSWER_NOT_RECORDED
    assert loaded.metadata.extra == {"log_mode": "redacted"}
    assert not loaded.answer_recorded()
    assert "answer_not_recorded" not in json.loads(_run(REPLAYT / "happy.jsonl").to_json())[
        "metadata"]


def test_a_request_body_ends_before_its_answer(tmp_path: Path) -> None:
    messages = json.loads((TRACES / "transcript-openai" / "no-final-output.json").read_text())
    bare = _run(TRACES / "transcript-openai" / "no-final-output.json")
    assert bare.answer_recorded()  # a transcript list that stops has not answered
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"model": "gpt-4o-mini", "messages": messages}))
    run = _run(body)
    assert not run.answer_recorded()
    assert "request body" in (run.metadata.answer_not_recorded or "")
    assert "final_output_exists" not in [e.key for e in derive_observed(run)]
    answered = tmp_path / "answered.json"
    happy = json.loads((TRACES / "transcript-openai" / "happy.json").read_text())
    answered.write_text(json.dumps({"model": "gpt-4o-mini", "messages": happy}))
    assert _run(answered).answer_recorded()


def test_a_langsmith_root_run_without_outputs(tmp_path: Path) -> None:
    runs = json.loads((TRACES / "langsmith" / "happy.runs.json").read_text())
    [root] = [r for r in runs if not r.get("parent_run_id")]
    root["outputs"] = None  # what a run posted before its end, or hidden outputs, holds
    path = tmp_path / "hidden.runs.json"
    path.write_text(json.dumps(runs))
    run = _run(path)
    assert run.status == "success" and not run.answer_recorded()
    assert "root run has no outputs" in (run.metadata.answer_not_recorded or "")
    assert derive_observed(run) == []
    failed = _run(TRACES / "langsmith" / "no-final-output.runs.json")
    assert failed.answer_recorded()  # a failed root's missing answer is its own
