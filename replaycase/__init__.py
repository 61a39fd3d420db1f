"""replaycase: turn a failed agent run into a regression case, and replay candidates on it.

The public API is re-exported here and loaded on first use, so `import replaycase` (and the
command line's start-up) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Assertion": "replaycase.spec",
    "CaseError": "replaycase.errors",
    "CaseSpec": "replaycase.case",
    "Fixtures": "replaycase.runner",
    "InputError": "replaycase.errors",
    "LintReport": "replaycase.lint",
    "Outcome": "replaycase.results",
    "Recorder": "replaycase.runner",
    "ReplayCase": "replaycase.case",
    "ReplayOptions": "replaycase.replay.case_run",
    "ReplayResult": "replaycase.results",
    "ReplaycaseError": "replaycase.errors",
    "ResultsDocument": "replaycase.results",
    "RunnerOutput": "replaycase.model",
    "ScaffoldOptions": "replaycase.scaffold.build",
    "SuiteOptions": "replaycase.replay.suite",
    "TraceEvent": "replaycase.model",
    "TraceFormatError": "replaycase.errors",
    "TraceRun": "replaycase.model",
    "UsageError": "replaycase.errors",
    "diff_runs": "replaycase.diff",
    "evaluate": "replaycase.assertions",
    "lint_case": "replaycase.lint",
    "lint_paths": "replaycase.lint",
    "load_case": "replaycase.case",
    "load_trace": "replaycase.importers",
    "replay_case": "replaycase.replay.case_run",
    "replay_paths": "replaycase.replay.suite",
    "scaffold": "replaycase.scaffold.build",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'replaycase' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
