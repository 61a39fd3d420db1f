"""What every framework hook shares: the installed ``frozen_call`` and how its outcomes are raised.

``frozen_call(tool, arguments)`` returns the recorded output, raises a *recorded error* (the
store's ``RecordedToolError``: re-raised inside the tool so the framework's own error handling
runs as in production) or raises anything else for a call the fixtures do not hold. That last
one is wrapped in :class:`FrozenToolDivergence`, a ``BaseException``, so no framework's
``except Exception`` turns it into a message to the model: the agent cannot carry on with
invented data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FrozenCall = Callable[[str, Any], Any]

RECORDED_ERROR_NAME = "RecordedToolError"
"""The store's recorded-error class, matched by name anywhere in an exception's MRO (the hooks do
not import the store; the store may raise a subclass named after the recorded type)."""


class FrozenToolDivergence(BaseException):
    """A tool call the fixtures do not hold: escapes every framework's tool-error handling."""


class _State:
    frozen_call: FrozenCall | None = None
    recorded_error: type[BaseException] | None = None


STATE = _State()


def configure(frozen_call: FrozenCall | None, recorded_error: type[BaseException] | None) -> None:
    """Set the ``frozen_call`` every installed hook answers from."""
    STATE.frozen_call = frozen_call
    STATE.recorded_error = recorded_error


def is_recorded_error(error: BaseException) -> bool:
    """Whether ``error`` is the store's recorded error (raised again as a tool failure)."""
    if STATE.recorded_error is not None:
        return isinstance(error, STATE.recorded_error)
    return any(cls.__name__ == RECORDED_ERROR_NAME for cls in type(error).__mro__)


def recorded_type_name(error: BaseException) -> str | None:
    """The exception type the trace recorded for ``error``, or None when it recorded none."""
    name = getattr(error, "type_name", None)
    if isinstance(name, str) and name:
        return name
    own = type(error).__name__
    return None if own == RECORDED_ERROR_NAME else own


def call(tool_name: str, arguments: Any) -> Any:
    """Answer one tool call from the recording: the output, a recorded error, or a divergence."""
    frozen_call = STATE.frozen_call
    if frozen_call is None:
        raise FrozenToolDivergence(f"replaycase: tool {tool_name!r} is frozen but no recording")
    try:
        return frozen_call(tool_name, arguments)
    except Exception as error:
        if is_recorded_error(error):
            raise
        raise FrozenToolDivergence(str(error)) from error


def is_active() -> bool:
    """Whether a ``frozen_call`` is installed (hooks pass calls through when it is not)."""
    return STATE.frozen_call is not None
