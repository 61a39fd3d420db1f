"""``replaycase record``: keep a reviewed fix's new model turns as the case's accepted
behaviour (DESIGN 8)."""

from .record import RecordedCase, RecordOptions, record_case, record_cases
from .upstream import Upstream

__all__ = ["RecordOptions", "RecordedCase", "Upstream", "record_case", "record_cases"]
