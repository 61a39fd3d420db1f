"""Opening files that other programs made: regular files only, never through a link for
writing, never read whole without a cap (DESIGN 7).

Traces, case folders and a runner's evidence are untrusted: any of them may be a FIFO (which
blocks an ordinary ``open``), a device (``/dev/zero`` never ends), a socket, or a symbolic link
planted to make replaycase overwrite a file elsewhere. Every read and write of such a file goes
through this module:

- ``open_regular`` opens without blocking, refuses anything but a regular file and, with
  ``follow=False``, a link; ``read_regular`` reads it whole under a byte cap.
- ``write_atomic`` writes a temporary sibling (created exclusively, never through a link) and
  renames it over the target: a link at the target is replaced, not followed, and a failed
  write (a full disk) leaves the old file or none, never a truncated one.
- ``Folder`` holds a folder open by descriptor, so that a runner replacing its run folder by a
  link, or deleting it, cannot redirect the writes that follow.

Every problem is a ``FileAccessError`` naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import FileAccessError

_MB = 1024 * 1024
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISLNK, "a symbolic link"),
)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, for a message: 'a FIFO (named pipe)', …"""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def _strerror(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.ELOOP:
        return "is a symbolic link (not followed) or a loop of links"
    return exc.strerror or str(exc)


def _size_problem(size: int, limit: int) -> str:
    return f"file is {size / _MB:.1f} MB, above the limit of {limit / _MB:.1f} MB"


def open_regular(path: str | Path, *, max_bytes: int | None = None, follow: bool = True,
                 dir_fd: int | None = None) -> BinaryIO:
    """Open a regular file for reading without ever blocking on it.

    A FIFO, socket, device or directory is refused before anything is read; with
    ``follow=False`` so is a symbolic link (the last component of the path); with
    ``max_bytes`` so is a file larger than that. ``dir_fd`` resolves a relative ``path``
    inside an open folder (see ``Folder``).
    """
    flags = os.O_RDONLY | _NONBLOCK | _CLOEXEC | (0 if follow else _NOFOLLOW)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError as exc:
        raise FileAccessError(path, f"cannot read: {_strerror(exc)}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = kind_of(info.st_mode)
            hint = ", expected a file" if kind == "a directory" else ", not a regular file"
            raise FileAccessError(path, f"is {kind}{hint}")
        if max_bytes is not None and info.st_size > max_bytes:
            raise FileAccessError(path, _size_problem(info.st_size, max_bytes))
        if _NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:  # any failure, an interrupt too: close the descriptor, re-raise
        os.close(fd)
        raise


def read_regular(path: str | Path, max_bytes: int, *, follow: bool = True,
                 dir_fd: int | None = None) -> bytes:
    """The whole content of a regular file of at most ``max_bytes`` (also when it grows while
    being read); FileAccessError otherwise.

    The file's size is read first (a buffer as large as the cap is never reserved); what a
    growing file adds comes in chunks, until its end or the cap.
    """
    with open_regular(path, max_bytes=max_bytes, follow=follow, dir_fd=dir_fd) as handle:
        try:
            expected = os.fstat(handle.fileno()).st_size
            chunks = [handle.read(expected + 1)]
            total = len(chunks[0])
            while total > expected and total <= max_bytes and chunks[-1]:
                chunks.append(handle.read(min(_MB, max_bytes + 1 - total)))
                total += len(chunks[-1])
        except OSError as exc:
            raise FileAccessError(path, f"cannot read: {_strerror(exc)}") from None
    if total > max_bytes:
        raise FileAccessError(path, f"file grew above the limit of {max_bytes / _MB:.1f} MB "
                               "while being read")
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_tail(path: str | Path, max_bytes: int, *, follow: bool = True,
              dir_fd: int | None = None) -> tuple[bytes, int]:
    """The last ``max_bytes`` of a regular file and the file's size (a sparse or huge log is
    never read whole)."""
    with open_regular(path, follow=follow, dir_fd=dir_fd) as handle:
        try:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - max_bytes))
            return handle.read(max_bytes), size
        except OSError as exc:
            raise FileAccessError(path, f"cannot read: {_strerror(exc)}") from None


def write_atomic(path: str | Path, data: bytes | str, *, dir_fd: int | None = None) -> None:
    """Write ``data`` to ``path`` through an exclusively created temporary sibling and a
    rename: a link at ``path`` is replaced, never followed, and a failed write leaves no
    partial file. FileAccessError naming ``path`` when it cannot be written."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    try:
        fd = os.open(tmp, flags, 0o644, dir_fd=dir_fd)
    except OSError as exc:
        raise FileAccessError(path, f"cannot write: {_strerror(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        if exc.errno == errno.EISDIR or (exc.errno == errno.ENOTEMPTY):
            raise FileAccessError(path, "cannot write: is a directory") from None
        raise FileAccessError(path, f"cannot write: {_strerror(exc)}") from None


class Folder:
    """A folder held open by descriptor: its files are read and written relative to it,
    never through a link, whatever happens to the folder's path meanwhile.

    Use as a context manager, or call ``close``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.fd = os.open(self.path, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        except OSError as exc:
            raise FileAccessError(self.path, f"cannot open folder: {_strerror(exc)}") from None

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def read(self, name: str, max_bytes: int) -> bytes:
        """A regular file of the folder, at most ``max_bytes``; a link is refused."""
        with self._named(name):
            return read_regular(name, max_bytes, follow=False, dir_fd=self.fd)

    def tail(self, name: str, max_bytes: int) -> tuple[bytes, int]:
        """The last bytes of a regular file of the folder and its size; a link is refused."""
        with self._named(name):
            return read_tail(name, max_bytes, follow=False, dir_fd=self.fd)

    def write(self, name: str, data: bytes | str) -> None:
        """Replace (or create) a file of the folder atomically; a link there is replaced."""
        with self._named(name):
            write_atomic(name, data, dir_fd=self.fd)

    @contextlib.contextmanager
    def _named(self, name: str) -> Iterator[None]:
        """Errors name the file by the folder's path, not the bare name."""
        try:
            yield
        except FileAccessError as exc:
            raise FileAccessError(self.path / name, exc.problem) from None

    def kind(self, name: str) -> str | None:
        """What ``name`` is in the folder ('a regular file', 'a symbolic link', …), or None
        when there is nothing by that name."""
        try:
            return kind_of(os.stat(name, dir_fd=self.fd, follow_symlinks=False).st_mode)
        except FileNotFoundError:
            return None


def check_output(path: str | Path) -> None:
    """Refuse an output replaycase was told to write when something that is not a regular file
    is there: a directory, a symbolic link (neither followed nor replaced: the link is the
    user's, and so is what it points to), a FIFO, a device or a socket. Nothing there is fine.
    """
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise FileAccessError(path, f"cannot write: {_strerror(exc)}") from None
    if not stat.S_ISREG(mode):
        raise FileAccessError(path, f"is {kind_of(mode)}, not a regular file: not written")


@contextlib.contextmanager
def parent_folders(path: str | Path) -> Iterator[None]:
    """Create the missing folders above ``path`` for the block, and remove them again (those
    still empty) when the block fails: a failed write leaves nothing behind."""
    missing = []
    folder = Path(path).parent
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    created: list[Path] = []
    try:
        for folder in reversed(missing):
            try:
                os.mkdir(folder)
            except FileExistsError:
                if os.path.isdir(folder):
                    continue  # made meanwhile by another writer: theirs, kept
                raise FileAccessError(folder, "cannot create folder: a file is in its place") \
                    from None
            except OSError as exc:
                raise FileAccessError(folder, f"cannot create folder: {_strerror(exc)}") from None
            created.append(folder)
        yield
    except BaseException:  # any failure, an interrupt too: remove the folders made, re-raise
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        raise


def write_output(path: str | Path, data: bytes | str) -> None:
    """Write a file replaycase was told to write (a report, a converted trace, a schema, a
    config): refused when a directory, link or special file is there (``check_output``), its
    missing folders created, written whole by ``write_atomic`` or not at all."""
    check_output(path)
    with parent_folders(path):
        write_atomic(path, data)
