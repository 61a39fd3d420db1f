"""Replaying a suite of cases: sharded, in parallel, repeated, results in a stable order.

Each run of a case (one of its ``--repeat`` runs) is one unit of work for a pool of ``jobs``
threads; each unit waits on its runner's process, so threads are enough. Results come back
in discovery order whatever order the runs finish in. With ``fail_fast`` no new case starts
once a case has not passed; the runs of a case already started still finish, and the cases
never started are counted in ``summary.not_run``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from ..case import ReplayCase, discover_cases, load_case
from ..errors import ReplaycaseError, UsageError
from ..results import ReplayResult, ResultsDocument, summarize
from .case_run import ReplayOptions, replay_case
from .repeat import combine
from .shard import Shard, select_shard


@dataclass
class SuiteOptions:
    """How to replay a suite: parallelism, expectation, repeats, shard, fail-fast."""

    jobs: int = 1
    expect: Literal["fixed", "reproduced"] = "fixed"
    repeat: int = 1
    min_pass_rate: float | None = None
    fail_fast: bool = False
    shard: Shard | None = None

    def check(self) -> None:
        """UsageError for values that make no sense."""
        if self.jobs < 1:
            raise UsageError("-j must be at least 1")
        if self.repeat < 1:
            raise UsageError("--repeat must be at least 1")
        if self.min_pass_rate is not None and not 0 < self.min_pass_rate <= 1:
            raise UsageError("--min-pass-rate must be above 0 and at most 1 (e.g. 0.8)")


class SuiteListener(Protocol):
    """Told how many cases will run, then of each case's result as it completes."""

    def started(self, total: int) -> None: ...

    def finished(self, result: ReplayResult) -> None: ...


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


def replay_paths(paths: Sequence[str | Path], options: ReplayOptions,
                 suite: SuiteOptions | None = None,
                 listener: SuiteListener | None = None) -> ResultsDocument:
    """Load every case under ``paths``, keep this shard's, replay them: the results document."""
    suite = suite or SuiteOptions()
    suite.check()
    started = time.perf_counter()
    cases = select_shard(load_cases(paths), suite.shard)
    results, not_run = replay_cases(cases, options, suite, listener)
    summary = summarize(results, suite.expect, (time.perf_counter() - started) * 1000,
                        suite.min_pass_rate)
    summary.not_run = len(not_run)
    summary.not_run_ids = [case.id for case in not_run]
    summary.repeat = suite.repeat
    summary.shard = str(suite.shard) if suite.shard else None
    return ResultsDocument(results=results, summary=summary)


def replay_cases(cases: Sequence[ReplayCase], options: ReplayOptions,
                 suite: SuiteOptions | None = None, listener: SuiteListener | None = None,
                 ) -> tuple[list[ReplayResult], list[ReplayCase]]:
    """Replay each case: (results in the order of ``cases``, the cases not run)."""
    suite = suite or SuiteOptions()
    suite.check()
    _check_runner(cases, options)
    run = _SuiteRun(cases, options, suite, listener)
    if listener is not None:
        listener.started(len(cases))
    units = [(i, k) for i in range(len(cases)) for k in range(suite.repeat)]
    if suite.jobs == 1 or len(units) <= 1:
        for i, k in units:
            run.unit(i, k)
    else:
        with ThreadPoolExecutor(max_workers=min(suite.jobs, len(units)),
                                thread_name_prefix="replaycase") as pool:
            futures: list[Future[None]] = [pool.submit(run.unit, i, k) for i, k in units]
        for future in futures:
            future.result()  # re-raise the first error of a unit, if any
    results = [r for r in run.final if r is not None]
    not_run = [case for case, r in zip(cases, run.final, strict=True) if r is None]
    return results, not_run


def _check_runner(cases: Sequence[ReplayCase], options: ReplayOptions) -> None:
    if options.runner_cmd:
        return
    for case in cases:
        if not case.spec.runner.cmd:
            raise ReplaycaseError(f"{case.case_yaml}: no runner command; pass --runner-cmd or "
                                  "set runner.cmd in case.yaml")


class _SuiteRun:
    """The shared state of one suite replay: runs per case, what finished, the stop flag."""

    def __init__(self, cases: Sequence[ReplayCase], options: ReplayOptions,
                 suite: SuiteOptions, listener: SuiteListener | None) -> None:
        self.cases = cases
        self.options = options
        self.suite = suite
        self.listener = listener
        self.runs: list[list[ReplayResult | None]] = [[None] * suite.repeat for _ in cases]
        self.final: list[ReplayResult | None] = [None] * len(cases)
        self._left = [suite.repeat] * len(cases)
        self._started: set[int] = set()
        self._stop = False
        self._lock = threading.Lock()
        self._tell = threading.Lock()

    def unit(self, i: int, k: int) -> None:
        """Run case ``i`` for the ``k``-th time, unless the suite has stopped before it."""
        with self._lock:
            if self._stop and i not in self._started:
                return
            self._started.add(i)
        try:
            result = replay_case(self.cases[i], self.options)
        except BaseException:
            with self._lock:
                self._stop = True
            raise
        with self._lock:
            self.runs[i][k] = result
            self._left[i] -= 1
            done = self._left[i] == 0
        if done:
            self._case_done(i)

    def _case_done(self, i: int) -> None:
        runs = [r for r in self.runs[i] if r is not None]
        result = combine(runs, self.suite.expect)
        self.final[i] = result
        if self.suite.fail_fast and not result.passes(self.suite.expect,
                                                      self.suite.min_pass_rate):
            with self._lock:
                self._stop = True
        if self.listener is not None:
            with self._tell:
                self.listener.finished(result)
