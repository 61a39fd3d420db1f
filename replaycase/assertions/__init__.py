"""The assertion engine (DESIGN 4): judge catalogue entries on a TraceRun.

One registry maps each catalogue key to a small evaluator, one module per family:
``run``, ``tools``, ``workflow``, ``budget``, ``logic``.
"""

from __future__ import annotations

from .evaluator import REGISTRY, all_hold, evaluate, evaluate_all, semantic_outcomes

__all__ = ["REGISTRY", "all_hold", "evaluate", "evaluate_all", "semantic_outcomes"]
