"""PydanticAI (``pydantic-ai-slim``): tools of a ``FunctionToolset`` (``@agent.tool``, ``tools=``).

Verified against pydantic-ai-slim 2.68: the tool manager validates a call's arguments and awaits
``FunctionToolset.call_tool(name, tool_args, ctx, tool)``, which runs the function; a
``ModelRetry`` becomes a retry prompt, a ``ToolFailed`` a failed tool result the model sees, any
other exception goes to the capabilities' ``on_tool_execute_error`` and else out of the run. The
hook answers ``call_tool`` from the recording (the validated arguments, as JSON values). A recorded
error is raised there: as ``ModelRetry`` when the trace recorded that type (or how PydanticAI's
instrumentation records it: ``_RETRIED``), as ``ToolFailed`` when
it recorded that type or none (the model was shown its text), else as recorded.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from . import _common

MODULE = "pydantic_ai.toolsets.function"
_MARK = "__replaycase_frozen__"


_RETRIED = ("ModelRetry", "ToolRetryError", "UnexpectedModelBehavior")
"""Recorded types that were a tool's ``ModelRetry``: PydanticAI's instrumentation records it
as its wrapper ``ToolRetryError``, and the call that exhausted the retries as the
``UnexpectedModelBehavior`` PydanticAI raised then (raised as ``ModelRetry`` again, the
candidate's own retry limit decides what follows)."""


def _raise_recorded(error: Exception) -> None:
    exceptions = importlib.import_module("pydantic_ai.exceptions")
    retry: type[Exception] = exceptions.ModelRetry
    failed: type[Exception] = getattr(exceptions, "ToolFailed", retry)
    if isinstance(error, (retry, failed)):
        raise error
    name = _common.recorded_type_name(error)
    if name in _RETRIED:
        raise retry(str(error)) from error
    if name is None or name == failed.__name__:
        raise failed(str(error)) from error
    raise error


def patch(module: ModuleType) -> None:
    """Wrap ``FunctionToolset.call_tool`` of ``pydantic_ai.toolsets.function``."""
    toolset: Any = module.FunctionToolset
    original = toolset.call_tool
    if getattr(original, _MARK, False):
        return
    to_jsonable = importlib.import_module("pydantic_core").to_jsonable_python

    async def call_tool(self: Any, name: str, tool_args: Any, ctx: Any, tool: Any) -> Any:
        if not _common.is_active():
            return await original(self, name, tool_args, ctx, tool)
        try:
            return _common.call(name, to_jsonable(tool_args))
        except Exception as error:
            if not _common.is_recorded_error(error):
                raise
            _raise_recorded(error)
            raise  # pragma: no cover - _raise_recorded always raises

    setattr(call_tool, _MARK, True)
    toolset.call_tool = call_tool
