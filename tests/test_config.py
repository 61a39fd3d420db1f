"""[tool.replaycase] in pyproject.toml: finding it, strict keys, one-line errors, precedence."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replaycase._jsonio import DEFAULT_LIMITS, Limits
from replaycase.cli import app
from replaycase.errors import InputError, UsageError
from replaycase.project.config import (
    DEFAULT_EVIDENCE_DIR,
    case_paths,
    load_config,
    parse_config,
    pick,
    redact_patterns,
)
from replaycase.replay.settings import replay_settings
from replaycase.scaffolding.build import scaffold

DATA = Path(__file__).parent / "data" / "replaykit"


def copy_cmd(name: str) -> str:
    return f'cp {shlex.quote(str(DATA / name))} "$REPLAYCASE_OUTPUT_PATH"'


def write_pyproject(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


def folder_text(folder: Path) -> str:
    return "".join(p.read_text() for p in sorted(folder.rglob("*")) if p.is_file())


def cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def test_no_pyproject_gives_the_built_in_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.file is None
    assert config.cases is None and config.runner_cmd is None and config.jobs is None
    assert config.to_limits() == DEFAULT_LIMITS
    assert config.prices == {}


def test_nearest_pyproject_with_the_table_wins(tmp_path: Path) -> None:
    root = write_pyproject(tmp_path, '[tool.replaycase]\njobs = 3\ncases = ["cases"]\n')
    # A nested project without [tool.replaycase] does not hide the outer one (as ruff does).
    write_pyproject(tmp_path / "pkg", '[project]\nname = "pkg"\n')
    deep = tmp_path / "pkg" / "src" / "deeper"
    deep.mkdir(parents=True)
    config = load_config(deep)
    assert config.file == root and config.jobs == 3
    inner = write_pyproject(tmp_path / "pkg", '[tool.replaycase]\njobs = 5\n')
    assert load_config(deep).file == inner and load_config(deep).jobs == 5


def test_relative_paths_are_relative_to_the_pyproject(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write_pyproject(tmp_path, '[tool.replaycase]\ncases = ["cases", "/abs/cases"]\n'
                              'evidence_dir = "out/runs"\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    config = load_config()
    assert case_paths(config, None) == [Path("../cases"), Path("/abs/cases")]
    settings = replay_settings(config, paths=None, runner_cmd="true")
    assert settings.options.evidence_root == Path("../out/runs")
    assert (sub / settings.options.evidence_root).resolve() == tmp_path / "out" / "runs"
    monkeypatch.chdir(tmp_path)
    assert case_paths(load_config(), None)[0] == Path("cases")


def test_every_key_and_the_limits_table(tmp_path: Path) -> None:
    write_pyproject(tmp_path, """
[tool.replaycase]
cases = ["cases", "more-cases"]
runner_cmd = "python runners/fixed.py"
timeout_s = 12.5
jobs = 4
evidence_dir = "evidence"
redact_patterns = ["ACME-[0-9]{6}"]
max_output_mb = 2

[tool.replaycase.limits]
max_file_mb = 5
max_depth = 50
max_string_mb = 1
max_output_mb = 3

[tool.replaycase.prices."gpt-4o"]
input_per_million = 2.5
output_per_million = 10.0
""")
    config = load_config(tmp_path)
    assert config.to_limits() == Limits(max_file_mb=5, max_depth=50, max_string_mb=1,
                                        max_output_file_mb=3)
    assert config.prices == {"gpt-4o": {"input_per_million": 2.5, "output_per_million": 10.0}}
    assert config.redact_patterns == ["ACME-[0-9]{6}"]
    settings = replay_settings(config, paths=None)
    options = settings.options
    assert settings.jobs == 4
    assert [(Path.cwd() / p).resolve() for p in settings.paths] == [
        (tmp_path / "cases").resolve(), (tmp_path / "more-cases").resolve()]
    assert options.runner_cmd == "python runners/fixed.py"
    assert options.cwd == tmp_path  # a configured runner runs in the project folder
    assert options.timeout_s == 12.5
    assert options.max_output_bytes == 2 * 1024 * 1024
    assert options.limits.max_depth == 50
    assert (Path.cwd() / options.evidence_root).resolve() == tmp_path / "evidence"


def test_flags_win_over_config_and_config_over_defaults(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.replaycase]\nrunner_cmd = "from-config"\ntimeout_s = 9\n'
                              'jobs = 2\nmax_output_mb = 1\n')
    config = load_config(tmp_path)
    flagged = replay_settings(config, paths=[Path("x")], runner_cmd="from-flag", jobs=7,
                              timeout_s=3, evidence_dir=Path("ev"), max_output_mb=4)
    assert flagged.paths == [Path("x")] and flagged.jobs == 7
    assert flagged.options.runner_cmd == "from-flag" and flagged.options.cwd is None
    assert flagged.options.timeout_s == 3
    assert flagged.options.evidence_root == Path("ev")
    assert flagged.options.max_output_bytes == 4 * 1024 * 1024
    configured = replay_settings(config, paths=[Path("x")])
    assert configured.jobs == 2 and configured.options.timeout_s == 9
    assert configured.options.runner_cmd == "from-config"
    defaults = replay_settings(parse_config({}), paths=[Path("x")])
    assert defaults.jobs == (os.cpu_count() or 1)
    assert defaults.options.timeout_s is None and defaults.options.runner_cmd is None
    assert defaults.options.evidence_root == DEFAULT_EVIDENCE_DIR
    assert defaults.options.max_output_bytes == 10 * 1024 * 1024
    assert pick(0, 5, 9) == 0  # a flag given as 0 is still given


def test_redaction_patterns_add_up(tmp_path: Path) -> None:
    config = parse_config({"redact_patterns": ["A+", "B+"]})
    assert redact_patterns(config, ["C+", "A+"]) == ["A+", "B+", "C+"]
    assert redact_patterns(config, None) == ["A+", "B+"]


def test_no_paths_and_no_configured_cases_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"set cases in \[tool.replaycase\] of pyproject.toml"):
        case_paths(load_config(tmp_path), None)


BAD_CONFIGS = {
    "unknown key": ("job = 2", "tool.replaycase.job: unknown key"),
    "wrong type": ('jobs = "many"', "tool.replaycase.jobs: Input should be a valid integer"),
    "zero jobs": ("jobs = 0", "tool.replaycase.jobs: Input should be greater than or equal to 1"),
    "negative timeout": ("timeout_s = -1", "tool.replaycase.timeout_s: Input should be greater"),
    "cases not a list": ('cases = "cases"', "tool.replaycase.cases: Input should be a valid list"),
    "bad regex": ('redact_patterns = ["(unclosed"]',
                  "tool.replaycase.redact_patterns: invalid regex '(unclosed'"),
    "unknown limit": ("limits = { max_files = 3 }", "tool.replaycase.limits.max_files: unknown"),
    "zero limit": ("limits = { max_depth = 0 }", "tool.replaycase.limits.max_depth: Input should"),
    "price keys": ('prices = { "m" = { input_per_million = 1 } }',
                   "tool.replaycase.prices: 'm': expected exactly the keys input_per_million, "
                   "output_per_million"),
    "negative price": ('prices = { "m" = { input_per_million = -1, output_per_million = 1 } }',
                       "'m': prices cannot be negative"),
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_bad_config_is_one_line_naming_file_and_key(tmp_path: Path, name: str) -> None:
    line, expected = BAD_CONFIGS[name]
    path = write_pyproject(tmp_path, f"[project]\nname = 'x'\n\n[tool.replaycase]\n{line}\n")
    with pytest.raises(InputError) as caught:
        load_config(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message
    assert "\n" not in message


def test_invalid_toml_and_a_non_table(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, "[tool.replaycase\njobs = 2\n")
    with pytest.raises(InputError, match="invalid TOML") as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(str(path))
    write_pyproject(tmp_path, '[tool]\nreplaycase = "yes"\n')
    with pytest.raises(InputError, match=r"tool.replaycase: expected a table"):
        load_config(tmp_path)


def test_cli_bad_config_exit_2_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_pyproject(tmp_path, "[tool.replaycase]\nrunner = 'python r.py'\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(["lint"])
    assert code == 2
    assert err.strip().splitlines() == [
        f"replaycase: error: {tmp_path / 'pyproject.toml'}: tool.replaycase.runner: unknown key"]


def test_cli_replay_and_lint_default_to_configured_cases(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scaffold(DATA / "billing-loop.json", tmp_path / "suite" / "billing-loop")
    write_pyproject(tmp_path, f"""[tool.replaycase]
cases = ["suite"]
runner_cmd = '''{copy_cmd("output-fixed.json")}'''
evidence_dir = "evidence"
""")
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(["replay"])
    assert code == 0, err
    assert "billing-loop" in out and "FIXED" in out
    assert len(list((tmp_path / "evidence").iterdir())) == 1
    code, out, _ = cli(["replay", "--runner-cmd", copy_cmd("output-buggy.json"),
                        "--evidence-dir", "flag-evidence"])
    assert code == 1 and "REPRODUCED" in out
    assert len(list((tmp_path / "flag-evidence").iterdir())) == 1
    assert len(list((tmp_path / "evidence").iterdir())) == 1
    code, out, _ = cli(["lint"])
    assert code == 0 and "suite/billing-loop: ok" in out


def test_cli_scaffold_and_lint_use_configured_redaction(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(["scaffold", str(DATA / "billing-loop.json"), "--out", "cases/plain"])
    assert code == 0, err
    assert "C-10442" in folder_text(tmp_path / "cases" / "plain")
    write_pyproject(tmp_path, '[tool.replaycase]\nredact_patterns = ["C-[0-9]{5}"]\n')
    code, out, _ = cli(["lint", "cases/plain"])
    assert code == 1 and "secret found" in out
    code, _, err = cli(["scaffold", str(DATA / "billing-loop.json"), "--out", "cases/red"])
    assert code == 0, err
    assert "C-10442" not in folder_text(tmp_path / "cases" / "red")
    code, out, _ = cli(["lint", "cases/red"])
    assert code == 0, out


def test_cli_configured_limits_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_pyproject(tmp_path, "[tool.replaycase.limits]\nmax_file_mb = 0.001\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(["scaffold", str(DATA / "billing-loop.json"), "--out", "cases/x"])
    assert code == 2
    assert "above the limit of 0.0 MB" in err
    assert not (tmp_path / "cases").exists()


def test_the_configuration_imports_nothing_of_replay() -> None:
    # Issue 13: replay builds its options from the configuration, never the reverse; a lazy
    # import inside a function counts too.
    import ast

    import replaycase.project.config as config_module

    tree = ast.parse(Path(config_module.__file__).read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names]
    assert imported and not [m for m in imported if "replay" in m.split(".")], imported
