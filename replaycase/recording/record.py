"""``replaycase record`` (DESIGN 8): replay a fixed candidate with the upstream model behind
the tape, judge the recorded run, and keep its new turns as the case's accepted behaviour only
when it passes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .._safe_files import read_regular
from ..case import ReplayCase
from ..errors import FileAccessError, ReplaycaseError
from ..redact import Redactor
from ..replay._runners import RUNNER_OWNER, terminate_runners
from ..replay.case_run import ReplayOptions, replay_case
from ..results import ReplayResult
from ..results.evidence_names import CANDIDATE_RUN
from ..tape import TapeTurn, tape_text
from .case_update import turn_summary, update_case, with_accepted
from .session import RecordingSession, recording
from .upstream import Upstream

_MAX_RUN = 256 * 1024 * 1024
RecordStatus = Literal["recorded", "would_record", "unchanged", "failed", "nothing_new",
                       "upstream_error", "error"]


class RecordedCase(BaseModel):
    """What ``record`` did with one case."""

    case_id: str
    case_path: str
    status: RecordStatus
    message: str
    turns: list[str] = Field(default_factory=list, description="Each recorded turn, briefly.")
    revision: int | None = Field(default=None, description="The case's revision after it.")
    result: ReplayResult | None = Field(default=None, description="The recorded run, judged.")

    @property
    def ok(self) -> bool:
        """Recorded (or would be, or is already), or a fix that needed nothing new."""
        return self.status in ("recorded", "would_record", "unchanged") or (
            self.status == "nothing_new" and self.result is not None
            and self.result.passes("fixed"))


@dataclass
class RecordOptions:
    upstream: Upstream
    dry_run: bool = False
    jobs: int = 1


def record_cases(cases: Sequence[ReplayCase], replay: ReplayOptions, options: RecordOptions,
                 done: Callable[[RecordedCase], None] = lambda _: None,
                 stop: threading.Event | None = None) -> list[RecordedCase]:
    """Record each case (``jobs`` at once), in the order given. Setting ``stop`` ends the
    runners alive and starts no more (those cases are not recorded)."""
    stop = stop or threading.Event()
    owner = object()

    def one(case: ReplayCase) -> RecordedCase:
        if stop.is_set():
            return RecordedCase(case_id=case.id, case_path=case.path.as_posix(),
                                status="error", message="not recorded: interrupted")
        token = RUNNER_OWNER.set(owner)  # this record's runners: the ones its stop ends
        try:
            outcome = record_case(case, replay, options)
        finally:
            RUNNER_OWNER.reset(token)
        done(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        futures = [pool.submit(one, case) for case in cases]
        while not all(f.done() for f in futures):
            if stop.wait(0.1):
                terminate_runners(replay.kill_grace_s, owner)
                break
        return [future.result() for future in futures]


def record_case(case: ReplayCase, replay: ReplayOptions, options: RecordOptions) -> RecordedCase:
    """Record one case: run, judge, and rewrite its folder when the run passes."""
    made = partial(RecordedCase, case_id=case.id, case_path=case.path.as_posix())
    sessions: list[RecordingSession] = []
    try:
        result = replay_case(case, replace(replay, model_tape=True),
                             recording(options.upstream, sessions))
    except ReplaycaseError as exc:
        return made(status="error", message=str(exc))
    session = sessions[0] if sessions else None
    if session is not None and session.upstream_error is not None:
        return made(status="upstream_error", result=result,
                    message=f"{session.upstream_error}: nothing written")
    recorded = session.recorded if session is not None else []
    if not recorded:
        return made(status="nothing_new", result=result, message=(
            f"the candidate asked nothing off the tape (verdict {result.verdict}): nothing "
            "to record"))
    accepted = _redacted(recorded, replay)
    turns = [turn_summary(turn) for turn in accepted]
    if not result.passes("fixed"):
        failed = [a.message for a in result.assertions if not a.passed]
        why = (result.divergence.message if result.divergence is not None else
               "; ".join(failed) or result.runner.reason or f"verdict {result.verdict}")
        return made(status="failed", result=result, turns=turns, message=(
            f"the recorded run does not pass its desired assertions ({why}): nothing written"))
    tape = session.tape if session is not None else None
    new = with_accepted(tape, accepted, case.id)
    if tape is not None and tape_text(new) == tape_text(tape):
        return made(status="unchanged", result=result, turns=turns,
                    revision=case.spec.revision,
                    message="recorded the accepted branch the case already holds")
    if options.dry_run:
        return made(status="would_record", result=result, turns=turns,
                    revision=case.spec.revision,
                    message=f"would record {len(accepted)} turn(s) (--dry-run: nothing written)")
    try:
        update_case(case, new, _recorded_run(result))
    except ReplaycaseError as exc:
        return made(status="error", result=result, turns=turns, message=str(exc))
    return made(status="recorded", result=result, turns=turns, revision=case.spec.revision + 1,
                message=f"recorded {len(accepted)} turn(s) as the accepted branch")


def _recorded_run(result: ReplayResult) -> str:
    """The recorded run as the replay judged and kept it (redacted) in its evidence."""
    if result.evidence_dir is None:
        raise FileAccessError(CANDIDATE_RUN, "the recorded run's evidence is gone")
    path = Path(result.evidence_dir) / CANDIDATE_RUN
    return read_regular(path, _MAX_RUN, follow=False).decode("utf-8")


def _redacted(turns: list[TapeTurn], replay: ReplayOptions) -> list[TapeTurn]:
    """The accepted turns redacted like a trace (unless --no-redact)."""
    if not replay.redact:
        return turns
    redactor = Redactor(replay.redact_patterns)
    return [TapeTurn.model_validate(redactor.redact(turn.model_dump(mode="json")))
            for turn in turns]
