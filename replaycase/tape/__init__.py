"""The model tape: recorded model turns, their match keys, and matching (DESIGN 8)."""

from .models import (
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
    "TapeHeader",
    "TapeTurn",
]
