"""``--freeze-tools`` and ``--offline`` on replay's side: the runner's environment, and what
its run folder says afterwards (was the freeze loaded? what did --offline refuse?)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import UsageError
from ..freeze import (
    FREEZE_LOADED,
    FREEZE_TOOLS,
    HOME,
    OFFLINE,
    OFFLINE_REFUSALS,
    SITE_DIR,
    TOOL_MAP,
)
from ..freeze.patching import ToolSpecError, parse_target
from .evidence import RunFolder

_CAP = 1024 * 1024
NOT_LOADED = ("{asked} asked, but the runner's Python never loaded replaycase's sitecustomize "
              "(python -I or -S? not a Python runner? PYTHONPATH replaced?): its tools were "
              "not frozen")


def check_tools(tools: Mapping[str, str]) -> dict[str, str]:
    """The tools ``{name: "module:function"}``, each checked; UsageError naming a bad one."""
    for name, target in tools.items():
        if not name:
            raise UsageError(f"--tool {name}={target}: the tool name is empty")
        try:
            parse_target(target)
        except ToolSpecError as exc:
            raise UsageError(f"tool {name!r}: {exc}") from None
    return dict(tools)


def parse_tool_flags(flags: list[str]) -> dict[str, str]:
    """``--tool NAME=module:function`` flags as a mapping; UsageError for a malformed one."""
    tools: dict[str, str] = {}
    for flag in flags:
        name, sep, target = flag.partition("=")
        if not sep:
            raise UsageError(f"--tool {flag}: expected NAME=module:function")
        tools[name.strip()] = target.strip()
    return check_tools(tools)


def asked_for(freeze_tools: bool, offline: bool) -> str | None:
    """The flags asked, as the note says them; None for neither."""
    said = [flag for flag, on in (("--freeze-tools", freeze_tools), ("--offline", offline))
            if on]
    return " and ".join(said) or None


def freeze_env(env: dict[str, str], freeze_tools: bool, offline: bool,
               tools: Mapping[str, str]) -> None:
    """Add to the runner's environment what activates the freeze (nothing when not asked)."""
    for name in (FREEZE_TOOLS, OFFLINE, TOOL_MAP):
        env.pop(name, None)  # never the caller's
    if not (freeze_tools or offline):
        return
    env[FREEZE_TOOLS] = "1" if freeze_tools else "0"
    env[OFFLINE] = "1" if offline else "0"
    env[TOOL_MAP] = json.dumps(dict(tools) if freeze_tools else {})
    env[HOME] = str(Path(SITE_DIR).parent.parent.parent)
    rest = env.get("PYTHONPATH")
    env["PYTHONPATH"] = SITE_DIR + (os.pathsep + rest if rest else "")


def freeze_faults(run: RunFolder, freeze_tools: bool, offline: bool) -> list[str]:
    """The runner's faults in its folder: the freeze asked but never loaded, or loaded with
    an error. Also prints nothing: the result says it."""
    asked = asked_for(freeze_tools, offline)
    if asked is None:
        return []
    records = _records(run, FREEZE_LOADED)
    if not records:
        return [NOT_LOADED.format(asked=asked)]
    errors = sorted({str(r["error"]) for r in records if r.get("error")})
    return [f"{asked}: the freeze could not be installed: {e}" for e in errors]


def offline_refusals(run: RunFolder) -> list[str]:
    """``host:port`` of every connection ``--offline`` refused, each once."""
    return list(dict.fromkeys(f"{r.get('host')}:{r.get('port')}"
                              for r in _records(run, OFFLINE_REFUSALS)))


def _records(run: RunFolder, name: str) -> list[dict[str, object]]:
    text = run.read_log(name, _CAP, False)
    found = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def offline_note(reason: str | None, refused: list[str]) -> str | None:
    """A runner error's reason, with the connections --offline refused (the likely cause)."""
    if reason is None or not refused:
        return reason
    shown = ", ".join(refused[:5]) + (f" and {len(refused) - 5} more" if len(refused) > 5 else "")
    return f"{reason} (replaycase --offline refused connections to {shown})"
