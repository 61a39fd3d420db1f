"""Replaying every case under some paths, in parallel, results in a stable order."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..case import ReplayCase, discover_cases, load_case
from ..errors import UsageError
from ..results import ReplayResult, ResultsDocument, summarize
from .case_run import ReplayOptions, replay_case


def load_cases(paths: Sequence[str | Path]) -> list[ReplayCase]:
    """Every case under the paths, validated before anything runs (CaseError otherwise)."""
    folders = discover_cases(list(paths))
    if not folders:
        raise UsageError("no case folders (no case.yaml) under "
                         + ", ".join(str(p) for p in paths))
    cases = [load_case(folder) for folder in folders]
    seen: dict[str, Path] = {}
    for case in cases:
        if case.id in seen:
            raise UsageError(f"case id {case.id!r} is used by both {seen[case.id]} and "
                             f"{case.path}")
        seen[case.id] = case.path
    return cases


def replay_cases(cases: Sequence[ReplayCase], options: ReplayOptions, jobs: int = 1,
                 on_result: Callable[[ReplayResult], None] | None = None) -> list[ReplayResult]:
    """Replay each case (``jobs`` at a time); results in the order of ``cases``."""
    if jobs < 1:
        raise UsageError("-j must be at least 1")
    if jobs == 1 or len(cases) <= 1:
        results = []
        for case in cases:
            result = replay_case(case, options)
            if on_result:
                on_result(result)
            results.append(result)
        return results
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(replay_case, case, options) for case in cases]
        results = []
        for future in futures:
            result = future.result()
            if on_result:
                on_result(result)
            results.append(result)
        return results


def replay_paths(paths: Sequence[str | Path], options: ReplayOptions, jobs: int = 1,
                 expect: str = "fixed",
                 on_result: Callable[[ReplayResult], None] | None = None) -> ResultsDocument:
    """Load and replay every case under ``paths``; the results document."""
    started = time.perf_counter()
    cases = load_cases(paths)
    results = replay_cases(cases, options, jobs, on_result)
    duration = (time.perf_counter() - started) * 1000
    return ResultsDocument(results=results, summary=summarize(results, expect, duration))
