"""A Langfuse trace and its observations, checked: the tRPC export's JSON strings decoded,
the observations in execution order with their parents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..._jsonio import json_in_text, json_kind
from .._common import duration_ms, epoch_s, fail, get_typed, iso_ts

_DECODE_ROUNDS = 3
"""The UI export writes ``input`` / ``output`` as JSON text of JSON text: decode a few times."""


def decoded(value: Any, text: bool = False) -> Any:
    """A JSON value the export wrote as JSON text (perhaps twice), decoded; else as it is.
    ``text``: the value is JSON text whatever it holds (the UI export), else only a string
    that starts like an object, a list or a string is read."""
    for round_ in range(_DECODE_ROUNDS):
        if not isinstance(value, str) or (
                value[:1] not in ('"', "{", "[") and not (text and round_ == 0)):
            break
        parsed = json_in_text(value)
        if parsed is value:
            break
        value = parsed
    return value


def _id(raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise fail(f"{where}.{key}", f"expected a string, got {json_kind(value)}")


def metadata_of(raw: dict[str, Any]) -> dict[str, Any]:
    """``metadata``: a JSON value (public API), or its JSON text (UI export); a value that is
    not an object is kept under ``"value"``."""
    value = decoded(raw.get("metadata"))
    if value is None or isinstance(value, dict):
        return value or {}
    return {"value": value}


def attributes_of(meta: dict[str, Any]) -> dict[str, Any]:
    """The OTel span attributes Langfuse keeps in ``metadata.attributes``."""
    attrs = meta.get("attributes")
    return attrs if isinstance(attrs, dict) else {}


@dataclass
class Observation:
    """One observation: a GENERATION, SPAN, EVENT, TOOL, AGENT, CHAIN, …"""

    raw: dict[str, Any]
    where: str
    order: int
    id: str
    type: str
    name: str
    parent: str | None
    start: str | None
    end: str | None
    level: str
    status_message: str | None
    input: Any
    output: Any
    attrs: dict[str, Any]
    children: list[Observation] = field(default_factory=list)

    @classmethod
    def read(cls, raw: Any, where: str, order: int, text: bool = False) -> Observation:
        if not isinstance(raw, dict):
            raise fail(where, f"expected an object, got {json_kind(raw)}")
        kind = get_typed(raw, "type", str, where)
        if not kind:
            raise fail(where, 'an observation without a "type"')
        level = get_typed(raw, "level", str, where) or "DEFAULT"
        return cls(raw=raw, where=where, order=order,
                   id=_id(raw, "id", where) or f"observation-{order + 1}",
                   type=kind.upper(), name=get_typed(raw, "name", str, where) or "",
                   parent=_id(raw, "parentObservationId", where),
                   start=iso_ts(get_typed(raw, "startTime", str, where)),
                   end=iso_ts(get_typed(raw, "endTime", str, where)),
                   level=level.upper(),
                   status_message=get_typed(raw, "statusMessage", str, where) or None,
                   input=decoded(raw.get("input"), text),
                   output=decoded(raw.get("output"), text),
                   attrs=attributes_of(metadata_of(raw)))

    @property
    def failed(self) -> bool:
        """The observation says it failed: level ERROR."""
        return self.level == "ERROR"

    def common(self, at_end: bool = False) -> dict[str, Any]:
        """The event fields every event of this observation shares."""
        return {"ts": (self.end or self.start) if at_end else self.start,
                "duration_ms": None if at_end else duration_ms(self.start, self.end),
                "span_id": self.id, "parent_id": self.parent}


def observations(raw: Any, where: str, text: bool = False) -> list[Observation]:
    """The observations in execution order (start time, then file order), children linked."""
    if not isinstance(raw, list):
        raise fail(where, f"expected a list, got {json_kind(raw)}")
    found = [Observation.read(item, f"{where}[{n}]", n, text) for n, item in enumerate(raw)]
    found.sort(key=lambda o: (epoch_s(o.start) if o.start else float("inf"), o.order))
    by_id = {o.id: o for o in found}
    for obs in found:
        parent = by_id.get(obs.parent or "")
        if parent is not None and parent is not obs:
            parent.children.append(obs)
    return found


def ancestors(obs: Observation, by_id: dict[str, Observation]) -> list[Observation]:
    """The observation's parents, nearest first (a cycle ends the walk)."""
    out: list[Observation] = []
    seen = {obs.id}
    current = by_id.get(obs.parent or "")
    while current is not None and current.id not in seen:
        out.append(current)
        seen.add(current.id)
        current = by_id.get(current.parent or "")
    return out
