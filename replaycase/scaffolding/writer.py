"""Writing a case folder: complete or not at all, over a case folder only, one writer at a time.

- ``--force`` replaces only a case folder: one that holds a case.yaml and nothing but the
  parts of a case (``CASE_PARTS`` and the file its ``source.file`` names), or an empty folder.
  A project folder, a case folder with a file of the user's, a link (never followed), a file:
  each is refused with what was found, before anything is written.
- The folder is written whole into a temporary sibling, then renamed into place under a lock
  file beside it (``.NAME.lock``, created with O_EXCL), after checking that the target is
  still what was inspected before writing: of two scaffolds to one folder at once, exactly
  one wins and the other is told the folder was created by another scaffold meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .._safe_files import kind_of, parent_folders, read_regular
from ..case import CASE_FILE, FIXTURES, NOTES, SOURCE_TRACE
from ..case.load import parse_yaml
from ..errors import FileAccessError

CASE_PARTS = frozenset({CASE_FILE, SOURCE_TRACE, FIXTURES, NOTES})
"""What scaffold writes into a case folder (build.py: case.yaml, source-trace.json, notes.md,
fixtures/); the file case.yaml's ``source.file`` names is a part too."""
_CASE_YAML_MAX = 4 * 1024 * 1024  # as case.py reads it
_SHOWN = 5
_WRITE_CHUNK = 1 << 20
"""Characters encoded and written at a time: a big source-trace.json is never held twice."""
Identity = tuple[int, int]
FileText = str | Iterable[str]
"""A file's text: whole, or pieces written one after the other."""


def write_folder(target: Path, files: dict[str, FileText], force: bool = False) -> None:
    """Create ``target`` holding exactly ``files``; never leave a half-written folder.

    An existing folder is refused unless ``force`` and it is a case folder
    (``check_target``); it is replaced only once the new folder is complete, and restored if
    the swap fails.
    """
    before = check_target(target, force)
    place = _place(target)
    try:
        with parent_folders(place):
            tmp = _temp_folder(place, target)
            try:
                tmp.chmod(0o755)
                _write_files(tmp, files)
                _install(tmp, place, target, before)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        raise FileAccessError(target, f"cannot write the case folder: {exc.strerror or exc}") \
            from None


def _temp_folder(place: Path, target: Path) -> Path:
    """A new empty folder beside ``place``, where the case is written before the rename."""
    try:
        return Path(tempfile.mkdtemp(prefix=f".{place.name}.tmp-", dir=place.parent))
    except OSError as exc:
        raise FileAccessError(target, f"cannot create a folder in {place.parent}: "
                                 f"{exc.strerror or exc}") from None


def check_target(target: Path, force: bool) -> Identity | None:
    """Refuse a ``target`` scaffold may not write; the identity of the case folder ``force``
    replaces there, or None when nothing is there."""
    place = _place(target)
    if place == place.parent:
        raise FileAccessError(target, "is the root folder: not replaced")
    info = _lstat(place, target)
    if info is None:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise FileAccessError(target, "is a symbolic link: not replaced (scaffold never writes "
                                 "through a link; remove it or choose another --out)")
    if not stat.S_ISDIR(info.st_mode):
        raise FileAccessError(target, f"exists and is not a folder ({kind_of(info.st_mode)}): "
                                 "not replaced")
    _check_case_folder(place, target)
    if not force:
        raise FileAccessError(target, "already exists; pass --force to overwrite it")
    return info.st_dev, info.st_ino


def _place(target: Path) -> Path:
    """The absolute path ``target`` names, its folder's links resolved and its own name kept
    (``.`` and ``..`` are the folders they name)."""
    if target.name in ("", ".", ".."):
        return target.resolve()
    return target.parent.resolve() / target.name


def _lstat(place: Path, target: Path) -> os.stat_result | None:
    try:
        return os.lstat(place)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise FileAccessError(target, f"cannot inspect: {exc.strerror or exc}") from None


def _check_case_folder(place: Path, target: Path) -> None:
    """Refuse a folder that holds anything but the parts of a case (an empty one is fine)."""
    try:
        names = sorted(os.listdir(place))
    except OSError as exc:
        raise FileAccessError(target, f"cannot list: {exc.strerror or exc}") from None
    if not names:
        return
    parts = CASE_PARTS | _source_file(place)
    strangers = [_shown(place, n) for n in names if not _is_part(place, n, parts)]
    if strangers:
        missing = "" if CASE_FILE in names else f" and no {CASE_FILE}"
        raise FileAccessError(target, f"holds files that are not part of a case "
                                 f"({_listing(strangers)}){missing}: not replaced")
    if CASE_FILE not in names:
        raise FileAccessError(target, f"is not a case folder (no {CASE_FILE}): not replaced")


def _is_part(place: Path, name: str, parts: frozenset[str]) -> bool:
    """A part of a case: fixtures/ is a folder, every other part is not."""
    return name in parts and (name == FIXTURES or not (place / name).is_dir())


def _shown(place: Path, name: str) -> str:
    folder = (place / name).is_dir() and not (place / name).is_symlink()
    return f"{name}/" if folder else name


def _listing(names: list[str]) -> str:
    more = f", … ({len(names)} in all)" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


def _source_file(place: Path) -> frozenset[str]:
    """The file case.yaml's ``source.file`` names, when it is a plain name in the folder."""
    try:
        text = read_regular(place / CASE_FILE, _CASE_YAML_MAX, follow=False)
        data, _ = parse_yaml(text.decode("utf-8", errors="replace"), place / CASE_FILE)
    except FileAccessError:
        return frozenset()
    source = data.get("source") if isinstance(data, dict) else None
    name = source.get("file") if isinstance(source, dict) else None
    if isinstance(name, str) and name not in ("", ".", "..") and "/" not in name:
        return frozenset({name})
    return frozenset()


def _write_files(folder: Path, files: dict[str, FileText]) -> None:
    for relative, text in sorted(files.items()):
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            for piece in [text] if isinstance(text, str) else text:
                for start in range(0, len(piece), _WRITE_CHUNK):  # no UTF-8 copy of a file
                    handle.write(piece[start:start + _WRITE_CHUNK])


def _install(tmp: Path, place: Path, target: Path, before: Identity | None) -> None:
    """Rename the complete folder ``tmp`` to ``place``, if that is still what was inspected.

    Why a lock file rather than a rename that may not replace (renameat2 RENAME_NOREPLACE):
    a forced scaffold replaces in two renames (the old folder aside, the new one in), which
    no single rename makes exclusive, and a lock covers both kinds alike. Under the lock a
    plain rename is exclusive enough: every scaffold waits on the lock, and the only thing
    another program could slip in between the check and the rename is an empty folder (a
    rename fails over anything else), which is replaced with nothing lost.
    """
    with _locked(place, target):
        now = _lstat(place, target)
        if (None if now is None else (now.st_dev, now.st_ino)) != before:
            what = "created" if before is None else "replaced"
            raise FileAccessError(target, f"was {what} by another scaffold meanwhile: not replaced")
        if before is None:
            _rename(tmp, place)
            return
        _check_case_folder(place, target)
        _swap(tmp, place)


@contextlib.contextmanager
def _locked(place: Path, target: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside ``place`` (created exclusively, removed after)."""
    lock = place.with_name(f".{place.name}.lock")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(lock, flags, 0o644)
    except FileExistsError:
        raise FileAccessError(target, f"another scaffold is writing it (lock file {lock}; remove "
                                 "it if no scaffold is running)") from None
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{os.getpid()}\n")
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)


def _swap(new: Path, target: Path) -> None:
    """Replace the folder ``target`` by ``new``; the old one is restored if that fails."""
    backup = target.with_name(f".{target.name}.old-{secrets.token_hex(6)}")
    _rename(target, backup)
    try:
        _rename(new, target)
    except OSError:
        _rename(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def _rename(src: Path, dst: Path) -> None:
    os.rename(src, dst)
