"""Replaying one case: run the candidate, read its output, judge it, keep the evidence."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

from .._jsonio import DEFAULT_LIMITS, Limits, check_file, decode, loads
from .._safe_files import Folder, read_regular
from ..assertions import all_hold, evaluate_all, semantic_outcomes
from ..case import ReplayCase
from ..errors import CaseError, FileAccessError, InputError, ReplaycaseError, UsageError
from ..importers import load_trace
from ..model import TraceRun
from ..redact import Redactor
from ..results import Outcome, ReplayResult, RunnerInfo, Verdict
from ..results.evidence_names import MODEL_LOG, RUNNER_OUTPUT, STDERR_LOG, STDOUT_LOG
from ._capture import tail_text
from .evidence import LOG_OVERHANG, RunFolder
from .fixture_misses import fixture_divergence
from .freezing import freeze_env, freeze_faults, offline_note, offline_refusals
from .grading import Grader, grade
from .process import ProcessResult, run_process
from .tape_serving import Serve, TapeSession, case_tape, serving
from .wire_run import model_log_entries, run_from_wire

ENV_PREFIXES = ("REPLAYCASE_", "REPLAYKIT_")
MAX_ENV_INPUT = 100 * 1024
"""The largest input (UTF-8 bytes) also given in ``REPLAYCASE_INPUT``."""
_MB = 1024 * 1024


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
    model_tape: bool = True
    """Serve the case's model tape (when it has one) from a loopback model server."""
    freeze_tools: bool = False
    """Answer the runner's tool calls from the case's fixtures (docs/freeze-tools.md)."""
    offline: bool = False
    """Refuse the runner's connections to anything but loopback."""
    tools: dict[str, str] = field(default_factory=dict)
    """With ``freeze_tools``: plain functions to freeze, tool name -> ``module:function``."""
    grader: Grader | None = None
    """Grade each ``semantic`` check with this command (``--grader-cmd``; replay/grading.py)."""
    process_gate: Callable[[], AbstractContextManager[object]] = nullcontext
    """Held while the runner process lives: a suite uses it to bound parallel runners, so
    judging one case overlaps with running the next."""


def case_input(case: ReplayCase, limits: Limits = DEFAULT_LIMITS) -> Any:
    """The case input: the ``input`` of fixtures/input.json, None when the case has none.
    A link, special file or malformed JSON there is a CaseError naming the file."""
    value = _fixture(case.input_path, limits)
    return value.get("input") if isinstance(value, dict) else value  # {run_id, input}


def case_input_text(case: ReplayCase, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """The case input as every runner gets it, on stdin and in ``REPLAYCASE_INPUT`` (DESIGN 8):
    a string as it is, anything else as JSON; None when the case has none."""
    return input_text_of(case_input(case, limits))


def input_text_of(value: Any) -> str | None:
    """A case input as text: a string as it is, anything else as JSON."""
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def recorded_tool_errors(case: ReplayCase, limits: Limits = DEFAULT_LIMITS) -> frozenset[str]:
    """The tool-result texts fixtures/tool_calls.json holds as errors: on the wire a tool
    result with one of them is an error (Chat Completions and Responses have no error flag).
    A link, special file or malformed JSON there is a CaseError naming the file."""
    value = _fixture(case.fixtures_dir / "tool_calls.json", limits)
    calls = value if isinstance(value, list) else []
    return frozenset(c["output"] for c in calls if isinstance(c, dict)
                     and c.get("is_error") is True and isinstance(c.get("output"), str))


def _fixture(path: Path, limits: Limits) -> Any:
    """A fixture's JSON value (None when the file is not there); CaseError naming the file
    for a link, special file or malformed JSON."""
    if not os.path.lexists(path):
        return None
    try:
        check_file(path, limits)
        return loads(decode(read_regular(path, limits.max_file_bytes, follow=False), path),
                     path, limits)
    except InputError as exc:
        raise CaseError(path, exc.problem) from None


def runner_env(case: ReplayCase, run_dir: Path, base: dict[str, str],
               allow: list[str] | None = None, input_text: str | None = None) -> dict[str, str]:
    """The runner's environment: the caller's (or only the allowed names) plus the contract.
    ``REPLAYCASE_INPUT`` holds the input unless it is too big for one variable (the system
    refuses a variable over 128 KiB: such an input is on stdin and in the input file only)."""
    env = dict(base) if allow is None else {k: base[k] for k in allow if k in base}
    if allow is not None:
        env.setdefault("PATH", base.get("PATH", os.defpath))
    values = {
        "CASE_PATH": case.case_yaml,
        "CASE_DIR": case.path,
        "FIXTURES_DIR": case.fixtures_dir,
        "INPUT_PATH": case.input_path,
        "SOURCE_TRACE_PATH": case.source_trace_path,
        "OUTPUT_PATH": run_dir / RUNNER_OUTPUT,
        "RUN_DIR": run_dir,
    }
    for name, value in values.items():
        for prefix in ENV_PREFIXES:
            env[prefix + name] = str(Path(value).resolve())
    env["REPLAYCASE_CASE_ID"] = case.id
    env.pop("REPLAYCASE_INPUT", None)  # never the caller's: this case's or none
    if input_text is not None and len(input_text.encode("utf-8", "surrogatepass")) < MAX_ENV_INPUT \
            and "\0" not in input_text:
        env["REPLAYCASE_INPUT"] = input_text
    return env


def new_run_dir(root: Path, case_id: str) -> Folder:
    """A fresh evidence folder, <root>/<UTC time>-<case id>[-n], held open from its creation;
    FileAccessError when it cannot be made."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileAccessError(root, f"cannot create the evidence folder: {exc.strerror or exc}") \
            from None
    candidate, n = root / f"{stamp}-{case_id}", 2
    while True:
        try:
            candidate.mkdir()
            return _held(candidate)
        except FileExistsError:
            candidate, n = root / f"{stamp}-{case_id}-{n}", n + 1
        except OSError as exc:
            raise FileAccessError(candidate, f"cannot create: {exc.strerror or exc}") from None


def _held(path: Path) -> Folder:
    """The folder just made, held open: FileAccessError if it was replaced before it was opened
    (by a runner of another case)."""
    folder = Folder(path)
    held, now = os.fstat(folder.fd), os.lstat(path)
    if (held.st_dev, held.st_ino) != (now.st_dev, now.st_ino):
        folder.close()
        raise FileAccessError(path, "was replaced while it was being created")
    return folder


NO_RUNNER_CMD = "no runner command: pass --runner-cmd or set runner_cmd in [tool.replaycase]"


def require_runner_cmd(options: ReplayOptions) -> str:
    """The runner command of the options; UsageError without one. A case folder never gives
    one: runner.cmd in case.yaml is ignored (DESIGN 7)."""
    if not options.runner_cmd:
        raise UsageError(NO_RUNNER_CMD)
    return options.runner_cmd


def replay_case(case: ReplayCase, options: ReplayOptions,
                serve: Serve = serving) -> ReplayResult:
    """Run the candidate against one case and judge what it wrote (``serve``: what answers
    its model calls; ``record`` puts the upstream behind the tape).

    Whatever the runner does to its run folder, this returns the case's result: a runner
    fault is its ``runner_error``, evidence that could not be written its ``evidence_error``.
    """
    cmd = require_runner_cmd(options)
    timeout = options.timeout_s or case.spec.runner.timeout_s
    case_value = case_input(case, options.limits)
    input_text = input_text_of(case_value)
    tape = case_tape(case, options.limits) if options.model_tape else None
    errors = recorded_tool_errors(case, options.limits) if tape is not None else frozenset()
    redactor = Redactor(options.redact_patterns) if options.redact else None
    with options.process_gate():
        try:
            folder = new_run_dir(options.evidence_root, case.id)
        except InputError as exc:
            return _without_evidence(case, cmd, exc)
        started = time.perf_counter()
        try:
            with serve(case, tape, folder.path) as session:
                env = runner_env(case, folder.path, dict(os.environ), options.env_allow,
                                 input_text)
                env.update(session.env if session is not None else {})
                freeze_env(env, options.freeze_tools, options.offline, options.tools)
                process = run_process(
                    cmd, env=env, cwd=options.cwd or Path.cwd(), timeout_s=timeout,
                    stdout_path=folder.path / STDOUT_LOG, stderr_path=folder.path / STDERR_LOG,
                    max_output_bytes=options.max_output_bytes,
                    kill_grace_s=options.kill_grace_s, overhang_bytes=LOG_OVERHANG,
                    dir_fd=folder.fd, stdin_text=input_text or "")
        except BaseException:  # an interrupt too: close the evidence folder, re-raise
            folder.close()
            raise
    with RunFolder(folder, redactor) as run:
        return _judge_run(case, options, run, process, started, session, errors, case_value)


def _judge_run(case: ReplayCase, options: ReplayOptions, run: RunFolder,
               process: ProcessResult, started: float,
               session: TapeSession | None = None,
               recorded_errors: frozenset[str] = frozenset(),
               case_value: Any = None) -> ReplayResult:
    """Read what the runner left in its folder, judge it and keep the evidence. A candidate
    that left the tape, or asked the fixtures for a tool call they do not hold, is
    ``diverged``, whatever else it did (DESIGN 8); one judged from the wire has a tool result
    the recording holds as an error flagged an error. ``case_value``: the case input, for a
    grader."""
    cap = options.max_output_bytes
    wire = ""
    if session is not None:
        wire = run.read_log(MODEL_LOG, int(options.limits.max_output_file_mb * _MB), False)
    stdout = run.read_log(STDOUT_LOG, cap, process.stdout_truncated)
    stderr = run.read_log(STDERR_LOG, cap, process.stderr_truncated)
    output, refused = run.read_output(int(options.limits.max_output_file_mb * _MB))
    runner = RunnerInfo(cmd=options.runner_cmd,
                        exit_code=process.exit_code,
                        duration_ms=round(process.duration_ms, 1), timed_out=process.timed_out,
                        stdout_truncated=process.stdout_truncated,
                        stderr_truncated=process.stderr_truncated,
                        stderr_tail=tail_text(stderr, redact=run.redact))
    timeout = options.timeout_s or case.spec.runner.timeout_s
    gone = run.gone()
    candidate, reason = _read_output(process, output, refused, timeout, options.limits, gone)
    ran_to_its_end = not (process.spawn_error or process.timed_out or process.killed_reason
                          or gone)
    if output is None and refused is None and ran_to_its_end and session is not None \
            and session.answered:
        # An unmodified agent writes no output: judge the run the model server saw.
        candidate = run_from_wire(
            model_log_entries(wire.encode().splitlines(keepends=True), run.folder.path /
                              MODEL_LOG, options.limits),
            case_id=case.id, stdout=stdout, exit_code=process.exit_code,
            stderr_tail=runner.stderr_tail, recorded_errors=recorded_errors)
        reason = None if candidate is not None else reason
    run.faults.extend(freeze_faults(run, options.freeze_tools, options.offline))
    result = judge(case, candidate, runner, offline_note(reason, offline_refusals(run)))
    # A tool call off the fixtures comes first: the model turn after it is off the tape too.
    point = fixture_divergence(run, options.limits) or (
        session.divergence_point() if session is not None else None)
    if point is not None:
        result = result.model_copy(update={"verdict": "diverged", "reproduced": False,
                                           "divergence": point})
    if options.grader is not None and candidate is not None and result.semantic \
            and result.verdict in ("fixed", "failing"):
        result.semantic = grade(options.grader, case, result.semantic,
                                case_value, candidate, run)
        if result.verdict == "fixed" and not all_hold(result.semantic):
            result.verdict = "failing"  # a graded check counts like a desired assertion
    result.model_tape = "off" if not options.model_tape else (
        "served" if session is not None else "none")
    result.evidence_dir = run.folder.path.as_posix()
    result.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return run.keep(result, candidate)


def _without_evidence(case: ReplayCase, cmd: str, error: InputError) -> ReplayResult:
    """The result of a case whose evidence folder could not be made (its runner not run)."""
    result = judge(case, None, RunnerInfo(cmd=cmd), f"not run: {error}")
    result.evidence_error = str(error)
    return result


def _read_output(process: ProcessResult, output: bytes | None, refused: str | None,
                 timeout: float, limits: Limits,
                 gone: str | None = None) -> tuple[TraceRun | None, str | None]:
    if process.spawn_error:
        return None, f"could not start the runner: {process.spawn_error}"
    if process.timed_out:
        return None, f"timed out after {timeout:g}s (process group killed)"
    if process.killed_reason:
        return None, process.killed_reason
    if gone is not None:
        return None, gone
    if refused is not None:
        return None, f"$REPLAYCASE_OUTPUT_PATH: {refused}"
    if output is None:
        if process.exit_code not in (0, None):
            return None, f"exited with code {process.exit_code} without writing an output"
        return None, "wrote no output to $REPLAYCASE_OUTPUT_PATH"
    try:
        return _parse_output(output, limits), None
    except ReplaycaseError as exc:
        return None, f"invalid output: {getattr(exc, 'problem', exc)}"
    except OSError as exc:
        return None, f"cannot judge its output: {exc.strerror or exc}"


def _parse_output(data: bytes, limits: Limits) -> TraceRun:
    """The first run in the output's bytes, as read from the run folder: parsed from a
    private copy, so no file the runner can still change or link is read again."""
    with tempfile.TemporaryDirectory(prefix="replaycase-output-") as private:
        copy = Path(private) / RUNNER_OUTPUT
        copy.write_bytes(data)
        return load_trace(copy, "auto", limits)[0]


def judge(case: ReplayCase, candidate: TraceRun | None, runner: RunnerInfo,
          reason: str | None = None) -> ReplayResult:
    """The verdict on a candidate run (or a runner error when there is none)."""
    spec = case.spec
    semantic = semantic_outcomes(spec.semantic)
    result = partial(ReplayResult, case_id=spec.id, case_path=case.path.as_posix(),
                     title=spec.title, tags=list(spec.tags), semantic=semantic, runner=runner)
    if candidate is None:
        runner.reason = reason or "the runner produced no run"
        return result(verdict="runner_error")
    if candidate.source is not None:
        runner.output_format = candidate.source.format
    signatures: list[Outcome] = evaluate_all(spec.observed_failure, candidate)
    assertions: list[Outcome] = evaluate_all(spec.desired, candidate)
    reproduced = all_hold(signatures)
    verdict: Verdict
    if reproduced:
        verdict = "reproduced"
    elif all_hold(assertions):
        verdict = "fixed"
    else:
        verdict = "failing"
    return result(verdict=verdict, reproduced=reproduced, signatures=signatures,
                  assertions=assertions)
