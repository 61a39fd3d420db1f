"""Trace importers: one module per format, detected by content."""

from .registry import (
    FORMATS,
    detect,
    get_importer,
    load_runs,
    load_trace,
    open_document,
    pick_run,
)

__all__ = ["FORMATS", "detect", "get_importer", "load_runs", "load_trace", "open_document",
           "pick_run"]
