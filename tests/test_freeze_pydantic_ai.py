"""--freeze-tools for PydanticAI: an agent's tool, called by a real run with a scripted
``FunctionModel``, is answered from the recording (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest

from replaycase.freeze.frameworks import FrozenToolDivergence, install_all
from tests.freeze_checks import FakeStore, RecordedToolError, key, run_child, unfrozen

pytest.importorskip("pydantic_ai", reason="pydantic-ai-slim is not installed")
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

__all__ = ["unfrozen"]
pytestmark = pytest.mark.usefixtures("unfrozen")
ARGS = {"order_id": "A1"}


def _script(messages: list[ModelMessage], _info: AgentInfo) -> ModelResponse:
    """Call the tool once, then answer with what the tool's result part said."""
    if len(messages) == 1:
        return ModelResponse(parts=[ToolCallPart("get_order", dict(ARGS), tool_call_id="c1")])
    part: Any = messages[-1].parts[0]
    text = getattr(part, "model_response_str", None) or part.model_response
    return ModelResponse(parts=[TextPart(f"{part.part_kind}|{getattr(part, 'outcome', '')}|"
                                         f"{text()}")])


def _agent() -> Agent[None, str]:
    agent: Agent[None, str] = Agent(FunctionModel(_script))

    @agent.tool_plain
    def get_order(order_id: str) -> str:
        """Look an order up (in production: the live service, which is down)."""
        raise ConnectionError("shop.example is down")

    return agent


def test_the_tool_is_answered_from_the_recording() -> None:
    store = FakeStore({key("get_order", ARGS): "shipped"})
    assert "pydantic-ai" in install_all(store)
    assert _agent().run_sync("where is A1?").output == "tool-return|success|shipped"
    assert store.calls == [("get_order", ARGS)]


def test_a_recorded_error_is_a_failed_tool_result_the_model_sees() -> None:
    install_all(FakeStore({key("get_order", ARGS): RecordedToolError("timeout")}))
    kind, outcome, text = _agent().run_sync("where is A1?").output.split("|")
    assert (kind, outcome) == ("tool-return", "failed")
    assert "timeout" in text


@pytest.mark.parametrize("recorded", ["ModelRetry", "ToolRetryError", "UnexpectedModelBehavior"])
def test_a_recorded_model_retry_is_retried(recorded: str) -> None:
    """ModelRetry as recorded, or as PydanticAI's instrumentation records it: its wrapper
    ToolRetryError, and the UnexpectedModelBehavior of the call that ran out of retries."""
    retry = type(recorded, (RecordedToolError,), {})
    install_all(FakeStore({key("get_order", ARGS): retry("try again later")}))
    kind, outcome, text = _agent().run_sync("where is A1?").output.split("|")
    assert (kind, outcome) == ("tool-return", "retried")  # pydantic-ai 2.x: a retried return
    assert "try again later" in text


def test_an_unrecorded_call_stops_the_run() -> None:
    install_all(FakeStore({}))
    with pytest.raises(FrozenToolDivergence, match="not recorded: get_order"):
        _agent().run_sync("where is A1?")


def test_installed_before_pydantic_ai_is_imported() -> None:
    body = '''
from pydantic_ai import Agent
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import FunctionModel

def script(order_id):
    def answer(messages, info):
        if len(messages) == 1:
            return ModelResponse(parts=[ToolCallPart("get_order", {"order_id": order_id})])
        return ModelResponse(parts=[TextPart(messages[-1].parts[0].model_response_str())])
    return answer

def run(order_id):
    agent = Agent(FunctionModel(script(order_id)))

    @agent.tool_plain
    def get_order(order_id: str) -> str:
        raise ConnectionError("down")

    return agent.run_sync("where?").output

try:
    run("B2")
    escaped = False
except FrozenToolDivergence:
    escaped = True
print(json.dumps({"installed": installed, "ok": run("A1"), "error": run("E"), "escaped": escaped}))
'''
    answers = {key("get_order", ARGS): ["ok", "shipped"],
               key("get_order", {"order_id": "E"}): ["error", "timeout"]}
    result = run_child(["pydantic_ai.toolsets"], body, answers)
    assert "pydantic-ai" in result["installed"]
    assert result["ok"] == "shipped"
    assert "timeout" in result["error"]
    assert result["escaped"] is True
