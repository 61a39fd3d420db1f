"""Replaying a suite of cases: sharded, in parallel, repeated, results in a stable order.

Each run of a case (one of its ``--repeat`` runs) is one unit of work for a pool of ``jobs``
threads; each unit waits on its runner's process, so threads are enough. Cases are loaded and
validated one after another while the first ones already run (a suite starts in the time of
one case.yaml, not of all of them); an invalid case, a duplicate id or a missing runner
command still stops the replay with its error, once the runs already started have finished.
Results come back in discovery order whatever order the runs finish in. With ``fail_fast`` no
new case starts once a case has not passed; the runs of a case already started still finish,
and the cases never started are counted in ``summary.not_run``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Protocol

from ..case import ReplayCase, discover_cases, load_case
from ..errors import UsageError
from ..results import ReplayResult, ResultsDocument, summarize
from .case_run import ReplayOptions, replay_case, require_runner_cmd
from .repeat import combine
from .shard import Shard


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
    """Told of each case's result as it completes, and of the number of cases once known.

    ``started`` comes once every case is loaded, which may be after the first results.
    """

    def started(self, total: int) -> None: ...

    def finished(self, result: ReplayResult) -> None: ...


def load_cases(paths: Sequence[str | Path]) -> list[ReplayCase]:
    """Every case under the paths, validated (CaseError otherwise)."""
    return list(_iter_cases(_folders(paths)))


def replay_paths(paths: Sequence[str | Path], options: ReplayOptions,
                 suite: SuiteOptions | None = None,
                 listener: SuiteListener | None = None) -> ResultsDocument:
    """Load every case under ``paths``, keep this shard's, replay them: the results document."""
    suite = suite or SuiteOptions()
    suite.check()
    started = time.perf_counter()
    results, not_run = _replay(_iter_cases(_folders(paths)), options, suite, listener)
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
    """Replay each case of this shard: (results in the order of ``cases``, cases not run)."""
    suite = suite or SuiteOptions()
    suite.check()
    return _replay(cases, options, suite, listener)


def _folders(paths: Sequence[str | Path]) -> list[Path]:
    folders = discover_cases(list(paths))
    if not folders:
        raise UsageError("no case folders (no case.yaml) under "
                         + ", ".join(str(p) for p in paths))
    return folders


def _iter_cases(folders: Iterable[Path]) -> Iterator[ReplayCase]:
    """Load each folder in turn; CaseError for an invalid one, UsageError for a reused id."""
    seen: dict[str, Path] = {}
    for folder in folders:
        case = load_case(folder)
        if case.id in seen:
            raise UsageError(f"case id {case.id!r} is used by both {seen[case.id]} and "
                             f"{case.path}")
        seen[case.id] = case.path
        yield case


def _check_runner(case: ReplayCase, options: ReplayOptions) -> None:
    require_runner_cmd(options)  # never the case's own runner.cmd


def _replay(cases: Iterable[ReplayCase], options: ReplayOptions, suite: SuiteOptions,
            listener: SuiteListener | None) -> tuple[list[ReplayResult], list[ReplayCase]]:
    """Feed the pool as the cases load; wait for every run; results in the order of cases."""
    run = _SuiteRun(options, suite, listener)
    # Twice as many threads as runner slots: while a runner runs, another thread judges the
    # case before and writes its evidence, so the runner slots never wait on replaycase.
    # --fail-fast needs each verdict before the next case starts, and -j 1 promises one case
    # after the other in order: no overlap then.
    overlap = suite.jobs > 1 and not suite.fail_fast
    threads = suite.jobs * 2 if overlap else suite.jobs
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="replaycase") as pool:
        try:
            for case in cases:
                if suite.shard is None or suite.shard.holds(case.id):
                    _check_runner(case, options)
                    run.add(case, pool)
        except BaseException:
            run.halt()  # start nothing more; the runs under way finish as the pool closes
            raise
        run.loaded()
    for future in run.futures:
        future.result()  # re-raise the first error of a run, if any
    results = [r for r in run.final if r is not None]
    not_run = [case for case, r in zip(run.cases, run.final, strict=True) if r is None]
    return results, not_run


class _NotStarted(Exception):
    """A run that the suite stopped (--fail-fast) before it got a runner slot."""


class _SuiteRun:
    """The shared state of one suite replay: runs per case, what finished, the stop flag."""

    def __init__(self, options: ReplayOptions, suite: SuiteOptions,
                 listener: SuiteListener | None) -> None:
        self.options = options
        self.suite = suite
        self.listener = listener
        self.cases: list[ReplayCase] = []
        self.runs: list[list[ReplayResult | None]] = []
        self.final: list[ReplayResult | None] = []
        self.futures: list[Future[None]] = []
        self._left: list[int] = []
        self._started: set[int] = set()
        self._stop = False
        self._lock = threading.Lock()
        self._tell = threading.Lock()
        self._slots = threading.BoundedSemaphore(suite.jobs)

    def add(self, case: ReplayCase, pool: ThreadPoolExecutor) -> None:
        """Queue every run of one more case."""
        with self._lock:
            i = len(self.cases)
            self.cases.append(case)
            self.runs.append([None] * self.suite.repeat)
            self.final.append(None)
            self._left.append(self.suite.repeat)
        self.futures += [pool.submit(self.unit, i, k) for k in range(self.suite.repeat)]

    def loaded(self) -> None:
        """Every case is queued: tell the listener how many."""
        if self.listener is not None:
            with self._tell:
                self.listener.started(len(self.cases))

    def halt(self) -> None:
        with self._lock:
            self._stop = True

    @contextmanager
    def _slot(self, i: int) -> Iterator[None]:
        """A runner slot for case ``i``; _NotStarted when the suite stopped before it."""
        with self._slots:
            with self._lock:
                if self._stop and i not in self._started:
                    raise _NotStarted
                self._started.add(i)
            yield

    def unit(self, i: int, k: int) -> None:
        """Run case ``i`` for the ``k``-th time, unless the suite has stopped before it."""
        with self._lock:
            if self._stop and i not in self._started:
                return
            case = self.cases[i]
        options = replace(self.options, process_gate=lambda: self._slot(i))
        try:
            result = replay_case(case, options)
        except _NotStarted:
            return
        except BaseException:
            self.halt()
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
            self.halt()
        if self.listener is not None:
            with self._tell:
                self.listener.finished(result)
