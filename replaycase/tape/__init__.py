"""The model tape: recorded model turns, their match keys, and matching (DESIGN 8)."""

from .file import read_tape, read_tape_lines, tape_text
from .from_run import TapeFromRun, answer_of_call, tape_from_run
from .key import canonical_arguments, key_of_call, make_key
from .match import TapeMatcher, first_difference
from .models import (
    ACCEPTED_RUN,
    TAPE_FILE,
    TAPE_FORMAT,
    Answer,
    AnswerToolCall,
    AnswerUsage,
    Branch,
    Difference,
    Divergence,
    KeyMessage,
    KeyToolCall,
    MatchKey,
    MatchMode,
    Tape,
    TapeHeader,
    TapeTurn,
)

__all__ = [
    "ACCEPTED_RUN",
    "TAPE_FILE",
    "TAPE_FORMAT",
    "Answer",
    "AnswerToolCall",
    "AnswerUsage",
    "Branch",
    "Difference",
    "Divergence",
    "KeyMessage",
    "KeyToolCall",
    "MatchKey",
    "MatchMode",
    "Tape",
    "TapeFromRun",
    "TapeHeader",
    "TapeMatcher",
    "TapeTurn",
    "answer_of_call",
    "canonical_arguments",
    "first_difference",
    "key_of_call",
    "make_key",
    "read_tape",
    "read_tape_lines",
    "tape_from_run",
    "tape_text",
]
