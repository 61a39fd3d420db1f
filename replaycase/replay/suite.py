"""Replaying a suite of cases: sharded, in parallel, repeated, results in a stable order.

Each run of a case (one of its ``--repeat`` runs) is one unit of work for a pool of ``jobs``
threads; each unit waits on its runner's process, so threads are enough. Cases are loaded and
validated one after another while the first ones already run (a suite starts in the time of
one case.yaml, not of all of them). A case folder that cannot be loaded is set aside with its
error (``summary.invalid_cases``) and the others run; a duplicate id still stops the replay
with its error, ending the runs already started; no runner command stops it before any.
A run that fails inside replaycase is that case's ``runner_error``, never the suite's end.
Results come back in discovery order whatever order the runs finish in. With ``fail_fast`` no
new case starts once a case has not passed; the runs of a case already started still finish,
and the cases never started are counted in ``summary.not_run``. Setting the ``stop`` event
(the command line does on SIGINT and SIGTERM) starts no new run, ends every runner, and
returns what finished before, marked ``incomplete``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Protocol

from ..case import ReplayCase, discover_cases, load_case
from ..errors import InputError, ReplaycaseError, UsageError
from ..results import InvalidCase, ReplayResult, ResultsDocument, RunnerInfo, summarize
from ._runners import RUNNER_OWNER, reopen_runners, terminate_runners
from .case_run import (
    ReplayOptions,
    case_input_text,
    judge,
    recorded_tool_errors,
    replay_case,
    require_runner_cmd,
)
from .repeat import combine
from .shard import Shard
from .tape_serving import case_tape


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

    def started(self, total: int, case_ids: Sequence[str] = ()) -> None: ...

    def finished(self, result: ReplayResult) -> None: ...


_TICK_S = 0.1  # how often the waiting main thread looks at the stop event
_FINISH_S = 5.0  # how long runs killed by a stop may take to finish judging
_REST_S = 1.0  # how long a stopped replay goes on loading cases, to name the ones not run


def load_cases(paths: Sequence[str | Path]) -> list[ReplayCase]:
    """Every case under the paths, validated (CaseError otherwise)."""
    return list(_Loader(_folders(paths), strict=True))


def replay_paths(paths: Sequence[str | Path], options: ReplayOptions,
                 suite: SuiteOptions | None = None,
                 listener: SuiteListener | None = None,
                 stop: threading.Event | None = None) -> ResultsDocument:
    """Load every case under ``paths``, keep this shard's, replay them: the results document.

    Setting ``stop`` (from any thread) ends the replay early: see the module docstring.
    """
    suite = suite or SuiteOptions()
    suite.check()
    stop = stop or threading.Event()
    started = time.perf_counter()
    loader = _Loader(_folders(paths))
    results, not_run = _replay(loader, options, suite, listener, stop)
    if stop.is_set():
        not_run += [case for case in loader.rest(_REST_S)
                    if suite.shard is None or suite.shard.holds(case.id)]
    summary = summarize(results, suite.expect, (time.perf_counter() - started) * 1000,
                        suite.min_pass_rate)
    summary.not_run = len(not_run)
    summary.not_run_ids = [case.id for case in not_run]
    summary.invalid_cases = loader.invalid
    summary.invalid = len(loader.invalid)
    summary.incomplete = stop.is_set()
    summary.interrupted = "stopped" if stop.is_set() else None
    summary.repeat = suite.repeat
    summary.shard = str(suite.shard) if suite.shard else None
    return ResultsDocument(results=results, summary=summary)


def replay_cases(cases: Sequence[ReplayCase], options: ReplayOptions,
                 suite: SuiteOptions | None = None, listener: SuiteListener | None = None,
                 stop: threading.Event | None = None,
                 ) -> tuple[list[ReplayResult], list[ReplayCase]]:
    """Replay each case of this shard: (results in the order of ``cases``, cases not run)."""
    suite = suite or SuiteOptions()
    suite.check()
    return _replay(cases, options, suite, listener, stop or threading.Event())


def internal_error_result(case: ReplayCase, options: ReplayOptions,
                          exc: Exception) -> ReplayResult:
    """The ``runner_error`` of a run that failed inside replaycase (the suite goes on).

    A ReplaycaseError is a known problem and gives its own message; anything else is named
    an internal error, with its type.
    """
    detail = " ".join(str(exc).split())
    if isinstance(exc, ReplaycaseError):
        reason = detail or type(exc).__name__
    else:
        reason = f"internal error while replaying: {type(exc).__name__}" + (
            f": {detail}" if detail else "")
    return judge(case, None, RunnerInfo(cmd=options.runner_cmd), reason)


def _folders(paths: Sequence[str | Path]) -> list[Path]:
    folders = discover_cases(list(paths))
    if not folders:
        raise UsageError("no case folders (no case.yaml) under "
                         + ", ".join(str(p) for p in paths))
    return folders


class _Loader:
    """The cases of the folders, loaded in turn as iterated.

    A folder that cannot be loaded is set aside in ``invalid`` (``strict``: its error is
    raised); a reused id is a UsageError.
    """

    def __init__(self, folders: Sequence[Path], *, strict: bool = False) -> None:
        self._folders = list(folders)
        self._next = 0
        self._seen: dict[str, Path] = {}
        self._strict = strict
        self.invalid: list[InvalidCase] = []

    def __iter__(self) -> Iterator[ReplayCase]:
        while self._next < len(self._folders):
            folder = self._folders[self._next]
            self._next += 1
            case = self._load(folder)
            if case is not None:
                yield case

    def rest(self, budget_s: float) -> list[ReplayCase]:
        """The cases not loaded yet, as many as load within ``budget_s``."""
        deadline = time.monotonic() + budget_s
        cases: list[ReplayCase] = []
        try:
            for case in self:
                cases.append(case)
                if time.monotonic() >= deadline:
                    break
        except UsageError:
            pass  # a reused id: the replay was stopped anyway
        return cases

    def _load(self, folder: Path) -> ReplayCase | None:
        try:
            case = load_case(folder)
            case_input_text(case)  # a malformed input or tape makes the case invalid,
            if case_tape(case) is not None:  # like a malformed case.yaml; so do the
                recorded_tool_errors(case)  # tool fixtures a run on the wire is read with
        except (InputError, OSError, RecursionError) as exc:
            if self._strict:
                raise
            self.invalid.append(InvalidCase(path=folder.as_posix(),
                                            error=load_error(folder, exc)))
            return None
        if case.id in self._seen:
            raise UsageError(f"case id {case.id!r} is used by both {self._seen[case.id]} and "
                             f"{case.path}")
        self._seen[case.id] = case.path
        return case


def load_error(folder: Path, exc: Exception) -> str:
    """Why a case folder cannot be loaded, in one line naming the case."""
    if isinstance(exc, InputError):
        return str(exc)
    if isinstance(exc, RecursionError):
        return f"{folder}: nested too deeply"
    assert isinstance(exc, OSError)
    return f"{folder}: cannot read: {exc.strerror or exc}"


def _replay(cases: Iterable[ReplayCase], options: ReplayOptions, suite: SuiteOptions,
            listener: SuiteListener | None, stop: threading.Event,
            ) -> tuple[list[ReplayResult], list[ReplayCase]]:
    """Feed the pool as the cases load; wait for every run; results in the order of cases."""
    require_runner_cmd(options)  # before any case starts; never a case's own runner.cmd
    run = _SuiteRun(options, suite, listener)
    # Twice as many threads as runner slots: while a runner runs, another thread judges the
    # case before and writes its evidence, so the runner slots never wait on replaycase.
    # --fail-fast needs each verdict before the next case starts, and -j 1 promises one case
    # after the other in order: no overlap then.
    overlap = suite.jobs > 1 and not suite.fail_fast
    threads = suite.jobs * 2 if overlap else suite.jobs
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="replaycase")
    failed = False
    try:
        for case in cases:
            if suite.shard is None or suite.shard.holds(case.id):
                run.add(case, pool)
            if stop.is_set():
                break
        run.loaded()
        _wait(run.futures, stop)
    except BaseException:
        failed = True  # a reused id, a KeyboardInterrupt in a host: end the runs under way
        raise
    finally:
        _close(pool, run, stop.is_set() or failed, options.kill_grace_s)
    results = [r for r in run.final if r is not None]
    not_run = [case for case, r in zip(run.cases, run.final, strict=True) if r is None]
    return results, not_run


def _wait(futures: list[Future[None]], stop: threading.Event) -> None:
    """Until every run is done or the replay is stopped; re-raise the error of a run."""
    pending = set(futures)
    while pending and not stop.is_set():
        _, pending = wait(pending, timeout=_TICK_S)
    if not pending:
        for future in futures:
            future.result()


def _close(pool: ThreadPoolExecutor, run: _SuiteRun, stopping: bool, grace_s: float) -> None:
    """Let the runs under way finish; when stopping, end this suite's runners first."""
    if not stopping:
        pool.shutdown(wait=True)
        return
    run.halt()
    run.interrupt.set()  # runs killed now are not the candidate's verdicts
    pool.shutdown(wait=False, cancel_futures=True)
    terminate_runners(grace_s, owner=run)
    _, pending = wait(run.futures, timeout=_FINISH_S)
    if not pending:
        reopen_runners(owner=run)


class _NotStarted(Exception):
    """A run that the suite stopped (--fail-fast, a stop) before it got a runner slot."""


class _SuiteRun:
    """The shared state of one suite replay: runs per case, what finished, the stop flag."""

    def __init__(self, options: ReplayOptions, suite: SuiteOptions,
                 listener: SuiteListener | None) -> None:
        self.options = options
        self.suite = suite
        self.listener = listener
        self.interrupt = threading.Event()
        """Set when the suite ends its runners: nothing starts, what ends is not a verdict."""
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
                self.listener.started(len(self.cases), [case.id for case in self.cases])

    def halt(self) -> None:
        with self._lock:
            self._stop = True

    @contextmanager
    def _slot(self, i: int) -> Iterator[None]:
        """A runner slot for case ``i``; _NotStarted when the suite stopped before it."""
        with self._slots:
            with self._lock:
                if self.interrupt.is_set() or (self._stop and i not in self._started):
                    raise _NotStarted
                self._started.add(i)
            yield

    def unit(self, i: int, k: int) -> None:
        """Run case ``i`` for the ``k``-th time, unless the suite has stopped before it."""
        with self._lock:
            if self.interrupt.is_set() or (self._stop and i not in self._started):
                return
            case = self.cases[i]
        options = replace(self.options, process_gate=lambda: self._slot(i))
        owner = RUNNER_OWNER.set(self)  # this suite's runners: the ones its stop ends
        try:
            result = replay_case(case, options)
        except _NotStarted:
            return
        except Exception as exc:  # a fault of this run only: the suite goes on
            result = internal_error_result(case, self.options, exc)
        except BaseException:  # an interrupt: stop the other runs, re-raise
            self.halt()
            raise
        finally:
            RUNNER_OWNER.reset(owner)
        if self.interrupt.is_set():
            return  # stopped while it ran: not the candidate's verdict, the case is not run
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
