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
from typing import Any

from ._env import FROZEN_TOOLS, append

_IDENTIFIER_MAX = 100


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

            fixtures = Fixtures.from_env()
            _state["fixtures"] = fixtures
            _state["error_types"] = _error_types(fixtures)
            _state["index"] = {id(call): i for i, call in enumerate(fixtures.tool_calls)}
        return _state["fixtures"]


def _error_types(fixtures: Any) -> dict[int, str]:
    """Index of a recorded call -> its exception's type name, where the fixture holds one
    (an ``error_type`` key beside ``is_error``)."""
    from .._jsonio import loads, read_bytes

    path = fixtures.dir / "tool_calls.json"
    raw = loads(read_bytes(path), path) if path.is_file() else []  # Fixtures read it already
    calls = [c for c in raw if isinstance(c, dict)] if isinstance(raw, list) else []
    return {index: c["error_type"] for index, c in enumerate(calls)
            if isinstance(c.get("error_type"), str) and c["error_type"].isidentifier()
            and len(c["error_type"]) <= _IDENTIFIER_MAX}


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
        type_name = _state["error_types"].get(_state["index"][id(call)])
    _served(tool_name, arguments, "error" if call.is_error else "output", number,
            call.call_id)
    if call.is_error:
        output = call.output
        raise recorded_error(output if isinstance(output, str) else str(output), type_name)
    return call.output


def _served(tool_name: str, arguments: Any, served: str, number: int,
            call_id: str | None = None) -> None:
    append(FROZEN_TOOLS, {"pid": os.getpid(), "call": number, "tool_name": tool_name,
                          "tool_args": arguments, "served": served,
                          "recorded_call_id": call_id})
