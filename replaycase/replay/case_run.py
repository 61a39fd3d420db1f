"""Replaying one case: run the candidate, read its output, judge it, keep the evidence."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..assertions import all_hold, evaluate_all, semantic_outcomes
from ..case import ReplayCase
from ..errors import ReplaycaseError, UsageError
from ..importers import load_trace
from ..jsonio import DEFAULT_LIMITS, Limits
from ..model import TraceRun
from ..results import Outcome, ReplayResult, RunnerInfo
from ..scaffold.redact import Redactor
from .evidence import redact_evidence, write_evidence
from .process import ProcessResult, run_process, stderr_tail

OUTPUT_FILE = "runner-output.json"
ENV_PREFIXES = ("REPLAYCASE_", "REPLAYKIT_")


@dataclass
class ReplayOptions:
    """How to replay: the candidate command and its limits."""

    runner_cmd: str | None = None
    timeout_s: float | None = None
    evidence_root: Path = field(default_factory=lambda: Path(".replaycase") / "runs")
    max_output_bytes: int = 10 * 1024 * 1024
    kill_grace_s: float = 2.0
    env_allow: list[str] | None = None
    cwd: Path | None = None
    limits: Limits = DEFAULT_LIMITS
    redact: bool = True
    redact_patterns: list[str] = field(default_factory=list)
    process_gate: Callable[[], AbstractContextManager[object]] = nullcontext
    """Held while the runner process lives: a suite uses it to bound parallel runners, so
    judging one case overlaps with running the next."""


def runner_env(case: ReplayCase, run_dir: Path, base: dict[str, str],
               allow: list[str] | None = None) -> dict[str, str]:
    """The runner's environment: the caller's (or only the allowed names) plus the contract."""
    env = dict(base) if allow is None else {k: base[k] for k in allow if k in base}
    if allow is not None:
        env.setdefault("PATH", base.get("PATH", os.defpath))
    values = {
        "CASE_PATH": case.case_yaml,
        "CASE_DIR": case.path,
        "FIXTURES_DIR": case.fixtures_dir,
        "INPUT_PATH": case.input_path,
        "SOURCE_TRACE_PATH": case.source_trace_path,
        "OUTPUT_PATH": run_dir / OUTPUT_FILE,
        "RUN_DIR": run_dir,
    }
    for name, value in values.items():
        for prefix in ENV_PREFIXES:
            env[prefix + name] = str(Path(value).resolve())
    env["REPLAYCASE_CASE_ID"] = case.id
    return env


def new_run_dir(root: Path, case_id: str) -> Path:
    """A fresh evidence folder: <root>/<UTC time>-<case id>[-n]."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    root.mkdir(parents=True, exist_ok=True)
    candidate, n = root / f"{stamp}-{case_id}", 2
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            candidate, n = root / f"{stamp}-{case_id}-{n}", n + 1


NO_RUNNER_CMD = "no runner command: pass --runner-cmd or set runner_cmd in [tool.replaycase]"


def require_runner_cmd(options: ReplayOptions) -> str:
    """The runner command of the options; UsageError without one. A case folder never gives
    one: runner.cmd in case.yaml is ignored (DESIGN 7)."""
    if not options.runner_cmd:
        raise UsageError(NO_RUNNER_CMD)
    return options.runner_cmd


def replay_case(case: ReplayCase, options: ReplayOptions) -> ReplayResult:
    """Run the candidate against one case and judge what it wrote."""
    cmd = require_runner_cmd(options)
    timeout = options.timeout_s or case.spec.runner.timeout_s
    with options.process_gate():
        run_dir = new_run_dir(options.evidence_root, case.id)
        started = time.perf_counter()
        process = run_process(
            cmd, env=runner_env(case, run_dir, dict(os.environ), options.env_allow),
            cwd=options.cwd or Path.cwd(), timeout_s=timeout,
            stdout_path=run_dir / "stdout.log", stderr_path=run_dir / "stderr.log",
            max_output_bytes=options.max_output_bytes, kill_grace_s=options.kill_grace_s)
    runner = RunnerInfo(cmd=cmd, exit_code=process.exit_code,
                        duration_ms=round(process.duration_ms, 1), timed_out=process.timed_out,
                        stdout_truncated=process.stdout_truncated,
                        stderr_truncated=process.stderr_truncated,
                        stderr_tail=stderr_tail(run_dir / "stderr.log"))
    candidate, reason = _read_output(process, run_dir / OUTPUT_FILE, timeout, options.limits)
    result = judge(case, candidate, runner, reason)
    result.evidence_dir = run_dir.as_posix()
    result.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    if options.redact:
        result, candidate_text = redact_evidence(run_dir, result, candidate,
                                                 Redactor(options.redact_patterns))
    else:
        candidate_text = candidate.to_json() if candidate is not None else None
    write_evidence(run_dir, result, candidate_text)
    return result


def _read_output(process: ProcessResult, output: Path, timeout: float,
                 limits: Limits) -> tuple[TraceRun | None, str | None]:
    if process.spawn_error:
        return None, f"could not start the runner: {process.spawn_error}"
    if process.timed_out:
        return None, f"timed out after {timeout:g}s (process group killed)"
    if process.killed_reason:
        return None, process.killed_reason
    if not output.exists():
        if process.exit_code not in (0, None):
            return None, f"exited with code {process.exit_code} without writing an output"
        return None, "wrote no output to $REPLAYCASE_OUTPUT_PATH"
    if output.stat().st_size > limits.max_output_mb * 1024 * 1024:
        return None, (f"output file is over the {limits.max_output_mb:g} MB limit")
    try:
        runs = load_trace(output, "auto", limits)
    except ReplaycaseError as exc:
        return None, f"invalid output: {getattr(exc, 'problem', exc)}"
    return runs[0], None


def judge(case: ReplayCase, candidate: TraceRun | None, runner: RunnerInfo,
          reason: str | None = None) -> ReplayResult:
    """The verdict on a candidate run (or a runner error when there is none)."""
    spec = case.spec
    semantic = semantic_outcomes(spec.semantic)
    base = {"case_id": spec.id, "case_path": case.path.as_posix(), "title": spec.title,
            "tags": list(spec.tags), "semantic": semantic, "runner": runner}
    if candidate is None:
        runner.reason = reason or "the runner produced no run"
        return ReplayResult(verdict="runner_error", **base)
    if candidate.source is not None:
        runner.output_format = candidate.source.format
    signatures: list[Outcome] = evaluate_all(spec.observed_failure, candidate)
    assertions: list[Outcome] = evaluate_all(spec.desired, candidate)
    reproduced = all_hold(signatures)
    if reproduced:
        verdict = "reproduced"
    elif all_hold(assertions):
        verdict = "fixed"
    else:
        verdict = "failing"
    return ReplayResult(verdict=verdict, reproduced=reproduced, signatures=signatures,
                        assertions=assertions, **base)
