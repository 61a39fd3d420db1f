"""The model server of a recorded run (DESIGN 8): the failing branch answers what it can; from
the first request off it, every request goes to the upstream and its answer is kept as a turn
of the ``accepted`` branch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..case import ReplayCase
from ..errors import UpstreamError
from ..replay.model_server import ModelServer
from ..replay.tape_serving import PLACEHOLDER_KEY, Serve, TapeSession, model_env
from ..results.evidence_names import MODEL_LOG
from ..tape import Divergence, MatchKey, Tape, TapeTurn
from ..tape.match import TapeMatcher
from .upstream import Upstream


@dataclass
class RecordingSession(TapeSession):
    """A tape session that forwards what the tape cannot answer, and keeps it."""

    upstream: Upstream | None = None
    tape: Tape | None = None
    """The case's tape as replay read it (None: the case had none)."""
    recorded: list[TapeTurn] = field(default_factory=list)
    left_at: Divergence | None = None
    """Where the candidate left the failing branch (None: it never did)."""
    upstream_error: str | None = None

    def answer(self, key: MatchKey) -> TapeTurn | Divergence:
        if self.left_at is None:
            found = self.matcher.answer(key)
            if isinstance(found, TapeTurn):
                self.answered += 1
                return found
            self.left_at = found
        return Divergence(turn=0)  # the server forwards it

    def forward(self, turn: int, protocol: str, path: str, body: dict[str, Any],
                key: MatchKey) -> TapeTurn:
        if self.upstream is None or self.upstream_error is not None:
            raise UpstreamError(self.upstream_error or "no upstream to record from")
        try:
            answer = self.upstream.ask(protocol, path, body)
        except UpstreamError as exc:
            self.upstream_error = str(exc)
            raise
        recorded = TapeTurn(turn=turn, branch="accepted", key=key, answer=answer)
        self.recorded.append(recorded)
        self.answered += 1
        return recorded

    def divergence_point(self) -> None:
        """A recorded run does not diverge: what is off the tape is recorded."""
        return None


def recording(upstream: Upstream, sessions: list[RecordingSession]) -> Serve:
    """A ``Serve`` for ``replay_case``: the case's failing branch, then the upstream; each
    session started is added to ``sessions``."""

    @contextmanager
    def serve(case: ReplayCase, tape: Tape | None, run_dir: Path) -> Iterator[TapeSession]:
        turns = tape.turns if tape is not None else []
        session = RecordingSession(TapeMatcher(turns, case.spec.model_tape.match,
                                               branches=("failing",)), upstream=upstream,
                                   tape=tape)
        models = sorted({t.answer.model for t in turns if t.answer.model})
        with ModelServer(session, api_key=PLACEHOLDER_KEY, log_path=run_dir / MODEL_LOG,
                         case_id=case.id, models=models, forwarder=session) as server:
            env = model_env(server)
            for protocol in ("openai.chat", "anthropic.messages"):
                env[upstream.key_name(protocol)] = PLACEHOLDER_KEY  # never the real key
            session.env = env
            sessions.append(session)
            yield session

    return serve
