"""Writing a case folder atomically: a temporary sibling folder, then a rename."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import InputError


def write_folder(target: Path, files: dict[str, str], force: bool = False) -> None:
    """Create ``target`` holding exactly ``files``; never leave a half-written folder.

    An existing folder is refused unless ``force``; with ``force`` it is replaced only once
    the new folder is complete, and restored if the swap fails.
    """
    if target.exists() and not force:
        raise InputError(target, "already exists; pass --force to overwrite it")
    if target.exists() and not target.is_dir():
        raise InputError(target, "exists and is not a folder")
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(parent, f"cannot create folder: {exc.strerror or exc}") from None
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    try:
        tmp.chmod(0o755)
        for relative, text in sorted(files.items()):
            path = tmp / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        _swap(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(target, f"cannot write the case folder: {exc.strerror or exc}") \
            from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap(new: Path, target: Path) -> None:
    if not target.exists():
        os.rename(new, target)
        return
    backup = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.rename(target, backup)
    try:
        os.rename(new, target)
    except OSError:
        os.rename(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)
