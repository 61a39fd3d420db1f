"""Redaction, one home: secret detectors, the redactor, whole-model redaction, lint's scan.

Shared by scaffold (a trace's secrets never reach a case folder), replay (evidence and
results) and lint (a case folder holds no secret). DESIGN 7.
"""

from .._text import PLACEHOLDER
from .models import free_text_patterns, redact_model, redact_run
from .redactor import Redactor
from .scan import Finding, scan_text

__all__ = ["PLACEHOLDER", "Finding", "Redactor", "free_text_patterns", "redact_model",
           "redact_run", "scan_text"]
