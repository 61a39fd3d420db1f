"""--freeze-tools for the OpenAI Agents SDK: a ``@function_tool`` called as the runner calls it
(``on_invoke_tool(ToolContext, json)``) is answered from the recording (issue 16)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from replaycase.freeze.frameworks import FrozenToolDivergence, install_all
from tests.freeze_checks import FakeStore, RecordedToolError, key, run_child, unfrozen

agents = pytest.importorskip("agents", reason="openai-agents is not installed")
from agents.tool_context import ToolContext  # noqa: E402

__all__ = ["unfrozen"]
pytestmark = pytest.mark.usefixtures("unfrozen")


def _failed(_ctx: Any, error: Exception) -> str:
    return f"tool failed: {error}"


@agents.function_tool(failure_error_function=_failed)
def get_order(order_id: str) -> str:
    """Look an order up (in production: the live service, which is down)."""
    raise ConnectionError("shop.example is down")


def _invoke(arguments: dict[str, Any]) -> Any:
    raw = json.dumps(arguments)
    ctx = ToolContext(context=None, tool_name=get_order.name, tool_call_id="c1", tool_arguments=raw)
    return asyncio.run(get_order.on_invoke_tool(ctx, raw))


def test_a_call_is_answered_from_the_recording() -> None:
    store = FakeStore({key("get_order", {"order_id": "A1"}): "shipped"})
    assert "openai-agents" in install_all(store)
    assert _invoke({"order_id": "A1"}) == "shipped"
    assert store.calls == [("get_order", {"order_id": "A1"})]


def test_a_recorded_error_goes_through_the_failure_error_function() -> None:
    install_all(FakeStore({key("get_order", {"order_id": "A1"}): RecordedToolError("timeout")}))
    assert _invoke({"order_id": "A1"}) == "tool failed: timeout"


def test_an_unrecorded_call_escapes_the_failure_handling() -> None:
    install_all(FakeStore({}))
    with pytest.raises(FrozenToolDivergence, match="not recorded: get_order"):
        _invoke({"order_id": "B2"})


def test_without_a_frozen_call_the_tool_runs_for_real() -> None:
    install_all(FakeStore({}))
    from replaycase.freeze.frameworks import _common

    _common.configure(None, None)
    assert _invoke({"order_id": "A1"}) == "tool failed: shop.example is down"


@pytest.mark.slow  # importing openai-agents alone takes 5-10 s in a fresh interpreter here
def test_installed_before_the_sdk_is_imported() -> None:
    body = '''
import asyncio, agents
from agents.tool_context import ToolContext

def failed(ctx, error):
    return f"tool failed: {error}"

@agents.function_tool(failure_error_function=failed)
def get_order(order_id: str) -> str:
    raise ConnectionError("down")

def invoke(raw):
    ctx = ToolContext(context=None, tool_name="get_order", tool_call_id="c", tool_arguments=raw)
    return asyncio.run(get_order.on_invoke_tool(ctx, raw))

try:
    invoke('{"order_id": "B2"}')
    escaped = False
except FrozenToolDivergence:
    escaped = True
print(json.dumps({"installed": installed, "ok": invoke('{"order_id": "A1"}'),
                  "error": invoke('{"order_id": "E"}'), "escaped": escaped}))
'''
    answers = {key("get_order", {"order_id": "A1"}): ["ok", "shipped"],
               key("get_order", {"order_id": "E"}): ["error", "timeout"]}
    result = run_child(["agents.tool"], body, answers)
    assert "openai-agents" in result["installed"]
    assert result["ok"] == "shipped"
    assert result["error"] == "tool failed: timeout"
    assert result["escaped"] is True
