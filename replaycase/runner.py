"""The public API for Python agents: record runs, and serve fixtures inside a replay.

Recording (in production, or in a candidate runner)::

    rec = Recorder(agent="support-agent", input=question)
    call_id = rec.tool_call("lookup_billing", {"customer_id": "C-1"})
    rec.tool_result(call_id, {"amount": 49.99})
    rec.final_output("You were charged for the Pro plan.")
    rec.save("trace.json")          # a native TraceRun, ready for `replaycase scaffold`
    rec.write_output()              # inside a replay: to $REPLAYCASE_OUTPUT_PATH

Serving fixtures (inside a replay)::

    fixtures = Fixtures.from_env()
    question = fixtures.input
    recorded = fixtures.tool_output("lookup_billing", {"customer_id": "C-1"})

A call the fixtures do not hold (another tool, or other arguments) raises ``FixtureMissing``
and makes the case ``diverged``; ``Fixtures(..., by_order=True)`` serves other arguments the
recorded calls of the same tool by order instead.
"""

from __future__ import annotations

import os
import stat
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ._jsonio import canonical_json, loads, read_bytes
from ._text import clip
from .errors import FixtureMissing, FixtureUnreadable, InputError, NotInReplay
from .model import (
    ChatMessage,
    ErrorEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    RequestedToolCall,
    RunMetadata,
    RunStatus,
    SourceInfo,
    StateEvent,
    ToolCallEvent,
    ToolResultEvent,
    TraceRun,
    Usage,
)
from .model.chat import read_conversation, tool_names
from .model.fixture_miss import (
    FIXTURE_MISSES,
    MAX_ARGS_CHARS,
    MAX_FILE_BYTES,
    MAX_RECORDED,
    MAX_RECORDS,
    SHOWN_CHARS,
    FixtureMiss,
)

Clock = Callable[[], str | None]


def utc_now() -> str:
    """The current UTC time in ISO 8601."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def in_replay() -> bool:
    """True when running under `replaycase replay`."""
    return bool(os.environ.get("REPLAYCASE_OUTPUT_PATH"))


class Recorder:
    """Records one run as a native TraceRun."""

    def __init__(self, run_id: str = "run", input: Any = None, *, agent: str | None = None,
                 version: str | None = None, model: str | None = None,
                 tags: Sequence[str] = (), clock: Clock | None = utc_now) -> None:
        self.run_id = run_id
        self._input = input
        self._events: list[Any] = []
        self._final: Any = None
        self._clock = clock or (lambda: None)
        self._metadata = RunMetadata(agent=agent, version=version, model=model, tags=list(tags))
        self._calls = 0
        if input is not None:
            self.input(input)

    def _add(self, cls: type, **fields: Any) -> Any:
        event = cls(seq=len(self._events) + 1, ts=self._clock(), **fields)
        self._events.append(event)
        return event

    def input(self, content: Any, role: str = "user") -> None:
        """A message given to the run; the first user message is the run's input."""
        if self._input is None and role == "user":
            self._input = content
        self._add(InputMessageEvent, role=role, content=content)

    def llm_call(self, *, model: str | None = None, request: Any = None, response: Any = None,
                 tool_calls: Sequence[dict[str, Any]] = (), usage: dict[str, Any] | None = None,
                 latency_ms: float | None = None, error: str | None = None,
                 messages: Sequence[dict[str, Any] | ChatMessage] | None = None,
                 instructions: str | None = None, tools: Sequence[Any] | None = None,
                 output_text: str | None = None, stop_reason: str | None = None) -> None:
        """A model call: what was asked, what came back (text and requested tool calls).

        For a model tape (DESIGN 8) give what the request sent: ``messages`` (OpenAI chat or
        Anthropic message dicts, or ``ChatMessage`` s; system and developer messages are the
        instructions), ``instructions`` (the system text, e.g. Anthropic's ``system``; ""
        for none), ``tools`` (names or tool definitions) and ``output_text`` (the answer's
        text, "" when it only asked for tool calls; by default the response when it is text).
        A part not given is not recorded. A malformed message raises ``ValueError``.
        """
        found, chat = (None, None) if messages is None else read_conversation(messages)
        requested = [RequestedToolCall(tool_name=c.get("tool_name", c.get("name", "?")),
                                       tool_args=c.get("tool_args", c.get("args")),
                                       call_id=c.get("call_id", c.get("id")))
                     for c in tool_calls]
        if output_text is None and error is None:
            output_text = response if isinstance(response, str) else (
                "" if response is None and requested else None)
        self._add(LlmCallEvent, model=model or self._metadata.model, request=request,
                  response=response, tool_calls=requested,
                  usage=Usage.model_validate(usage) if usage else None,
                  latency_ms=latency_ms, error=error,
                  instructions=instructions if instructions is not None else found,
                  messages=chat, tools_offered=None if tools is None else tool_names(list(tools)),
                  output_text=output_text, stop_reason=stop_reason)

    def tool_call(self, tool_name: str, tool_args: Any = None,
                  call_id: str | None = None) -> str:
        """A tool invoked; returns its call id (made up when not given)."""
        self._calls += 1
        call_id = call_id or f"call-{self._calls}"
        self._add(ToolCallEvent, tool_name=tool_name, tool_args=tool_args, call_id=call_id)
        return call_id

    def tool_result(self, call_id: str, output: Any, is_error: bool = False,
                    tool_name: str | None = None) -> None:
        """What the tool returned (or the error it raised)."""
        if tool_name is None:
            tool_name = next((e.tool_name for e in reversed(self._events)
                              if isinstance(e, ToolCallEvent) and e.call_id == call_id), None)
        self._add(ToolResultEvent, call_id=call_id, tool_name=tool_name, output=output,
                  is_error=is_error)

    def state(self, name: str) -> None:
        """A workflow state entered."""
        self._add(StateEvent, state=name, action="entered")

    def error(self, message: str, error_type: str | None = None) -> None:
        """An error the run raised."""
        self._add(ErrorEvent, message=message, error_type=error_type)

    def final_output(self, output: Any) -> None:
        """The run's answer."""
        self._final = output
        self._add(FinalOutputEvent, output=output)

    def finish(self, status: RunStatus | None = None) -> TraceRun:
        """The recorded run; status defaults to success when there is an answer and no error."""
        if status is None:
            failed = any(isinstance(e, ErrorEvent) for e in self._events)
            status = "error" if failed or self._final is None else "success"
        return TraceRun(run_id=self.run_id, status=status, input=self._input,
                        final_output=self._final, events=list(self._events),
                        metadata=self._metadata, source=SourceInfo(format="native"))

    def save(self, path: str | Path, status: RunStatus | None = None) -> Path:
        """Write the run as native TraceRun JSON (through a temporary file)."""
        path = Path(path)
        text = self.finish(status).to_json()
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        return path

    def write_output(self, status: RunStatus | None = None) -> Path:
        """Inside a replay: write the run to $REPLAYCASE_OUTPUT_PATH."""
        target = os.environ.get("REPLAYCASE_OUTPUT_PATH") or os.environ.get(
            "REPLAYKIT_OUTPUT_PATH")
        if not target:
            raise NotInReplay("REPLAYCASE_OUTPUT_PATH")
        return self.save(target, status)


@dataclass
class RecordedToolCall:
    """A tool call frozen in a case's fixtures."""

    tool_name: str
    tool_args: Any
    output: Any
    is_error: bool
    call_id: str | None = None
    error_type: str | None = None
    """The recorded exception's type name, where the fixture holds one (``error_type``)."""


class Fixtures:
    """A case's frozen input and tool outputs, served to a candidate runner.

    A call is served the recorded output of the same tool with the same canonical
    arguments; a call the fixtures do not hold raises ``FixtureMissing`` and, inside a
    replay, is recorded in the run folder, so the case is ``diverged`` whatever the agent
    does next. ``by_order=True`` (here, or on one ``tool_output``) also serves another call
    of a recorded tool the next recorded call of that tool, as earlier versions did.
    """

    def __init__(self, fixtures_dir: str | Path, *, by_order: bool = False) -> None:
        self.dir = Path(fixtures_dir)
        self.by_order = by_order
        self._input = _read_json(self.dir / "input.json", {})
        calls = _read_json(self.dir / "tool_calls.json", [])
        self.tool_calls = [
            RecordedToolCall(tool_name=str(c.get("tool_name")), tool_args=c.get("tool_args"),
                             output=c.get("output"), is_error=bool(c.get("is_error")),
                             call_id=c.get("call_id"), error_type=_type_name(c.get("error_type")))
            for c in calls if isinstance(c, dict)
        ]
        self.calls = 0
        """The tool calls asked for so far (the N of ``diverged at tool call N``)."""
        self._used: set[int] = set()
        self._by_name: dict[str, list[int]] = {}
        self._by_args: dict[tuple[str, str], deque[int]] = {}
        self._last_of_args: dict[tuple[str, str], int] = {}
        self._next_of_name: dict[str, int] = {}
        self._misses = 0
        for index, call in enumerate(self.tool_calls):  # indexed once: cases can be big
            self._by_name.setdefault(call.tool_name, []).append(index)
            key = (call.tool_name, canonical_json(call.tool_args))
            self._by_args.setdefault(key, deque()).append(index)
            self._last_of_args[key] = index

    @classmethod
    def from_env(cls, *, by_order: bool = False) -> Fixtures:
        """The fixtures of the case being replayed."""
        folder = os.environ.get("REPLAYCASE_FIXTURES_DIR") or os.environ.get(
            "REPLAYKIT_FIXTURES_DIR")
        if not folder:
            raise NotInReplay("REPLAYCASE_FIXTURES_DIR")
        return cls(folder, by_order=by_order)

    @property
    def input(self) -> Any:
        """What the recorded run was asked."""
        return self._input.get("input") if isinstance(self._input, dict) else self._input

    def tool_output(self, tool_name: str, tool_args: Any = None, *,
                    by_order: bool | None = None) -> RecordedToolCall:
        """The recorded call of this tool with these (canonical) arguments.

        Identical calls are served the recorded ones in order; once they are used up, the
        last of them again (the frozen world does not change). Any other call raises
        ``FixtureMissing`` and is recorded as a divergence. With ``by_order`` (default: the
        one given to ``Fixtures``), a call of a recorded tool with other arguments is served
        the next recorded call of that tool instead (identical calls too, once theirs are
        used up), then its last one again.
        """
        self.calls += 1
        key = (tool_name, canonical_json(tool_args))
        same_args = self._by_args.get(key)
        while same_args:
            index = same_args.popleft()
            if index not in self._used:
                self._used.add(index)
                return self.tool_calls[index]
        same_name = self._by_name.get(tool_name)
        if same_name and (self.by_order if by_order is None else by_order):
            return self._next_by_order(tool_name, same_name)
        if key in self._last_of_args:
            return self.tool_calls[self._last_of_args[key]]
        unsaved = self._note_miss(tool_name, key[1], same_name or [])
        held = "no recorded call of tool" if not same_name else \
            "no recorded call with these arguments of tool"
        raise FixtureMissing(f"{held} {tool_name!r} in {self.dir}: "
                             f"{tool_name}({clip(key[1], SHOWN_CHARS)}){unsaved}")

    def _next_by_order(self, tool_name: str, same_name: list[int]) -> RecordedToolCall:
        position = self._next_of_name.get(tool_name, 0)
        while position < len(same_name) and same_name[position] in self._used:
            position += 1
        self._next_of_name[tool_name] = position
        if position < len(same_name):
            self._used.add(same_name[position])
            return self.tool_calls[same_name[position]]
        return self.tool_calls[same_name[-1]]

    def _note_miss(self, tool_name: str, args_text: str, same_name: list[int]) -> str:
        """Append the miss to the run folder's ``fixture-misses.jsonl``; "" when it was
        recorded (or there is no run folder), else why not, for the error message."""
        folder = os.environ.get("REPLAYCASE_RUN_DIR") or os.environ.get("REPLAYKIT_RUN_DIR")
        if not folder or self._misses >= MAX_RECORDS:
            return ""
        self._misses += 1
        recorded = list(dict.fromkeys(
            clip(canonical_json(self.tool_calls[i].tool_args), MAX_ARGS_CHARS)
            for i in same_name))[:MAX_RECORDED]
        miss = FixtureMiss(call=self.calls, tool_name=clip(tool_name, MAX_ARGS_CHARS),
                           tool_args=clip(args_text, MAX_ARGS_CHARS), recorded_args=recorded)
        line = (miss.model_dump_json() + "\n").encode("utf-8", "replace")
        try:
            append_record(Path(folder) / FIXTURE_MISSES, line, MAX_FILE_BYTES)
        except OSError as exc:
            return f" (not recorded in {FIXTURE_MISSES}: {exc.strerror or exc})"
        return ""


def _type_name(value: Any) -> str | None:
    """An exception type name from a fixture: an identifier of at most 100 characters."""
    ok = isinstance(value, str) and value.isidentifier() and len(value) <= 100
    return value if ok else None


def _read_json(path: Path, default: Any) -> Any:
    """A fixture file, read under the size cap; a FIFO, device or socket is refused."""
    if not os.path.lexists(path):
        return default
    try:
        return loads(read_bytes(path), path)
    except InputError as exc:
        raise FixtureUnreadable(f"{path}: cannot read fixture: {exc.problem}") from None


def append_record(path: Path, line: bytes, max_bytes: int) -> None:
    """Append one line to a regular file (made if missing), in one write, never through a
    link or into a FIFO; nothing is written once the file holds ``max_bytes``."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | \
        getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o644)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(f"{path.name} is not a regular file")
        if status.st_size + len(line) <= max_bytes:
            os.write(fd, line)
    finally:
        os.close(fd)
