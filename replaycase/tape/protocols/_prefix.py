"""Reading a request in proportion to what is new in it (DESIGN 8): an agent sends its whole
conversation every turn, so a protocol keeps what it read of the last request and, when the
next one's messages start with that request's messages, reads only the messages past them.

Two caches, each holding the last request only (one agent's requests grow one conversation;
anything else is read whole, as it would be without them), safe to share between threads:

- ``ConversationCache``: the raw messages (JSON values) to the ``Conversation`` read from
  them. "Start with" is strict: the prefix's values must be the same JSON, type for type
  (``1``, ``1.0`` and ``true`` are equal in Python, not here), which ``marshal`` tells at C
  speed: equal bytes are equal values, and a list's bytes are its items' bytes in turn
  (version 2, whose bytes depend on the values only, not on which objects are shared).
- ``KeyCache``: the ``ChatMessage`` s of a request to its key's history, the prefix being
  the very objects the last request's history was made from (what ``ConversationCache``
  and the Responses store hand on).

Both resume from a copy of the state after the prefix, so what they give is what a fresh
read gives; a request that does not extend the last one is read whole.
"""

from __future__ import annotations

import marshal
import operator
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ...model import ChatMessage
from ...model.chat import Conversation
from ..key import HistoryBuilder
from ..models import KeyMessage

_HEAD = 5
"""A marshalled list's head (type byte and item count): its items' bytes follow."""


def fingerprint(values: Any) -> bytes | None:
    """The values' bytes, equal only for values that are the same JSON, type for type; None
    when they cannot be had (nesting too deep for ``marshal``)."""
    try:  # version 2: no references to objects met before, which depend on sharing
        return marshal.dumps(values, 2)
    except (ValueError, RecursionError):
        return None


def fork(conversation: Conversation) -> Conversation | None:
    """A copy of a conversation's state to read on from (its lists and dicts copied, the
    messages in them shared: a ``ChatMessage`` is not changed once read); None when the
    state is not a plain ``__dict__``."""
    try:
        state = vars(conversation)
    except TypeError:
        return None
    copy = Conversation.__new__(Conversation)
    vars(copy).update({name: value.copy() if isinstance(value, (list, dict, set)) else value
                       for name, value in state.items()})
    return copy


@dataclass(frozen=True)
class _Read:
    system: bytes | None
    items: bytes
    count: int
    conversation: Conversation


class ConversationCache:
    """The conversation of the last request read, to read the next one on from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: _Read | None = None
        self.resumed = 0
        """Requests read on from the last one (for tests and benchmarks)."""

    def read(self, messages: Sequence[Any], system: Any = None, where: str = "messages",
             check: Callable[[Any], None] | None = None) -> Conversation:
        """The conversation of ``messages`` as ``Conversation(system)`` and ``add`` for each
        message (``where[index]``) give it; ``check`` is called on each message not read
        before, ahead of reading any (a prefix read before passed it)."""
        items = fingerprint(list(messages))
        head = fingerprint(system) if system is not None else None
        with self._lock:
            last = self._last
        conversation = None
        if (items is not None and last is not None and last.system == head
                and (system is None or head is not None) and len(messages) >= last.count
                and items.startswith(last.items, _HEAD)):
            conversation = fork(last.conversation)
        start = 0 if conversation is None or last is None else last.count
        if check is not None:
            for message in messages[start:]:
                check(message)
        if conversation is None:
            conversation = Conversation(system)
        else:
            self.resumed += 1
        for index in range(start, len(messages)):
            conversation.add(messages[index], f"{where}[{index}]")
        if items is not None:
            kept = fork(conversation)
            if kept is not None:
                with self._lock:
                    self._last = _Read(head, items[_HEAD:], len(messages), kept)
        return conversation


class KeyCache:
    """The key history of the last request, to make the next one's on from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[ChatMessage] = []
        self._history = HistoryBuilder()
        self.resumed = 0

    def history(self, messages: Sequence[ChatMessage]) -> tuple[KeyMessage, ...]:
        """The key history of ``messages`` (``key._history``)."""
        with self._lock:
            before, built = self._messages, self._history
        if before and len(messages) >= len(before) and all(map(operator.is_, before,
                                                               messages)):
            history = built.fork()
            start = len(before)
            self.resumed += 1
        else:
            history, start = HistoryBuilder(), 0
        for message in messages[start:]:
            history.add(message)
        result = tuple(history.out)
        with self._lock:
            self._messages, self._history = list(messages), history
        return result
