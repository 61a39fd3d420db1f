"""Model prices the user gives, and the cost of a run.

A run's cost is taken from the trace where a model call carries one (``usage.cost_usd``);
any other call is priced from the table in ``[tool.replaycase.prices]`` of pyproject.toml
(read and validated with the rest of the configuration by ``replaycase.project.config``):

    [tool.replaycase.prices]
    "gpt-4o-mini" = { input_per_million = 0.15, output_per_million = 0.60 }   # USD

No vendor price list is built in. A call that carries no cost and whose model has no price
(or that recorded no tokens) makes the run's cost unknown (None), never zero.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..model import CustomEvent, TraceRun, Usage

_DATE_SUFFIX = re.compile(r"-(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8})\Z")

CostSource = Literal["trace", "prices", "trace+prices", "unknown"]


class ModelPrice(BaseModel):
    """What one model costs, in US dollars per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input_per_million: float = Field(ge=0, description="USD per million input tokens.")
    output_per_million: float = Field(ge=0, description="USD per million output tokens.")

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_million
                + output_tokens * self.output_per_million) / 1_000_000


class PriceTable(BaseModel):
    """Prices by model name, as the user wrote them."""

    model_config = ConfigDict(extra="forbid")

    models: dict[str, ModelPrice] = Field(default_factory=dict)
    file: str | None = Field(default=None, description="Where the table was read from.")

    @classmethod
    def from_mapping(cls, prices: dict[str, Any], file: Path | None = None) -> PriceTable:
        """A table from ``{model: {input_per_million, output_per_million}}``."""
        return cls(models={name: ModelPrice.model_validate(value)
                           for name, value in prices.items()},
                   file=file.as_posix() if file else None)

    def price_for(self, model: str | None) -> ModelPrice | None:
        """The price of ``model``: by exact name, else without a date suffix
        (``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini``)."""
        if not model:
            return None
        if model in self.models:
            return self.models[model]
        return self.models.get(_DATE_SUFFIX.sub("", model))


def load_prices(start: Path | None = None) -> PriceTable:
    """The price table of the project's configuration (the nearest pyproject.toml with a
    ``[tool.replaycase]`` table, from ``start`` upward); empty when there is none."""
    from ..project.config import load_config

    config = load_config(start)
    return PriceTable.from_mapping(config.prices, config.file)


class RunCost(BaseModel):
    """A run's cost and where it came from."""

    cost_usd: float | None = Field(description="None when unknown.")
    source: CostSource
    missing_prices: list[str] = Field(default_factory=list,
                                      description="Models that needed a price and had none.")
    note: str | None = None


def recorded_usage(run: TraceRun) -> Usage | None:
    """The run-level usage a compact runner output records (a ``usage`` custom event)."""
    for event in run.events:
        if isinstance(event, CustomEvent) and event.name == "usage" and isinstance(
                event.data, dict):
            try:
                return Usage.model_validate(event.data)
            except ValidationError:
                return None
    return None


def run_cost(run: TraceRun, prices: PriceTable | None = None) -> RunCost:
    """The run's cost: recorded costs where the trace has them, else priced by model."""
    prices = prices or PriceTable()
    calls: list[tuple[str | None, Usage | None]] = [
        (call.model or run.metadata.model, call.usage) for call in run.llm_calls()]
    if not calls:
        usage = recorded_usage(run)
        if usage is None:
            return RunCost(cost_usd=None, source="unknown",
                           note="the run recorded no model calls or usage")
        calls = [(run.metadata.model, usage)]
    total, recorded, priced = 0.0, False, False
    missing: list[str] = []
    unknown_reason: str | None = None
    for model, usage in calls:
        if usage is not None and usage.cost_usd is not None:
            total += usage.cost_usd
            recorded = True
            continue
        if usage is None or (usage.input_tokens is None and usage.output_tokens is None):
            unknown_reason = "a model call recorded neither cost nor tokens"
            continue
        price = prices.price_for(model)
        if price is None:
            name = model or "(unnamed model)"
            if name not in missing:
                missing.append(name)
            continue
        total += price.cost(usage.input_tokens or 0, usage.output_tokens or 0)
        priced = True
    if missing or unknown_reason:
        note = unknown_reason or ("no price for " + ", ".join(missing)
                                  + " in [tool.replaycase.prices]")
        return RunCost(cost_usd=None, source="unknown", missing_prices=missing, note=note)
    source: CostSource = ("trace+prices" if recorded and priced
                          else "trace" if recorded else "prices")
    return RunCost(cost_usd=round(total, 10), source=source)

