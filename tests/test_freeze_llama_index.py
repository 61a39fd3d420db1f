"""--freeze-tools for LlamaIndex: a ``FunctionTool`` called through ``call_tool`` /
``acall_tool`` (what its agents use) is answered from the recording (issue 16)."""

from __future__ import annotations

import asyncio

import pytest

from replaycase.freeze.frameworks import FrozenToolDivergence, install_all
from tests.freeze_checks import FakeStore, RecordedToolError, key, run_child, unfrozen

pytest.importorskip("llama_index.core", reason="llama-index-core is not installed")
from llama_index.core.tools import FunctionTool
from llama_index.core.tools.calling import acall_tool, call_tool

__all__ = ["unfrozen"]
pytestmark = pytest.mark.usefixtures("unfrozen")
ARGS = {"order_id": "A1"}


def get_order(order_id: str) -> str:
    """Look an order up (in production: the live service, which is down)."""
    raise ConnectionError("shop.example is down")


def _tool() -> FunctionTool:
    return FunctionTool.from_defaults(fn=get_order)


def test_call_and_acall_are_answered_from_the_recording() -> None:
    store = FakeStore({key("get_order", ARGS): "shipped"})
    assert "llama-index" in install_all(store)
    out = call_tool(_tool(), dict(ARGS))
    assert (out.content, out.raw_output, out.is_error) == ("shipped", "shipped", False)
    assert asyncio.run(acall_tool(_tool(), dict(ARGS))).content == "shipped"
    assert store.calls == [("get_order", ARGS), ("get_order", ARGS)]


def test_a_recorded_error_is_an_error_output() -> None:
    install_all(FakeStore({key("get_order", ARGS): RecordedToolError("timeout")}))
    out = call_tool(_tool(), dict(ARGS))
    assert out.is_error
    assert out.content == "Encountered error: timeout"


def test_an_unrecorded_call_escapes_call_tool() -> None:
    install_all(FakeStore({}))
    with pytest.raises(FrozenToolDivergence, match="not recorded: get_order"):
        call_tool(_tool(), {"order_id": "B2"})


def test_installed_before_llama_index_is_imported() -> None:
    body = '''
from llama_index.core.tools import FunctionTool
from llama_index.core.tools.calling import call_tool

def get_order(order_id: str) -> str:
    """Look an order up."""
    raise ConnectionError("down")

tool = FunctionTool.from_defaults(fn=get_order)
try:
    call_tool(tool, {"order_id": "B2"})
    escaped = False
except FrozenToolDivergence:
    escaped = True
print(json.dumps({"installed": installed, "ok": call_tool(tool, {"order_id": "A1"}).content,
                  "error": call_tool(tool, {"order_id": "E"}).content, "escaped": escaped}))
'''
    answers = {key("get_order", ARGS): ["ok", "shipped"],
               key("get_order", {"order_id": "E"}): ["error", "timeout"]}
    result = run_child(["llama_index.core"], body, answers)
    assert "llama-index" in result["installed"]
    assert result["ok"] == "shipped"
    assert result["error"] == "Encountered error: timeout"
    assert result["escaped"] is True
