"""The post-import hook behind the framework hooks of --freeze-tools: a patch runs right after
its module is imported, or at once when it already is; frameworks not installed are skipped."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from replaycase.freeze.frameworks import HOOKS, _post_import, install_all
from tests.freeze_checks import unfrozen

__all__ = ["unfrozen"]


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throwaway package ``rcpost_<n>`` with a submodule ``tool`` defining ``VALUE = 1``."""
    name = f"rcpost_{time.monotonic_ns()}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / name / "tool.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [m for m in sys.modules if m.split(".")[0] == name]:
        del sys.modules[module]


def _bump(module: ModuleType) -> None:
    module.VALUE += 1


def test_a_patch_runs_right_after_the_import(package: str) -> None:
    _post_import.when_imported(f"{package}.tool", _bump)
    assert f"{package}.tool" not in sys.modules
    module = __import__(f"{package}.tool", fromlist=["VALUE"])
    assert module.VALUE == 2
    del sys.modules[f"{package}.tool"]  # imported again: patched once only, on the first import
    assert __import__(f"{package}.tool", fromlist=["VALUE"]).VALUE == 1


def test_a_patch_runs_at_once_when_the_module_is_imported(package: str) -> None:
    module = __import__(f"{package}.tool", fromlist=["VALUE"])
    _post_import.when_imported(f"{package}.tool", _bump)
    assert module.VALUE == 2


def test_frameworks_not_installed_are_skipped(
    monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    for hook in HOOKS.values():
        monkeypatch.setattr(hook, "MODULE", f"rc_not_installed_{id(hook)}.tools")
    assert install_all(lambda tool, arguments: None) == []


def test_other_imports_pay_almost_nothing(package: str) -> None:
    """The finder answers a module it does not watch with one dictionary lookup."""
    _post_import.when_imported(f"{package}.never", _bump)
    finder = _post_import._FINDER
    started = time.perf_counter()
    for _ in range(10_000):
        assert finder.find_spec("json.decoder", None) is None
    assert (time.perf_counter() - started) / 10_000 < 20e-6
    _post_import._FINDER.patches.pop(f"{package}.never", None)


def test_a_patch_that_fails_leaves_the_module_importable(
    package: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(module: ModuleType) -> None:
        raise AttributeError("no BaseTool here")

    _post_import.when_imported(f"{package}.tool", broken)
    module = __import__(f"{package}.tool", fromlist=["VALUE"])
    assert module.VALUE == 1
    assert module.__loader__.__class__.__name__ != "_PatchingLoader"
    assert f"could not freeze the tools of {package}.tool" in capsys.readouterr().err
    assert any(package in line for line in _post_import.FAILURES)
