"""A type checker reads replaycase as a user's project does: from outside the repository, as
an installed package (PEP 561 ``py.typed``), with the public names and the events' fields
typed (not ``Any``). ``mypy replaycase`` itself runs in .ci/run."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent

USER_CODE = '''\
import replaycase
from replaycase.model import ToolCallEvent

run = replaycase.TraceRun(run_id="r", status="error")
reveal_type(run)
reveal_type(replaycase.load_trace)
reveal_type(ToolCallEvent(seq=1, tool_name="search").tool_name)
replaycase.TraceRun(run_id="r", status="broken")
ToolCallEvent(seq=1)
ToolCallEvent(seq="one", tool_name="search")
'''


@pytest.mark.slow
def test_mypy_reads_the_installed_package_and_its_event_fields(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api = pytest.importorskip("mypy.api")
    (tmp_path / "user.py").write_text(USER_CODE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # not the repository: replaycase is found installed
    monkeypatch.delenv("MYPYPATH", raising=False)
    out, err, _ = api.run(["--config-file", str(REPO / "pyproject.toml"), "--cache-dir",
                           str(tmp_path / "cache"), "--follow-imports=silent", "user.py"])
    lines = out.splitlines()
    assert not any("py.typed" in line or "import-not-found" in line for line in lines), out
    notes = [line.split("Revealed type is ", 1)[1] for line in lines if "Revealed type" in line]
    assert notes[0] == '"replaycase.model.run.TraceRun"', out
    assert notes[1].startswith('"def (') and "list[replaycase.model.run.TraceRun]" in notes[1], out
    assert notes[2] in ('"str"', '"builtins.str"'), out
    errors = {int(line.split(":")[1]) for line in lines if ": error:" in line}
    assert errors == {8, 9, 10}, out + err  # the bad status, the missing field, the wrong type
