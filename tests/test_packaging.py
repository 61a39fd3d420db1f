"""The wheel ships the templates: build it, install it in a fresh virtualenv, scaffold."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
TRACE = Path(__file__).parent / "data" / "replaykit" / "billing-loop.json"


def _run(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)  # type: ignore[call-overload]


@pytest.mark.slow
def test_wheel_installs_and_scaffolds(tmp_path: Path) -> None:
    if os.environ.get("REPLAYCASE_SKIP_WHEEL") == "1":
        pytest.skip("REPLAYCASE_SKIP_WHEEL=1")
    dist = tmp_path / "dist"
    build = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist),
                  str(REPO)])
    assert build.returncode == 0, build.stderr[-2000:]
    [wheel] = list(dist.glob("replaycase-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "replaycase/templates/notes.md.j2" in names
    assert "replaycase/templates/summary.md.j2" in names
    assert "replaycase/py.typed" in names  # PEP 561: type checkers read the package's hints
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    python = venv / "bin" / "python"
    install = _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)])
    assert install.returncode == 0, install.stderr[-2000:]
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(TRACE, work / "trace.json")
    # Run from an empty folder so the checkout's templates/ cannot be found by accident.
    scaffold = _run([str(venv / "bin" / "replaycase"), "scaffold", "trace.json", "--out",
                     "cases/billing-loop"], cwd=work)
    assert scaffold.returncode == 0, scaffold.stderr
    notes = (work / "cases" / "billing-loop" / "notes.md").read_text()
    assert "## Timeline" in notes
    lint = _run([str(venv / "bin" / "replaycase"), "lint", "cases"], cwd=work)
    assert lint.returncode == 0, lint.stdout + lint.stderr
