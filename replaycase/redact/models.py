"""Redacting whole models (a TraceRun, a ReplayResult) through their JSON text.

The built-in detectors scan a model's whole JSON text. User patterns (``--redact-pattern``,
``redact_patterns``) match anything a user can type, ``err`` or ``.`` too, so they are applied
to the model's free text only: never to a mapping's keys, nor to a field that is structure
(a Literal, enum, number or bool, or one marked ``model.Name``: ids, names, statuses, event
types, verdicts), which replaycase reads back and relies on.
"""

from __future__ import annotations

import dataclasses
import enum
import types
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ..model import STRUCTURE, TraceRun
from .redactor import Redactor

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def redact_model(model: M, redactor: Redactor) -> M:
    """The model with every secret replaced, read back from its redacted JSON text, then with
    the user patterns applied to its free text.

    Redacting the serialized text is one pass over one string, and the model is rebuilt only
    when something was found. Should a replacement ever break the JSON, the model is redacted
    value by value instead.
    """
    text = model.model_dump_json(by_alias=True)
    redacted = redactor.redact_text(text, patterns=False)
    if redacted != text:
        model = _validated(type(model), model, redacted, redactor)
    return free_text_patterns(model, redactor)


def redact_run(run: TraceRun, redactor: Redactor) -> tuple[TraceRun, str]:
    """The run with every secret replaced, and its native JSON text (``TraceRun.to_json``).

    The text written to the case folder is the text that was scanned: one serialization
    serves both, and the run is rebuilt only when something was found.
    """
    text = run.to_json()
    redacted = redactor.redact_text(text, patterns=False)
    clean = run if redacted == text else _validated(TraceRun, run, redacted, redactor)
    clean = free_text_patterns(clean, redactor)
    return (run, text) if clean is run else (clean, clean.to_json())


def _validated(cls: type[M], model: M, redacted: str, redactor: Redactor) -> M:
    try:
        return cls.model_validate_json(redacted)
    except ValidationError:
        dump = model.model_dump(mode="json", by_alias=True)
        return cls.model_validate(redactor.redact(dump, patterns=False))


def free_text_patterns(value: T, redactor: Redactor) -> T:
    """``value`` (a model, a pydantic dataclass, JSON-like data) with the user patterns
    applied to its free text only; ``value`` itself when nothing changed."""
    if not redactor.has_patterns:
        return value
    redacted: T = _free(value, redactor.redact_patterns)  # of value's type, as _free keeps it
    return redacted


def _free(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (list, tuple)):
        items = [_free(item, redact) for item in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        changed = {key: _free(item, redact) for key, item in value.items()}
        return value if all(changed[k] is v for k, v in value.items()) else changed
    fields = _fields_of(type(value))
    if fields is None:
        return value
    updates = {}
    for name, info in fields.items():
        if _is_structure(info):
            continue
        item = getattr(value, name)
        new = _free(item, redact)
        if new is not item:
            updates[name] = new
    if not updates:
        return value
    if isinstance(value, BaseModel):
        return value.model_copy(update=updates)
    return dataclasses.replace(value, **updates)


def _fields_of(cls: type) -> dict[str, FieldInfo] | None:
    """The fields of a pydantic model or dataclass; None for anything else."""
    if issubclass(cls, BaseModel):
        return cls.model_fields
    fields = getattr(cls, "__pydantic_fields__", None)
    return fields if isinstance(fields, dict) else None


def _is_structure(info: FieldInfo) -> bool:
    annotation: Any = info.annotation
    return STRUCTURE in info.metadata or _structural(annotation)


@lru_cache(maxsize=256)
def _structural(annotation: Any) -> bool:
    """A Literal, enum, number or bool type, or one marked ``model.Name`` (or an optional,
    union or list of such): never free text."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *metadata = get_args(annotation)
        return STRUCTURE in metadata or _structural(base)
    if origin is Literal:
        return True
    if origin in (list, tuple, set, frozenset):
        return all(_structural(arg) for arg in get_args(annotation) if arg is not Ellipsis)
    if origin in (Union, types.UnionType):
        kinds = [arg for arg in get_args(annotation) if arg is not type(None)]
        return bool(kinds) and all(_structural(arg) for arg in kinds)
    return isinstance(annotation, type) and issubclass(annotation, (bool, int, float, enum.Enum))
