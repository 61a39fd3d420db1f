"""The variables replay sets for a frozen runner and the files the runner leaves in its run
folder (stdlib only: read at every Python start-up of the runner)."""

from __future__ import annotations

import json
import os
from typing import Any

FREEZE_TOOLS = "REPLAYCASE_FREEZE_TOOLS"
"""``1``: answer tool calls from the case's fixtures."""
TOOL_MAP = "REPLAYCASE_FREEZE_TOOL_MAP"
"""JSON object: tool name -> ``module:function`` of the plain functions to freeze."""
OFFLINE = "REPLAYCASE_OFFLINE"
"""``1``: refuse connections to anything but loopback."""
HOME = "REPLAYCASE_FREEZE_HOME"
"""The folder holding the ``replaycase`` package, for a runner Python that lacks it."""
RUN_DIR = "REPLAYCASE_RUN_DIR"

FROZEN_TOOLS = "frozen-tools.jsonl"
"""Every tool call a frozen runner was served (or refused), one JSON record a line."""
FREEZE_LOADED = "freeze-loaded.jsonl"
"""One record a Python process that loaded the freeze: its pid, argv, tools and offline."""
OFFLINE_REFUSALS = "offline-refusals.jsonl"
"""Every connection ``--offline`` refused: host, port, pid."""
MAX_FILE_BYTES = 1024 * 1024
"""No record is appended past this size."""


def asked(name: str) -> bool:
    """True when replaycase set the variable ``name`` to 1."""
    return os.environ.get(name) == "1"


def append(file_name: str, record: dict[str, Any]) -> None:
    """Append one JSON record to a file of the run folder (nothing outside a replay, or once
    the file is full); never through a link or into a FIFO."""
    folder = os.environ.get(RUN_DIR)
    if not folder:
        return
    line = (json.dumps(record, ensure_ascii=False, default=repr) + "\n").encode(
        "utf-8", "replace")
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | \
        getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(os.path.join(folder, file_name), flags, 0o644)
    except OSError:
        return
    try:
        if os.fstat(fd).st_size + len(line) <= MAX_FILE_BYTES:
            os.write(fd, line)
    finally:
        os.close(fd)
