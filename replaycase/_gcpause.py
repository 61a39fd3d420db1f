"""Pausing the cyclic garbage collector while a big trace becomes objects.

For the CLI commands only (scaffold, import, inspect: in cli/_cases.py and cli/_traces.py),
which own their process; the library never switches the collector off in a host process (the
pytest plugin, an application calling ``load_trace`` or ``scaffold``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off (reference counting still frees memory).

    Importing a 40 MB trace creates millions of objects, none in cycles; every generation-2
    pass of the collector walks all of them again, which doubled the import time. Cycles made
    inside the block are collected after it, once the collector is back on. Nests safely.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
