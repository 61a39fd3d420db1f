"""Scaffold with the secret scan shared with a forked child writes the very folder the plain
scan writes, for every test trace, with or without secrets, and whatever the child does."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from test_secrets_e2e import PLANTED
from test_secrets_e2e import _trace as secrets_trace

from replaycase import forked
from replaycase.errors import ReplaycaseError
from replaycase.forked import Send
from replaycase.model import TraceRun
from replaycase.scaffold import build, shared_scan
from replaycase.scaffold.build import ScaffoldOptions, scaffold
from replaycase.secrets import DETECTORS, BigTextScan, find_spans

pytestmark = pytest.mark.skipif(not forked.can_fork(), reason="forking is Linux-only here")
DATA = Path(__file__).parent / "data"
TRACES = sorted(path for folder in ("traces", "replaykit", "golden")
                for path in (DATA / folder).rglob("*")
                if path.is_file() and path.suffix in (".json", ".jsonl"))


def _folder(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def _outcome(trace: Path, out: Path, options: ScaffoldOptions | None = None) -> object:
    try:
        scaffold(trace, out, options)
    except ReplaycaseError as exc:
        return f"{type(exc).__name__}: {exc}".replace(str(out), "OUT")
    return _folder(out)


_TEXT = shared_scan.SharedScan.text
TRUSTED: list[bool] = []
"""Whether the parent took the child's text, for each shared scan (``_both`` records it)."""


def _both(trace: Path, tmp: Path, patch: pytest.MonkeyPatch,
          options: ScaffoldOptions | None = None) -> tuple[object, object]:
    patch.setenv("REPLAYCASE_FORK", "0")
    plain = _outcome(trace, tmp / "plain" / "case", options)
    patch.delenv("REPLAYCASE_FORK")
    patch.setattr(build, "PARALLEL_MIN_BYTES", 0)
    def spy(self: shared_scan.SharedScan, run: TraceRun) -> str:
        found = _TEXT(self, run)
        TRUSTED.append(self._trusted)
        return found

    patch.setattr(shared_scan.SharedScan, "text", spy)
    return plain, _outcome(trace, tmp / "shared" / "case", options)


def test_the_test_traces_give_the_same_folders(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(TRACES) > 20
    TRUSTED.clear()
    folders = 0
    for index, trace in enumerate(TRACES):
        plain, shared = _both(trace, tmp_path / str(index), monkeypatch)
        assert plain == shared, trace
        folders += isinstance(plain, dict)
    assert folders > 10 and len(TRUSTED) >= folders and all(TRUSTED)


def test_a_trace_full_of_secrets_gives_the_same_folder(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    plain, shared = _both(secrets_trace(tmp_path / "trace.json"), tmp_path, monkeypatch)
    assert isinstance(plain, dict) and b"<redacted:" in plain["source-trace.json"]
    assert plain == shared


def test_an_observation_that_holds_only_once_redacted(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Derived first from the run as imported, the case is refused; the scan finds a secret,
    and derived again from the redacted run it is made, as the plain scan makes it."""
    options = ScaffoldOptions(observed=["error_matches: 'redacted:email:1'"])
    plain, shared = _both(secrets_trace(tmp_path / "trace.json"), tmp_path, monkeypatch,
                          options)
    assert isinstance(plain, dict) and plain == shared
    wrong = ScaffoldOptions(observed=["tool_called: nowhere"])
    plain, shared = _both(secrets_trace(tmp_path / "t2.json"), tmp_path / "2", monkeypatch,
                          wrong)
    assert isinstance(plain, str) and plain == shared


def _fails_at_once(send: Send, load: Callable[[], TraceRun], queue: int) -> None:
    raise RuntimeError("child failed")


def _imports_another_run(send: Send, load: Callable[[], TraceRun], queue: int) -> None:
    run = load()
    send((("another", None, 0), run.to_json()))
    send(shared_scan._take_units(BigTextScan(run.to_json()), queue))


def _dies_holding_units(send: Send, load: Callable[[], TraceRun], queue: int) -> None:
    run = load()
    text = run.to_json()
    send((shared_scan._identity(run), text))
    shared_scan._take_units(BigTextScan(text), queue)
    os._exit(1)


def _sends_garbage(send: Send, load: Callable[[], TraceRun], queue: int) -> None:
    send("not a pair")
    send(["not", "spans"])


@pytest.mark.parametrize(("child", "trusted"), [
    (_fails_at_once, False), (_imports_another_run, False), (_dies_holding_units, True),
    (_sends_garbage, False)])
def test_whatever_the_child_does_the_folder_is_the_same(
        child: Callable[..., None], trusted: bool, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_scan, "_serialize_and_scan", child)
    TRUSTED.clear()
    for index, trace in enumerate([secrets_trace(tmp_path / "trace.json"),
                                   DATA / "replaykit" / "billing-loop.json"]):
        plain, shared = _both(trace, tmp_path / str(index), monkeypatch)
        assert isinstance(plain, dict) and plain == shared
    assert [trusted, trusted] == TRUSTED


def test_detectors_split_any_way_find_what_one_scan_finds() -> None:
    text = json.dumps(PLANTED) * 3 + " filler 4111 1111 1111 1111" * 300
    expected = find_spans(text)
    for split in range(DETECTORS + 1):
        first, second = BigTextScan(text), BigTextScan(text)
        spans = [span for index in range(DETECTORS)
                 for span in (first if index < split else second).spans(index)]
        assert find_spans(text, detected=spans) == expected
