"""The corpus of hostile files in tests/data/hostile: nothing escapes but a one-line error,
and trace text reaches the terminal inert."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replaycase.cli import app
from replaycase.report.terminal import inert

HOSTILE = Path(__file__).parent / "data" / "hostile"
TRACES = sorted(p for p in HOSTILE.iterdir() if p.suffix in (".json", ".jsonl"))


@pytest.mark.parametrize("trace", TRACES, ids=[p.name for p in TRACES])
@pytest.mark.parametrize("command", ["inspect", "scaffold", "import"])
def test_hostile_trace(tmp_path: Path, trace: Path, command: str) -> None:
    args = {"inspect": ["inspect", str(trace)],
            "scaffold": ["scaffold", str(trace), "--out", str(tmp_path / "case")],
            "import": ["import", str(trace), "--out", str(tmp_path / "out.json")]}[command]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1
        assert str(trace) in result.stderr
        assert not (tmp_path / "case").exists() and not (tmp_path / "out.json").exists()


def test_terminal_text_is_inert() -> None:
    result = CliRunner().invoke(app, ["inspect", str(HOSTILE / "terminal-escapes.json")])
    assert result.exit_code == 0
    out = result.stdout
    assert "[bold red]markup[/bold red]" in out  # shown, not interpreted
    assert "[link=file:///etc/passwd]" in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out


def test_inert_strips_escape_sequences() -> None:
    assert inert("a\x1b[31mb\x1b[0mc") == "a�b�c"
    assert inert("x\x1b]0;title\x07y") == "x�y"
    assert inert("tab\tnew\nline") == "tab\tnew\nline"
    assert inert("\u202eevil\ud800") == "�evil�"


@pytest.mark.parametrize("name", ["alias-bomb.case.yaml", "python-tag.case.yaml"])
def test_hostile_case_yaml_is_refused(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "cases" / "evil"
    folder.mkdir(parents=True)
    shutil.copy(HOSTILE / name, folder / "case.yaml")
    lint = CliRunner().invoke(app, ["lint", str(folder)])
    assert lint.exit_code == 1
    replay = CliRunner().invoke(app, ["replay", str(folder), "--runner-cmd", "true"])
    assert replay.exit_code == 2
    assert "case.yaml: line" in replay.stderr
    assert not Path("/tmp/pwned").exists()
