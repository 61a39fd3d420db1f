"""Hostile files given as traces, case files and fixtures: FIFOs, sockets, devices, pipes,
links out of a case folder, link loops, folder chains too deep, NUL bytes in case paths and
numbers out of range. Each gives one line naming the file, never a hang or a traceback.

Every command runs in a subprocess with a timeout and a memory cap, so a regression (a read
of a FIFO that blocks, a read of /dev/zero that never ends) fails instead of hanging the
suite or exhausting the machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from replaycase._jsonio import iter_jsonl, json_in_text, loads
from replaycase.case import discover_cases, load_case
from replaycase.case.lint import lint_case, lint_paths
from replaycase.case.models import inside
from replaycase.errors import CaseError, TraceFormatError
from replaycase.scaffolding.build import scaffold

DATA = Path(__file__).parent / "data"
TRACE = DATA / "replaykit" / "billing-loop.json"
TIMEOUT_S = 30
MEMORY_CAP = 2 * 1024 ** 3


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_cli(*args: str, cwd: Path | None = None, **kwargs: object,
            ) -> subprocess.CompletedProcess[str]:
    """`replaycase ARGS` in a subprocess: a hang fails the test after TIMEOUT_S."""
    try:
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            [sys.executable, "-m", "replaycase", *args], capture_output=True, text=True,
            timeout=TIMEOUT_S, cwd=cwd, preexec_fn=_cap_memory, **kwargs)
    except subprocess.TimeoutExpired:
        pytest.fail(f"replaycase {' '.join(args)} hung for {TIMEOUT_S}s")


def one_line_error(result: subprocess.CompletedProcess[str], *names: str) -> str:
    """The single stderr line of a refused command; it names each of ``names``."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


# -- special files -------------------------------------------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    # An AF_UNIX path is limited to about 100 bytes: bind relative to the folder.
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(path.name)
    finally:
        os.chdir(here)


def _link_to(device: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        if not stat.S_ISCHR(os.stat(device).st_mode):  # another program broke the machine
            pytest.skip(f"{device} is not a character device here")
        path.symlink_to(device)
    return make


SPECIALS: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (_fifo, "FIFO"),
    "socket": (_socket, "socket"),
    "dev-null": (_link_to("/dev/null"), "character device"),
    "dev-zero": (_link_to("/dev/zero"), "character device"),
}


def make_special(path: Path, kind: str) -> str:
    """Put a special file of ``kind`` at ``path``; the word its error message must hold."""
    if path.exists() or path.is_symlink():
        path.unlink()
    make, word = SPECIALS[kind]
    make(path)
    return word


TRACE_COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "inspect": lambda trace, tmp: ["inspect", str(trace)],
    "import": lambda trace, tmp: ["import", str(trace), "--out", str(tmp / "out.json")],
    "scaffold": lambda trace, tmp: ["scaffold", str(trace), "--out", str(tmp / "case")],
    "diff-a": lambda trace, tmp: ["diff", str(trace), str(TRACE)],
    "diff-b": lambda trace, tmp: ["diff", str(TRACE), str(trace)],
}


@pytest.mark.parametrize("command", TRACE_COMMANDS)
@pytest.mark.parametrize("kind", SPECIALS)
def test_special_file_as_trace(tmp_path: Path, kind: str, command: str) -> None:
    trace = tmp_path / "trace.json"
    word = make_special(trace, kind)
    result = run_cli(*TRACE_COMMANDS[command](trace, tmp_path))
    one_line_error(result, str(trace), word)
    assert not (tmp_path / "case").exists() and not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("kind", SPECIALS)
def test_special_file_in_an_evidence_folder_given_to_diff(tmp_path: Path, kind: str) -> None:
    evidence = tmp_path / "run"
    evidence.mkdir()
    word = make_special(evidence / "candidate-run.json", kind)
    one_line_error(run_cli("diff", str(TRACE), str(evidence)), "candidate-run.json", word)


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    out = tmp_path / "cases" / "billing-loop"
    scaffold(TRACE, out)
    return out


CASE_MEMBERS = ["case.yaml", "fixtures/input.json", "fixtures/tool_calls.json",
                "source-trace.json", "notes.md"]


@pytest.mark.parametrize("member", CASE_MEMBERS)
@pytest.mark.parametrize("kind", SPECIALS)
def test_special_file_in_a_case_folder(case_dir: Path, kind: str, member: str) -> None:
    word = make_special(case_dir / member, kind)
    lint = run_cli("lint", str(case_dir))
    assert lint.returncode == 1, (lint.stdout, lint.stderr)
    assert "Traceback" not in lint.stderr + lint.stdout
    found = [line for line in lint.stdout.splitlines() if f"{case_dir.name}/{member}" in line]
    assert found and word in found[0], lint.stdout
    replay = run_cli("replay", str(case_dir), "--runner-cmd", "true",
                     "--evidence-dir", str(case_dir.parent.parent / "runs"))
    one_line_error(replay, str(case_dir), member, word)


def test_case_yaml_linked_to_dev_zero_is_refused_at_once(case_dir: Path) -> None:
    make_special(case_dir / "case.yaml", "dev-zero")
    with pytest.raises(CaseError, match=r"case\.yaml.*character device"):
        load_case(case_dir)
    [problem] = [p for p in lint_case(case_dir).problems if p.file == "case.yaml"]
    assert "character device" in problem.message


# -- pipes ---------------------------------------------------------------------------------


PIPE_COMMANDS: dict[str, Callable[[str, Path], list[str]]] = {
    "inspect": lambda trace, tmp: ["inspect", trace],
    "scaffold": lambda trace, tmp: ["scaffold", trace, "--out", str(tmp / "case")],
}


@pytest.mark.parametrize("command", PIPE_COMMANDS)
def test_trace_piped_to_dev_stdin(tmp_path: Path, command: str) -> None:
    result = run_cli(*PIPE_COMMANDS[command]("/dev/stdin", tmp_path),
                     input=TRACE.read_text())
    line = one_line_error(result, "/dev/stdin", "pipe", "save the trace to a file first")
    assert "FIFO" in line
    assert not (tmp_path / "case").exists()


@pytest.mark.parametrize("command", PIPE_COMMANDS)
def test_trace_from_process_substitution(tmp_path: Path, command: str) -> None:
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(write_end, "w") as writer:
            writer.write(TRACE.read_text()[:4096])  # fits in the pipe: the writer is done
        name = f"/dev/fd/{read_end}"
        result = run_cli(*PIPE_COMMANDS[command](name, tmp_path), pass_fds=(read_end,))
    finally:
        os.close(read_end)
    one_line_error(result, name, "pipe", "save the trace to a file first")


@pytest.mark.parametrize("command", PIPE_COMMANDS)
def test_trace_redirected_from_a_file_to_dev_stdin_works(tmp_path: Path, command: str) -> None:
    with TRACE.open() as stdin:
        result = run_cli(*PIPE_COMMANDS[command]("/dev/stdin", tmp_path), stdin=stdin)
    assert result.returncode == 0, result.stderr


# -- other files replaycase reads ----------------------------------------------------------


def test_special_pyproject_toml(tmp_path: Path, case_dir: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    os.mkfifo(project / "pyproject.toml")
    lint = run_cli("lint", str(case_dir), cwd=project)
    one_line_error(lint, "pyproject.toml", "FIFO")
    init = run_cli("init", cwd=project)
    one_line_error(init, "pyproject.toml", "FIFO")


@pytest.mark.parametrize("command", ["merge", "report"])
@pytest.mark.parametrize("kind", SPECIALS)
def test_special_results_file(tmp_path: Path, kind: str, command: str) -> None:
    results = tmp_path / "results.json"
    word = make_special(results, kind)
    args = ["merge", str(results)] if command == "merge" else [
        "report", str(results), "--html", str(tmp_path / "r.html")]
    one_line_error(run_cli(*args), str(results), word)


@pytest.mark.parametrize("kind", SPECIALS)
def test_special_fixture_served_to_a_runner(case_dir: Path, kind: str) -> None:
    word = make_special(case_dir / "fixtures" / "tool_calls.json", kind)
    code = ("import sys\nfrom replaycase.runner import Fixtures\nfrom replaycase.errors import "
            "ReplaycaseError\ntry:\n    Fixtures(sys.argv[1])\nexcept ReplaycaseError as exc:\n"
            "    print(exc)\n")
    try:
        result = subprocess.run([sys.executable, "-c", code, str(case_dir / "fixtures")],
                                capture_output=True, text=True, timeout=TIMEOUT_S,
                                preexec_fn=_cap_memory)
    except subprocess.TimeoutExpired:
        pytest.fail("Fixtures() hung on a special file")
    assert "tool_calls.json" in result.stdout and word in result.stdout, result


# -- links out of the case folder ----------------------------------------------------------


def _link_out(case_dir: Path, member: str, outside: Path) -> None:
    """Move ``member`` out of the case folder and leave a link to it in its place."""
    target = outside / member.replace("/", "_")
    (case_dir / member).rename(target)
    (case_dir / member).symlink_to(target)


@pytest.mark.parametrize("member", ["case.yaml", "fixtures", "fixtures/input.json",
                                    "source-trace.json", "notes.md"])
def test_link_out_of_the_case_folder_is_refused_by_lint_and_replay(
        case_dir: Path, tmp_path: Path, member: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    _link_out(case_dir, member, outside)
    problems = [p for p in lint_case(case_dir).problems if p.file == member]
    assert problems and "points outside the case folder" in problems[0].message
    with pytest.raises(CaseError) as caught:
        load_case(case_dir)
    assert str(case_dir) in str(caught.value) and member in str(caught.value)
    assert "points outside the case folder" in str(caught.value)


def test_links_inside_the_case_folder_stay_allowed(case_dir: Path) -> None:
    (case_dir / "source-trace.json").rename(case_dir / "trace-copy.json")
    (case_dir / "source-trace.json").symlink_to("trace-copy.json")
    (case_dir / "fixtures" / "input.json").rename(case_dir / "input-copy.json")
    (case_dir / "fixtures" / "input.json").symlink_to("../input-copy.json")
    (case_dir / "more").symlink_to("fixtures")
    assert lint_case(case_dir).clean, lint_case(case_dir).problems
    assert load_case(case_dir).id == "billing-loop"


def test_source_file_through_a_linked_folder_out_of_the_case(case_dir: Path,
                                                             tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (case_dir / "source-trace.json").rename(outside / "source-trace.json")
    (case_dir / "sub").symlink_to(outside)
    path = case_dir / "case.yaml"
    path.write_text(path.read_text().replace("file: source-trace.json",
                                             "file: sub/source-trace.json"))
    assert any(p.file == "sub" for p in lint_case(case_dir).problems)
    with pytest.raises(CaseError, match="sub: symbolic link points outside"):
        load_case(case_dir)


# -- link loops and deep folders -----------------------------------------------------------


def _loop_self(case_dir: Path) -> None:
    (case_dir / "fixtures" / "a").symlink_to("a")


def _loop_pair(case_dir: Path) -> None:
    (case_dir / "x").symlink_to("y")
    (case_dir / "y").symlink_to("x")


@contextlib.contextmanager
def _open_dir(name: str, dir_fd: int | None = None) -> Iterator[int]:
    fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=dir_fd)
    try:
        yield fd
    finally:
        os.close(fd)


DEPTH = 1000


def _deep_chain(case_dir: Path) -> None:
    """1,000 nested folders (a path longer than PATH_MAX), made by descriptor."""
    fd = os.open(case_dir / "fixtures", os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(DEPTH):
            os.mkdir("level", dir_fd=fd)
            inner = os.open("level", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("deep.json", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as handle:
            handle.write("{}")
    finally:
        os.close(fd)


def _remove_chain(case_dir: Path) -> None:
    """Remove the chain by descriptor (rmtree would recurse once per level)."""
    fds = [os.open(case_dir / "fixtures", os.O_RDONLY | os.O_DIRECTORY)]
    with contextlib.suppress(OSError):
        while True:
            fds.append(os.open("level", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
    with contextlib.suppress(OSError):
        os.unlink("deep.json", dir_fd=fds[-1])
    while len(fds) > 1:
        os.close(fds.pop())
        os.rmdir("level", dir_fd=fds[-1])
    os.close(fds[0])


BAD_TREES: dict[str, tuple[Callable[[Path], None], str]] = {
    "self-loop": (_loop_self, "loop"),
    "loop-pair": (_loop_pair, "loop"),
    "deep-chain": (_deep_chain, "nested deeper than"),
}


@pytest.fixture
def two_cases(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    good, bad = tmp_path / "cases" / "a-good", tmp_path / "cases" / "b-bad"
    scaffold(TRACE, good)
    scaffold(TRACE, bad)
    yield good, bad
    if (bad / "fixtures" / "level").exists():
        _remove_chain(bad)


@pytest.mark.parametrize("tree", BAD_TREES)
def test_loops_and_deep_folders_name_the_case(two_cases: tuple[Path, Path], tree: str) -> None:
    good, bad = two_cases
    make, word = BAD_TREES[tree]
    make(bad)
    assert discover_cases([good.parent]) == [good, bad]
    reports = lint_paths([good.parent])
    assert [r.path for r in reports] == [good.as_posix(), bad.as_posix()]
    assert reports[0].clean, reports[0].problems
    problems = reports[1].problems
    assert problems and all(word in p.message for p in problems), problems
    assert len(problems) == (2 if tree == "loop-pair" else 1), problems
    assert all(len(p.diagnostic(bad).splitlines()) == 1 for p in problems)
    with pytest.raises(CaseError, match=word) as caught:
        load_case(bad)
    assert str(bad) in str(caught.value)
    lint = run_cli("lint", str(good.parent))
    assert lint.returncode == 1 and str(bad) in lint.stdout and "Traceback" not in lint.stderr
    replay = run_cli("replay", str(bad), "--runner-cmd", "true",
                     "--evidence-dir", str(good.parent.parent / "runs"))
    one_line_error(replay, str(bad), word)
    results = good.parent.parent / "results.json"
    suite = run_cli("replay", str(good.parent), "--runner-cmd", "true", "--json", str(results),
                    "--evidence-dir", str(good.parent.parent / "runs"))
    assert suite.returncode == 2 and "Traceback" not in suite.stderr  # the bad case, refused
    assert str(bad) in suite.stderr and str(good) not in suite.stderr
    document = json.loads(results.read_text())
    assert [r["case_id"] for r in document["results"]] == ["a-good"]  # the other one ran
    assert [c["path"] for c in document["summary"]["invalid_cases"]] == [bad.as_posix()]


def test_discovery_never_enters_loops_or_deep_chains(tmp_path: Path) -> None:
    good = tmp_path / "cases" / "good"
    scaffold(TRACE, good)
    junk = tmp_path / "cases" / "junk"
    (junk / "fixtures").mkdir(parents=True)
    _loop_self(junk)
    _loop_pair(junk)
    (junk / "up").symlink_to("..")
    _deep_chain(junk)
    try:
        assert discover_cases([tmp_path / "cases"]) == [good]
        assert [r.path for r in lint_paths([tmp_path / "cases"])] == [good.as_posix()]
    finally:
        _remove_chain(junk)


# -- NUL bytes in case paths ---------------------------------------------------------------


def test_nul_byte_in_source_file(case_dir: Path) -> None:
    path = case_dir / "case.yaml"
    path.write_text(path.read_text().replace("file: source-trace.json",
                                             'file: "source\\0trace.json"'))
    with pytest.raises(CaseError, match="NUL") as caught:
        load_case(case_dir)
    assert len(str(caught.value).splitlines()) == 1
    assert any("NUL" in p.message for p in lint_case(case_dir).problems)
    replay = run_cli("replay", str(case_dir), "--runner-cmd", "true",
                     "--evidence-dir", str(case_dir.parent.parent / "runs"))
    one_line_error(replay, "case.yaml", "NUL")


def test_nul_byte_in_any_case_path(case_dir: Path) -> None:
    with pytest.raises(CaseError, match="cannot be used"):
        inside(case_dir, "fixtures/a\0b.json", case_dir / "case.yaml")


# -- numbers out of range ------------------------------------------------------------------


OUT_OF_RANGE = ["1e400", "-1e400", "1E+400", "2e308", "1" + "0" * 400 + ".0", "0.5e999"]


@pytest.mark.parametrize("number", OUT_OF_RANGE)
@pytest.mark.parametrize("as_bytes", [False, True], ids=["text", "bytes"])
def test_number_out_of_range_is_refused(number: str, as_bytes: bool) -> None:
    text = '{"run_id": "r",\n "events": [\n  {"attempt": ' + number + "}]}"
    with pytest.raises(TraceFormatError, match="line 3: number out of range"):
        loads(text.encode() if as_bytes else text, Path("t.json"))


def test_number_out_of_range_on_the_slow_path() -> None:
    text = '{"a": "\\ud800", "b": 1e400}'  # a lone surrogate: pydantic-core refuses it
    with pytest.raises(TraceFormatError, match="line 1: number out of range"):
        loads(text, Path("t.json"))


def test_number_out_of_range_in_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"a": 1}\n{"b": [1, -1e400]}\n')
    with pytest.raises(TraceFormatError, match="line 2: number out of range"):
        list(iter_jsonl(path))


@pytest.mark.parametrize("text", ["1e308", "-1.7e308", "1e-400", "123" * 200,
                                  '"1e400 in a string"', '{"id": "3e400"}'])
def test_numbers_in_range_still_parse(text: str) -> None:
    assert loads(text, Path("t.json")) == json.loads(text)


@pytest.mark.parametrize("text", [b'{"id": "143831e512836e84"}', b'{"id": "3e400"}',
                                  b'{"hex": "a3e1004f"}', b'{"n": 1.5e99}', b'[1e-400]'])
def test_ids_and_small_exponents_are_not_numbers_out_of_range(text: bytes) -> None:
    """Hex ids hold digits, 'e' and digits all the time: they are strings, never refused."""
    assert loads(text, Path("t.json")) == json.loads(text)


def test_number_out_of_range_across_a_chunk_of_the_fast_look() -> None:
    number = b"1" * 200 + b"." + b"1" * 200 + b"e200"  # no run of 309 digits
    text = b"[" + b" " * ((1 << 20) - 10) + number + b"]"
    with pytest.raises(TraceFormatError, match="line 1: number out of range"):
        loads(text, Path("t.json"))


def test_json_in_text_keeps_a_string_out_of_range() -> None:
    assert json_in_text("1e400") == "1e400"
    assert json_in_text('{"x": 1e400}') == '{"x": 1e400}'


@pytest.mark.parametrize("command", ["inspect", "scaffold"])
def test_trace_with_a_number_out_of_range(tmp_path: Path, command: str) -> None:
    trace = tmp_path / "trace.json"
    trace.write_text(TRACE.read_text().replace('"run_id"', '"n": 1e400, "run_id"', 1))
    args = ["inspect", str(trace)] if command == "inspect" else [
        "scaffold", str(trace), "--out", str(tmp_path / "case")]
    one_line_error(run_cli(*args), str(trace), "number out of range")
    assert not (tmp_path / "case").exists()


def test_huge_integer_still_works() -> None:
    result = run_cli("inspect", str(DATA / "hostile" / "huge-number.json"))
    assert result.returncode in (0, 2) and "number out of range" not in result.stderr
