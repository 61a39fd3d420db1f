"""Errors read from traces carry the error's message and type, never a traceback glued to it
(issue 18): ``model/error_text.py`` on real tracebacks, and every importer whose format can
hold one (LangSmith / LangChain, OTLP, MLflow, Inspect AI, Langfuse) on real files."""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import pytest

from replaycase.importers import load_trace
from replaycase.model import TraceRun
from replaycase.model.error_text import exception_parts, without_traceback
from replaycase.scaffolding.build import scaffold

TRACES = Path(__file__).parent / "data" / "traces"
MAX_TURNS = TRACES / "langsmith" / "sdk" / "max-turns.multipart"


def _raised(error: BaseException, cause: BaseException | None = None) -> str:
    """The traceback Python prints for ``error``, raised for real."""
    try:
        try:
            raise cause or error
        except BaseException:
            if cause is None:
                raise
            raise error from cause
    except BaseException as caught:
        return "".join(traceback.format_exception(caught))


def _langchain(error: BaseException) -> str:
    """What langchain-core's tracer writes (``_get_stacktrace``): repr, then the traceback."""
    return (repr(error) + _raised(error)).strip()


class MaxTurns(Exception):
    pass


GROUP = """  + Exception Group Traceback (most recent call last):
  |   File "agent.py", line 9, in run
  |     async with anyio.create_task_group() as tg:
  | ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)
  +-+---------------- 1 ----------------
    | Traceback (most recent call last):
    |   File "tools.py", line 4, in lookup
    |     raise ValueError("bad id")
    | ValueError: bad id
    +------------------------------------
"""  # what Python 3.11 prints for an exception group (Inspect AI's sample tracebacks)
LANGCHAIN = [_langchain(MaxTurns("Max turns (4) exceeded"))]


@pytest.mark.parametrize(("text", "parts"), [
    (_langchain(RuntimeError("max turns exceeded")), ("max turns exceeded", "RuntimeError")),
    (LANGCHAIN[0], ("Max turns (4) exceeded", "MaxTurns")),
    ("TimeoutError('billing-api down')\n\nTraceback (most recent call last):\n  File \"a.py\"",
     ("billing-api down", "TimeoutError")),
    (_raised(KeyError("C-1")), ("'C-1'", "KeyError")),
    (_raised(RuntimeError("max turns exceeded"), ZeroDivisionError("x")),
     ("max turns exceeded", "RuntimeError")),  # the last of a chain
    (GROUP, ("bad id", "ValueError")),
    ("ValueError: bad id", ("ValueError: bad id", "ValueError")),  # a format's own wording
    ("kb-service unavailable (503)", ("kb-service unavailable (503)", None)),
    ("Note: nothing found", ("Note: nothing found", None)),
    ("", ("error", None)),
])
def test_an_error_text_gives_its_message_and_type(text: str,
                                                   parts: tuple[str, str | None]) -> None:
    message, kind = exception_parts(text, repr_first=text in LANGCHAIN)
    assert (message, kind) == parts
    assert "Traceback" not in message


def test_any_class_name_is_a_type_when_the_text_begins_with_its_repr() -> None:
    assert exception_parts("LimitReached('5 turns')", repr_first=True) == ("5 turns",
                                                                            "LimitReached")
    assert exception_parts("LimitReached('5 turns')") == ("LimitReached('5 turns')", None)
    assert without_traceback("boom\nTraceback (most recent call last):\n  x") == "boom"


def test_a_langchain_run_that_gives_up_has_the_message_and_type() -> None:
    """The real LangChain agent of gen_max_turns.py, as its LangSmith tracer sent it."""
    assert b"RuntimeError('max turns exceeded')Traceback (most recent call" in \
        MAX_TURNS.read_bytes()
    [run] = load_trace(MAX_TURNS)
    [error] = run.errors()
    assert (error.message, error.error_type) == ("max turns exceeded", "RuntimeError")
    assert run.status == "error" and len(run.llm_calls()) == 3


def test_its_signature_is_the_message(tmp_path: Path) -> None:
    [report] = scaffold(MAX_TURNS, tmp_path / "max-turns")
    observed = {next(iter(e)): e for e in report.observed}
    assert observed["error_matches"]["error_matches"] == "max turns exceeded"
    assert observed["error_matches"]["why"] == "error 'max turns exceeded' (event 11)"
    assert "('max turns exceeded')" in observed["llm_call_count"]["why"]  # the limit, read
    assert {"not": {"error_matches": "max turns exceeded"}} in report.desired
    assert "Traceback" not in (tmp_path / "max-turns" / "case.yaml").read_text()


@pytest.mark.parametrize("path", sorted((TRACES / "langsmith").glob("*.json")),
                         ids=lambda p: p.name)
def test_no_langsmith_error_keeps_its_traceback(path: Path) -> None:
    for run in load_trace(path):
        for error in run.errors():
            assert "Traceback" not in error.message and "Error('" not in error.message
            assert error.error_type
        for text in run.error_messages():
            assert "Traceback" not in text


def _rewrite(tmp_path: Path, source: Path, edit: Any) -> list[TraceRun]:
    data = json.loads(source.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / source.name
    path.write_text(json.dumps(data), encoding="utf-8")
    return load_trace(path)


def _otlp_exceptions(data: Any) -> list[dict[str, Any]]:
    found = []
    for resource in data["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                found += [e for e in span.get("events", []) if e["name"] == "exception"]
    return found


@pytest.mark.parametrize("keep_message", [True, False])
def test_otlp_an_exception_message_holding_its_stack_trace(tmp_path: Path,
                                                           keep_message: bool) -> None:
    """Some exporters put the whole stack trace in ``exception.message``, some record only
    ``exception.stacktrace``: either way the message is the exception's."""
    source = TRACES / "otlp-genai" / "tool-loop.json"
    [before] = load_trace(source)

    def edit(data: Any) -> None:
        for event in _otlp_exceptions(data):
            attrs = {a["key"]: a for a in event["attributes"]}
            stack = attrs["exception.stacktrace"]["value"]["stringValue"]
            if keep_message:
                attrs["exception.message"]["value"]["stringValue"] += "\n\n" + stack
            else:
                event["attributes"] = [a for a in event["attributes"]
                                       if a["key"] != "exception.message"]

    [after] = _rewrite(tmp_path, source, edit)
    assert [(e.message, e.error_type) for e in after.errors()] == [
        (e.message, e.error_type) for e in before.errors()]
    assert [c.output for c in after.tool_calls()] == [c.output for c in before.tool_calls()]


def test_mlflow_an_exception_message_holding_its_stack_trace(tmp_path: Path) -> None:
    source = TRACES / "mlflow" / "agent-unhandled-tool-error.trace.json"
    [before] = load_trace(source)

    def edit(data: Any) -> None:
        for span in data["data"]["spans"]:
            for event in span.get("events", []):
                attrs = event.get("attributes", {})
                if "exception.stacktrace" in attrs:
                    attrs["exception.message"] = attrs["exception.stacktrace"]

    [after] = _rewrite(tmp_path, source, edit)
    assert before.errors() and [e.message for e in after.errors()] == [
        e.message for e in before.errors()]
    assert all("Traceback" not in m for m in after.error_messages())


def test_inspect_a_sample_error_with_only_its_traceback(tmp_path: Path) -> None:
    source = next((TRACES / "inspect-ai").glob("2026-12-02*.json"))
    runs = {r.run_id: r for r in load_trace(source)}

    def edit(data: Any) -> None:
        for sample in data["samples"]:
            if sample.get("error"):
                sample["error"]["message"] = ""  # an exception group's traceback is left

    after = {r.run_id: r for r in _rewrite(tmp_path, source, edit)}
    [error] = runs["lookup-crash"].errors()
    assert (error.message, error.error_type) == ("billing-api connection pool exhausted",
                                                 "RuntimeError")
    [again] = after["lookup-crash"].errors()
    assert (again.message, again.error_type) == (error.message, error.error_type)


def test_langfuse_a_status_message_as_langchain_writes_it(tmp_path: Path) -> None:
    source = TRACES / "langfuse" / "langgraph-python-2025-08-22.trace.json"

    def edit(data: Any) -> None:
        root = next(o for o in data["observations"] if o["name"] == "LangGraph")
        root.update(level="ERROR",
                    statusMessage=_langchain(RuntimeError("Recursion limit of 25 reached")))

    [run] = _rewrite(tmp_path, source, edit)
    [error] = run.errors()
    assert (error.message, error.error_type) == ("Recursion limit of 25 reached",
                                                 "RuntimeError")
