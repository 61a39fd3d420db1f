"""Malformed traces and case files: exit 2, one line naming the file, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replaycase.cli import app

DATA = Path(__file__).parent / "data" / "replaykit"
GOOD = json.loads((DATA / "billing-loop.json").read_text())


def _write(path: Path, content: bytes | str) -> Path:
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def _variant(**changes: object) -> str:
    data = json.loads(json.dumps(GOOD))
    data.update(changes)
    return json.dumps(data)


def _events(events: object) -> str:
    return _variant(events=events)


BAD_TRACES: dict[str, tuple[bytes | str, str]] = {
    "empty": ("", "empty file"),
    "whitespace": ("  \n\t \n", "empty file"),
    "truncated": (json.dumps(GOOD)[:300], "invalid JSON"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    "not utf-8": (b'{"run_id": "r", "status": "error", "events": ["caf\xe9"]}', "not UTF-8"),
    "not utf-8 in a key": (b'{"run_id": "r", "status": "error", "\xff": 1, "events": []}',
                           "invalid byte 0xff"),
    "a surrogate in utf-8": (b'{"run_id": "r", "status": "error", "events": ["\xed\xa0\x80"]}',
                             "not UTF-8"),
    "a BOM and whitespace": (b"\xef\xbb\xbf \n", "empty file"),
    "top-level string": ('"just a string"', "not a supported trace format"),
    "top-level number": ("42", "not a supported trace format"),
    "top-level list of numbers": ("[1, 2, 3]", "not a supported trace format"),
    "events not a list": (_events({"a": 1}), "events: expected a list, got an object"),
    "events without type": (_events([{"tool_name": "x"}]), 'events[0]: no "type"'),
    "event not an object": (_events([["tool_call"]]), "events[0]: expected an object, got a "
                                                      "list"),
    "tool name not a string": (_events([{"type": "tool_call", "tool_name": 5}]),
                               "no tool_name string"),
    "status unknown": (_variant(status="exploded"), "not a known run status"),
    "status a list": (_variant(status=["error"]), "not a known run status"),
    "run_id an object": (_variant(run_id={"a": 1}), "run_id: expected a string"),
    "is_error wrong type": (_events([{"type": "tool_result", "output": "x",
                                      "is_error": {"a": 1}}]), "is_error"),
    "nesting 100000 deep": ("[" * 100_000 + "]" * 100_000, "nesting deeper"),
    "nested in events": (_events([{"type": "tool_call", "tool_name": "x",
                                   "args": json.loads("[" * 500 + "]" * 500)}]),
                         "nesting deeper"),
    "30 MB string": ('{"run_id": "r", "status": "error", "events": [], "final_output": "'
                     + "x" * (30 * 1024 * 1024) + '"}', "a string of 30.0 MB"),
    "NaN": ('{"run_id": "r", "status": "error", "events": [], "final_output": NaN}',
            "NaN is not valid JSON"),
    "Infinity": ('{"run_id": "r", "status": "error", "events": [{"type": "llm_call", '
                 '"latency_ms": -Infinity}]}', "-Infinity is not valid JSON"),
    "yaml with python tag": ("run: !!python/object/apply:os.system ['echo hi']\n",
                             "invalid JSON"),
    "jsonl bad line": ('{"type": "run_started", "run_id": "r", "seq": 1, "ts": "x", '
                       '"payload": {}}\n[1, 2]\n', "line 2"),
}


def _scaffold(trace: Path, out: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["scaffold", str(trace), "--out", str(out)])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", sorted(BAD_TRACES))
def test_bad_trace_is_one_line_exit_2(tmp_path: Path, name: str) -> None:
    content, expected = BAD_TRACES[name]
    trace = _write(tmp_path / "trace.json", content)
    out = tmp_path / "case"
    code, stdout, stderr = _scaffold(trace, out)
    assert code == 2, (stdout, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert str(trace) in lines[0]
    assert expected in lines[0], lines[0]
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["trace.json"]


def test_bom_is_accepted(tmp_path: Path) -> None:
    trace = _write(tmp_path / "trace.json", b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    code, _, stderr = _scaffold(trace, tmp_path / "case")
    assert code == 0, stderr
    assert (tmp_path / "case" / "case.yaml").is_file()


def test_directory_and_missing_file(tmp_path: Path) -> None:
    code, _, stderr = _scaffold(tmp_path, tmp_path / "case")
    assert code == 2 and "is a directory" in stderr and str(tmp_path) in stderr
    code, _, stderr = _scaffold(tmp_path / "missing.json", tmp_path / "case2")
    assert code == 2 and "no such file" in stderr and "missing.json" in stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    trace = _write(tmp_path / "trace.json", "{")
    result = CliRunner().invoke(app, ["--debug", "scaffold", str(trace), "--out",
                                      str(tmp_path / "c")])
    assert result.exit_code != 0
    assert result.exception is not None
    assert type(result.exception).__name__ == "TraceFormatError"


def test_inspect_and_import_report_bad_input(tmp_path: Path) -> None:
    trace = _write(tmp_path / "trace.json", "[[[")
    for args in (["inspect", str(trace)], ["import", str(trace), "--out",
                                            str(tmp_path / "o.json")]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2
        assert str(trace) in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o.json").exists()


BAD_CASES: dict[str, tuple[str, str]] = {
    "python tag": ("schema: replaycase/v1\nid: !!python/object/apply:os.system ['id']\n",
                   "line 2: unsafe or unknown YAML tag"),
    "alias bomb": ("schema: replaycase/v1\na: &a [x, x, x]\nb: &b [*a, *a, *a]\n",
                   "aliases"),
    "unknown key": None,  # filled below
    "not a mapping": ("- 1\n- 2\n", "expected a mapping"),
    "empty": ("", "expected a mapping of case keys, got empty"),
    "no schema": ("id: x\n", "missing mandatory key 'schema'"),
    "newer schema": ("schema: replaycase/v9\n", "newer than this replaycase reads"),
    "duplicate key": ("schema: replaycase/v1\nid: a\nid: b\n", "line 3: duplicate key 'id'"),
    "bad yaml": ("schema: replaycase/v1\nid: [\n", "line 3"),
}


def _case_text(tmp_path: Path) -> str:
    from replaycase.scaffolding.build import scaffold

    scaffold(DATA / "billing-loop.json", tmp_path / "seed")
    return (tmp_path / "seed" / "case.yaml").read_text()


@pytest.mark.parametrize("name", [k for k in BAD_CASES if BAD_CASES[k] is not None])
def test_bad_case_yaml(tmp_path: Path, name: str) -> None:
    text, expected = BAD_CASES[name]  # type: ignore[misc]
    folder = tmp_path / "cases" / "bad"
    folder.mkdir(parents=True)
    (folder / "case.yaml").write_text(text)
    lint = CliRunner().invoke(app, ["lint", str(folder)])
    assert lint.exit_code == 1
    assert expected in lint.stdout, lint.stdout
    replay = CliRunner().invoke(app, ["replay", str(folder), "--runner-cmd", "true"])
    assert replay.exit_code == 2
    assert expected in replay.stderr and "case.yaml" in replay.stderr
    assert len(replay.stderr.strip().splitlines()) == 1


def test_unknown_key_in_case_yaml_names_the_line(tmp_path: Path) -> None:
    text = _case_text(tmp_path).replace("revision: 1\n", "revision: 1\nreviewer: bob\n")
    line = text.splitlines().index("reviewer: bob") + 1
    folder = tmp_path / "cases" / "bad"
    folder.mkdir(parents=True)
    (folder / "case.yaml").write_text(text)
    result = CliRunner().invoke(app, ["lint", str(folder)])
    assert result.exit_code == 1
    assert f"case.yaml:{line}: reviewer: unknown key 'reviewer'" in result.stdout
