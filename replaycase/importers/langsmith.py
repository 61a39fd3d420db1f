"""LangSmith run trees: a flat list of runs (``parent_run_id`` links), one run nesting its
``child_runs``, a lone run (``RunTree.dict()``, a single-run read: a tree of one node), or a
multipart ingest body (``langsmith_multipart``: what the SDK sends to ``/runs/multipart``).

    [{"id": …, "trace_id": …, "parent_run_id": …, "dotted_order": …, "run_type": "chain",
      "inputs": {…}, "outputs": {…}, "error": null, …}, …]
    {"id": …, "run_type": "chain", "status": "error", "child_runs": [{…}, …], …}

Every root run (no parent in the file) becomes one TraceRun; its descendants are visited in
execution order (``dotted_order``, else ``start_time``). ``llm`` runs become ``llm_call``
events (OpenAI ``choices`` or LangChain ``generations`` outputs), ``tool`` runs a
``tool_call`` (arguments = ``inputs``, as bound, defaulted ones as null) and its
``tool_result``. Tool-call ids live only in the model's output, so a tool run takes the id of
the first tool call of the same name the preceding model run requested and no earlier tool
run took. An error on a chain run is an ``error`` event. An error string is ``repr(error)``
then its traceback (``"TimeoutError('…')\\n\\nTraceback …"``; LangChain's tracer puts no line
break between them): the repr's message is the event's message, its class the error type, and
the traceback is left out (``model.error_text``). The root's ``status`` decides the run's
status when present, otherwise an error on the root does.
"""

from __future__ import annotations

from typing import Any

from .._jsonio import json_in_text, json_kind
from ..errors import TraceFormatError
from ..model import (
    ANSWER_NOT_RECORDED,
    ErrorEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    RequestedToolCall,
    RunMetadata,
    ToolCallEvent,
    ToolResultEvent,
    TraceRun,
    Usage,
)
from ..model.chat import read_recorded, recorded_tool_names
from ..model.content_parts import readable_content
from ..model.error_text import exception_parts, without_traceback
from ._common import duration_ms as _duration
from ._common import epoch_s as _epoch
from ._common import fail as _fail
from ._common import get_typed as _get
from ._common import iso_ts as _ts
from ._common import keys_problem, list_at
from ._common import text_or_none as _text
from ._langchain import chat_messages, finish_reason
from .base import Importer, TraceDocument
from .replaykit import normalize_status

_QUESTION_KEYS = ("question", "input", "query", "prompt")
_VERSION_KEYS = ("version", "agent_version", "app_version")


class LangSmithImporter(Importer):
    name = "langsmith"
    description = "LangSmith run trees (run lists, child_runs, lone runs, multipart bodies)"

    def check(self, doc: TraceDocument) -> str | None:
        value = doc.value
        if doc.kind == "jsonl":
            return "not a single JSON document"
        if isinstance(value, dict):
            if "run_type" in value and (isinstance(value.get("child_runs"), list) or (
                    "id" in value and ("inputs" in value or "dotted_order" in value))):
                return None
            return keys_problem(value, {"run_type": "", "child_runs": "a list"}) \
                + ' (or "id" and "inputs")'
        if isinstance(value, list) and value:
            first = value[0]
            if isinstance(first, dict) and "run_type" in first and (
                    "id" in first or "trace_id" in first):
                return None
        return 'not a list of runs with "run_type" and "id"'

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        nodes = _flatten(doc.value)
        return [_Builder(nodes).run(root) for root in _roots(nodes)]


class _Node:
    """One run, checked, with the indices of its children."""

    def __init__(self, raw: Any, where: str, parent: int | None) -> None:
        if not isinstance(raw, dict):
            raise _fail(where or "top level", f"expected an object, got {json_kind(raw)}")
        self.raw = raw
        self.where = where
        self.parent = parent
        self.children: list[int] = []
        self.id = _text_id(raw.get("id"), where, "id")
        self.parent_run_id = _text_id(raw.get("parent_run_id"), where, "parent_run_id")
        self.run_type = _get(raw, "run_type", str, where)
        self.name = _get(raw, "name", str, where)
        self.start = _ts(_get(raw, "start_time", str, where))
        self.end = _ts(_get(raw, "end_time", str, where))
        self.dotted = _get(raw, "dotted_order", str, where)
        self.error = _get(raw, "error", str, where)
        self.inputs = _get(raw, "inputs", dict, where)
        self.outputs = _get(raw, "outputs", dict, where)

    def at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def common(self, at_end: bool = False) -> dict[str, Any]:
        return {"ts": self.end if at_end else self.start,
                "duration_ms": None if at_end else _duration(self.start, self.end),
                "span_id": self.id, "parent_id": self.parent_run_id}


def _text_id(value: Any, where: str, key: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    sep = "." if where else ""
    raise _fail(f"{where}{sep}{key}", f"expected a string, got {json_kind(value)}")


def _flatten(value: Any) -> list[_Node]:
    """Every run of the document, children linked by nesting or by ``parent_run_id``."""
    nodes: list[_Node] = []
    if isinstance(value, list):
        for index, raw in enumerate(value):
            nodes.append(_Node(raw, f"runs[{index}]", None))
        by_id = {node.id: i for i, node in enumerate(nodes) if node.id}
        for i, node in enumerate(nodes):
            parent = by_id.get(node.parent_run_id or "")
            if parent is not None and parent != i:
                node.parent = parent
                nodes[parent].children.append(i)
        return nodes
    stack: list[tuple[Any, str, int | None]] = [(value, "", None)]
    while stack:
        raw, where, parent = stack.pop()
        node = _Node(raw, where, parent)
        index = len(nodes)
        nodes.append(node)
        if parent is not None:
            nodes[parent].children.append(index)
        children = _get(raw, "child_runs", list, where) or []
        prefix = f"{where}.child_runs" if where else "child_runs"
        stack.extend((child, f"{prefix}[{n}]", index)
                     for n, child in reversed(list(enumerate(children))))
    return nodes


def _roots(nodes: list[_Node]) -> list[int]:
    roots = [i for i, node in enumerate(nodes) if node.parent is None]
    if nodes and not roots:
        raise TraceFormatError(None, "no root run (every run has a parent in the file)")
    return roots


class _Builder:
    """Walks one root's runs in execution order and emits events."""

    def __init__(self, nodes: list[_Node]) -> None:
        self.nodes = nodes
        self.events: list[Any] = []
        self.pending: list[RequestedToolCall] = []
        self.model: str | None = None

    def run(self, root_index: int) -> TraceRun:
        root = self.nodes[root_index]
        question = _question(root.inputs)
        if question is not None:
            self.events.append(InputMessageEvent(seq=0, ts=root.start, content=question))
        self._visit(root)  # a lone llm or tool run is its own root
        self._walk(root_index)
        final_output = _output(root.outputs)
        if root.run_type == "llm" and root.outputs:  # a lone model call: its answer's text
            final_output = _response(root.outputs, root.at("outputs"))[0] or None
        if final_output is not None:
            self.events.append(FinalOutputEvent(seq=0, ts=root.end, span_id=root.id,
                                                output=final_output))
        if root.error:
            self.events.append(_error_event(root))
        for seq, event in enumerate(self.events, start=1):
            event.seq = seq
        status = normalize_status(root.raw.get("status"))
        if status is None:
            status = "error" if root.error else "success"
        return TraceRun(run_id=root.id or root.raw.get("trace_id") or "langsmith-run",
                        status=status, input=question,
                        final_output=final_output, events=self.events,
                        metadata=self._metadata(root))

    def _walk(self, root_index: int) -> None:
        """Visit the descendants depth-first; a chain's error is emitted after its children."""
        seen = {root_index}
        stack: list[tuple[int, bool]] = [(i, False) for i in reversed(self._ordered(root_index))]
        while stack:
            index, done = stack.pop()
            node = self.nodes[index]
            if done:
                if node.error and node.run_type not in ("llm", "tool"):
                    self.events.append(_error_event(node))
                continue
            if index in seen:
                continue
            seen.add(index)
            self._visit(node)
            stack.append((index, True))
            stack.extend((i, False) for i in reversed(self._ordered(index)))

    def _ordered(self, index: int) -> list[int]:
        children = self.nodes[index].children

        def key(i: int) -> tuple[str, float, int]:
            node = self.nodes[i]
            return node.dotted or "", _epoch(node.start), i

        return sorted(children, key=key)

    def _visit(self, node: _Node) -> None:
        if node.run_type == "llm":
            self._llm(node)
        elif node.run_type == "tool":
            self._tool(node)

    def _llm(self, node: _Node) -> None:
        text, calls = _response(node.outputs, node.at("outputs"))
        meta = _extra_metadata(node)
        model = _first_text((node.inputs or {}).get("model"), meta.get("ls_model_name"),
                            (node.outputs or {}).get("model"))
        self.model = self.model or model
        request = (node.inputs or {}).get("messages", node.inputs)
        instructions, messages = read_recorded(chat_messages(request))
        self.events.append(LlmCallEvent(
            seq=0, **node.common(), model=model, request=readable_content(request),
            response=text,
            tool_calls=calls, usage=_usage(node, meta),
            latency_ms=_duration(node.start, node.end),
            error=without_traceback(node.error) or None if node.error else None,
            instructions=instructions, messages=messages, tools_offered=_offered(node),
            output_text=(text or "") if node.outputs else None,
            stop_reason=finish_reason(node.outputs)))
        self.pending = list(calls)

    def _tool(self, node: _Node) -> None:
        name = node.name
        if not name:
            raise _fail(node.where or "top level", 'a tool run without a "name"')
        match = next((c for c in self.pending if c.tool_name == name), None)
        if match is not None:
            self.pending.remove(match)
        call_id = match.call_id if match is not None else None
        self.events.append(ToolCallEvent(seq=0, **node.common(), tool_name=name,
                                         tool_args=node.inputs, call_id=call_id))
        output = _output(node.outputs)
        if node.error:
            output = without_traceback(node.error) or "error" if output is None else output
        self.events.append(ToolResultEvent(seq=0, **node.common(at_end=True), call_id=call_id,
                                           tool_name=name, output=output,
                                           is_error=bool(node.error)))

    def _metadata(self, root: _Node) -> RunMetadata:
        meta = _extra_metadata(root)
        version = next((meta[k] for k in _VERSION_KEYS
                        if isinstance(meta.get(k), (str, int, float))), None)
        extra = {k: v for k, v in meta.items() if k not in _VERSION_KEYS}
        for key in ("trace_id", "session_name", "session_id"):
            if root.raw.get(key) is not None:
                extra[key] = root.raw[key]
        tags = root.raw.get("tags")
        return RunMetadata(model=self.model, agent=root.name,
                           version=str(version) if version is not None else None,
                           tags=[str(t) for t in tags] if isinstance(tags, list) else [],
                           extra=extra, answer_not_recorded=None if root.outputs or root.error
                           else f"{ANSWER_NOT_RECORDED} (the root run has no outputs)")


def _offered(node: _Node) -> list[str] | None:
    """The tools an llm run offered: the request's ``tools``, else LangChain's
    ``extra.invocation_params.tools``; None when neither is recorded."""
    found = recorded_tool_names((node.inputs or {}).get("tools"))
    extra = node.raw.get("extra")
    params = extra.get("invocation_params") if isinstance(extra, dict) else None
    if found is None and isinstance(params, dict):
        found = recorded_tool_names(params.get("tools"))
    return found


def _extra_metadata(node: _Node) -> dict[str, Any]:
    extra = _get(node.raw, "extra", dict, node.where) or {}
    return _get(extra, "metadata", dict, node.at("extra")) or {}


def _question(inputs: dict[str, Any] | None) -> Any:
    """The run's input: the first question-like string, else the inputs (images, audio and
    files named, never their bytes: ``model.content_parts``)."""
    if not inputs:
        return None
    for key in _QUESTION_KEYS:
        if isinstance(inputs.get(key), str):
            return inputs[key]
    return readable_content(inputs)


def _output(outputs: dict[str, Any] | None) -> Any:
    """A run's return value: ``{"output": x}`` wraps a non-dict value; a dict is returned as is."""
    if not outputs:
        return None
    if set(outputs) == {"output"}:
        return outputs["output"]
    return outputs


def _response(outputs: dict[str, Any] | None,
              where: str) -> tuple[str | None, list[RequestedToolCall]]:
    """The text and requested tool calls of an llm run: OpenAI or LangChain output shapes."""
    if not outputs:
        return None, []
    choices = _get(outputs, "choices", list, where)
    if choices:
        choice = choices[0]
        if not isinstance(choice, dict):
            raise _fail(f"{where}.choices[0]", f"expected an object, got {json_kind(choice)}")
        message = _get(choice, "message", dict, f"{where}.choices[0]") or {}
        calls = _get(message, "tool_calls", list, f"{where}.choices[0].message") or []
        return _text(message.get("content")), [
            _requested(c, f"{where}.choices[0].message.tool_calls[{n}]")
            for n, c in enumerate(calls)]
    generations = _get(outputs, "generations", list, where)
    if generations:
        first = generations[0]
        generation = first[0] if isinstance(first, list) and first else first
        if not isinstance(generation, dict):
            return None, []
        message = generation.get("message")
        kwargs = message.get("kwargs") if isinstance(message, dict) else None
        kwargs = kwargs if isinstance(kwargs, dict) else {}
        calls = list_at(kwargs, "tool_calls")
        text = _text(kwargs.get("content")) or _text(generation.get("text"))
        return text, [_requested(c, f"{where}.generations[0].tool_calls[{n}]")
                      for n, c in enumerate(calls)]
    return _text(outputs.get("content", outputs.get("output"))), []


def _requested(call: Any, where: str) -> RequestedToolCall:
    if not isinstance(call, dict):
        raise _fail(where, f"expected an object, got {json_kind(call)}")
    function = _get(call, "function", dict, where) or call
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(where, "a tool call without a name")
    arguments = function.get("arguments", function.get("args"))
    call_id = call.get("id")
    return RequestedToolCall(tool_name=name, tool_args=json_in_text(arguments),
                             call_id=call_id if isinstance(call_id, str) else None)


def _usage(node: _Node, meta: dict[str, Any]) -> Usage | None:
    outputs = node.outputs or {}
    sources = (
        (outputs.get("usage_metadata"), "input_tokens", "output_tokens", "total_tokens"),
        (meta.get("usage_metadata"), "input_tokens", "output_tokens", "total_tokens"),
        (node.raw, "prompt_tokens", "completion_tokens", "total_tokens"),
        (outputs.get("usage"), "prompt_tokens", "completion_tokens", "total_tokens"),
    )
    for raw, key_in, key_out, key_total in sources:
        if not isinstance(raw, dict):
            continue
        values = {name: _count(raw.get(key)) for name, key in (
            ("input_tokens", key_in), ("output_tokens", key_out), ("total_tokens", key_total))}
        if any(v is not None for v in values.values()):
            cost = node.raw.get("total_cost")
            if isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost >= 0:
                return Usage(**values, cost_usd=float(cost))
            return Usage(**values)
    return None


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if value >= 0 and value == int(value) else None


def _error_event(node: _Node) -> ErrorEvent:
    message, kind = exception_parts(node.error or "", repr_first=True)
    return ErrorEvent(seq=0, **node.common(at_end=True), message=message, error_type=kind)


def _first_text(*values: Any) -> str | None:
    return next((v for v in values if isinstance(v, str) and v), None)
