"""replaycase: turn a failed agent run into a regression case, and replay candidates on it.

The public API is re-exported here and loaded on first use, so `import replaycase` (and the
command line's start-up) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # what a type checker sees (each `X as X`: re-exported); at run time
    # each name is imported on first use, by __getattr__ below
    from ._jsonio import Limits as Limits
    from .assertions import Assertion as Assertion
    from .assertions import Entry as Entry
    from .assertions import evaluate as evaluate
    from .assertions import parse_entry as parse_entry
    from .case import CaseSpec as CaseSpec
    from .case import ReplayCase as ReplayCase
    from .case import load_case as load_case
    from .case.lint import LintReport as LintReport
    from .case.lint import lint_case as lint_case
    from .case.lint import lint_paths as lint_paths
    from .diff import RunDiff as RunDiff
    from .diff import diff_runs as diff_runs
    from .errors import (
        CaseError as CaseError,
    )
    from .errors import (
        InputError as InputError,
    )
    from .errors import (
        ReplaycaseError as ReplaycaseError,
    )
    from .errors import (
        TraceFormatError as TraceFormatError,
    )
    from .errors import (
        UsageError as UsageError,
    )
    from .importers import load_trace as load_trace
    from .model import RunnerOutput as RunnerOutput
    from .model import TraceEvent as TraceEvent
    from .model import TraceRun as TraceRun
    from .recording import RecordedCase as RecordedCase
    from .recording import RecordOptions as RecordOptions
    from .recording import Upstream as Upstream
    from .recording import record_case as record_case
    from .recording import record_cases as record_cases
    from .replay.case_run import ReplayOptions as ReplayOptions
    from .replay.case_run import replay_case as replay_case
    from .replay.suite import SuiteOptions as SuiteOptions
    from .replay.suite import replay_paths as replay_paths
    from .results import (
        Outcome as Outcome,
    )
    from .results import (
        ReplayResult as ReplayResult,
    )
    from .results import (
        ResultsDocument as ResultsDocument,
    )
    from .runner import Fixtures as Fixtures
    from .runner import Recorder as Recorder
    from .scaffolding.build import ScaffoldOptions as ScaffoldOptions
    from .scaffolding.build import ScaffoldReport as ScaffoldReport
    from .scaffolding.build import scaffold as scaffold

_EXPORTS: dict[str, str] = {
    "Assertion": "replaycase.assertions",
    "CaseError": "replaycase.errors",
    "CaseSpec": "replaycase.case",
    "Entry": "replaycase.assertions",
    "Fixtures": "replaycase.runner",
    "InputError": "replaycase.errors",
    "Limits": "replaycase._jsonio",
    "LintReport": "replaycase.case.lint",
    "Outcome": "replaycase.results",
    "RecordOptions": "replaycase.recording",
    "RecordedCase": "replaycase.recording",
    "Recorder": "replaycase.runner",
    "ReplayCase": "replaycase.case",
    "ReplayOptions": "replaycase.replay.case_run",
    "ReplayResult": "replaycase.results",
    "ReplaycaseError": "replaycase.errors",
    "ResultsDocument": "replaycase.results",
    "RunnerOutput": "replaycase.model",
    "RunDiff": "replaycase.diff",
    "ScaffoldOptions": "replaycase.scaffolding.build",
    "ScaffoldReport": "replaycase.scaffolding.build",
    "SuiteOptions": "replaycase.replay.suite",
    "TraceEvent": "replaycase.model",
    "TraceFormatError": "replaycase.errors",
    "TraceRun": "replaycase.model",
    "Upstream": "replaycase.recording",
    "UsageError": "replaycase.errors",
    "diff_runs": "replaycase.diff",
    "evaluate": "replaycase.assertions",
    "lint_case": "replaycase.case.lint",
    "lint_paths": "replaycase.case.lint",
    "load_case": "replaycase.case",
    "load_trace": "replaycase.importers",
    "parse_entry": "replaycase.assertions",
    "record_case": "replaycase.recording",
    "record_cases": "replaycase.recording",
    "replay_case": "replaycase.replay.case_run",
    "replay_paths": "replaycase.replay.suite",
    "scaffold": "replaycase.scaffolding.build",
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
