"""LangSmith multipart ingest bodies: what the SDK sends to ``POST /runs/multipart``, read as
the flat list of runs the LangSmith importer reads.

A body is ``multipart/form-data``: a boundary line (``--<boundary>``), then parts named

- ``post.<run_id>`` / ``patch.<run_id>``: the run (or its update) as JSON, without its big
  fields, which follow as ``post.<run_id>.inputs`` (``outputs``, ``events``, ``extra``,
  ``error``, ``serialized``), each JSON;
- ``attachment.<run_id>.<name>``: a file the run carries (its bytes: only its content type
  and size are kept, under the run's ``attachments``);
- ``feedback.<id>``: feedback, left out.

A run's ``post`` parts are merged first, then its ``patch`` parts (an update wins), in the
order the runs first appear. Several bodies one after another (each request the SDK sent,
saved to one file) are read in turn. Detected by content (:func:`is_multipart`): the first
line is a boundary and the first part is named ``post.``, ``patch.``, ``attachment.`` or
``feedback.``; a zstd-compressed body (``Content-Encoding: zstd``) must be decompressed
first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .._jsonio import DEFAULT_LIMITS, Limits, loads
from ..errors import TraceFormatError

_BOUNDARY = re.compile(rb"--([0-9A-Za-z'()+_,./:=?-]{1,70})\r?\n")
_NAME = re.compile(rb'content-disposition:[^\r\n]*\bname="([^"]+)"', re.IGNORECASE)
_TYPE = re.compile(rb"content-type:\s*([^\r\n;]+)", re.IGNORECASE)
_KINDS = (b"post.", b"patch.", b"attachment.", b"feedback.")


def is_multipart(head: bytes) -> bool:
    """The bytes begin a multipart body whose first part is a LangSmith ingest part."""
    match = _BOUNDARY.match(head)
    if match is None:
        return False
    name = _NAME.search(head, match.end(), match.end() + 1024)
    return name is not None and name.group(1).startswith(_KINDS)


def read_multipart_file(path: Path, data: bytes,
                        limits: Limits = DEFAULT_LIMITS) -> list[dict[str, Any]]:
    """:func:`read_multipart`, a malformed body's error naming the file."""
    try:
        return read_multipart(data, limits)
    except TraceFormatError as exc:
        raise TraceFormatError(path, exc.problem, "langsmith") from None


def read_multipart(data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[dict[str, Any]]:
    """Every run the body (or bodies) holds, its parts merged."""
    posts: dict[str, dict[str, Any]] = {}
    patches: dict[str, dict[str, Any]] = {}
    files: dict[str, dict[str, Any]] = {}
    for index, (name, kind, body) in enumerate(_parts(data)):
        where = f"part {index + 1} ({name})"
        op, _, rest = name.partition(".")
        run_id, _, field = rest.partition(".")
        if op in ("post", "patch") and run_id:
            run = (posts if op == "post" else patches).setdefault(run_id, {})
            value = _json(body, where, limits)
            if field:
                run[field] = value
            elif isinstance(value, dict):
                run.update({k: v for k, v in value.items() if k not in run})
            else:
                raise TraceFormatError(None, f"{where}: expected a run object")
        elif op == "attachment" and run_id and field:
            files.setdefault(run_id, {})[field] = {"content_type": kind, "size": len(body)}
    runs: list[dict[str, Any]] = []
    for run_id in dict.fromkeys([*posts, *patches]):
        run = {"id": run_id, **posts.get(run_id, {})}
        run.update({k: v for k, v in patches.get(run_id, {}).items() if v is not None})
        if run_id in files:
            run["attachments"] = files[run_id]
        runs.append(run)
    if not runs:
        raise TraceFormatError(None, "a multipart body without post or patch parts")
    return runs


def _parts(data: bytes) -> list[tuple[str, str | None, bytes]]:
    """(name, content type, body) of every part of every body in ``data``."""
    parts: list[tuple[str, str | None, bytes]] = []
    at = 0
    while True:
        while data[at:at + 1] in (b"\r", b"\n"):
            at += 1
        match = _BOUNDARY.match(data, at)
        if match is None:
            if data[at:].strip():
                raise TraceFormatError(None, f"byte {at}: expected a multipart boundary line")
            return parts
        delimiter = b"\r\n--" + match.group(1)
        at = match.end()
        while True:
            head_end = data.find(b"\r\n\r\n", at)
            end = data.find(delimiter, at)
            if head_end < 0 or end < 0 or head_end > end:
                raise TraceFormatError(None, f"byte {at}: a multipart part without its "
                                             "headers or its closing boundary")
            head = data[at:head_end]
            name = _NAME.search(head)
            if name is None:
                raise TraceFormatError(None, f"byte {at}: a multipart part without a name")
            kind = _TYPE.search(head)
            parts.append((name.group(1).decode("utf-8", "replace"),
                          kind.group(1).decode("latin-1").strip() if kind else None,
                          data[head_end + 4:end]))
            at = end + len(delimiter)
            if data[at:at + 2] == b"--":
                at += 2
                break
            if data[at:at + 2] != b"\r\n":
                raise TraceFormatError(None, f"byte {at}: a malformed multipart boundary")
            at += 2


def _json(body: bytes, where: str, limits: Limits) -> Any:
    """A part's JSON, read as a trace file's is (no NaN, bounded nesting and strings)."""
    try:
        return loads(body, Path(where), limits)
    except TraceFormatError as exc:
        raise TraceFormatError(None, exc.problem) from None
