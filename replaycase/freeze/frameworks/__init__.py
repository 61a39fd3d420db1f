"""Framework hooks of ``--freeze-tools`` (DESIGN 8): each framework's tool dispatch answered from
the recording through one ``frozen_call(tool_name, arguments)``.

Each hook patches one module of its framework, right after that module is imported (the
sitecustomize runs before the agent imports anything) or at once when it already is; a framework
that is not installed is skipped. A recorded error is raised inside the tool, as the framework's
own tool failure; a call the fixtures do not hold raises :class:`FrozenToolDivergence`, which no
framework's tool-error handling catches.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from . import agents_sdk, langchain, llama_index, pydantic_ai
from ._common import FrozenCall, FrozenToolDivergence, configure
from ._post_import import when_imported

__all__ = ["HOOKS", "FrozenToolDivergence", "install_all"]

HOOKS: dict[str, ModuleType] = {
    "openai-agents": agents_sdk,
    "langchain": langchain,
    "pydantic-ai": pydantic_ai,
    "llama-index": llama_index,
}
"""Each hook by name, with its module's ``MODULE`` (what it patches) and ``patch``."""


def _installed(module_name: str) -> bool:
    top = module_name.split(".")[0]
    if top in sys.modules:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def install_all(
    frozen_call: FrozenCall, *, recorded_error: type[BaseException] | None = None
) -> list[str]:
    """Install every hook whose framework is installed; return their names.

    ``recorded_error`` is the store's recorded-error class; by default any exception with a class
    named ``RecordedToolError`` in its MRO is one.
    """
    configure(frozen_call, recorded_error)
    names = []
    for name, hook in HOOKS.items():
        if _installed(hook.MODULE):
            when_imported(hook.MODULE, hook.patch)
            names.append(name)
    return names
