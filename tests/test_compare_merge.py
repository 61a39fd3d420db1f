"""`replaycase merge` (shards into one report) and `replaycase compare` (OLD vs NEW)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from junitparser import JUnitXml
from typer.testing import CliRunner

from replaycase.cli import app
from replaycase.errors import InputError, UsageError
from replaycase.results import ReplayResult, ResultsDocument, summarize
from replaycase.results.compare import compare_documents, text_lines
from replaycase.results.merge import merge_documents, read_results

DATA = Path(__file__).parent / "data" / "replaykit"
IDS = ["a-case", "b-case", "c-case", "d-case", "e-case"]  # shards of 3: 3, 3, 1, 2, 3


def copy_cmd(name: str) -> str:
    return f'cp {shlex.quote(str(DATA / name))} "$REPLAYCASE_OUTPUT_PATH"'


RUNNER = (f'case "$REPLAYCASE_CASE_ID" in b-case) {copy_cmd("output-failing.json")};; '
          f'*) {copy_cmd("output-fixed.json")};; esac')


def cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The --json results of the three shards of a five-case suite (b-case fails)."""
    from replaycase.scaffolding.build import scaffold

    root = tmp_path_factory.mktemp("merge")
    scaffold(DATA / "billing-loop.json", root / "template")
    for case_id in IDS:
        folder = root / "cases" / case_id
        shutil.copytree(root / "template", folder)
        text = (folder / "case.yaml").read_text()
        (folder / "case.yaml").write_text(re.sub(r"(?m)^id: .*$", f"id: {case_id}", text))
    files = []
    for index in (1, 2, 3):
        out = root / f"shard-{index}.json"
        code, _, _ = cli(["replay", str(root / "cases"), "--runner-cmd", RUNNER, "--shard",
                          f"{index}/3", "--evidence-dir", str(root / "runs"), "--json",
                          str(out)])
        assert code == (1 if index == 3 else 0)  # b-case is in shard 3
        files.append(out)
    return files


# -- merge -------------------------------------------------------------------------------------


def test_merge_joins_shards_into_one_report(shards: list[Path], tmp_path: Path) -> None:
    merged, junit = tmp_path / "merged.json", tmp_path / "junit.xml"
    code, out, _ = cli(["merge", *map(str, reversed(shards)), "--json", str(merged),
                        "--junit", str(junit)])
    assert code == 1  # b-case fails: the merged report fails too
    document = json.loads(merged.read_text())
    assert [r["case_id"] for r in document["results"]] == IDS
    summary = document["summary"]
    assert (summary["total"], summary["fixed"], summary["failing"], summary["passed"]) == \
        (5, 4, 1, 4)
    assert summary["shard"] is None
    assert summary["duration_ms"] == pytest.approx(sum(
        json.loads(p.read_text())["summary"]["duration_ms"] for p in shards), abs=0.2)
    xml = JUnitXml.fromfile(str(junit))
    assert (xml.tests, xml.failures, xml.errors) == (5, 1, 0)
    assert "5 cases · 4 fixed · 1 failing" in out


def test_merge_output_json_and_exit_0_when_all_pass(shards: list[Path],
                                                   tmp_path: Path) -> None:
    parts = []
    for path in shards[:2]:  # b-case (failing) is in shard 3
        data = json.loads(path.read_text())
        data["summary"]["shard"] = None  # as if two unsharded replays of parts of the suite
        parts.append(tmp_path / path.name)
        parts[-1].write_text(json.dumps(data))
    code, out, _ = cli(["merge", *map(str, parts), "-o", "json"])
    merged = json.loads(out)
    assert code == 0
    assert [r["case_id"] for r in merged["results"]] == ["c-case", "d-case"]
    assert merged["summary"]["passed"] == merged["summary"]["total"] == 2


def test_merge_refuses_missing_shards(shards: list[Path]) -> None:
    code, out, err = cli(["merge", str(shards[2])])
    assert code == 2 and out == ""
    assert "missing the results of shard 1/3, 2/3" in err


def test_merge_refuses_a_shard_twice(shards: list[Path]) -> None:
    code, _, err = cli(["merge", str(shards[0]), str(shards[0]), str(shards[1]),
                        str(shards[2])])
    assert code == 2 and "shard 1/3 is given twice" in err


def test_merge_refuses_duplicate_case_ids(shards: list[Path], tmp_path: Path) -> None:
    data = json.loads(shards[0].read_text())
    data["summary"]["shard"] = None
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(data))
    code, _, err = cli(["merge", str(shards[0]), str(copy), str(shards[1]), str(shards[2])])
    assert code == 2 and "case 'c-case' is in both" in err


def test_merge_refuses_mixed_expectations(shards: list[Path], tmp_path: Path) -> None:
    data = json.loads(shards[1].read_text())
    data["summary"]["expect"] = "reproduced"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    with pytest.raises(UsageError, match="replayed with expect reproduced"):
        merge_documents([(shards[0], read_results(shards[0])), (other, read_results(other))])


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{not json", "invalid JSON"),
    ("[1, 2]", "expected a replaycase results document (an object), got a list"),
    ('{"results": []}', "not a replaycase results document"),
    ('{"schema": "replaycase.scaffold/v1"}', "is not 'replaycase.results/v2'"),
    ('{"schema": "replaycase.results/v3"}', "newer than this replaycase reads"),
    ('{"schema": "replaycase.results/v1", "results": [{"case_id": 1}]}',
     "invalid results document"),
])
def test_bad_results_files_are_one_line_errors(tmp_path: Path, content: str | None,
                                               message: str) -> None:
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=re.escape(message)):
        read_results(path)
    for args in (["merge", str(path)], ["compare", str(path), str(path)]):
        code, _, err = cli(args)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1


# -- compare -----------------------------------------------------------------------------------


def doc(verdicts: dict[str, str], expect: str = "fixed", rate: float | None = None,
        pass_rates: dict[str, float] | None = None) -> ResultsDocument:
    results = [ReplayResult(case_id=k, case_path=f"cases/{k}", verdict=v,  # type: ignore[arg-type]
                            pass_rate=(pass_rates or {}).get(k)) for k, v in verdicts.items()]
    return ResultsDocument(results=results, summary=summarize(results, expect, 0.0, rate))


OLD = {"same-ok": "fixed", "gets-fixed": "reproduced", "breaks": "fixed",
       "still-bad": "failing", "gone": "fixed"}
NEW = {"same-ok": "fixed", "gets-fixed": "fixed", "breaks": "runner_error",
       "still-bad": "reproduced", "brand-new": "failing"}


def test_compare_categories() -> None:
    comparison = compare_documents(doc(OLD), doc(NEW))
    got = {c.case_id: c.category for c in comparison.cases}
    assert got == {"same-ok": "still_passing", "gets-fixed": "improved", "breaks": "regressed",
                   "still-bad": "still_failing", "gone": "removed", "brand-new": "added"}
    assert comparison.regressed
    assert comparison.cases[0].case_id == "breaks"  # regressions first
    breaks = comparison.of("regressed")[0]
    assert (breaks.old_verdict, breaks.new_verdict) == ("fixed", "runner_error")
    lines = text_lines(comparison)
    assert lines[0] == "regressed (1):" and "breaks  fixed -> runner_error" in lines[1]
    assert lines[-1] == ("1 regressed · 1 improved · 1 still failing · 1 still passing · "
                         "1 added · 1 removed")


def test_compare_uses_each_documents_pass_rule() -> None:
    old = doc({"f": "fixed"})
    new = doc({"f": "flaky"}, rate=0.6, pass_rates={"f": 2 / 3})
    assert compare_documents(old, new).cases[0].category == "still_passing"
    strict = doc({"f": "flaky"}, pass_rates={"f": 2 / 3})
    assert compare_documents(old, strict).cases[0].category == "regressed"
    reproduced = compare_documents(doc({"r": "fixed"}, "reproduced"),
                                   doc({"r": "reproduced"}, "reproduced"))
    assert reproduced.cases[0].category == "improved"


def test_compare_refuses_different_expectations() -> None:
    with pytest.raises(UsageError, match="--expect fixed and NEW with --expect reproduced"):
        compare_documents(doc({}), doc({}, "reproduced"))


def write(tmp_path: Path, name: str, document: ResultsDocument) -> str:
    path = tmp_path / name
    path.write_text(document.model_dump_json(by_alias=True))
    return str(path)


def test_cli_compare_exit_codes_and_json(tmp_path: Path) -> None:
    old, new = write(tmp_path, "old.json", doc(OLD)), write(tmp_path, "new.json", doc(NEW))
    code, out, _ = cli(["compare", old, new])
    assert code == 1 and "regressed (1):" in out and "improved (1):" in out
    code, out, _ = cli(["compare", old, new, "-o", "json"])
    data = json.loads(out)
    assert code == 1 and data["schema"] == "replaycase.compare/v1"
    assert data["counts"]["regressed"] == 1 and data["counts"]["removed"] == 1
    better = write(tmp_path, "better.json", doc({**OLD, "gets-fixed": "fixed"}))
    code, out, _ = cli(["compare", old, better])
    assert code == 0 and "1 improved" in out and "0 regressed" in out


def test_cli_compare_real_shards(shards: list[Path], tmp_path: Path) -> None:
    merged = tmp_path / "merged.json"
    cli(["merge", *map(str, shards), "--json", str(merged)])
    code, out, _ = cli(["compare", str(merged), str(merged)])
    assert code == 0 and "still failing (1):" in out and "b-case" in out
