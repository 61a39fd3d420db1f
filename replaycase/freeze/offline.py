"""``--offline``: a runner's Python process may connect only to loopback (the model tape's
server); any other connection, and any name lookup of another host, raises at once.

Patched: ``socket.socket.connect`` and ``connect_ex``, ``socket.create_connection`` and
``socket.getaddrinfo``. A refusal is an ``OfflineRefused`` (a ``ConnectionRefusedError``)
naming the host, printed on the process's stderr and recorded in the run folder's
``offline-refusals.jsonl``. C extensions that open sockets themselves are not covered.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import sys
from typing import Any

from ._env import OFFLINE_REFUSALS, append

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost",
                            "ip6-loopback"})


class OfflineRefused(ConnectionRefusedError):
    """A connection ``replaycase --offline`` refused."""


def is_loopback(host: Any) -> bool:
    """True for a loopback address or name (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%")[0].rstrip(".").lower()
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def refuse(host: Any, port: Any, via: str) -> OfflineRefused:
    """Record the refusal (run folder and stderr) and return the error to raise."""
    shown = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    message = f"replaycase --offline: connection to {shown}:{port} refused"
    append(OFFLINE_REFUSALS, {"pid": os.getpid(), "host": shown, "port": port, "via": via})
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr, flush=True)
    return OfflineRefused(message)


def _check(sock: socket.socket, address: Any, via: str) -> None:
    family = getattr(sock, "family", None)
    if family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return  # a Unix socket, or an address the socket module will refuse itself
    if not is_loopback(address[0]):
        raise refuse(address[0], address[1] if len(address) > 1 else "?", via)


def install() -> None:
    """Patch the socket module of this process (once)."""
    if getattr(socket, "_replaycase_offline", False):
        return
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    create_connection, getaddrinfo = socket.create_connection, socket.getaddrinfo

    def offline_connect(self: socket.socket, address: Any) -> None:
        _check(self, address, "connect")
        return connect(self, address)

    def offline_connect_ex(self: socket.socket, address: Any) -> int:
        _check(self, address, "connect_ex")
        return connect_ex(self, address)

    def offline_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if isinstance(address, tuple) and not is_loopback(address[0]):
            raise refuse(address[0], address[1] if len(address) > 1 else "?",
                         "create_connection")
        return create_connection(address, *args, **kwargs)

    def offline_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (None, "", b"") and not is_loopback(host):  # "": a bind address
            raise refuse(host, port, "getaddrinfo")
        return getaddrinfo(host, port, *args, **kwargs)

    patched: dict[str, Any] = {"connect": offline_connect, "connect_ex": offline_connect_ex}
    for name, function in patched.items():
        setattr(socket.socket, name, function)
    setattr(socket, "create_connection", offline_create_connection)  # noqa: B010
    setattr(socket, "getaddrinfo", offline_getaddrinfo)  # noqa: B010
    setattr(socket, "_replaycase_offline", True)  # noqa: B010
