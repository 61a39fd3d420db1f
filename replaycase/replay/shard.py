"""Sharding a suite by case id, the same way on every machine (``--shard I/N``).

A case belongs to shard ``sha256(case id) mod N + 1``: it depends on the id alone, never on
the position of the case in a listing, so adding or renaming one case moves only that case,
and every machine of a CI matrix computes the same split.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..case import ReplayCase
from ..errors import UsageError

_SHARD = re.compile(r"\s*([0-9]{1,6})\s*/\s*([0-9]{1,6})\s*")  # whole text, ASCII digits
MAX_SHARDS = 10_000
C = TypeVar("C", bound=ReplayCase)


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``total``."""

    index: int
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    def holds(self, case_id: str) -> bool:
        """Whether the case with this id belongs to this shard."""
        return shard_of(case_id, self.total) == self.index


def parse_shard(text: str) -> Shard:
    """``"2/5"`` to Shard(2, 5); a UsageError for anything else."""
    match = _SHARD.fullmatch(text)
    if not match:
        raise UsageError(f"--shard must look like I/N (e.g. 1/3), got {text!r}")
    index, total = int(match.group(1)), int(match.group(2))
    if not 1 <= total <= MAX_SHARDS:
        raise UsageError(f"--shard {text}: N must be between 1 and {MAX_SHARDS}")
    if not 1 <= index <= total:
        raise UsageError(f"--shard {text}: I must be between 1 and N ({total})")
    return Shard(index, total)


def shard_of(case_id: str, total: int) -> int:
    """The 1-based shard a case id belongs to among ``total`` shards."""
    digest = hashlib.sha256(case_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total + 1


def select_shard(cases: Sequence[C], shard: Shard | None) -> list[C]:
    """The cases of one shard, in their original order (all of them without a shard)."""
    if shard is None:
        return list(cases)
    return [case for case in cases if shard.holds(case.id)]
