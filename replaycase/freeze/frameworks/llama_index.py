"""LlamaIndex (``llama-index-core``): ``FunctionTool``.

Verified against llama-index-core 0.14: agents and ``call_tool`` await ``FunctionTool.acall`` /
``call(**tool_kwargs)``, which run the function, wrap its raw output in a ``ToolOutput`` (through
the tool's callback) and leave an exception to the caller, which shows it to the model as an
error output. The hook answers ``call`` / ``acall`` from the recording (the keyword arguments the
model sent, without the context parameter and the tool's partial parameters) and builds the
``ToolOutput`` as the tool does; a recorded error is raised from the call, as in production.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from . import _common

MODULE = "llama_index.core.tools.function_tool"
_MARK = "__replaycase_frozen__"


def _arguments(tool: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    skip = {tool.ctx_param_name, *tool.partial_params}
    sent = {key: value for key, value in kwargs.items() if key not in skip}
    return {"args": list(args), "kwargs": sent} if args else sent


def _output(module: ModuleType, tool: Any, raw: Any, args: Any, kwargs: Any, cb: Any) -> Any:
    name = tool.metadata.get_name()
    kept = {key: value for key, value in kwargs.items() if key != tool.ctx_param_name}
    raw_input = {"args": args, "kwargs": kept}
    if isinstance(cb, module.ToolOutput):
        return cb
    if cb is not None:
        return module.ToolOutput(
            content=str(cb), tool_name=name, raw_input=raw_input, raw_output=raw
        )
    blocks = tool._parse_tool_output(raw)
    return module.ToolOutput(blocks=blocks, tool_name=name, raw_input=raw_input, raw_output=raw)


def patch(module: ModuleType) -> None:
    """Wrap ``FunctionTool.call`` / ``acall`` of ``llama_index.core.tools.function_tool``."""
    tool_cls: Any = module.FunctionTool
    call, acall = tool_cls.call, tool_cls.acall
    if getattr(call, _MARK, False):
        return

    def frozen_call(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _common.is_active():
            return call(self, *args, **kwargs)
        raw = _common.call(self.metadata.get_name(), _arguments(self, args, kwargs))
        cb = self._run_sync_callback(raw)
        return _output(module, self, raw, args, kwargs, cb)

    async def frozen_acall(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _common.is_active():
            return await acall(self, *args, **kwargs)
        raw = _common.call(self.metadata.get_name(), _arguments(self, args, kwargs))
        cb = await self._run_async_callback(raw)
        return _output(module, self, raw, args, kwargs, cb)

    for wrapper in (frozen_call, frozen_acall):
        setattr(wrapper, _MARK, True)
    tool_cls.call, tool_cls.acall = frozen_call, frozen_acall
