"""The native JSON text of a TraceRun (source-trace.json, ``import``, candidate runs).

Run fields are pretty-printed; events are written one a line, compact, and ``null`` fields
are left out (every field that can be null defaults to null, so the text loads back equal).
One event a line keeps big traces diff-friendly and makes writing them a single serializer
pass: the events are serialized as one compact list, then split where each event begins.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import pydantic_core
from pydantic import BaseModel

_EVENTS_SLOT = '\n  "events": []'


def dump_trace_run(head: BaseModel, events: list[Any]) -> str:
    """A run as native JSON text, ending in a newline: ``head`` is the run with no events,
    ``events`` its events."""
    return dump_trace_run_bytes(head, events).decode()


def dump_trace_run_bytes(head: BaseModel, events: list[Any]) -> bytes:
    """``dump_trace_run`` encoded as UTF-8: made as bytes, which on a 40 MB trace saves
    copying the text four times over."""
    text = head.model_dump_json(by_alias=True, indent=2, exclude_none=True)
    if not events:
        return (text + "\n").encode()
    # Each event by its own class's serializer: the same text as ``run``'s (a test pins it),
    # twice as fast as matching 300,000 events against the ten-member union.
    compact = pydantic_core.to_json(events, by_alias=True, exclude_none=True)
    lines = object_lines(compact, b"    ")
    del compact  # the lines are a copy: one copy of a big run's text less at the join
    before, after = text.split(_EVENTS_SLOT, 1)
    return b"".join((before.encode(), b'\n  "events": [\n', *lines, b"\n  ]", after.encode(),
                     b"\n"))


def dumps_items(items: Iterable[Any]) -> Iterator[str]:
    """A JSON list of objects that each begin with a ``seq`` key, one a line, as pieces of
    text to write one after the other; values that are not JSON become their ``str``.

    Serialized ``_CHUNK`` items at a time, when the pieces are asked for (the same text as
    one pass): items made on the way (a generator) never all exist at once, nor does the
    whole text."""
    items = iter(items)
    first = True
    while chunk := list(islice(items, _CHUNK)):
        _, lines = object_lines(pydantic_core.to_json(chunk, fallback=str), b"  ")
        if first:
            yield "[\n  "
        else:  # where one pass put the comma, and broke the line if it did
            yield ",\n  " if lines[:len(_SEQ)] == _SEQ else ","
        first = False
        yield str(lines, "utf-8")  # a chunk's text: the bytes are let go at once
    yield "[]\n" if first else "\n]\n"


_CHUNK = 10_000
_SEQ = b'{"seq":'


def list_lines(compact: bytes) -> str:
    """A compact JSON list of objects that each begin with a ``seq`` key, as text with one
    object a line."""
    return b"".join((b"[\n", *object_lines(compact, b"  "), b"\n]\n")).decode()


def object_lines(compact: bytes, indent: bytes) -> tuple[bytes, memoryview]:
    """The objects of a compact JSON list whose first key is ``seq``, one a line, without the
    list's brackets: two parts, to join with the text around them (no copy of their own).

    ``,{"seq":`` can only occur in compact JSON outside strings (a quote inside a string is
    escaped), so every break lands between tokens and the text stays the same JSON; an
    object nested in a payload that happens to begin with ``seq`` just gets a line too.
    """
    lines = compact.replace(b"," + _SEQ, b",\n" + indent + _SEQ)
    return indent, memoryview(lines)[1:-1]
