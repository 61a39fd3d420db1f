"""The files of a case folder, walked once and never through a link (DESIGN 3, 7).

A case folder may come from a stranger's pull request: it may hold a FIFO, a device, a
socket, a link out of the folder (to /etc/passwd, to /dev/zero), a loop of links, or a chain
of folders deeper than any case needs. ``walk_case`` lists every such entry as a problem; it
is the one confinement check, used by ``lint`` (which lists the problems) and by
``load_case`` (which refuses the case), so replay refuses what lint refuses.

Links that stay inside the folder are allowed: what they point to is walked in its place.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .._safe_files import kind_of

MAX_DEPTH = 16
"""Folders nested deeper than this in a case folder are a problem (a case needs 2)."""
MAX_ENTRIES = 10_000
"""More files and folders than this in a case folder are a problem."""


@dataclass
class CaseFiles:
    """What a case folder holds: paths relative to it, in POSIX form, sorted."""

    folder: Path
    files: list[str] = field(default_factory=list)
    """Regular files (not links)."""
    linked: list[str] = field(default_factory=list)
    """Links to a regular file inside the folder."""
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(path, problem) for every entry that is not allowed."""

    @property
    def flagged(self) -> set[str]:
        """The paths with a problem."""
        return {path for path, _ in self.problems}


def walk_case(folder: Path) -> CaseFiles:
    """Every entry of a case folder, walked without following links, bounded in depth and
    in the number of entries."""
    found = CaseFiles(folder)
    root = os.path.realpath(folder)
    stack: list[tuple[str, int]] = [("", 1)]
    entries = 0
    while stack:
        prefix, depth = stack.pop()
        try:
            with os.scandir(os.path.join(folder, prefix)) as listing:
                names = sorted((entry.name, entry) for entry in listing)
        except OSError as exc:
            found.problems.append((prefix.rstrip("/") or ".",
                                   f"cannot read folder: {exc.strerror or exc}"))
            continue
        for name, entry in names:
            entries += 1
            if entries > MAX_ENTRIES:
                found.problems.append((prefix.rstrip("/") or ".",
                                       f"more than {MAX_ENTRIES} files and folders in the "
                                       "case folder"))
                return _sorted(found)
            rel = prefix + name
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                found.problems.append((rel, f"cannot read: {exc.strerror or exc}"))
                continue
            if not stat.S_ISDIR(mode):
                problem = _file_problem(found, entry.path, rel, mode, root)
            elif depth >= MAX_DEPTH:
                problem = f"folders nested deeper than {MAX_DEPTH} levels"
            else:
                stack.append((rel + "/", depth + 1))
                continue
            if problem is not None:
                found.problems.append((rel, problem))
    return _sorted(found)


def _sorted(found: CaseFiles) -> CaseFiles:
    found.files.sort()
    found.linked.sort()
    found.problems.sort()
    return found


def _file_problem(found: CaseFiles, path: str, rel: str, mode: int, root: str) -> str | None:
    """None for an allowed entry that is not a folder (recorded in ``found``), else the
    problem."""
    if stat.S_ISREG(mode):
        found.files.append(rel)
        return None
    if stat.S_ISLNK(mode):
        return _link_problem(found, path, rel, root)
    return f"is {kind_of(mode)}, not a regular file"


def _link_problem(found: CaseFiles, path: str, rel: str, root: str) -> str | None:
    """A link is allowed when it stays inside the folder and ends at a file or folder."""
    try:
        target_mode: int | None = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        target_mode = None  # a dangling link: judged by where it points
    target = os.path.realpath(path)
    kind = kind_of(target_mode) if target_mode is not None else None
    special = kind is not None and kind not in ("a regular file", "a directory")
    if target != root and not target.startswith(root.rstrip(os.sep) + os.sep):
        return "symbolic link points outside the case folder" + (f" (to {kind})" if special
                                                                  else "")
    if special:
        return f"symbolic link to {kind}, not a regular file"
    if kind == "a regular file":
        found.linked.append(rel)
    return None
