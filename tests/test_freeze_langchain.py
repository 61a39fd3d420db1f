"""--freeze-tools for LangChain tools and LangGraph's ToolNode: ``BaseTool.invoke`` / ``ainvoke``
and ``ToolNode`` are answered from the recording, recorded errors are the tool's failure there
(issue 16)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from replaycase.freeze.frameworks import FrozenToolDivergence, install_all
from tests.freeze_checks import FakeStore, RecordedToolError, key, run_child, unfrozen

pytest.importorskip("langchain_core", reason="langchain-core is not installed")
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import BaseTool, ToolException, tool

__all__ = ["unfrozen"]
pytestmark = pytest.mark.usefixtures("unfrozen")
ARGS = {"order_id": "A1"}


@tool
def get_order(order_id: str) -> str:
    """Look an order up (in production: the live service, which is down)."""
    raise ConnectionError("shop.example is down")


class Refund(BaseTool):
    """A subclass with its own ``_run``, as agents write them."""

    name: str = "refund"
    description: str = "Refund an order."
    handle_tool_error: bool = True

    def _run(self, order_id: str) -> str:
        raise ConnectionError("payments are down")


def _tool_node(handle: Any) -> Any:
    """A one-node graph: the ToolNode, run as LangGraph runs it."""
    prebuilt = pytest.importorskip("langgraph.prebuilt", reason="langgraph is not installed")
    from langgraph.graph import END, START, MessagesState, StateGraph

    graph = StateGraph(MessagesState)
    graph.add_node("tools", prebuilt.ToolNode([get_order], handle_tool_errors=handle))
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    return graph.compile()


def _node_call(node: Any, arguments: dict[str, Any]) -> ToolMessage:
    call = {"name": "get_order", "args": arguments, "id": "c1", "type": "tool_call"}
    out = node.invoke({"messages": [AIMessage(content="", tool_calls=[call])]})
    message: ToolMessage = out["messages"][-1]
    return message


def test_invoke_and_ainvoke_are_answered_from_the_recording() -> None:
    store = FakeStore({key("get_order", ARGS): "shipped", key("refund", ARGS): "refunded"})
    assert "langchain" in install_all(store)
    assert get_order.invoke(ARGS) == "shipped"
    assert asyncio.run(get_order.ainvoke(ARGS)) == "shipped"
    assert Refund().invoke(ARGS) == "refunded"
    assert store.calls == [("get_order", ARGS), ("get_order", ARGS), ("refund", ARGS)]


def test_a_tool_call_through_tool_node_is_answered() -> None:
    install_all(FakeStore({key("get_order", ARGS): "shipped"}))
    message = _node_call(_tool_node(True), ARGS)
    assert (message.content, message.status) == ("shipped", "success")


def test_a_recorded_error_is_the_tools_failure() -> None:
    install_all(FakeStore({key("get_order", ARGS): RecordedToolError("timeout"),
                           key("refund", ARGS): RecordedToolError("declined")}))
    assert Refund().invoke(ARGS) == "declined"  # handle_tool_error turns it into the answer
    with pytest.raises(ToolException, match="timeout"):
        get_order.invoke(ARGS)
    message = _node_call(_tool_node(True), ARGS)
    assert message.status == "error"
    assert "timeout" in str(message.content)


def test_an_unrecorded_call_escapes_tool_node_error_handling() -> None:
    install_all(FakeStore({}))
    with pytest.raises(FrozenToolDivergence, match="not recorded: get_order"):
        _node_call(_tool_node(True), {"order_id": "B2"})
    with pytest.raises(FrozenToolDivergence):
        Refund().invoke(ARGS)


def test_installed_before_langchain_is_imported() -> None:
    body = '''
from langchain_core.tools import tool

@tool
def get_order(order_id: str) -> str:
    """Look an order up."""
    raise ConnectionError("down")

try:
    get_order.invoke({"order_id": "B2"})
    escaped = False
except FrozenToolDivergence:
    escaped = True
try:
    get_order.invoke({"order_id": "E"})
    error = None
except Exception as e:
    error = [type(e).__name__, str(e)]
print(json.dumps({"installed": installed, "ok": get_order.invoke({"order_id": "A1"}),
                  "error": error, "escaped": escaped}))
'''
    answers = {key("get_order", ARGS): ["ok", "shipped"],
               key("get_order", {"order_id": "E"}): ["error", "timeout"]}
    result = run_child(["langchain_core.tools"], body, answers)
    assert "langchain" in result["installed"]
    assert result["ok"] == "shipped"
    assert result["error"] == ["ToolException", "timeout"]
    assert result["escaped"] is True
