"""The pieces of ``replaycase.freeze`` on their own: the store's matching and evidence, the
plain-function patches (at import, already imported, ``from x import f`` in ``__main__``),
the argument mapping, ``--offline`` in a real Python process, and the sitecustomize's
chaining."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from replaycase.freeze import FREEZE_LOADED, FROZEN_TOOLS, OFFLINE_REFUSALS, SITE_DIR, store
from replaycase.freeze.offline import is_loopback
from replaycase.freeze.patching import (
    ToolSpecError,
    call_arguments,
    install,
    parse_target,
)
from replaycase.results import evidence_names


@pytest.fixture
def fixtures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "fixtures"
    folder.mkdir()
    (folder / "tool_calls.json").write_text(json.dumps([
        {"tool_name": "get_order", "tool_args": {"id": "A"}, "output": {"n": 1}},
        {"tool_name": "get_order", "tool_args": {"id": "A"}, "output": {"n": 2}},
        {"tool_name": "refund", "tool_args": {"id": "A"}, "output": "card declined",
         "is_error": True, "error_type": "PaymentError"},
        {"tool_name": "refund", "tool_args": {"id": "B"}, "output": "no such order",
         "is_error": True},
        {"tool_name": "refund", "tool_args": {"id": "C"},  # as the model was shown it
         "output": "Error: PaymentError: card declined", "is_error": True,
         "error_type": "PaymentError"},
        {"tool_name": "refund", "tool_args": {"id": "D"},  # a retry whose text names another
         "output": "Error: TimeoutError: try later", "is_error": True,
         "error_type": "ModelRetry"},
    ]))
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setenv("REPLAYCASE_FIXTURES_DIR", str(folder))
    monkeypatch.setenv("REPLAYCASE_RUN_DIR", str(run))
    store.reset()
    yield run
    store.reset()


def _lines(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_identical_calls_are_served_in_order_then_the_last_again(fixtures: Path) -> None:
    served = [store.frozen_call("get_order", {"id": "A"}) for _ in range(3)]
    assert served == [{"n": 1}, {"n": 2}, {"n": 2}]
    assert [r["call"] for r in _lines(fixtures / FROZEN_TOOLS)] == [1, 2, 3]


def test_a_recorded_error_is_raised_with_its_message_and_recorded_type(fixtures: Path) -> None:
    with pytest.raises(store.RecordedToolError) as typed:
        store.frozen_call("refund", {"id": "A"})
    assert type(typed.value).__name__ == "PaymentError" and str(typed.value) == "card declined"
    with pytest.raises(store.RecordedToolError) as plain:
        store.frozen_call("refund", {"id": "B"})
    assert type(plain.value) is store.RecordedToolError
    assert str(plain.value) == "no such order"
    with pytest.raises(store.RecordedToolError) as rendered:
        store.frozen_call("refund", {"id": "C"})
    assert (type(rendered.value).__name__, str(rendered.value)) == ("PaymentError",
                                                                   "card declined")
    with pytest.raises(store.RecordedToolError) as retried:
        store.frozen_call("refund", {"id": "D"})
    assert (type(retried.value).__name__, str(retried.value)) == (
        "ModelRetry", "Error: TimeoutError: try later")


def test_a_call_not_recorded_raises_and_is_a_miss_in_the_run_folder(fixtures: Path) -> None:
    with pytest.raises(store.ToolCallNotRecorded, match="get_order"):
        store.frozen_call("get_order", {"id": "Z"})
    [miss] = _lines(fixtures / evidence_names.FIXTURE_MISSES)
    assert miss["tool_name"] == "get_order" and miss["tool_args"] == '{"id":"Z"}'
    assert _lines(fixtures / FROZEN_TOOLS)[0]["served"] == "not_recorded"


def test_the_evidence_names_are_one_list() -> None:
    assert (FROZEN_TOOLS, FREEZE_LOADED, OFFLINE_REFUSALS) == (
        evidence_names.FROZEN_TOOLS, evidence_names.FREEZE_LOADED,
        evidence_names.OFFLINE_REFUSALS)


def test_arguments_map_by_signature() -> None:
    import inspect

    def tool(customer_id: str, limit: int = 10, *rest: int, **extra: str) -> None: ...

    sig = inspect.signature(tool)
    assert call_arguments(sig, ("C-1",), {}) == {"customer_id": "C-1"}
    assert call_arguments(sig, ("C-1", 5), {"x": "y"}) == {"customer_id": "C-1", "limit": 5,
                                                            "x": "y"}
    method = inspect.signature(lambda self, q: None)
    assert call_arguments(method, (object(), "q1"), {}) == {"q": "q1"}
    with pytest.raises(TypeError):
        call_arguments(sig, (), {})


@pytest.mark.parametrize("target", ["mod", "mod:", ":f", "mod:f()", "a b:f"])
def test_a_malformed_target_is_refused(target: str) -> None:
    with pytest.raises(ToolSpecError):
        parse_target(target)


def test_functions_are_patched_at_import_already_imported_and_in_main(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fz_later.py").write_text("def get(q):\n    return 'real'\n"
                                          "async def aget(q):\n    return 'real'\n"
                                          "class Api:\n    def find(self, q):\n"
                                          "        return 'real'\n")
    now = types.ModuleType("fz_now")
    exec("def get(q):\n    return 'real'\n", now.__dict__)
    monkeypatch.setitem(sys.modules, "fz_now", now)
    main = types.ModuleType("__main__")
    main.get = now.get  # type: ignore[attr-defined]  # `from fz_now import get` ran first
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.syspath_prepend(str(tmp_path))
    calls: list[tuple[str, object]] = []

    def frozen(name: str, args: object) -> str:
        calls.append((name, args))
        return "frozen"

    finder = install({"now": "fz_now:get", "later": "fz_later:get", "alater": "fz_later:aget",
                      "find": "fz_later:Api.find"}, frozen)
    try:
        assert now.get("a") == "frozen" and main.get("b") == "frozen"  # type: ignore[attr-defined]
        from fz_later import Api, aget, get  # type: ignore[import-not-found]

        assert get(q="c") == "frozen" and asyncio.run(aget("d")) == "frozen"
        assert Api().find("e") == "frozen"
    finally:
        sys.meta_path.remove(finder)
        sys.modules.pop("fz_later", None)
    assert calls == [("now", {"q": "a"}), ("now", {"q": "b"}), ("later", {"q": "c"}),
                     ("alater", {"q": "d"}), ("find", {"q": "e"})]
    assert sorted(finder.patched) == ["alater", "find", "later", "now"]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost",
                                  "LOCALHOST.", "app.localhost", b"127.0.0.1"])
def test_loopback(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["api.example.com", "10.0.0.1", "0.0.0.0", "::", 7, None])
def test_not_loopback(host: object) -> None:
    assert not is_loopback(host)


OFFLINE_SCRIPT = textwrap.dedent("""
    import socket, sys
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    socket.create_connection(server.getsockname(), timeout=2).close()  # loopback: allowed
    for attempt in (lambda: socket.create_connection(("api.example.com", 443)),
                    lambda: socket.getaddrinfo("api.example.com", 80),
                    lambda: socket.socket().connect(("10.1.2.3", 8080)),
                    lambda: socket.socket().connect_ex(("10.1.2.3", 8081))):
        try:
            attempt()
        except ConnectionRefusedError as exc:
            print(type(exc).__name__, exc)
""")


def test_offline_refuses_all_but_loopback_in_a_python_process(tmp_path: Path) -> None:
    env = {**os.environ, "REPLAYCASE_OFFLINE": "1", "REPLAYCASE_RUN_DIR": str(tmp_path),
           "PYTHONPATH": SITE_DIR}
    done = subprocess.run([sys.executable, "-c", OFFLINE_SCRIPT], env=env, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "OfflineRefused replaycase --offline: connection to api.example.com:443 refused",
        "OfflineRefused replaycase --offline: connection to api.example.com:80 refused",
        "OfflineRefused replaycase --offline: connection to 10.1.2.3:8080 refused",
        "OfflineRefused replaycase --offline: connection to 10.1.2.3:8081 refused"]
    assert [r["via"] for r in _lines(tmp_path / OFFLINE_REFUSALS)] == [
        "create_connection", "getaddrinfo", "connect", "connect_ex"]
    [loaded] = _lines(tmp_path / FREEZE_LOADED)
    assert loaded["offline"] is True and loaded["tools"] == []
    assert socket.getaddrinfo is not None  # this process is untouched


def test_inactive_unless_asked_and_a_users_sitecustomize_still_runs(tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    (user / "sitecustomize.py").write_text("import builtins\nbuiltins.USER_SITE = 1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLAYCASE_")}
    env.update(PYTHONPATH=os.pathsep.join([SITE_DIR, str(user)]),
               REPLAYCASE_RUN_DIR=str(tmp_path))
    code = "import builtins, socket; print(builtins.USER_SITE, " \
           "hasattr(socket, '_replaycase_offline'))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=30)
    assert done.stdout.split() == ["1", "False"], done.stderr
    assert not (tmp_path / FREEZE_LOADED).exists()
