"""LangChain tools (``langchain-core``), and so LangGraph's ``ToolNode``, which invokes them.

Verified against langchain-core 1.8 and langgraph 1.2 (langgraph-prebuilt 1.1): ``BaseTool.invoke``
and ``ToolNode`` go through ``BaseTool.run`` / ``arun``, which call the tool's ``_run`` / ``_arun``
inside the try block whose ``except ToolException`` applies ``handle_tool_error``; anything else is
re-raised (to ``ToolNode``'s ``handle_tool_errors``). The hook keeps that path: ``run`` / ``arun``
note the call's arguments (the tool call's ``args``, the dict, or the string as given), and the
class's ``_run`` / ``_arun`` answer it from the recording. A recorded error is raised there: as a
``ToolException`` when the trace recorded that type or none, else as recorded.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from types import ModuleType
from typing import Any

from . import _common

MODULE = "langchain_core.tools.base"
_MARK = "__replaycase_frozen__"
_CALL: contextvars.ContextVar[tuple[object, Any] | None] = contextvars.ContextVar(
    "replaycase_langchain_call", default=None
)


def _arguments(tool_input: Any) -> Any:
    if isinstance(tool_input, dict) and tool_input.get("type") == "tool_call":
        return tool_input.get("args", {})
    return tool_input


def _answer(tool: Any, tool_exception: type[Exception]) -> tuple[bool, Any]:
    current = _CALL.get()
    name: str = tool.name
    if current is None or current[0] is not tool:
        return False, None
    try:
        return True, _common.call(name, current[1])
    except Exception as error:
        if not _common.is_recorded_error(error):
            raise
        if isinstance(error, tool_exception):
            raise
        if _common.recorded_type_name(error) in (None, tool_exception.__name__):
            raise tool_exception(str(error)) from error
        raise


def _wrap_run(cls: type, tool_exception: type[Exception]) -> None:
    owner = next((c for c in cls.__mro__ if "_run" in c.__dict__), None)
    if owner is None or getattr(owner.__dict__["_run"], _MARK, False):
        return
    original: Callable[..., Any] = owner.__dict__["_run"]

    def _run(self: Any, *args: Any, **kwargs: Any) -> Any:
        answered, output = _answer(self, tool_exception)
        return output if answered else original(self, *args, **kwargs)

    setattr(_run, _MARK, True)
    owner._run = _run  # type: ignore[attr-defined]


def _wrap_arun(cls: type, tool_exception: type[Exception]) -> None:
    owner = next((c for c in cls.__mro__ if "_arun" in c.__dict__), None)
    if owner is None or getattr(owner.__dict__["_arun"], _MARK, False):
        return
    original: Callable[..., Any] = owner.__dict__["_arun"]

    async def _arun(self: Any, *args: Any, **kwargs: Any) -> Any:
        answered, output = _answer(self, tool_exception)
        return output if answered else await original(self, *args, **kwargs)

    setattr(_arun, _MARK, True)
    owner._arun = _arun  # type: ignore[attr-defined]


def patch(module: ModuleType) -> None:
    """Wrap ``BaseTool.run`` / ``arun`` of ``langchain_core.tools.base``."""
    base: Any = module.BaseTool
    tool_exception: type[Exception] = module.ToolException
    run, arun = base.run, base.arun
    if getattr(run, _MARK, False):
        return

    def frozen_run(self: Any, tool_input: Any, *args: Any, **kwargs: Any) -> Any:
        if not _common.is_active():
            return run(self, tool_input, *args, **kwargs)
        _wrap_run(type(self), tool_exception)
        token = _CALL.set((self, _arguments(tool_input)))
        try:
            return run(self, tool_input, *args, **kwargs)
        finally:
            _CALL.reset(token)

    async def frozen_arun(self: Any, tool_input: Any, *args: Any, **kwargs: Any) -> Any:
        if not _common.is_active():
            return await arun(self, tool_input, *args, **kwargs)
        _wrap_arun(type(self), tool_exception)
        token = _CALL.set((self, _arguments(tool_input)))
        try:
            return await arun(self, tool_input, *args, **kwargs)
        finally:
            _CALL.reset(token)

    for wrapper in (frozen_run, frozen_arun):
        setattr(wrapper, _MARK, True)
    base.run, base.arun = frozen_run, frozen_arun
