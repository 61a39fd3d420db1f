"""The frozen tools of a case: every call answered from its ``fixtures/tool_calls.json``.

Matching is ``replaycase.runner.Fixtures``'s: the same tool with the same canonical
arguments, identical calls in the recorded order, then the last of them again; a call the
fixtures do not hold is recorded in the run folder's ``fixture-misses.jsonl`` (so the case
is ``diverged``, naming the tool and its arguments) and raises ``ToolCallNotRecorded``.
Every call is also appended to ``frozen-tools.jsonl``. Each Python process keeps its own
order (a child process starts from the first recorded call again).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from ._env import FROZEN_TOOLS, append

if TYPE_CHECKING:
    from ..runner import RecordedToolCall


class RecordedToolError(Exception):
    """A tool call that failed in the recording, raised again with the recorded error text
    (a subclass named as the recorded exception type, when the fixtures hold it)."""


class ToolCallNotRecorded(LookupError):
    """A tool call the case's fixtures do not hold: the case is ``diverged``."""


_lock = threading.Lock()
_state: dict[str, Any] = {}


def _fixtures() -> Any:
    """The case's fixtures, read once a process (``replaycase.runner.Fixtures``)."""
    with _lock:
        if "fixtures" not in _state:
            from ..runner import Fixtures

            _state["fixtures"] = Fixtures.from_env()
        return _state["fixtures"]


def reset() -> None:
    """Forget the fixtures read (tests; a process that changed case)."""
    with _lock:
        _state.clear()


def recorded_error(message: str, type_name: str | None = None) -> RecordedToolError:
    """The exception a recorded error is raised again as: ``RecordedToolError``, or a
    subclass of it named ``type_name``."""
    if not type_name or type_name == RecordedToolError.__name__:
        return RecordedToolError(message)
    cls: type[RecordedToolError] = type(type_name, (RecordedToolError,),
                                        {"__module__": "replaycase.freeze.recorded"})
    return cls(message)


def frozen_call(tool_name: str, arguments: Any) -> Any:
    """The recorded output of this call of ``tool_name``; ``RecordedToolError`` (its
    message the recorded error) for a call that failed in the recording;
    ``ToolCallNotRecorded`` (the miss recorded first) for one the fixtures do not hold."""
    from ..errors import FixtureMissing

    fixtures = _fixtures()
    with _lock:
        try:
            call = fixtures.tool_output(tool_name, arguments)
        except FixtureMissing as exc:
            _served(tool_name, arguments, "not_recorded", fixtures.calls)
            raise ToolCallNotRecorded(f"replaycase --freeze-tools: {exc}") from None
        number = fixtures.calls
    _served(tool_name, arguments, "error" if call.is_error else "output", number,
            call.call_id)
    if call.is_error:
        raise _recorded(call)
    return call.output


def _recorded(call: RecordedToolCall) -> RecordedToolError:
    """The recorded error of ``call``: the exception its recorded text stands for
    (``model.tool_errors``: ``Error: TimeoutError: …`` is ``TimeoutError('…')``). A fixture's
    ``error_type`` names the class; the text is then read as that exception only when it
    names the same class, else it is the message as recorded (a ``ModelRetry`` whose message
    reads ``Error: TimeoutError: …``)."""
    from ..model.tool_errors import error_parts

    output = call.output if isinstance(call.output, str) else str(call.output)
    message, type_name = error_parts(output)
    if call.error_type and type_name != call.error_type:
        message, type_name = output, call.error_type
    return recorded_error(message, type_name)


def _served(tool_name: str, arguments: Any, served: str, number: int,
            call_id: str | None = None) -> None:
    append(FROZEN_TOOLS, {"pid": os.getpid(), "call": number, "tool_name": tool_name,
                          "tool_args": arguments, "served": served,
                          "recorded_call_id": call_id})
