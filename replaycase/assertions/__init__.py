"""The assertion engine (DESIGN 4): judge catalogue entries on a TraceRun.

Each catalogue kind is registered once, beside its evaluator, in the module of its family:
``run``, ``tools``, ``workflow``, ``budget``, ``logic``. Importing them here registers
every kind before any entry is parsed.
"""

from __future__ import annotations

from . import budget, logic, run, tools, workflow  # noqa: F401  (each registers its kinds)
from ._registry import REGISTRY, Assertion, Entry, parse_entry
from .evaluator import all_hold, evaluate, evaluate_all, semantic_outcomes

__all__ = ["REGISTRY", "Assertion", "Entry", "all_hold", "evaluate", "evaluate_all",
           "parse_entry", "semantic_outcomes"]
