"""The otlp importer on traces real instrumentations wrote (issue 17): OpenInference for the
OpenAI Agents SDK and for the openai client, pydantic-ai's instrumentation versions 2 and 3,
and the OpenTelemetry openai-v2 instrumentation without content capture. The files and their
generators (``gen_*.py``, offline against a scripted local model) are in ``data/traces/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from replaycase.importers import load_trace
from replaycase.model import LlmCallEvent, TraceRun
from replaycase.model.timeline import event_line
from replaycase.scaffolding.signatures import derive_observed

TRACES = Path(__file__).parent / "data" / "traces"


def _one(relative: str) -> TraceRun:
    runs = load_trace(TRACES / relative)
    assert len(runs) == 1 and runs[0].source is not None and runs[0].source.format == "otlp"
    return runs[0]


def _observed(run: TraceRun) -> dict[str, object]:
    return {k: v for entry in derive_observed(run)
            for k, v in entry.model_dump(exclude_none=True).items() if k != "why"}


def test_failed_nested_agent_fails_the_run_though_the_root_ended_ok() -> None:
    """Agents SDK: ``Agent workflow`` spans (OK, no attributes) wrap the failed AGENT span."""
    run = _one("openinference-agents/max-turns.json")
    assert run.status == "error"
    assert run.errors()[-1].message == "Max turns exceeded: {'max_turns': 2}"
    assert _observed(run)["status_is"] == "error"
    assert [c.tool_name for c in run.tool_calls()] == ["search_kb", "search_kb"]


def test_agent_name_is_the_agent_span_not_the_service() -> None:
    for relative in ("openinference-agents/max-turns.json",  # agent.name / graph.node.id
                     "openinference-openai/model-error.json"):  # only the AGENT span's name
        run = _one(relative)
        assert run.metadata.extra["service.name"] == "billing-support"
        assert run.metadata.agent == "billing_support_agent"


def test_failed_openinference_tool_records_what_the_model_received() -> None:
    run = _one("openinference-agents/tool-error.json")
    (call,) = run.tool_calls()
    assert call.tool_args == {"customer_id": "C-20817", "invoice_id": "INV-2291"}
    assert call.is_error
    assert call.output == "An error occurred while running the tool. Please try again."
    assert run.status == "success"
    assert run.final_output == "Invoice INV-2291 was paid in full on March 3."


def test_failed_model_call_keeps_the_requested_model() -> None:
    """No ``llm.model_name`` on a failed call: the request's model is the model."""
    run = _one("openinference-openai/model-error.json")
    (call,) = run.llm_calls()
    assert call.error is not None and "500" in call.error
    assert call.model == "gpt-4o-mini" and run.metadata.model == "gpt-4o-mini"
    assert run.status == "error"


@pytest.mark.parametrize("version", [2, 3])
def test_pydantic_ai_tool_arguments_and_result(version: int) -> None:
    run = _one(f"pydantic-ai/tool-call.v{version}.json")
    (call,) = run.tool_calls()
    assert call.tool_name == "lookup_billing" and call.call_id == "call_bal40219"
    assert call.tool_args == {"customer_id": "C-40219"}
    assert call.output == {"customer_id": "C-40219", "balance_cents": 12900,
                           "open_invoices": ["INV-4102"]}
    assert not call.is_error and run.status == "success"
    assert run.final_output.startswith("Your current balance is $129.00")


def test_spans_without_content_say_the_answer_was_not_recorded() -> None:
    run = _one("otlp-genai-no-content/happy.json")
    assert run.final_output is None and len(run.llm_calls()) == 2
    assert not run.answer_recorded() and "final_output_recorded" not in run.metadata.extra
    assert "final_output_exists" not in _observed(run)


@pytest.mark.parametrize("relative", ["otlp-genai/no-final-output.json",
                                      "openinference-agents/max-turns.json"])
def test_recorded_content_without_answer_is_still_a_missing_answer(relative: str) -> None:
    run = _one(relative)
    assert run.answer_recorded() and run.metadata.answer_not_recorded is None
    assert _observed(run)["final_output_exists"] is False


def test_missing_model_is_shown_as_unknown() -> None:
    line = event_line(LlmCallEvent(seq=1, model=None, response="hi"))
    assert line.startswith("unknown ") and "model" not in line
