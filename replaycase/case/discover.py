"""Finding case folders under the paths a user names."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import CaseError
from .models import CASE_FILE


def discover_cases(paths: list[str | Path]) -> list[Path]:
    """Case folders under the given paths (a case folder, a case.yaml, or a tree), sorted.

    A case.yaml of any kind (a FIFO, a link) makes its folder a case, so that loading it
    says what is wrong with it instead of skipping it.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.name == CASE_FILE and os.path.lexists(path) and not path.is_dir():
            found.append(path.parent)
        elif os.path.lexists(path / CASE_FILE):
            found.append(path)
        elif path.is_dir():
            found.extend(_case_folders(path))
        elif not path.exists():
            raise CaseError(path, "no such file or folder")
        else:
            raise CaseError(path, f"not a case folder (no {CASE_FILE})")
    unique: list[Path] = []
    for folder in found:
        if folder not in unique:
            unique.append(folder)
    return unique


_SEARCH_DEPTH = 64
"""Folders deeper than this under a path given to discover_cases are not searched."""


def _case_folders(top: Path) -> list[Path]:
    """The case folders under ``top``, sorted. The tree is walked without following links
    and without entering a case folder (its contents are the case's, checked by lint and
    ``load_case``) or a ``.replaycase`` folder; an unreadable folder is skipped."""
    found: list[Path] = []
    stack: list[tuple[Path, int]] = [(top, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as listing:
                subfolders = [Path(entry.path) for entry in listing
                              if entry.name != ".replaycase"
                              and entry.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        for sub in subfolders:
            if os.path.lexists(sub / CASE_FILE):
                found.append(sub)
            elif depth + 1 < _SEARCH_DEPTH:
                stack.append((sub, depth + 1))
    return sorted(found)


def holds_no_case(paths: Sequence[str | Path]) -> bool:
    """Whether the paths hold no case folder at all: each is missing, or a folder with no
    case.yaml in it (anything else is left to ``discover_cases`` to judge)."""
    present = [p for p in paths if os.path.lexists(p)]
    return not present or not discover_cases(present)
