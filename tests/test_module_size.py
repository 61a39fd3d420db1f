"""No module of the package is over 400 lines: a module that grows past it is split along
its seams (issue 13)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "replaycase"
MAX_LINES = 400



def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_400_lines() -> None:
    sizes = {p.relative_to(PACKAGE).as_posix(): _lines(p) for p in PACKAGE.rglob("*.py")}
    offenders = sorted(f"{name} ({n} lines)" for name, n in sizes.items() if n > MAX_LINES)
    assert not offenders, f"over {MAX_LINES} lines, split them: {', '.join(offenders)}"
