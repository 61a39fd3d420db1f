"""The null candidate: a run that does nothing, which no case's desired assertions may all
pass (lint's non-vacuity check, and what scaffold adds to a case so that they do not).

Doing nothing is calling no model and no tool, raising no error, ending in ``success`` and
answering a sentence that says nothing. A case whose desired assertions all pass on it would
call such a candidate ``fixed``: its assertions only forbid the failure, and say nothing of
what a correct run does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ..model import FinalOutputEvent, InputMessageEvent, TraceRun
from ._registry import Entry
from .evaluator import all_hold, evaluate_all

NULL_ANSWER: Final = "Sorry, I cannot help with that."
"""The null candidate's answer: a sentence (so ``final_output_exists`` holds), not a
placeholder such as "…", which is no answer at all."""

VACUOUS: Final = ("a candidate that does nothing passes every desired assertion: add one "
                  "that says what a correct run does")
"""The problem lint reports, and the hint scaffold prints, for such a case."""


def null_candidate(input: Any = None) -> TraceRun:
    """The run of a candidate that does nothing with the case's ``input``."""
    return TraceRun(run_id="null-candidate", status="success", input=input,
                    final_output=NULL_ANSWER,
                    events=[InputMessageEvent(seq=1, content=input),
                            FinalOutputEvent(seq=2, output=NULL_ANSWER)])


def passes_null(desired: Sequence[Entry], input: Any = None) -> bool:
    """Whether every desired assertion passes on the null candidate (none given: True)."""
    return all_hold(evaluate_all(desired, null_candidate(input)))
