"""The Inspect AI importer, on the real eval logs in tests/data/traces/inspect-ai (written by
inspect_ai with its mockllm provider: gen_inspect_log.py, gen_inspect_score_fail.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import assert_malformed, import_in_memory, mutate

from replaycase.case.lint import lint_case
from replaycase.errors import ReplaycaseError, RunChoiceError
from replaycase.importers import load_trace
from replaycase.importers.inspect_ai import InspectAiImporter
from replaycase.importers.registry import detect, load_runs, open_document
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

DATA = Path(__file__).parent / "data"
FOLDER = DATA / "traces" / "inspect-ai"
GOLDEN = DATA / "golden" / "inspect-ai-billing-support.json"
LOG = FOLDER / "2026-12-02T07-07-54-00-00_billing-support_djH8kizRwoQJ8oGkvoxLBh.json"
SCORE_FAIL = FOLDER / "billing-disputes-score-fail.json"
EVAL_ZIP = FOLDER / "billing-disputes-score-fail.eval"
REFUND_ERROR = "BillingAPIError: 500 Internal Server Error from billing-api (request req_7f3a91)"


@pytest.mark.parametrize("path", [LOG, SCORE_FAIL], ids=lambda p: p.name)
def test_detected_by_content_one_run_a_sample(path: Path) -> None:
    assert detect(open_document(path)).name == "inspect-ai"
    runs = load_trace(path)
    assert len(runs) == 2
    for run in runs:
        assert run.source is not None and run.source.format == "inspect-ai"
        assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
        assert run.metadata.model == "mockllm/model"


def test_tool_message_error_is_an_error_result() -> None:
    [run] = load_runs(LOG, run_id="refund-tool-error")
    assert run.status == "success" and run.metadata.agent == "billing_support"
    assert run.metadata.extra["scores"] == {"includes": "C"}
    assert run.input.startswith("I was charged twice for invoice INV-2291")
    assert run.final_output.startswith("I confirmed INV-2291 was charged twice")
    lookup, refund = run.tool_calls()
    assert (lookup.tool_name, lookup.call_id, lookup.is_error) == \
        ("lookup_billing", "call_lookup_01", False)
    assert json.loads(lookup.output)["charged_twice"] is True
    assert (refund.tool_name, refund.call_id, refund.is_error) == \
        ("issue_refund", "call_refund_02", True)
    assert refund.output == REFUND_ERROR
    assert not run.errors()


def test_model_calls_carry_what_the_tape_needs() -> None:
    [run] = load_runs(LOG, run_id="refund-tool-error")
    calls = run.llm_calls()
    assert len(calls) == 3
    assert all(c.instructions and c.instructions.startswith("You are the Acme Cloud")
               for c in calls)
    assert all(c.tools_offered == ["lookup_billing", "issue_refund"] for c in calls)
    assert [len(c.messages or []) for c in calls] == [1, 3, 5]
    shown = (calls[2].messages or [])[4]
    assert shown.role == "tool" and shown.is_error and shown.text == REFUND_ERROR
    assert [c.stop_reason for c in calls] == ["tool_calls", "tool_calls", "stop"]
    assert [c.usage.input_tokens for c in calls if c.usage] == [200, 280, 360]
    assert calls[0].ts == "2026-12-02T07:07:54.634855+00:00"


def test_sample_error_fails_the_run() -> None:
    [run] = load_runs(LOG, run_id="lookup-crash")
    assert run.status == "error" and run.final_output is None
    [call] = run.tool_calls()
    assert call.tool_name == "lookup_billing" and call.is_error
    assert call.output == "RuntimeError('billing-api connection pool exhausted')"
    [error] = run.errors()
    assert error.error_type == "RuntimeError" and error.seq == run.events[-1].seq


def test_failed_score_fails_the_run_and_names_the_score() -> None:
    failed, passed = load_trace(SCORE_FAIL)
    assert failed.run_id == "dispute-not-escalated" and failed.status == "error"
    [error] = failed.errors()
    assert error.message == "score includes failed: value 'I' (target 'escalated')"
    assert error.error_type == "ScoreFailed"
    assert failed.metadata.extra["failed_scores"] == [
        {"score": "includes", "scorer": "includes", "value": "I", "target": "escalated"}]
    assert passed.status == "success" and "failed_scores" not in passed.metadata.extra


def test_several_samples_need_a_run_id(tmp_path: Path) -> None:
    with pytest.raises(RunChoiceError, match="lookup-crash, refund-tool-error"):
        load_runs(LOG, run_id="nope")
    with pytest.raises(RunChoiceError, match="--run-id"):
        scaffold(LOG, tmp_path / "case")


def test_scaffold_of_a_failed_score_asks_for_the_target(tmp_path: Path) -> None:
    [report] = scaffold(SCORE_FAIL, tmp_path / "cases", ScaffoldOptions(all_runs=True))
    assert report.run_id == "dispute-not-escalated"
    assert {"not": {"final_output_matches": "(?i)escalated"}} in [
        {k: v for k, v in e.items() if k != "why"} for e in report.observed]
    assert {"final_output_matches": "(?i)escalated"} in report.desired
    assert not lint_case(report.path).problems


def test_scaffold_all_makes_a_case_of_the_crashed_sample(tmp_path: Path) -> None:
    [report] = scaffold(LOG, tmp_path / "cases", ScaffoldOptions(all_runs=True))
    assert report.run_id == "lookup-crash"
    assert {"status_is": "error"} in [{k: v for k, v in e.items() if k != "why"}
                                      for e in report.observed]
    assert not lint_case(report.path).problems
    assert (report.path / "fixtures" / "model_tape.jsonl").exists()


def test_eval_zip_logs_are_refused_with_the_convert_hint() -> None:
    with pytest.raises(ReplaycaseError) as info:
        load_trace(EVAL_ZIP)
    message = str(info.value)
    assert "\n" not in message and EVAL_ZIP.name in message
    assert "inspect log convert --to json" in message


def test_repeated_epochs_get_distinct_run_ids(tmp_path: Path) -> None:
    log = json.loads(SCORE_FAIL.read_text())
    again = {**log["samples"][0], "epoch": 2}
    log["samples"] = [log["samples"][0], again]
    path = tmp_path / "epochs.json"
    path.write_text(json.dumps(log))
    assert [r.run_id for r in load_trace(path)] == [
        "dispute-not-escalated/epoch-1", "dispute-not-escalated/epoch-2"]


def test_golden() -> None:
    runs = load_trace(LOG)
    actual = [run.model_dump(mode="json", by_alias=True) for run in runs]
    if os.environ.get("REPLAYCASE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    assert GOLDEN.exists(), "run with REPLAYCASE_UPDATE_GOLDEN=1 to create the golden file"
    assert actual == json.loads(GOLDEN.read_text(encoding="utf-8"))


def _log(*samples: Any) -> dict[str, Any]:
    return {"version": 2, "eval": {"task": "t", "model": "m"}, "samples": list(samples)}


def _sample(**fields: Any) -> dict[str, Any]:
    return {"id": "s1", "epoch": 1, "messages": [{"role": "user", "content": "hi"}], **fields}


MALFORMED: list[tuple[str, Any, str]] = [
    ("not-json", '{"version": 2, ', "invalid JSON"),
    ("no-eval", {"version": 2, "samples": []}, "not an Inspect eval log"),
    ("no-samples", {"version": 2, "eval": {}, "results": {}}, "the log holds no samples"),
    ("samples-object", {"version": 2, "eval": {}, "samples": {}}, "samples: expected a list"),
    ("sample-number", _log(3), "samples[0]: expected an object, got a number"),
    ("sample-id-list", _log(_sample(id=[1])), "samples[0].id: expected a string or integer"),
    ("messages-object", _log(_sample(messages={})), "samples[0].messages: expected a list"),
    ("message-string", _log(_sample(messages=["hi"])),
     "samples[0].messages[0]: expected an object, got a string"),
    ("no-role", _log(_sample(messages=[{"content": "x"}])), 'a message without a "role"'),
    ("call-no-function", _log(_sample(messages=[{"role": "assistant", "content": "",
                                                 "tool_calls": [{"id": "c"}]}])),
     'samples[0].messages[0].tool_calls[0]: a tool call without a "function" name'),
    ("tool-error-string", _log(_sample(messages=[{"role": "tool", "content": "",
                                                  "error": "boom"}])),
     "samples[0].messages[0].error: expected an object, got a string"),
    ("error-string", _log(_sample(error="boom")), "samples[0].error: expected an object"),
    ("scores-list", _log(_sample(scores=[1])), "samples[0].scores: expected an object"),
]


@pytest.mark.parametrize(("name", "content", "fragment"), MALFORMED,
                         ids=[m[0] for m in MALFORMED])
def test_malformed_files_give_one_line_naming_the_file(tmp_path: Path, name: str,
                                                       content: Any, fragment: str) -> None:
    assert_malformed(tmp_path / f"{name}.json", content, "inspect-ai", fragment)


def _small(log: dict[str, Any]) -> dict[str, Any]:
    """A real log with one sample and its events, so a mutation often hits the sample."""
    return {**log, "samples": log["samples"][:1]}


_REAL = [_small(json.loads(p.read_text())) for p in (LOG, SCORE_FAIL)]
_KEYS = ["id", "role", "content", "tool_calls", "function", "arguments", "tool_call_id",
         "error", "message", "scores", "value", "events", "event", "output", "choices",
         "input", "input_refs", "usage", "attachments", "target", "failed"]
_LEAVES = (st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=8)
           | st.sampled_from(["assistant", "tool", "user", "model", "I", "C",
                              "attachment://x", "call_lookup_01"]))
_VALUES = (_LEAVES | st.lists(_LEAVES, max_size=2)
           | st.dictionaries(st.sampled_from(_KEYS), _LEAVES, max_size=2))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_logs_raise_only_replaycase_errors(data: st.DataObject) -> None:
    log = data.draw(st.sampled_from(_REAL))
    import_in_memory(InspectAiImporter(), mutate(data.draw, log, _VALUES))


@pytest.mark.parametrize(("value", "failed"), [("I", True), ("N", True), (0, True),
                                               (False, True), ({"a": 1, "b": 0}, True),
                                               ("C", False), ("P", False), (1, False),
                                               (0.5, False), (True, False)])
def test_score_values_that_fail(tmp_path: Path, value: Any, failed: bool) -> None:
    log = json.loads(SCORE_FAIL.read_text())
    log["samples"][0]["scores"]["includes"]["value"] = value
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log))
    run = load_trace(path)[0]
    assert (run.status == "error") is failed
    assert ("failed_scores" in run.metadata.extra) is failed


def test_no_target_signature_when_the_answer_has_it(tmp_path: Path) -> None:
    log = json.loads(SCORE_FAIL.read_text())
    log["samples"][0]["target"] = "DISPUTED"  # the answer says "disputed": a scorer with case
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log))
    [report] = scaffold(path, tmp_path / "case", ScaffoldOptions(run_id="dispute-not-escalated"))
    assert not any("not" in entry for entry in report.observed)
    assert {"status_is": "error"} in [{k: v for k, v in e.items() if k != "why"}
                                      for e in report.observed]
