"""Redaction, one home: secret detectors, the redactor, whole-model redaction, lint's scan.

Shared by scaffold (a trace's secrets never reach a case folder), replay (evidence and
results) and lint (a case folder holds no secret). DESIGN 7.
"""

from .models import free_text_patterns, redact_model, redact_run
from .redactor import Redactor

__all__ = ["Redactor", "free_text_patterns", "redact_model", "redact_run"]
