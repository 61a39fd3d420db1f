"""OpenAI Agents SDK (``openai-agents``): function tools made by ``@function_tool``.

Verified against openai-agents 0.24: ``agents.tool._FailureHandlingFunctionToolInvoker`` is every
decorated tool's ``on_invoke_tool``; its ``__call__(ctx, input_json)`` runs the tool and hands an
exception to the tool's ``failure_error_function``. The hook answers the call from the recording
(tool name + parsed JSON arguments); a recorded error goes through the SDK's own failure handling
(an invoker of the same class whose implementation raises it), as in production.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from . import _common

MODULE = "agents.tool"
_MARK = "__replaycase_frozen__"


def patch(module: ModuleType) -> None:
    """Wrap ``_FailureHandlingFunctionToolInvoker.__call__`` of ``agents.tool``."""
    invoker_cls: Any = module._FailureHandlingFunctionToolInvoker
    original = invoker_cls.__call__
    if getattr(original, _MARK, False):
        return

    async def __call__(self: Any, ctx: Any, input: str) -> Any:
        tool = self._function_tool
        if tool is None or not _common.is_active():
            return await original(self, ctx, input)
        try:
            arguments = json.loads(input) if input and input.strip() else {}
        except ValueError:  # the SDK's own invalid-JSON failure, before the tool would run
            return await original(self, ctx, input)
        try:
            return _common.call(tool.name, arguments)
        except Exception as error:
            if not _common.is_recorded_error(error):
                raise
            recorded = error

        async def raise_recorded(_ctx: Any, _input: str) -> Any:
            raise recorded

        failing = invoker_cls(raise_recorded, self._on_handled_error, function_tool=tool)
        return await original(failing, ctx, input)

    setattr(__call__, _MARK, True)
    invoker_cls.__call__ = __call__
