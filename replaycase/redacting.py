"""Redacting whole models (a TraceRun, a ReplayResult) through their JSON text."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .model import TraceRun
from .scaffold.redact import Redactor

M = TypeVar("M", bound=BaseModel)


def redact_model(model: M, redactor: Redactor) -> M:
    """The model with every secret replaced, read back from its redacted JSON text.

    Redacting the serialized text is one pass over one string, and the model is rebuilt only
    when something was found. Should a replacement ever break the JSON, the model is redacted
    value by value instead.
    """
    text = model.model_dump_json(by_alias=True)
    redacted = redactor.redact_text(text)
    if redacted == text:
        return model
    cls = type(model)
    try:
        return cls.model_validate_json(redacted)
    except ValidationError:
        return cls.model_validate(redactor.redact(model.model_dump(mode="json", by_alias=True)))


def redact_run(run: TraceRun, redactor: Redactor) -> tuple[TraceRun, str]:
    """The run with every secret replaced, and its native JSON text (``TraceRun.to_json``).

    The text written to the case folder is the text that was scanned: one serialization
    serves both, and the run is rebuilt only when something was found.
    """
    text = run.to_json()
    return rebuild_run(run, text, redactor.redact_text(text), redactor)


def rebuild_run(run: TraceRun, text: str, redacted: str,
                redactor: Redactor) -> tuple[TraceRun, str]:
    """``redact_run`` once ``redactor`` has turned ``run``'s text into ``redacted``."""
    if redacted == text:
        return run, text
    try:
        clean = TraceRun.model_validate_json(redacted)
    except ValidationError:
        clean = TraceRun.model_validate(
            redactor.redact(run.model_dump(mode="json", by_alias=True)))
    return clean, clean.to_json()
