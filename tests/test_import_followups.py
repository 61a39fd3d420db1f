"""Issue 17's loose ends on real files: an image in the question of OTLP (OpenInference) and
Agents SDK traces is named, never its bytes; a GenAI log-event tool span takes its arguments
from the call the model asked for; a failed tool's result is what the model received (Phoenix
too); error types drop OpenTelemetry's module prefix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from replaycase.importers.registry import load_trace
from replaycase.model import (
    ANSWER_NOT_RECORDED,
    ErrorEvent,
    InputMessageEvent,
    LlmCallEvent,
    TraceRun,
)

TRACES = Path(__file__).parent / "data" / "traces"
IMAGES = TRACES / "multimodal"
QUESTION = "This invoice screenshot shows a charge I don't recognise. Customer C-40219."
LABEL = "[image: image/png, 27 KB]"
PNG_BASE64 = "iVBORw0KGgo"  # the start of every PNG's base64


@pytest.mark.parametrize("name", ["openinference.image.json", "agents-sdk.image.json"])
def test_an_image_in_the_question_is_named_never_its_bytes(name: str) -> None:
    raw = (IMAGES / name).read_text()
    assert PNG_BASE64 in raw  # the trace holds the image's bytes
    [run] = load_trace(IMAGES / name)
    assert run.input == f"{QUESTION}\n{LABEL}"
    [user] = [e for e in run.events if isinstance(e, InputMessageEvent) and e.role == "user"]
    assert user.content == run.input
    assert PNG_BASE64 not in run.model_dump_json()
    assert run.final_output == "That charge is invoice INV-4102 for $129.00, due on 1 April 2026."


def test_the_tape_keys_an_otlp_image_by_its_digest() -> None:
    [run] = load_trace(IMAGES / "openinference.image.json")
    first = next(e for e in run.events if isinstance(e, LlmCallEvent))
    assert first.messages is not None
    [user] = [m for m in first.messages if m.role == "user"]
    assert f"{LABEL[:-1]}, sha256:" in user.model_dump_json()


def test_genai_instrumentation_that_drops_list_content_gives_no_input() -> None:
    """openai-v2 2.4b0 writes a text + image content as ``"parts": []``: no question."""
    [run] = load_trace(IMAGES / "otlp-genai.image.json")
    assert run.input is None
    assert run.final_output == "That charge is invoice INV-4102 for $129.00, due on 1 April 2026."


def test_log_event_tool_spans_take_the_requested_arguments() -> None:
    run = load_trace(TRACES / "otel-genai-logs" / "all.otlp.jsonl")[0]
    [call] = run.tool_calls()
    assert call.tool_args == {"customer_id": "C-10442", "invoice_id": "INV-2291"}
    assert call.output == ("Error: BillingAPIError: 500 Internal Server Error from "
                           "billing-api (request req_7f3a91)")


@pytest.mark.parametrize("name", ["tool-error-unhandled.jsonl",
                                  "tool-error-unhandled.dataframe.json"])
def test_phoenix_failed_tool_result_is_what_the_model_received(name: str) -> None:
    [run] = load_trace(TRACES / "phoenix" / name)
    [call] = run.tool_calls()
    assert call.is_error and call.error_type == "BillingAPIError"
    assert call.output == ("Error: BillingAPIError: 500 Internal Server Error from "
                           "billing-api (request req_7f3a91)")


def test_error_types_keep_the_last_dotted_part() -> None:
    [run] = load_trace(TRACES / "phoenix" / "tool-loop.jsonl")
    [error] = [e for e in run.events if isinstance(e, ErrorEvent)]
    assert error.error_type == "ToolLoopError"


# -- answers the format did not record (docs/formats.md: unknown, not missing) -------------


def _load_json(tmp_path: Path, name: str, doc: Any) -> TraceRun:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    [run] = load_trace(path)
    return run


def _unknown(run: TraceRun, why: str) -> None:
    assert run.final_output is None and not run.answer_recorded()
    assert run.metadata.answer_not_recorded is not None
    assert run.metadata.answer_not_recorded.startswith(ANSWER_NOT_RECORDED)
    assert why in run.metadata.answer_not_recorded


def test_openinference_hidden_outputs_leave_the_answer_unknown() -> None:
    [run] = load_trace(IMAGES / "openinference.hide-outputs.json")
    assert "__REDACTED__" not in run.model_dump_json()
    _unknown(run, "without their outputs")


def test_a_failed_model_call_is_a_missing_answer_not_an_unrecorded_one() -> None:
    run = load_trace(TRACES / "otel-genai-logs" / "all.otlp.jsonl")[1]
    assert run.status == "error" and run.final_output is None
    assert run.metadata.answer_not_recorded is None


def test_langfuse_trace_and_generations_without_output(tmp_path: Path) -> None:
    doc = json.loads((TRACES / "langfuse" / "openai-agents-2025-09-30.trace.json").read_text())
    assert _load_json(tmp_path, "whole.json", doc).metadata.answer_not_recorded is None
    for obs in doc["observations"]:
        if obs["type"] == "GENERATION":
            obs["output"] = None
    assert doc["trace"].get("output") is None
    _unknown(_load_json(tmp_path, "no-output.json", doc), "Langfuse trace has no output")


def test_mlflow_root_span_without_outputs(tmp_path: Path) -> None:
    doc = json.loads((TRACES / "mlflow" / "agent-tool-call-and-tool-error.trace.json")
                     .read_text())
    [root] = [s for s in doc["data"]["spans"] if not s.get("parent_span_id")]
    del root["attributes"]["mlflow.spanOutputs"]
    _unknown(_load_json(tmp_path, "no-outputs.trace.json", doc), "mlflow.spanOutputs")


def test_mlflow_failed_run_without_outputs_is_not_unrecorded() -> None:
    [run] = load_trace(TRACES / "mlflow" / "autolog-openai-tool-loop.trace.json")
    assert run.status == "error" and run.metadata.answer_not_recorded is None


def test_inspect_sample_summary_without_messages(tmp_path: Path) -> None:
    path = next((TRACES / "inspect-ai").glob("2026-*.json"))
    doc = json.loads(path.read_text())
    whole = load_trace(path)
    assert all(r.metadata.answer_not_recorded is None for r in whole)
    for sample in doc["samples"]:
        sample["messages"] = []
        sample.pop("events", None)
    runs = load_trace(_write(tmp_path, path.name, doc))
    for run in runs:
        if run.status == "success":
            _unknown(run, "records no messages")


def _write(tmp_path: Path, name: str, doc: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_cut_coding_agent_sessions_leave_the_answer_unknown() -> None:
    [claude] = load_trace(TRACES / "claude-code" / "subagent.trimmed.jsonl")
    _unknown(claude, "mid-turn")
    # both Codex files end inside a turn: the trimmed one in a task_started without its
    # task_complete, the 0.77.0 exec rollout right after a function_call_output
    for path in (TRACES / "codex-cli").glob("*.jsonl"):
        [codex] = load_trace(path)
        _unknown(codex, "before the model answered")
    [run] = load_trace(TRACES / "claude-code" / "4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl")
    assert run.metadata.answer_not_recorded is None and run.final_output  # a complete one


NOTES = {"native": "**Native and replaykit files**", "replaykit": "**Native and replaykit files**",
         "replayt": "**replayt logs**", "claude-code": "**Coding-agent sessions**",
         "codex-cli": "**Coding-agent sessions**", "otlp": "**OTLP run status and names**",
         "phoenix": "**Phoenix span JSON**", "openai-agents": "**OpenAI Agents SDK exports**",
         "langfuse": "## Langfuse", "langsmith": "**LangSmith runs**",
         "mlflow": "**MLflow traces**", "inspect-ai": "**Inspect AI samples**",
         "transcript": "**Transcripts carry no status**"}


def test_every_format_has_a_table_row_and_mapping_notes() -> None:
    from replaycase.importers.registry import FORMATS

    doc = (Path(__file__).parents[1] / "docs" / "formats.md").read_text()
    table, _, notes = doc.partition("## What each maps")
    assert set(NOTES) == set(FORMATS)
    for name in FORMATS:
        assert f"\n| `{name}` |" in table, name
        assert NOTES[name] in notes, name
