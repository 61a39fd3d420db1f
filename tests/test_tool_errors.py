"""model/tool_errors.py: the frameworks' renderings of a failed tool are recognized, and a
recorded error text is read back as the exception it stands for (what a frozen tool raises)."""

from __future__ import annotations

import pytest

from replaycase.freeze.store import recorded_error
from replaycase.model.tool_errors import error_parts, framework_error_text

LANGGRAPH = ("Error: TimeoutError('billing-api did not respond within 10s')\n"
             " Please fix your mistakes.")
PYDANTIC_AI = "Error: TimeoutError: billing-api down\n\nFix the errors and try again."
LLAMA_INDEX = "Encountered error: billing-api down"
AGENTS_SDK = "An error occurred while running the tool. Please try again."


@pytest.mark.parametrize("text", [LANGGRAPH, PYDANTIC_AI, LLAMA_INDEX, AGENTS_SDK])
def test_a_frameworks_rendering_is_a_tool_error(text: str) -> None:
    assert framework_error_text(text)


@pytest.mark.parametrize("text", [
    "Error: TimeoutError: x",  # an agent's own wording: it may be the tool's answer
    '{"error": "not found"}', "Errors are listed below", "", None, 42,
    "Please fix your mistakes.", "x\nFix the errors and try again."])
def test_other_text_is_not(text: object) -> None:
    assert not framework_error_text(text)


@pytest.mark.parametrize(("text", "parts"), [
    (LANGGRAPH, ("billing-api did not respond within 10s", "TimeoutError")),
    (PYDANTIC_AI, ("Error: TimeoutError: billing-api down", "ModelRetry")),
    (LLAMA_INDEX, ("billing-api down", None)),
    (AGENTS_SDK, (AGENTS_SDK, None)),
    ("BillingAPIError('500 from billing-api')", ("500 from billing-api", "BillingAPIError")),
    ('shop.errors.OutOfStockError("it\'s gone")', ("it's gone", "OutOfStockError")),
    ("KeyError()", ("", "KeyError")),
    ("Error: TimeoutError: billing-api down", ("billing-api down", "TimeoutError")),
    ("Refused: port 443", ("Refused: port 443", None)),
    ("ValueError: bad id", ("bad id", "ValueError")),
    ("Note: nothing found", ("Note: nothing found", None)),  # not an exception name
    ("print('hi')", ("print('hi')", None)),
    ("TimeoutError(1, 2)", ("TimeoutError(1, 2)", None)),  # not one string: kept as text
    ("TimeoutError('unclosed)", ("TimeoutError('unclosed)", None)),
    ({"code": 500}, ("{'code': 500}", None)),
])
def test_a_recorded_error_is_read_back_as_its_exception(text: object,
                                                        parts: tuple[str, str | None]) -> None:
    assert error_parts(text) == parts


def test_the_exception_renders_as_the_framework_rendered_it() -> None:
    message, name = error_parts(LANGGRAPH)
    error = recorded_error(message, name)
    assert (type(error).__name__, str(error)) == ("TimeoutError", message)
    assert f"Error: {error!r}\n Please fix your mistakes." == LANGGRAPH
    assert f"Encountered error: {recorded_error(*error_parts(LLAMA_INDEX))}" == LLAMA_INDEX
