"""Scaffold with the secret scan shared with a forked child writes the very folder the plain
scan writes, for every test trace, with or without secrets, and whatever the child does."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_secrets_e2e import PLANTED
from test_secrets_e2e import _trace as secrets_trace

from replaycase import forked
from replaycase.errors import ReplaycaseError
from replaycase.forked import Send
from replaycase.scaffold import build, shared_scan
from replaycase.scaffold.build import ScaffoldOptions, scaffold
from replaycase.secrets import DETECTORS, BigTextScan, Span, find_spans

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


_DETECTED = shared_scan.SharedScan.detected
HELPED: list[int] = []
"""How many detectors the child ran, for each shared scan (``_both`` records it)."""


def _both(trace: Path, tmp: Path, patch: pytest.MonkeyPatch,
          options: ScaffoldOptions | None = None) -> tuple[object, object]:
    patch.setenv("REPLAYCASE_FORK", "0")
    plain = _outcome(trace, tmp / "plain" / "case", options)
    patch.delenv("REPLAYCASE_FORK")
    patch.setattr(build, "PARALLEL_MIN_BYTES", 0)

    def spy(self: shared_scan.SharedScan, text: str) -> list[Span]:
        found = _DETECTED(self, text)
        HELPED.append(self.helped)
        return found

    patch.setattr(shared_scan.SharedScan, "detected", spy)
    return plain, _outcome(trace, tmp / "shared" / "case", options)


def test_the_test_traces_give_the_same_folders(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(TRACES) > 20
    HELPED.clear()
    folders = 0
    for index, trace in enumerate(TRACES):
        plain, shared = _both(trace, tmp_path / str(index), monkeypatch)
        assert plain == shared, trace
        folders += isinstance(plain, dict)
    # The child takes detectors while this process derives the case: it ran some for most.
    assert folders > 10 and len(HELPED) >= folders and sum(map(bool, HELPED)) > folders / 2


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


TOOK: list[Path] = []
"""Where a child below says it has taken its detectors (it inherits this list by fork)."""


def _took(queue: int, count: int) -> bytes:
    units = os.read(queue, count)
    TOOK[0].write_text("took")
    return units


def _fails_at_once(send: Send, queue: int, text_file: int, wait: int, go: int) -> None:
    TOOK[0].write_text("took none")
    raise RuntimeError("child failed")


def _dies_holding_units(send: Send, queue: int, text_file: int, wait: int, go: int) -> None:
    _took(queue, DETECTORS)  # every detector, and reports on none
    os._exit(1)


def _sends_garbage(send: Send, queue: int, text_file: int, wait: int, go: int) -> None:
    units = _took(queue, 3)
    send(dict(zip(units, ["not spans", [("not", "a span")], None], strict=True)))


def _reports_half(send: Send, queue: int, text_file: int, wait: int, go: int) -> None:
    """Runs half the detectors on the text it is handed, and dies in the middle of one more."""
    units = _took(queue, DETECTORS // 2 + 1)
    os.close(go)
    size = int.from_bytes(os.read(wait, 8), "little")
    scan = BigTextScan(os.pread(text_file, size, 0).decode())
    send({unit: scan.spans(unit) for unit in units[:-1]})
    os._exit(1)


@pytest.mark.parametrize(("child", "helped"), [
    (_fails_at_once, 0), (_dies_holding_units, 0), (_sends_garbage, 0),
    (_reports_half, DETECTORS // 2)])
def test_whatever_the_child_does_the_folder_is_the_same(
        child: Callable[..., None], helped: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_scan, "_scan_handed_text", child)
    monkeypatch.setattr(shared_scan, "_take_units", _after_the_child(shared_scan._take_units))
    HELPED.clear()
    for index, trace in enumerate([secrets_trace(tmp_path / "trace.json"),
                                   DATA / "replaykit" / "billing-loop.json"]):
        TOOK[:] = [tmp_path / f"took-{index}"]
        plain, shared = _both(trace, tmp_path / str(index), monkeypatch)
        assert isinstance(plain, dict) and plain == shared
        assert TOOK[0].exists()
    assert [helped, helped] == HELPED


def _after_the_child(take: Callable[..., dict[int, list[Span]]]
                     ) -> Callable[..., dict[int, list[Span]]]:
    """``_take_units`` that first waits for the child to take its detectors."""
    def wait_then_take(scan: BigTextScan, queue: int) -> dict[int, list[Span]]:
        for _ in range(1000):
            if TOOK[0].exists():
                break
            time.sleep(0.01)
        return take(scan, queue)

    return wait_then_take


def test_a_text_the_child_cannot_be_handed_is_scanned_here() -> None:
    text = json.dumps(PLANTED) * 3
    shared = shared_scan.SharedScan.start()
    assert shared is not None
    with shared, open(os.devnull, "rb") as read_only:
        os.close(shared._text_file)
        shared._text_file = os.dup(read_only.fileno())  # writing the text fails
        shared.hand(text.encode())
        assert find_spans(text, detected=shared.detected(text)) == find_spans(text)
    assert shared.helped == 0


def test_a_big_trace_is_scanned_by_the_child(tmp_path: Path) -> None:
    """Above PARALLEL_MIN_BYTES the child runs detectors while the case is derived."""
    trace = tmp_path / "big.json"
    events = [{"type": "tool_call", "tool_name": "lookup", "args": {"page": i}, "call_id": str(i)}
              for i in range(40_000)] + [{"type": "error", "message": "looped"}]
    trace.write_text(json.dumps({"run_id": "big", "status": "error", "events": events}))
    assert trace.stat().st_size < build.PARALLEL_MIN_BYTES
    events = events * (build.PARALLEL_MIN_BYTES // trace.stat().st_size + 1)
    trace.write_text(json.dumps({"run_id": "big", "status": "error", "events": events}))
    seen: list[int] = []

    def spy(self: shared_scan.SharedScan, text: str) -> list[Span]:
        found = _DETECTED(self, text)
        seen.append(self.helped)
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shared_scan.SharedScan, "detected", spy)
        scaffold(trace, tmp_path / "case")
    assert len(seen) == 1 and seen[0] > 0
    assert (tmp_path / "case" / "source-trace.json").stat().st_size > build.PARALLEL_MIN_BYTES


def test_detectors_split_any_way_find_what_one_scan_finds() -> None:
    text = json.dumps(PLANTED) * 3 + " filler 4111 1111 1111 1111" * 300
    expected = find_spans(text)
    for split in range(DETECTORS + 1):
        first, second = BigTextScan(text), BigTextScan(text)
        spans = [span for index in range(DETECTORS)
                 for span in (first if index < split else second).spans(index)]
        assert find_spans(text, detected=spans) == expected
