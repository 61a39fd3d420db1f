"""The importer registry: open a trace file once, detect its format by content, load it."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import stat
from pathlib import Path

from .._jsonio import BOM, DEFAULT_LIMITS, Limits, check_file, decode, loads, read_bytes
from .._safe_files import open_regular
from ..errors import FileAccessError, RunChoiceError, TraceFormatError
from ..model import TraceRun
from .base import Importer, TraceDocument, file_sha256
from .langsmith_multipart import is_multipart, read_multipart_file

# Order matters: the most specific formats are tried first.
_IMPORTERS: dict[str, str] = {
    "native": "replaycase.importers.native:NativeImporter",
    "replaykit": "replaycase.importers.replaykit:ReplayKitImporter",
    "replayt": "replaycase.importers.replayt:ReplaytImporter",
    "claude-code": "replaycase.importers.claude_code:ClaudeCodeImporter",
    "codex-cli": "replaycase.importers.codex_cli:CodexCliImporter",
    "otlp": "replaycase.importers.otlp:OtlpImporter",
    "phoenix": "replaycase.importers.phoenix:PhoenixImporter",
    "openai-agents": "replaycase.importers.openai_agents:OpenAIAgentsImporter",
    "langfuse": "replaycase.importers.langfuse:LangfuseImporter",
    "langsmith": "replaycase.importers.langsmith:LangSmithImporter",
    "mlflow": "replaycase.importers.mlflow:MlflowImporter",
    "inspect-ai": "replaycase.importers.inspect_ai:InspectAiImporter",
    "transcript": "replaycase.importers.transcript:TranscriptImporter",
}
FORMATS: tuple[str, ...] = tuple(_IMPORTERS)


def get_importer(name: str) -> Importer:
    """The importer registered under ``name``."""
    if name not in _IMPORTERS:
        raise TraceFormatError(None, f"unknown format {name!r}; known formats: "
                                     f"{', '.join(_IMPORTERS)}")
    module_name, _, class_name = _IMPORTERS[name].partition(":")
    importer: type[Importer] = getattr(importlib.import_module(module_name), class_name)
    return importer()


def open_document(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> TraceDocument:
    """Open a trace file: one JSON value, or a JSONL stream (only its head is read here)."""
    path = Path(path)
    _check_trace_file(path, limits)
    with open_regular(path, max_bytes=limits.max_file_bytes) as handle:
        start = handle.read(8192)
    if is_multipart(start):  # a LangSmith ingest body: its attachments may be binary
        data = read_bytes(path, limits.max_file_bytes)
        runs = read_multipart_file(path, data, limits)
        return TraceDocument(path=path, kind="multipart", value=runs, first=runs,
                             limits=limits, sha256=hashlib.sha256(data).hexdigest())
    if start.startswith(b"PK\x03\x04"):  # Inspect AI's .eval logs are zip archives
        raise TraceFormatError(path, "a zip archive, not a text trace; for an Inspect "
                                     f"AI .eval log: {INSPECT_EVAL_HINT}")
    if b"\x00" in start:
        raise TraceFormatError(path, "binary data (NUL bytes), not a text trace")
    head = _jsonl_head(path, limits)
    if head is not None:
        first_line, first = head
        return TraceDocument(path=path, kind="jsonl", first=first, first_line=first_line,
                             limits=limits, sha256=file_sha256(path))
    data = read_bytes(path, limits.max_file_bytes)
    sha = hashlib.sha256(data).hexdigest()  # of the bytes parsed: one read of a big file
    # Parsed as bytes (loads decodes them only if the parser refuses them): no copy of a big
    # file as text. A BOM is dropped by decoding.
    source: str | bytes = decode(data, path) if data.startswith(BOM) else data
    del data
    if not source or source.isspace():
        raise TraceFormatError(path, "empty file, expected a JSON or JSONL trace")
    value = loads(source, path, limits)
    return TraceDocument(path=path, kind="json", value=value, first=value, limits=limits,
                         sha256=sha)


INSPECT_EVAL_HINT = "convert it with 'inspect log convert --to json --output-dir DIR FILE'"
_PIPE_HINT = "a trace is read more than once: save the trace to a file first"


def _check_trace_file(path: Path, limits: Limits) -> None:
    """``check_file``, saying what to do about a trace given as a pipe (``/dev/stdin``,
    process substitution), which cannot be read twice."""
    try:
        check_file(path, limits)
    except FileAccessError:
        try:
            piped = stat.S_ISFIFO(os.stat(path).st_mode)
        except (OSError, ValueError):
            piped = False
        if piped:
            raise FileAccessError(path, f"is a pipe (FIFO), not a regular file; {_PIPE_HINT}") \
                from None
        raise


def _jsonl_head(path: Path, limits: Limits) -> tuple[int, object] | None:
    """(line, first record) when the file holds one JSON object per line, else None."""
    with open_regular(path, max_bytes=limits.max_file_bytes) as handle:
        first: tuple[int, bytes] | None = None
        for lineno, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            if first is None:
                if len(raw) > limits.max_file_bytes:
                    return None
                first = (lineno, raw)
                continue
            break
        else:
            return None
    lineno, raw = first
    try:
        text = decode(raw, path, lineno).lstrip("\ufeff").strip()
    except TraceFormatError:
        return None
    if not text.startswith("{"):
        return None
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return None
    return lineno, loads(text, path, limits, line=lineno)


def detect(doc: TraceDocument) -> Importer:
    """The first importer that reads ``doc``; an error naming every format tried otherwise."""
    reasons: list[str] = []
    for name in _IMPORTERS:
        importer = get_importer(name)
        reason = importer.check(doc)
        if reason is None:
            return importer
        reasons.append(f"{name}: {reason}")
    raise TraceFormatError(doc.path, "not a supported trace format (tried "
                                     + "; ".join(reasons) + ")")


def load_trace(path: str | Path, format: str = "auto",
               limits: Limits = DEFAULT_LIMITS) -> list[TraceRun]:
    """Read every run in a trace file; ``format`` forces an importer, else it is detected."""
    doc = open_document(path, limits)
    if format == "auto":
        importer = detect(doc)
    else:
        importer = get_importer(format)
        reason = importer.check(doc)
        if reason is not None:
            raise TraceFormatError(doc.path, reason, importer.name)
    runs = importer.load(doc)
    if not runs:
        raise TraceFormatError(doc.path, "the file holds no runs", importer.name)
    for index, run in enumerate(runs):
        if not run.run_id.strip():  # an empty id names nothing: number the run instead
            run.run_id = f"run-{index + 1}"
    return runs


def load_runs(path: str | Path, format: str = "auto", run_id: str | None = None,
              limits: Limits = DEFAULT_LIMITS) -> list[TraceRun]:
    """``load_trace``, keeping only the run ``run_id`` when one is named."""
    runs = load_trace(path, format, limits)
    return runs if run_id is None else [pick_run(path, runs, run_id)]


def pick_run(path: str | Path, runs: list[TraceRun], run_id: str | None,
             option: str = "--run-id") -> TraceRun:
    """The run ``run_id`` of a trace file, or its only run; a ``RunChoiceError`` when there
    is no run of that id, or several runs and no id (``option`` is the flag that names one)."""
    if run_id is not None:
        found = next((run for run in runs if run.run_id == run_id), None)
        if found is None:
            raise RunChoiceError(path, f"no run {run_id!r} in the file (runs: {_ids(runs)})")
        return found
    if len(runs) > 1:
        raise RunChoiceError(path, f"holds {len(runs)} runs ({_ids(runs)}); choose one with "
                                   f"{option}")
    return runs[0]


def _ids(runs: list[TraceRun], shown: int = 10) -> str:
    more = f", … ({len(runs)} runs)" if len(runs) > shown else ""
    return ", ".join(run.run_id for run in runs[:shown]) + more
