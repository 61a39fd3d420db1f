"""Start-up stays fast: the CLI imports no heavy module until a command needs it.

A real check, not a timing test: which modules a fresh interpreter has loaded. The timing
itself is measured by bench/startup.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

HEAVY = ("pydantic", "rich", "yaml", "jinja2", "deepdiff")


def loaded_after(code: str) -> tuple[set[str], str]:
    """The top-level modules loaded by ``code`` in a fresh interpreter, and its stdout."""
    probe = (f"{code}\nimport json, sys\n"
             "print('MODULES=' + json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    out, _, modules = done.stdout.rpartition("MODULES=")
    return set(json.loads(modules)), out


def test_importing_the_cli_loads_no_heavy_module() -> None:
    modules, _ = loaded_after("import replaycase.cli")
    assert "typer" in modules  # the probe really imported the CLI
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["--debug", "--version"],
                                  ["replay", "--help"], ["init", "--help"]])
def test_version_and_help_load_no_heavy_module(argv: list[str]) -> None:
    # typer itself builds a subcommand's parameters with pydantic (typer._adapters), so
    # pydantic is allowed there; replaycase adds nothing heavy of its own.
    heavy = set(HEAVY) - ({"pydantic"} if argv[0] in ("replay", "init") else set())
    code = ("import sys\n"
            f"sys.argv = ['replaycase', *{argv!r}]\n"
            "from replaycase.__main__ import main\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n")
    modules, out = loaded_after(code)
    assert modules.isdisjoint(heavy), sorted(modules & heavy)
    if "--version" in argv:
        from replaycase import __version__

        assert out == f"replaycase {__version__}\n"
    else:
        assert "Usage: replaycase" in out


def test_version_answers_before_typer_is_imported() -> None:
    modules, out = loaded_after("import sys\nsys.argv = ['replaycase', '--version']\n"
                                "from replaycase.__main__ import main\nmain()")
    assert out.startswith("replaycase ")
    assert "typer" not in modules and "click" not in modules


def test_the_console_script_is_the_fast_entry_point() -> None:
    [script] = [e for e in entry_points(group="console_scripts") if e.name == "replaycase"]
    assert script.value == "replaycase.__main__:main"
    [plugin] = [e for e in entry_points(group="pytest11") if e.value == "replaycase.pytest_plugin"]
    assert plugin.name == "replaycase.pytest_plugin"  # so `-p replaycase.pytest_plugin` is no
    # second registration
