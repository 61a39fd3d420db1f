"""Graded semantic checks: ``replay --grader-cmd CMD`` hands each ``semantic`` check of a case
to the user's grader (a script, or an LLM judge of their own).

The grader is a subprocess under the runner's rules (``run_process``: its own process group,
killed whole on timeout or an output flood, logs capped, in the run folder). It reads one JSON
object on stdin::

    {"schema": "replaycase.grader/v1", "check": {"check": "...", "why": "..."},
     "case": {"id", "title", "path"}, "input": ..., "final_output": ..., "run": {TraceRun}}

and prints one JSON object on stdout: ``{"passed": true|false, "reason": "..."}``. The check is
then ``passed`` or ``failed`` with the reason; a grader that crashes, hangs or prints anything
else makes that one check ``error`` with what went wrong, never the replay.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..assertions.catalogue import SEMANTIC_PLACEHOLDER
from ..case import ReplayCase
from ..model import TraceRun
from ..results import Outcome
from .evidence import RunFolder
from .process import ProcessResult, run_process

GRADER_SCHEMA = "replaycase.grader/v1"
_MAX_GRADER_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Grader:
    """The grader command and its limits."""

    cmd: str
    timeout_s: float = 60.0
    cwd: Path | None = None
    kill_grace_s: float = 2.0


def grader_input(case: ReplayCase, check: dict[str, Any], case_input: Any,
                 candidate: TraceRun) -> str:
    """The JSON object a grader reads on stdin."""
    return json.dumps({
        "schema": GRADER_SCHEMA, "check": check,
        "case": {"id": case.id, "title": case.spec.title, "path": case.path.as_posix()},
        "input": case_input, "final_output": candidate.final_output,
        "run": json.loads(candidate.to_json()),
    }, ensure_ascii=False, default=str)


def grade(grader: Grader, case: ReplayCase, outcomes: list[Outcome], case_input: Any,
          candidate: TraceRun, run: RunFolder) -> list[Outcome]:
    """Each semantic outcome graded by ``grader`` (its logs ``grader-N.stdout.log`` and
    ``grader-N.stderr.log`` in the run folder); scaffold's placeholder check is not graded."""
    return [_grade_one(grader, case, number, outcome, case_input, candidate, run)
            if outcome.entry.get("check") != SEMANTIC_PLACEHOLDER else outcome
            for number, outcome in enumerate(outcomes, start=1)]


def _grade_one(grader: Grader, case: ReplayCase, number: int, outcome: Outcome,
               case_input: Any, candidate: TraceRun, run: RunFolder) -> Outcome:
    out, err = f"grader-{number}.stdout.log", f"grader-{number}.stderr.log"
    env = {**os.environ, "REPLAYCASE_CASE_ID": case.id, "REPLAYCASE_GRADER_CHECK": str(number)}
    process = run_process(
        grader.cmd, env=env, cwd=grader.cwd or Path.cwd(), timeout_s=grader.timeout_s,
        stdout_path=run.folder.path / out, stderr_path=run.folder.path / err,
        max_output_bytes=_MAX_GRADER_BYTES, kill_grace_s=grader.kill_grace_s,
        dir_fd=run.folder.fd, stdin_text=grader_input(case, outcome.entry, case_input, candidate))
    stdout = run.read_log(out, _MAX_GRADER_BYTES, process.stdout_truncated)
    stderr = run.read_log(err, _MAX_GRADER_BYTES, process.stderr_truncated)
    passed, reason = _verdict(process, stdout, stderr, grader.timeout_s)
    if passed is None:
        return outcome.model_copy(update={"outcome": "error",
                                          "message": f"{outcome.message}: grader {reason}"})
    return outcome.model_copy(update={"outcome": "passed" if passed else "failed",
                                      "message": f"{outcome.message}: {reason}",
                                      "actual": {"passed": passed, "reason": reason}})


def _verdict(process: ProcessResult, stdout: str, stderr: str, timeout_s: float
             ) -> tuple[bool | None, str]:
    """(passed, reason) from the grader's run, or (None, what went wrong)."""
    if process.spawn_error:
        return None, f"could not start: {process.spawn_error}"
    if process.timed_out:
        return None, f"timed out after {timeout_s:g}s (process group killed)"
    if process.killed_reason:
        return None, process.killed_reason
    if process.exit_code != 0:
        last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
        return None, f"exited with code {process.exit_code}" + (f": {last[:200]}" if last else "")
    try:
        answer = json.loads(stdout)
    except ValueError:
        return None, f"printed no JSON object (got {_excerpt(stdout)})"
    if not isinstance(answer, dict) or not isinstance(answer.get("passed"), bool):
        return None, f'printed no {{"passed": true|false}} object (got {_excerpt(stdout)})'
    reason = answer.get("reason")
    text = reason.strip() if isinstance(reason, str) and reason.strip() else "no reason given"
    return answer["passed"], " ".join(text.split())[:500]


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return repr(text[:80] + ("…" if len(text) > 80 else "")) if text else "nothing"
