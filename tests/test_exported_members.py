"""The public API is pinned: adding or removing a name is a deliberate change."""

from __future__ import annotations

import replaycase

EXPECTED = [
    "Assertion", "CaseError", "CaseSpec", "Fixtures", "InputError", "LintReport", "Outcome",
    "Recorder", "ReplayCase", "ReplayOptions", "ReplayResult", "ReplaycaseError",
    "ResultsDocument", "RunnerOutput", "ScaffoldOptions", "SuiteOptions", "TraceEvent",
    "TraceFormatError", "TraceRun", "UsageError", "__version__", "diff_runs", "evaluate",
    "lint_case", "lint_paths", "load_case", "load_trace", "replay_case", "replay_paths",
    "scaffold",
]


def test_all_is_pinned_and_sorted() -> None:
    assert replaycase.__all__ == sorted(EXPECTED)


def test_every_exported_name_resolves() -> None:
    for name in replaycase.__all__:
        assert getattr(replaycase, name) is not None, name


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        replaycase.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
