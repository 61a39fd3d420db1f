"""Tool errors as traces record them: the text a framework shows the model for a failed tool,
and the exception (type name, message) a recorded error text stands for.

A chat transcript has no error flag for a tool result, but the frameworks' own renderings of a
tool failure are unmistakable: ``framework_error_text`` recognizes them (LangGraph's
``ToolNode``, PydanticAI's retry prompt, LlamaIndex's ``call_tool``, the OpenAI Agents SDK's
default). ``error_parts`` reads the exception back out of a recorded error, so that a frozen tool
(``--freeze-tools``) raises what the tool raised in production and the framework renders the
same text again.
"""

from __future__ import annotations

import ast
import builtins
import re
from typing import Any

_PYDANTIC_AI_RETRY = re.compile(r"(?s)(.*)\n\nFix the errors and try again\.")
"""PydanticAI's ``RetryPromptPart.model_response()`` (a tool's ``ModelRetry``)."""
_LANGGRAPH = re.compile(r"(?s)Error: (.*)\n Please fix your mistakes\.")
"""LangGraph's ``ToolNode`` with ``handle_tool_errors=True``: ``repr`` of the exception."""
_LLAMA_INDEX = re.compile(r"(?s)Encountered error: (.*)")
"""LlamaIndex's ``call_tool``: ``str`` of the exception."""
_AGENTS_SDK = "An error occurred while running the tool. Please try again."
"""The OpenAI Agents SDK's ``default_tool_error_function`` (it hides the exception)."""

_NAME = r"[A-Za-z_][\w.]*"
_REPR = re.compile(rf"(?s)({_NAME})\((.*)\)")
_TYPED = re.compile(rf"(?s)(?:Error: )?({_NAME}): (.*)")
_ERROR_WORDS = ("Error", "Exception", "Exceeded", "Timeout", "Failure", "Failed", "Exit",
                "Interrupt", "Retry")


def framework_error_text(text: Any) -> bool:
    """Whether ``text`` is how a known framework shows the model a tool that failed."""
    if not isinstance(text, str):
        return False
    return (text == _AGENTS_SDK or _PYDANTIC_AI_RETRY.fullmatch(text) is not None
            or _LANGGRAPH.fullmatch(text) is not None or text.startswith("Encountered error: "))


def exception_name(name: str) -> str | None:
    """The class name of a dotted exception name, when it names an exception."""
    short = name.rsplit(".", 1)[-1]
    if short.endswith(_ERROR_WORDS):
        return short
    known = getattr(builtins, short, None)
    return short if isinstance(known, type) and issubclass(known, BaseException) else None


def from_repr(text: str, any_name: bool = False) -> tuple[str, str] | None:
    """``TimeoutError('msg')`` -> ("msg", "TimeoutError"); ``any_name``: the text is known to
    be an exception's ``repr``, so the class name need not look like one."""
    match = _REPR.fullmatch(text)
    name = None
    if match is not None:
        name = match.group(1).rsplit(".", 1)[-1] if any_name else exception_name(match.group(1))
    if match is None or name is None:
        return None
    inner = match.group(2)
    if not inner:
        return "", name
    try:
        value = ast.literal_eval(inner)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return (value, name) if isinstance(value, str) else None


def error_parts(output: Any) -> tuple[str, str | None]:
    """The message and exception type name a recorded tool error stands for.

    A framework's rendering is undone (PydanticAI's retry prompt is a ``ModelRetry`` with the
    prompt's text), then ``Type('message')`` and ``[Error: ]Type: message`` are read; any other
    text is the message itself, with no type.
    """
    text = output if isinstance(output, str) else str(output)
    if (match := _PYDANTIC_AI_RETRY.fullmatch(text)) is not None:
        return match.group(1), "ModelRetry"
    if (match := _LANGGRAPH.fullmatch(text) or _LLAMA_INDEX.fullmatch(text)) is not None:
        text = match.group(1)
    if (parts := from_repr(text)) is not None:
        return parts
    match = _TYPED.fullmatch(text)
    if match is not None and (name := exception_name(match.group(1))) is not None:
        return match.group(2), name
    return text, None
