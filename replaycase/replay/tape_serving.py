"""Serving a case's model tape during a replay (DESIGN 8): the loopback server, the runner's
environment that points an unmodified agent at it, and what it saw (answers, divergences)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .._jsonio import DEFAULT_LIMITS, Limits
from ..case import ReplayCase
from ..errors import CaseError, InputError
from ..results import DivergencePoint
from ..results.evidence_names import MODEL_LOG
from ..tape import TAPE_FILE, Divergence, MatchKey, Tape, TapeTurn
from ..tape.file import read_tape
from ..tape.match import TapeMatcher
from .model_server import ModelServer

PLACEHOLDER_KEY = "replaycase-placeholder-key"
"""The API key a runner is given; the server answers nothing else, and a real key is never
passed on to a runner that is served a tape."""
QUIET = {"OPENAI_AGENTS_DISABLE_TRACING": "1", "LANGSMITH_TRACING": "false",
         "OTEL_SDK_DISABLED": "true", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
"""Switches that keep frameworks from phoning home during a replay."""


def case_tape(case: ReplayCase, limits: Limits = DEFAULT_LIMITS) -> Tape | None:
    """The case's tape, None when it has none; CaseError naming the file when it is bad."""
    path = case.fixtures_dir / TAPE_FILE
    if not os.path.lexists(path):
        return None
    try:
        tape = read_tape(path, limits)
    except CaseError:
        raise
    except InputError as exc:
        raise CaseError(path, exc.problem) from None
    return tape if tape.turns else None


@dataclass
class TapeSession:
    """The matcher as the server asks it, remembering what it answered and the first
    divergence."""

    matcher: TapeMatcher
    answered: int = 0
    divergences: list[Divergence] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def answer(self, key: MatchKey) -> TapeTurn | Divergence:
        found = self.matcher.answer(key)
        if isinstance(found, Divergence):
            self.divergences.append(found)
        else:
            self.answered += 1
        return found

    def divergence_point(self) -> DivergencePoint | None:
        """The first divergence, as a replay result records it."""
        if not self.divergences:
            return None
        first = min(self.divergences, key=lambda d: d.turn)
        difference = first.difference
        return DivergencePoint(
            source="model_tape", message=first.message(), turn=first.turn,
            path=difference.path if difference else None,
            recorded=difference.recorded if difference else None,
            received=difference.received if difference else None)


def model_env(server: ModelServer) -> dict[str, str]:
    """The variables that point the OpenAI and Anthropic SDKs (and the frameworks on them)
    at the server, with placeholder keys."""
    return {
        "OPENAI_BASE_URL": server.openai_base_url, "OPENAI_API_BASE": server.openai_base_url,
        "ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_URL": server.url,
        "ANTHROPIC_API_BASE": server.url, "REPLAYCASE_MODEL_URL": server.url,
        "OPENAI_API_KEY": PLACEHOLDER_KEY, "ANTHROPIC_API_KEY": PLACEHOLDER_KEY,
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", **QUIET}


Serve = Callable[[ReplayCase, "Tape | None", Path], AbstractContextManager["TapeSession | None"]]
"""What starts the model server of a case run: ``serving`` for replay, another for record."""


@contextmanager
def serving(case: ReplayCase, tape: Tape | None, run_dir: Path) -> Iterator[TapeSession | None]:
    """The tape served for as long as the block lasts (None: the case has no tape)."""
    if tape is None:
        yield None
        return
    session = TapeSession(TapeMatcher(tape.turns, case.spec.model_tape.match))
    models = sorted({t.answer.model for t in tape.turns if t.answer.model})
    with ModelServer(session, api_key=PLACEHOLDER_KEY, log_path=run_dir / MODEL_LOG,
                     case_id=case.id, models=models) as server:
        session.env = model_env(server)
        yield session
