"""safe_files: regular files only, links never followed for writing, caps on reading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from replaycase._safe_files import Folder, read_regular, read_tail, write_atomic
from replaycase.errors import InputError


def test_reads_a_regular_file_under_its_cap(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("hello")
    assert read_regular(path, 10) == b"hello"
    assert read_tail(path, 2) == (b"lo", 5)
    with pytest.raises(InputError, match="above the limit"):
        read_regular(path, 3)


@pytest.mark.parametrize("make, kind", [
    (lambda p: os.mkfifo(p), "a FIFO"),
    (lambda p: p.mkdir(), "a directory"),
])
def test_special_files_are_refused_without_blocking(tmp_path: Path, make: object,
                                                    kind: str) -> None:
    path = tmp_path / "special"
    make(path)  # type: ignore[operator]
    with pytest.raises(InputError, match=kind) as info:
        read_regular(path, 10)
    assert str(path) in str(info.value)


def test_a_device_is_refused_at_once() -> None:
    with pytest.raises(InputError, match="character device"):
        read_regular("/dev/zero", 10)


def test_folder_never_follows_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.write_text("keep")
    run = tmp_path / "run"
    run.mkdir()
    (run / "link").symlink_to(outside)
    with Folder(run) as folder:
        with pytest.raises(InputError, match="symbolic link") as info:
            folder.read("link", 10)
        assert str(run / "link") in str(info.value)
        folder.write("link", "new")  # the link is replaced, its target untouched
        assert folder.kind("link") == "a regular file"
        assert folder.kind("missing") is None
    assert outside.read_text() == "keep"
    assert (run / "link").read_text() == "new"


def test_a_directory_in_the_way_is_an_error_and_nothing_is_left(tmp_path: Path) -> None:
    (tmp_path / "result.json").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        write_atomic(tmp_path / "result.json", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_folder_replaced_by_a_link_keeps_writing_into_the_real_one(tmp_path: Path) -> None:
    run, moved, elsewhere = tmp_path / "run", tmp_path / "moved", tmp_path / "elsewhere"
    run.mkdir()
    elsewhere.mkdir()
    with Folder(run) as folder:
        run.rename(moved)
        run.symlink_to(elsewhere)
        folder.write("result.json", "{}")
    assert (moved / "result.json").exists()
    assert not (elsewhere / "result.json").exists()


def test_a_read_reserves_the_file_size_not_the_cap(tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "small"
    path.write_bytes(b"x" * 1000)
    tracemalloc.start()
    try:
        assert read_regular(path, 512 * 1024 * 1024) == b"x" * 1000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024


def test_a_file_without_a_size_is_read_to_its_end_under_the_cap() -> None:
    data = read_regular("/proc/self/status", 1024 * 1024)  # st_size is 0 for /proc files
    assert b"Name:" in data
    with pytest.raises(InputError, match="grew above the limit"):
        read_regular("/proc/self/status", 10)
