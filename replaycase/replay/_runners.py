"""The process-wide registry of live runner groups, and signalling a group as a whole.

Every live runner group is registered here, so an interrupted replay can end them all at once
(:func:`terminate_runners`), and a runner that starts while it does is stopped at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from contextvars import ContextVar

POLL_S = 0.05
"""How often a group is looked at while waiting for it to end."""

RUNNER_OWNER: ContextVar[object | None] = ContextVar("replaycase_runner_owner", default=None)
"""Who starts runners in this context (a suite sets itself): what ``terminate_runners`` of
that owner ends. Runners started without an owner are ended only by ``owner=None``."""


class _LiveGroups:
    """The process groups of the runners alive now, by owner; an owner being stopped (or
    ``None``: every owner) is closed to new groups."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[int, object | None] = {}
        self._closed: set[object | None] = set()  # the closed owners; None: all

    def register(self, pgid: int) -> bool:
        """Add a new group; False (not added) while closed: the caller stops it at once."""
        owner = RUNNER_OWNER.get()
        with self._lock:
            if None in self._closed or (owner is not None and owner in self._closed):
                return False
            self._groups[pgid] = owner
            return True

    def unregister(self, pgid: int) -> None:
        with self._lock:
            self._groups.pop(pgid, None)

    def close(self, owner: object | None) -> None:
        with self._lock:
            self._closed.add(owner)

    def reopen(self, owner: object | None) -> None:
        with self._lock:
            self._closed.discard(owner)

    def of(self, owner: object | None) -> set[int]:
        """The live groups of ``owner`` (None: all)."""
        with self._lock:
            return {g for g, o in self._groups.items() if owner is None or o is owner}


LIVE = _LiveGroups()
"""The one registry: ``run_process`` registers each runner group here while it runs."""


def live_runner_groups() -> set[int]:
    """The process group ids of the runners alive now (every replay of this process)."""
    return LIVE.of(None)


def terminate_runners(grace_s: float = 2.0, owner: object | None = None) -> None:
    """End the live runner groups of ``owner`` (None: all): TERM, then KILL after ``grace_s``.

    Runners of that owner started from now on are stopped at once, until
    :func:`reopen_runners`.
    """
    LIVE.close(owner)
    groups = LIVE.of(owner)
    for pgid in groups:
        signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + max(0.0, grace_s)
    while True:
        alive = {g for g in groups | LIVE.of(owner) if group_alive(g)}
        if not alive or time.monotonic() >= deadline:
            break
        time.sleep(POLL_S)
    for pgid in alive:
        signal_group(pgid, signal.SIGKILL)


def reopen_runners(owner: object | None = None) -> None:
    """Let the runners of ``owner`` start again after :func:`terminate_runners`."""
    LIVE.reopen(owner)


def signal_group(pgid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to the whole group; never to our own group, and a gone group is fine."""
    if pgid <= 1 or pgid == os.getpgrp():
        return  # never signal our own group
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running (zombies do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _has_running_member(pgid)


def _has_running_member(pgid: int) -> bool:
    """Scan /proc (Linux) for a non-zombie member; without /proc assume one exists."""
    try:
        entries = os.scandir("/proc")
    except OSError:
        return True
    with entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2:].split()  # state, ppid, pgrp, ...
            if len(fields) > 2 and fields[2] == str(pgid).encode() \
                    and fields[0] not in (b"Z", b"X"):
                return True
    return False
