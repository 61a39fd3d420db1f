"""The one registry of catalogue kinds (DESIGN 4).

A kind is registered once, where its evaluator lives: ``@register(key, family, evaluator)``
on its entry model. The registry makes the rest: the tagged union ``Assertion`` (the schema
of case.yaml), its one TypeAdapter (``parse_entry``) and the evaluator ``evaluate`` calls.

Each entry is a one-key mapping plus an optional ``why``::

    - tool_call_count: {tool: lookup_billing, min: 5}
      why: lookup_billing called 5 times with identical args (events 2,4,6,8,10)

Entries are user-written, so they are strict: unknown keys are errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    GetCoreSchemaHandler,
    GetPydanticSchema,
    Tag,
    TypeAdapter,
)
from pydantic_core import CoreSchema

from ._common import Evaluator

FAMILIES = ("run", "tools", "workflow", "budget", "logic")
"""The families in the order of the union (and of the schema's members)."""


class Strict(BaseModel):
    """A user-written model: unknown keys are errors."""

    # A number is a finite number of the field's type: a boolean is not one, and NaN or
    # infinity would make every comparison with it silently false (max_cost_usd: .inf).
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True,
                              allow_inf_nan=False)


class Entry(Strict):
    """One catalogue entry: its catalogue key as its first field, then ``why``."""

    # Built on first use, when every family has registered its kinds: the logic entries
    # (and the adapter below) hold any entry.
    model_config = ConfigDict(defer_build=True)
    key: ClassVar[str]
    family: ClassVar[str]
    if TYPE_CHECKING:  # each entry declares it after its key (the order of its fields)
        why: str | None

    def value(self) -> Any:
        """The entry's one catalogue value."""
        return getattr(self, self.key if self.key != "not" else "not_")

    def to_yaml_dict(self) -> dict[str, Any]:
        """The entry as written in case.yaml: the catalogue key, then ``why``."""
        data = self.model_dump(by_alias=True, exclude_none=True, exclude={"why"},
                               exclude_defaults=False)
        out: dict[str, Any] = {self.key: _compact(data[self.key])}
        if self.why:
            out["why"] = self.why
        return out


def _compact(value: Any) -> Any:
    if isinstance(value, dict):
        ordered = dict(sorted(value.items(), key=lambda kv: kv[0] != "tool"))
        return {k: _compact(v) for k, v in ordered.items()}
    if isinstance(value, list):
        return [v.to_yaml_dict() if isinstance(v, Entry) else _compact(v) for v in value]
    return value


@dataclass(frozen=True)
class Kind:
    """One registered catalogue key: its entry model, family and evaluator."""

    entry: type[Entry]
    family: str
    evaluator: Evaluator


REGISTRY: dict[str, Kind] = {}
"""Every catalogue key, in the order registered."""

E = TypeVar("E", bound=type[Entry])


def register(key: str, family: str, evaluator: Evaluator) -> Callable[[E], E]:
    """Register an entry model as the catalogue kind ``key``, judged by ``evaluator``."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}")

    def add(cls: E) -> E:
        if key in REGISTRY:
            raise ValueError(f"catalogue key {key!r} is registered twice")
        cls.key, cls.family = key, family
        REGISTRY[key] = Kind(cls, family, evaluator)
        return cls

    return add


def _entry_tag(value: Any) -> str | None:
    if isinstance(value, Entry):
        return value.key
    if not isinstance(value, dict):
        return None
    known = [k for k in value if k in REGISTRY]
    return str(known[0]) if known else None


def _union_schema(_source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
    """The tagged union of every registered kind, built when first used (by then every
    family has registered its kinds)."""
    keys = sorted(REGISTRY, key=lambda key: FAMILIES.index(REGISTRY[key].family))
    members = tuple(Annotated[REGISTRY[key].entry, Tag(key)] for key in keys)
    return handler(Annotated[
        Union[members],  # noqa: UP007  (a union of a tuple of types)
        Discriminator(
            _entry_tag,
            custom_error_type="unknown_entry",
            custom_error_message="expected a mapping with one catalogue key (status_is, "
            "tool_call_count, …; see `replaycase schema`) and an optional why",
        ),
    ])


Assertion = Annotated[Entry, GetPydanticSchema(_union_schema)]
"""Any catalogue entry: the tagged union of the registry."""

_ADAPTER: TypeAdapter[Entry] = TypeAdapter(Assertion)  # deferred, as Entry


def parse_entry(value: Any) -> Entry:
    """Validate one catalogue entry (a one-key mapping) into its model."""
    return _ADAPTER.validate_python(value)
