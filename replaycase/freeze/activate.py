"""What ``site/sitecustomize.py`` runs in every Python process of a frozen runner."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from ._env import FREEZE_LOADED, FREEZE_TOOLS, OFFLINE, TOOL_MAP, append, asked


def activate() -> None:
    """Install what replaycase asked for (``--offline``, ``--freeze-tools``) and leave the
    marker record in the run folder; a failure is said on stderr and recorded, never
    silent."""
    record: dict[str, Any] = {"pid": os.getpid(), "argv": list(sys.argv),
                              "executable": sys.executable, "offline": False, "tools": [],
                              "frameworks": None, "error": None}
    try:
        if asked(OFFLINE):
            from . import offline

            offline.install()
            record["offline"] = True
        if asked(FREEZE_TOOLS):
            record["tools"], record["frameworks"] = _freeze()
    except Exception as exc:  # the runner still starts; replay reports the fault
        record["error"] = f"{type(exc).__name__}: {exc}"
        print(f"replaycase: the freeze could not be installed: {record['error']}",
              file=sys.stderr)
    append(FREEZE_LOADED, record)


def _freeze() -> tuple[list[str], Any]:
    """Patch the plain functions named by replay and install the framework hooks."""
    from . import patching
    from .store import frozen_call

    targets = json.loads(os.environ.get(TOOL_MAP) or "{}")
    if not isinstance(targets, dict):
        raise ValueError(f"{TOOL_MAP}: expected a JSON object")
    patching.install({str(k): str(v) for k, v in targets.items()}, frozen_call)
    frameworks: Any = None
    try:
        from .frameworks import install_all  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        pass
    else:
        frameworks = install_all(frozen_call)
        if not isinstance(frameworks, (list, dict, str, type(None))):
            frameworks = repr(frameworks)
    return sorted(targets), frameworks
