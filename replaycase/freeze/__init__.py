"""Frozen tools and a network-less runner (DESIGN 8 "Tools"): ``replay --freeze-tools`` and
``--offline``.

Replay puts ``site/`` first on a Python runner's ``PYTHONPATH``; its ``sitecustomize`` (and
so every Python process the runner starts) calls ``activate.activate`` when replaycase asked
for it, which patches the plain functions named in the configuration (``patching``) and the
framework hooks (``frameworks``, when installed) to answer from the case's fixtures
(``store``), and refuses connections off loopback (``offline``).

This ``__init__`` imports only the stdlib: the runner's start-up pays only for what it uses.
"""

from ._env import (
    FREEZE_LOADED,
    FREEZE_TOOLS,
    FROZEN_TOOLS,
    HOME,
    OFFLINE,
    OFFLINE_REFUSALS,
    TOOL_MAP,
)

__all__ = ["FREEZE_LOADED", "FREEZE_TOOLS", "FROZEN_TOOLS", "HOME", "OFFLINE",
           "OFFLINE_REFUSALS", "SITE_DIR", "TOOL_MAP"]

import os as _os

SITE_DIR = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "site")
"""The folder replay puts first on the runner's PYTHONPATH (it holds ``sitecustomize.py``)."""
