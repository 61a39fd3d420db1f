"""Hostile places to write a case folder and its outputs (issue 12): --force on a folder that is
not a case, concurrent scaffolds, unwritable places, and outputs that are directories, links or
FIFOs. Every refusal is one line and exit 2, and nothing outside the asked-for folder changes."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from replaycase.case.schema import SCHEMA_FILE, schema_text
from replaycase.cli import app
from replaycase.errors import InputError
from replaycase.results import ResultsDocument, Summary
from replaycase.scaffolding import writer
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

TRACE = Path(__file__).parent.parent / "examples" / "runner-api" / "traces" / "tool-loop.json"
CASE_NAMES = ["case.yaml", "fixtures/input.json", "fixtures/llm_calls.json",
              "fixtures/model_tape.jsonl", "fixtures/tool_calls.json", "notes.md",
              "source-trace.json"]


def cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def refused(args: list[str], *needles: str) -> str:
    """Run the command; assert exit 2 with one error line holding every needle."""
    code, _, err = cli(args)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


def snapshot(root: Path) -> dict[str, Any]:
    """Every entry under ``root`` (links not followed): its kind and content."""
    found: dict[str, Any] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[key] = ("link", os.readlink(path))
            elif path.is_dir():
                found[key] = ("dir",)
            elif path.is_file():
                found[key] = ("file", path.read_bytes())
            else:
                found[key] = ("other", path.lstat().st_mode)
    return found


def case_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def make_project(folder: Path) -> Path:
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "main.py").write_text("print('mine')\n")
    (folder / "README.md").write_text("# my project\n")
    (folder / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    return folder


def scaffold_cmd(out: Path | str, *extra: str) -> list[str]:
    return ["scaffold", str(TRACE), "--out", str(out), *extra]


# -- 1. --force replaces a case folder and nothing else ---------------------------------------


def test_force_refuses_a_project_folder(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    before = snapshot(tmp_path)
    refused(scaffold_cmd(project, "--force"), "not part of a case", "src/", "README.md",
            "not replaced")
    refused(scaffold_cmd(project), "not part of a case")
    assert snapshot(tmp_path) == before


def test_force_refuses_a_project_folder_that_also_holds_a_case_yaml(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (project / "case.yaml").write_text("id: x\n")
    before = snapshot(tmp_path)
    refused(scaffold_cmd(project, "--force"), "src/", "pyproject.toml")
    assert snapshot(tmp_path) == before


def test_force_refuses_a_case_folder_with_a_user_file(tmp_path: Path) -> None:
    case = tmp_path / "cases" / "loop"
    assert cli(scaffold_cmd(case))[0] == 0
    (case / "my-analysis.txt").write_text("hours of work\n")
    before = snapshot(tmp_path)
    refused(scaffold_cmd(case, "--force"), "my-analysis.txt", "not replaced")
    assert snapshot(tmp_path) == before


def test_force_replaces_a_case_folder_with_only_case_files(tmp_path: Path) -> None:
    case = tmp_path / "cases" / "loop"
    assert cli(scaffold_cmd(case))[0] == 0
    text = (case / "case.yaml").read_text().replace("file: source-trace.json",
                                                    "file: original.json")
    (case / "case.yaml").write_text(text)
    (case / "source-trace.json").rename(case / "original.json")
    (case / "fixtures" / "extra.json").write_text("{}")  # fixtures/ is part of the case
    code, _, err = cli(scaffold_cmd(case, "--force"))
    assert code == 0, err
    assert case_files(case) == CASE_NAMES
    assert sorted(p.name for p in case.parent.iterdir()) == ["case.schema.json", "loop"]


def test_force_never_deletes_through_a_link_inside_the_case(tmp_path: Path) -> None:
    case = tmp_path / "cases" / "loop"
    assert cli(scaffold_cmd(case))[0] == 0
    data = make_project(tmp_path / "data")
    shutil.rmtree(case / "fixtures")
    (case / "fixtures").symlink_to(data)
    os.mkfifo(tmp_path / "fifo")
    (case / "case.yaml").unlink()
    (case / "case.yaml").symlink_to(tmp_path / "fifo")  # read for source.file: never blocks
    before = snapshot(data)
    code, _, err = cli(scaffold_cmd(case, "--force"))
    assert code == 0, err
    assert snapshot(data) == before and (tmp_path / "fifo").exists()
    assert case_files(case) == CASE_NAMES and not (case / "fixtures").is_symlink()


def test_force_refuses_a_folder_without_case_yaml(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "notes.md").write_text("not a case\n")
    before = snapshot(tmp_path)
    refused(scaffold_cmd(folder, "--force"), "not a case folder", "no case.yaml")
    assert snapshot(tmp_path) == before


def test_force_replaces_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "loop").mkdir()
    assert cli(scaffold_cmd(tmp_path / "loop", "--force"))[0] == 0
    assert case_files(tmp_path / "loop") == CASE_NAMES


@pytest.mark.parametrize("out", [".", "..", "./", "sub/.."])
def test_out_dot_and_dotdot_in_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         out: str) -> None:
    project = make_project(tmp_path / "project")
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub" if out == ".." else project)
    before = snapshot(tmp_path)
    refused(scaffold_cmd(out, "--force", "--id", "loop"), "not part of a case")
    refused(scaffold_cmd(out, "--id", "loop"), "not part of a case")
    assert snapshot(tmp_path) == before


def test_out_root_is_refused() -> None:
    before = sorted(os.listdir("/"))
    refused(scaffold_cmd("/", "--force", "--id", "loop"), "/")
    refused(scaffold_cmd("/", "--id", "loop"), "/")
    assert sorted(os.listdir("/")) == before


def test_out_home_like_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = make_project(tmp_path / "home")
    (home / ".bashrc").write_text("export X=1\n")
    monkeypatch.setenv("HOME", str(home))
    before = snapshot(tmp_path)
    refused(scaffold_cmd(os.path.expanduser("~"), "--force", "--id", "loop"), ".bashrc")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("target", ["project", "case", "dangling"])
def test_out_that_is_a_link_never_touches_its_target(tmp_path: Path, target: str) -> None:
    real = tmp_path / "real"
    if target == "project":
        make_project(real)
    elif target == "case":
        assert cli(scaffold_cmd(real))[0] == 0
    link = tmp_path / "cases" / "loop"
    link.parent.mkdir()
    link.symlink_to(real)
    before = snapshot(tmp_path)
    refused(scaffold_cmd(link, "--force"), "symbolic link", "not replaced")
    refused(scaffold_cmd(link), "symbolic link")
    assert snapshot(tmp_path) == before


def test_out_that_is_a_file_or_fifo(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("mine\n")
    os.mkfifo(tmp_path / "fifo")
    before = snapshot(tmp_path)
    refused(scaffold_cmd(tmp_path / "file", "--force"), "not a folder")
    refused(scaffold_cmd(tmp_path / "fifo", "--force"), "FIFO")
    assert snapshot(tmp_path) == before


def test_all_checks_every_case_folder_before_writing_any(tmp_path: Path) -> None:
    trace = Path(__file__).parent / "data" / "traces" / "otlp-genai" / "all-scenarios.jsonl"
    out = tmp_path / "cases"
    code, _, err = cli(["scaffold", str(trace), "--out", str(out), "--all"])
    assert code == 0, err
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(folders) >= 2
    (folders[-1] / "mine.txt").write_text("keep me\n")
    before = snapshot(tmp_path)
    refused(["scaffold", str(trace), "--out", str(out), "--all", "--force"], "mine.txt")
    assert snapshot(tmp_path) == before
    (folders[-1] / "mine.txt").unlink()
    assert cli(["scaffold", str(trace), "--out", str(out), "--all", "--force"])[0] == 0


# -- 2. concurrent scaffolds: exactly one wins ------------------------------------------------


def _race(monkeypatch: pytest.MonkeyPatch, out: Path, force: bool) -> list[BaseException | None]:
    """Two scaffolds of ``out`` in threads, released together just before the final rename."""
    barrier = threading.Barrier(2, timeout=10)
    install: Callable[..., Any] = writer._install

    def at_the_barrier(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return install(*args, **kwargs)

    monkeypatch.setattr(writer, "_install", at_the_barrier)
    outcomes: list[BaseException | None] = [None, None]

    def one(index: int) -> None:
        try:
            scaffold(TRACE, out, ScaffoldOptions(force=force))
        except BaseException as exc:  # reported below
            outcomes[index] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    monkeypatch.setattr(writer, "_install", install)
    return outcomes


def _exactly_one_won(outcomes: list[BaseException | None], out: Path) -> None:
    losers = [o for o in outcomes if o is not None]
    assert len(losers) == 1, outcomes
    assert isinstance(losers[0], InputError), losers
    assert "another scaffold" in str(losers[0]), losers
    assert case_files(out) == CASE_NAMES
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers


@pytest.mark.parametrize("force", [False, True], ids=["new", "forced"])
def test_two_scaffolds_at_once_exactly_one_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                force: bool) -> None:
    for round_ in range(12):
        out = tmp_path / str(round_) / "loop"
        if force:
            scaffold(TRACE, out)
        _exactly_one_won(_race(monkeypatch, out, force), out)


@pytest.mark.slow
def test_two_processes_at_once_exactly_one_wins(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "replaycase", "scaffold", str(TRACE), "--out"]
    for round_ in range(4):
        out = tmp_path / str(round_) / "loop"
        procs = [subprocess.Popen([*command, str(out)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(p.wait(60), p.stderr.read() if p.stderr else "") for p in procs]
        for proc in procs:
            if proc.stderr:
                proc.stderr.close()
        assert sorted(code for code, _ in results) == [0, 2], results
        [message] = [err for code, err in results if code == 2]
        assert "already exists" in message or "another scaffold" in message, message
        assert case_files(out) == CASE_NAMES


def test_a_parent_folder_made_meanwhile_by_another_scaffold_is_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parent = tmp_path / "cases"
    mkdir = os.mkdir

    def made_meanwhile(path: Any, *args: Any, **kwargs: Any) -> None:
        mkdir(path, *args, **kwargs)
        if Path(path) == parent:
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))

    monkeypatch.setattr(os, "mkdir", made_meanwhile)
    scaffold(TRACE, parent / "loop")
    assert case_files(parent / "loop") == CASE_NAMES


def test_a_lock_left_by_a_killed_scaffold_is_named(tmp_path: Path) -> None:
    out = tmp_path / "loop"
    (tmp_path / ".loop.lock").write_text("12345\n")
    refused(scaffold_cmd(out), ".loop.lock", "another scaffold")
    assert not out.exists()


# -- 3. places that cannot be written ----------------------------------------------------------


@pytest.mark.parametrize("out", ["/proc/replaycase-x", "/sys/replaycase-x",
                                 "/proc/self/replaycase-x"])
def test_out_in_a_kernel_file_system(out: str) -> None:
    refused(scaffold_cmd(out), out)
    assert not os.path.exists(out)


def test_out_under_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("mine\n")
    before = snapshot(tmp_path)
    refused(scaffold_cmd(tmp_path / "file" / "deeper" / "loop"), "file")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES, errno.ENOSPC])
@pytest.mark.parametrize("step", ["mkdir", "mkdtemp", "write", "rename"])
def test_a_failing_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        code: int, step: str) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    target = {"mkdir": (os, "mkdir"), "mkdtemp": (writer.tempfile, "mkdtemp"),
              "write": (writer, "_write_files"), "rename": (writer, "_rename")}[step]
    monkeypatch.setattr(*target, fail)
    before = snapshot(tmp_path)
    refused(scaffold_cmd(tmp_path / "new" / "deeper" / "loop"), os.strerror(code))
    monkeypatch.undo()
    assert snapshot(tmp_path) == before


def test_a_failing_forced_swap_keeps_the_old_case(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "loop"
    scaffold(TRACE, out)
    before = snapshot(tmp_path)
    rename = writer._rename
    calls = []

    def second_fails(src: Path, dst: Path) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        rename(src, dst)

    monkeypatch.setattr(writer, "_rename", second_fails)
    refused(scaffold_cmd(out, "--force"), os.strerror(errno.EIO))
    assert snapshot(tmp_path) == before


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Any:
    mount = tmp_path / "ro"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount)],
                          capture_output=True, check=False) if shutil.which("mount") else None
    if done is None or done.returncode != 0:
        pytest.skip("cannot mount a read-only tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_out_on_a_read_only_file_system(read_only_mount: Path) -> None:
    refused(scaffold_cmd(read_only_mount / "cases" / "loop"), "Read-only file system")
    refused(["import", str(TRACE), "--out", str(read_only_mount / "run.json")],
            "Read-only file system")
    assert list(read_only_mount.iterdir()) == []


# -- 4. the schema beside the case, and every other output file --------------------------------


def _special(path: Path, kind: str, elsewhere: Path) -> None:
    if kind == "directory":
        path.mkdir()
        (path / "inside.txt").write_text("mine\n")
    elif kind == "link":
        elsewhere.write_text("my own file\n")
        path.symlink_to(elsewhere)
    else:
        os.mkfifo(path)


KINDS = ["directory", "link", "fifo"]
KIND_WORDS = {"directory": "directory", "link": "symbolic link", "fifo": "FIFO"}


@pytest.mark.parametrize("kind", KINDS)
def test_schema_beside_the_case_refused_before_writing(tmp_path: Path, kind: str) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    _special(cases / SCHEMA_FILE, kind, tmp_path / "elsewhere.json")
    before = snapshot(tmp_path)
    refused(scaffold_cmd(cases / "loop"), SCHEMA_FILE, KIND_WORDS[kind])
    assert snapshot(tmp_path) == before  # no case folder either: never a half-written result


@pytest.mark.parametrize("kind", KINDS)
def test_schema_out_refuses_a_special_file(tmp_path: Path, kind: str) -> None:
    _special(tmp_path / "schema.json", kind, tmp_path / "elsewhere.json")
    before = snapshot(tmp_path)
    refused(["schema", "--out", str(tmp_path / "schema.json")], KIND_WORDS[kind])
    assert snapshot(tmp_path) == before


def test_schema_beside_the_case_is_never_read_through_a_link(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    (tmp_path / "elsewhere.json").write_text(schema_text())
    (cases / SCHEMA_FILE).symlink_to(tmp_path / "elsewhere.json")
    refused(scaffold_cmd(cases / "loop"), "symbolic link")
    assert not (cases / "loop").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_import_out_refuses_a_special_file(tmp_path: Path, kind: str) -> None:
    _special(tmp_path / "run.json", kind, tmp_path / "elsewhere.json")
    before = snapshot(tmp_path)
    refused(["import", str(TRACE), "--out", str(tmp_path / "run.json")], "run.json",
            KIND_WORDS[kind])
    assert snapshot(tmp_path) == before


def test_import_out_under_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("mine\n")
    before = snapshot(tmp_path)
    refused(["import", str(TRACE), "--out", str(tmp_path / "file" / "run.json")], "file")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("which", ["pyproject", "workflow"])
def test_init_refuses_a_special_file_before_writing(tmp_path: Path, kind: str,
                                                    which: str) -> None:
    project = tmp_path / "project"
    (project / ".github" / "workflows").mkdir(parents=True)
    if which == "pyproject":
        _special(project / "pyproject.toml", kind, tmp_path / "elsewhere.toml")
        if kind == "link":
            (tmp_path / "elsewhere.toml").write_text("[project]\nname = 'x'\n")
    else:
        (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
        _special(project / ".github" / "workflows" / "replaycase.yml", kind,
                 tmp_path / "elsewhere.yml")
    before = snapshot(tmp_path)
    refused(["init", str(project), "--force"], KIND_WORDS[kind])
    assert snapshot(tmp_path) == before  # neither file written


@pytest.fixture
def results_file(tmp_path: Path) -> Path:
    path = tmp_path / "results.json"
    path.write_text(ResultsDocument(results=[], summary=Summary(total=0)).model_dump_json(
        by_alias=True))
    return path


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("option", ["merge --json", "merge --junit", "report --html",
                                    "report --markdown"])
def test_report_outputs_refuse_a_special_file(tmp_path: Path, results_file: Path, kind: str,
                                              option: str) -> None:
    command, flag = option.split()
    _special(tmp_path / "out", kind, tmp_path / "elsewhere")
    before = snapshot(tmp_path)
    refused([command, str(results_file), flag, str(tmp_path / "out")], str(tmp_path / "out"),
            KIND_WORDS[kind])
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("option", ["merge --json", "merge --junit", "report --html",
                                    "report --markdown"])
def test_report_outputs_under_a_regular_file(tmp_path: Path, results_file: Path,
                                             option: str) -> None:
    command, flag = option.split()
    (tmp_path / "file").write_text("mine\n")
    before = snapshot(tmp_path)
    refused([command, str(results_file), flag, str(tmp_path / "file" / "out")], "file")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("option", ["merge --json", "merge --junit", "report --html",
                                    "report --markdown"])
def test_report_outputs_are_written_whole(tmp_path: Path, results_file: Path,
                                          option: str) -> None:
    command, flag = option.split()
    target = tmp_path / "new" / "out"
    code, _, err = cli([command, str(results_file), flag, str(target)])
    assert code == 0, err
    assert target.is_file() and target.stat().st_size > 0
    assert sorted(p.name for p in target.parent.iterdir()) == ["out"]
