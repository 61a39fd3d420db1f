"""Issue 17's loose ends on real files: an image in the question of OTLP (OpenInference) and
Agents SDK traces is named, never its bytes; a GenAI log-event tool span takes its arguments
from the call the model asked for; a failed tool's result is what the model received (Phoenix
too); error types drop OpenTelemetry's module prefix."""

from __future__ import annotations

from pathlib import Path

import pytest

from replaycase.importers.registry import load_trace
from replaycase.model import ErrorEvent, InputMessageEvent, LlmCallEvent

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
