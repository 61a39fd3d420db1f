"""Redaction, one home: secret detectors, the redactor, whole-model redaction, lint's scan.

Shared by scaffold (a trace's secrets never reach a case folder), replay (evidence and
results) and lint (a case folder holds no secret). DESIGN 7.
"""

from .models import free_text_patterns, redact_model, redact_run
from .placeholders import PLACEHOLDER, clip, safe_end, safe_start
from .redactor import Redactor
from .scan import Finding, scan_text

__all__ = ["PLACEHOLDER", "Finding", "Redactor", "clip", "free_text_patterns", "redact_model",
           "redact_run", "safe_end", "safe_start", "scan_text"]
