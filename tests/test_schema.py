"""`replaycase schema`: a valid JSON Schema of case.yaml, and the offline editor line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from replaycase.case import load_case
from replaycase.case.lint import lint_paths
from replaycase.case.models import SCHEMA_COMMENT
from replaycase.case.schema import SCHEMA_FILE, schema_text
from replaycase.cli import app
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

REPO = Path(__file__).parent.parent
COMMITTED = sorted([*(REPO / "cases").glob("*/case.yaml"),
                    *(REPO / "examples" / "runner-api" / "cases").glob("*/case.yaml")])
DATA = Path(__file__).parent / "data" / "replaykit"
MODELINE = "# yaml-language-server: $schema="


def cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    code, out, _ = cli(["schema"])
    assert code == 0
    document = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


def test_committed_cases_exist() -> None:
    assert len(COMMITTED) >= 4


@pytest.mark.parametrize("case_yaml", COMMITTED, ids=lambda p: p.parent.name)
def test_committed_case_validates(validator: jsonschema.Draft202012Validator,
                                  case_yaml: Path) -> None:
    data = yaml.safe_load(case_yaml.read_text())
    assert [e.message for e in validator.iter_errors(data)] == []


@pytest.mark.parametrize("case_yaml", COMMITTED, ids=lambda p: p.parent.name)
def test_committed_case_points_at_the_committed_schema(case_yaml: Path) -> None:
    first = case_yaml.read_text().splitlines()[0]
    assert first.startswith(MODELINE)
    target = (case_yaml.parent / first.removeprefix(MODELINE)).resolve()
    assert target == (case_yaml.parent.parent / SCHEMA_FILE).resolve()
    assert target.read_text() == schema_text(), "regenerate: sh examples/scaffold_cases.sh"


@pytest.mark.parametrize("change", ["unknown top-level key", "unknown key in an assertion",
                                    "wrong schema version", "unknown assertion",
                                    "missing observed_failure"])
def test_invalid_case_fails_the_schema(validator: jsonschema.Draft202012Validator,
                                       change: str) -> None:
    data = yaml.safe_load(COMMITTED[0].read_text())
    if change == "unknown top-level key":
        data["bogus"] = 1
    elif change == "unknown key in an assertion":
        data["desired"][0]["because"] = "x"
    elif change == "wrong schema version":
        data["schema"] = "replaycase/v0"
    elif change == "unknown assertion":
        data["desired"].append({"tool_caled": "x"})
    else:
        del data["observed_failure"]
    assert list(validator.iter_errors(data)), change


def test_schema_out_writes_the_same_document(tmp_path: Path) -> None:
    out = tmp_path / "nested" / SCHEMA_FILE
    code, stdout, _ = cli(["schema", "--out", str(out)])
    assert code == 0 and str(out) in stdout
    assert out.read_text() == cli(["schema"])[1] == schema_text()


def test_scaffold_writes_the_schema_beside_the_case_and_the_modeline(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    scaffold(DATA / "billing-loop.json", cases / "billing-loop")
    text = (cases / "billing-loop" / "case.yaml").read_text()
    assert text.startswith(SCHEMA_COMMENT + "\n")
    assert text.splitlines()[0] == f"{MODELINE}../{SCHEMA_FILE}"
    schema = cases / SCHEMA_FILE
    assert schema.read_text() == schema_text()
    assert sorted(p.name for p in cases.iterdir()) == ["billing-loop", SCHEMA_FILE]
    # the folder itself holds no schema file, and lint is clean on the tree
    assert not (cases / "billing-loop" / SCHEMA_FILE).exists()
    assert [r.problems for r in lint_paths([cases])] == [[]]
    assert load_case(cases / "billing-loop").id == "billing-loop"


def test_scaffold_rewrites_a_stale_schema_and_leaves_a_current_one(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / SCHEMA_FILE).write_text("{}")
    scaffold(DATA / "billing-loop.json", cases / "one")
    assert (cases / SCHEMA_FILE).read_text() == schema_text()
    before = (cases / SCHEMA_FILE).stat().st_mtime_ns
    scaffold(DATA / "billing-loop.json", cases / "two")
    assert (cases / SCHEMA_FILE).stat().st_mtime_ns == before
    assert not [p for p in cases.iterdir() if p.name.startswith(".")]


def test_scaffold_stays_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b"):
        scaffold(DATA / "billing-loop.json", tmp_path / name / "case", ScaffoldOptions())
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*"))
    assert files_a == files_b and Path(SCHEMA_FILE) in files_a
    for rel in files_a:
        if (tmp_path / "a" / rel).is_file():
            assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()


def test_scaffold_all_puts_one_schema_in_the_parent(tmp_path: Path) -> None:
    out = tmp_path / "suite"
    scaffold(DATA / "three-runs.json", out, ScaffoldOptions(all_runs=True))
    cases = [p for p in out.iterdir() if p.is_dir()]
    assert cases and (out / SCHEMA_FILE).read_text() == schema_text()
    for case in cases:
        assert (case / "case.yaml").read_text().startswith(f"{MODELINE}../{SCHEMA_FILE}\n")


def test_failed_scaffold_writes_no_schema(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="--observed"):
        scaffold(DATA / "happy.json", tmp_path / "cases" / "happy")
    assert not (tmp_path / "cases").exists()
