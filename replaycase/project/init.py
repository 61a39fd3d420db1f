"""`replaycase init`: the ``[tool.replaycase]`` block and a GitHub Actions workflow.

Nothing existing is overwritten without ``force``: an existing block or workflow makes init
refuse before it writes anything. The block is appended to pyproject.toml (created when
missing); the rest of the file is kept byte for byte. ``.replaycase/`` is added to .gitignore
(created when missing) once, its other lines kept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from .._safe_files import check_output, write_output
from ..errors import ConfigError, FileAccessError, UsageError
from .config import (
    PYPROJECT,
    TABLE,
    parse_config,
    parse_toml,
    read_pyproject,
    read_pyproject_text,
)

WORKFLOW = Path(".github") / "workflows" / "replaycase.yml"
GITIGNORE = Path(".gitignore")
EVIDENCE_IGNORE = ".replaycase/"
JUNIT_FILE = "replaycase-junit.xml"
_HEADER = re.compile(r"^[ \t]*\[\[?[ \t]*tool[ \t]*\.[ \t]*replaycase[ \t]*(\]|\.)", re.M)
_ANY_HEADER = re.compile(r"^[ \t]*\[", re.M)

_BLOCK = """\
[tool.replaycase]
# replaycase defaults; a flag on the command line overrides each (docs/configuration.md).
cases = ["cases"]
{runner_line}
timeout_s = 60
# jobs = 4                        # cases replayed at once (default: the CPU count)
evidence_dir = ".replaycase/runs"
redact_patterns = []              # extra regexes that scaffold redacts and lint looks for
max_output_mb = 10                # cap on a runner's stdout and stderr, each

[tool.replaycase.limits]
max_file_mb = 512
max_depth = 200
max_string_mb = 16
max_output_mb = 64
"""

_WORKFLOW = """\
# Written by `replaycase init`: replays cases/ against the candidate runner on every change.
name: replaycase

on:
  push:
    branches: [main]
  pull_request:

permissions:
  contents: read
  checks: write  # the JUnit report is published as a check run

jobs:
  replay:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install
        run: |
          python -m pip install --upgrade pip
{install}
{install_replaycase}
{runner_check}      - name: Lint cases
        run: replaycase lint cases/ --allow-no-cases
      - name: Replay cases
        # --allow-no-cases: until the first case is committed, "no cases yet" passes.
        run: >-
          replaycase replay cases/ --allow-no-cases --junit {junit}
          --markdown "$GITHUB_STEP_SUMMARY"
      - name: Publish the JUnit report
        if: ${{{{ !cancelled() && hashFiles('{junit}') != '' }}}}
        uses: mikepenz/action-junit-report@v5
        with:
          report_paths: {junit}
          check_name: replaycase
          include_passed: true
          detailed_summary: true
      - name: Upload the replay evidence
        if: ${{{{ !cancelled() }}}}
        uses: actions/upload-artifact@v4
        with:
          name: replaycase-runs
          path: .replaycase/runs
          include-hidden-files: true
          if-no-files-found: ignore
"""


# Without --runner-cmd the workflow fails at this step, saying what to do, once cases/ holds a
# case and runner_cmd is still unset in [tool.replaycase]: replay never falls back to a command
# from a case folder.
_RUNNER_CHECK = """\
      - name: Check the runner command
        shell: python
        run: |
          import pathlib, sys, tomllib
          with open("pyproject.toml", "rb") as file:
              config = tomllib.load(file).get("tool", {{}}).get("replaycase", {{}})
          has_cases = any(pathlib.Path("cases").rglob("case.yaml"))
          if has_cases and not config.get("runner_cmd"):
              print("::error title=replaycase::{message}")
              sys.exit(1)
"""
# replaycase is not on PyPI yet: by default the workflow installs it from its git repository,
# whose address the user fills in (a check fails the step, saying so, until then).
GIT_PLACEHOLDER = "<OWNER>"
GIT_REQUIREMENT = f"replaycase @ git+https://github.com/{GIT_PLACEHOLDER}/replaycase.git"
_INSTALL_GIT = """\
          # replaycase {version} wrote this workflow. replaycase is not on PyPI yet, so it is
          # installed from its git repository: replace {placeholder} with the account that hosts
          # it (pin a tag or commit: ...replaycase.git@v{version}). Once a release is published,
          # use the PyPI requirement instead: REPLAYCASE="replaycase=={version}"
          # (or run replaycase init --force --install pypi). See docs/ci.md.
          REPLAYCASE="{requirement}"
          case "$REPLAYCASE" in *"{placeholder}"*)
            echo "::error title=replaycase::replace {placeholder} in the replaycase git URL"
            exit 1;;
          esac
          python -m pip install "$REPLAYCASE\""""
_INSTALL_PYPI = """\
          # replaycase {version} wrote this workflow; it installs that same release.
          python -m pip install "{requirement}\""""
INSTALL_CHOICES = ("git", "pypi")
NO_RUNNER_MESSAGE = ("no runner command: set runner_cmd in [tool.replaycase] of pyproject.toml "
                     "(or run replaycase init --runner-cmd CMD --force)")


@dataclass(frozen=True)
class InitAction:
    """One file init wrote, and how."""

    path: Path
    action: str  # "created", "appended", "replaced"


def init_project(folder: Path, runner_cmd: str | None = None, force: bool = False,
                 install: str = "git") -> list[InitAction]:
    """Write the config block, the workflow and ``.replaycase/`` in .gitignore into
    ``folder``; refuse to overwrite. ``--force`` without ``runner_cmd`` keeps the
    configured one. ``install``: how the workflow installs replaycase
    (``replaycase_requirement``)."""
    pyproject = folder / PYPROJECT
    workflow = folder / WORKFLOW
    gitignore = folder / GITIGNORE
    for path in (pyproject, workflow, gitignore):  # a link, folder or FIFO: refused first
        check_output(path)
    requirement = replaycase_requirement(install)
    existing = read_pyproject(pyproject) if pyproject.is_file() else None
    table = existing.get("tool", {}).get("replaycase") if existing is not None else None
    has_block = table is not None
    conflicts = []
    if has_block:
        conflicts.append(f"{pyproject} already has a [{TABLE}] table")
    if workflow.exists():
        conflicts.append(f"{workflow} exists")
    if conflicts and not force:
        raise FileAccessError(None, "; ".join(conflicts) + "; pass --force to overwrite")
    if runner_cmd is None and isinstance(table, dict) and isinstance(table.get("runner_cmd"), str):
        runner_cmd = table["runner_cmd"]  # --force alone keeps the configured runner
    block = config_block(runner_cmd)
    actions = [_write_block(pyproject, block, existing, has_block)]
    workflow_text = workflow_yaml(has_package=_has_package(folder, existing),
                                  has_runner=bool(runner_cmd), requirement=requirement)
    action = "replaced" if workflow.exists() else "created"
    write_output(workflow, workflow_text)
    actions.append(InitAction(workflow, action))
    ignored = _ignore_evidence(gitignore)
    if ignored is not None:
        actions.append(ignored)
    return actions


def replaycase_requirement(install: str = "git") -> str:
    """The pip requirement the workflow installs replaycase with: ``git`` (the default, until a
    release is on PyPI) the git URL with a placeholder to fill, ``pypi`` this very version
    (``replaycase==X``), anything else a requirement given as it is."""
    if install == "git":
        return GIT_REQUIREMENT
    if install == "pypi":
        return f"replaycase=={_version()}"
    if not install.strip() or "\n" in install or '"' in install:
        raise UsageError(f"--install: expected git, pypi or a pip requirement, got {install!r}")
    return install


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("replaycase")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree, not installed
        from .. import __version__

        return __version__


def config_block(runner_cmd: str | None = None) -> str:
    """The ``[tool.replaycase]`` block init writes (valid TOML, checked)."""
    if runner_cmd:
        runner_line = f"runner_cmd = {json.dumps(runner_cmd, ensure_ascii=False)}"
    else:
        runner_line = ('# runner_cmd = "python my_agent_runner.py"   # the candidate runner; '
                       "or pass --runner-cmd")
    return _BLOCK.format(runner_line=runner_line)


def workflow_yaml(has_package: bool = True, has_runner: bool = True,
                  requirement: str = GIT_REQUIREMENT) -> str:
    """The GitHub Actions workflow init writes; without a runner command it first checks
    that runner_cmd is configured once there is a case, and fails saying so."""
    if has_package:
        install = "          python -m pip install -e ."
    else:
        install = ("          if [ -f requirements.txt ]; then python -m pip install -r "
                   "requirements.txt; fi")
    template = _INSTALL_GIT if GIT_PLACEHOLDER in requirement else _INSTALL_PYPI
    install_replaycase = template.format(version=_version(), requirement=requirement,
                                         placeholder=GIT_PLACEHOLDER)
    check = "" if has_runner else _RUNNER_CHECK.format(message=NO_RUNNER_MESSAGE)
    return _WORKFLOW.format(install=install, install_replaycase=install_replaycase,
                            junit=JUNIT_FILE, runner_check=check)


def _ignore_evidence(path: Path) -> InitAction | None:
    """``.replaycase/`` (the evidence folders) added to .gitignore once; its other lines kept."""
    if not path.exists():
        write_output(path, EVIDENCE_IGNORE + "\n")
        return InitAction(path, "created")
    text = read_pyproject_text(path)  # the same size cap and refusals
    wanted = {EVIDENCE_IGNORE, EVIDENCE_IGNORE.rstrip("/"), "/" + EVIDENCE_IGNORE,
              "/" + EVIDENCE_IGNORE.rstrip("/")}
    if any(line.strip() in wanted for line in text.splitlines()):
        return None
    head = text if not text or text.endswith("\n") else text + "\n"
    write_output(path, head + EVIDENCE_IGNORE + "\n")
    return InitAction(path, "appended")


def _has_package(folder: Path, pyproject: dict[str, Any] | None) -> bool:
    """Whether ``pip install -e .`` can install the project."""
    return (pyproject is not None and "project" in pyproject) or (folder / "setup.py").is_file()


def _write_block(path: Path, block: str, existing: dict[str, Any] | None,
                 has_block: bool) -> InitAction:
    if existing is None:
        text, action = block, "created"
    else:
        old = read_pyproject_text(path)
        if has_block:
            text, action = _replace_block(path, old, block), "replaced"
        else:
            head = old.rstrip("\n")
            text, action = (head + "\n\n" if head else "") + block, "appended"
    _check(path, text, existing or {}, block)
    write_output(path, text)
    return InitAction(path, action)


def _replace_block(path: Path, text: str, block: str) -> str:
    """``text`` with its ``[tool.replaycase...]`` tables swapped for ``block``."""
    headers = [m.start() for m in _ANY_HEADER.finditer(text)] + [len(text)]
    spans = [(start, _content_end(text, start, end))
             for start, end in pairwise(headers) if _HEADER.match(text, start)]
    if not spans:
        raise ConfigError(path, f"[{TABLE}] is not written as a table header; edit it by hand "
                               "or remove it, then rerun init")
    pieces, position = [], 0
    for start, end in spans:
        pieces.append(text[position:start])
        position = end
    pieces.append(text[position:])
    before, after = pieces[0].rstrip("\n"), "".join(pieces[1:]).strip("\n")
    return (before + "\n\n" if before else "") + block + ("\n" + after + "\n" if after else "")


def _content_end(text: str, start: int, end: int) -> int:
    """The end of a table's own lines: trailing blank and comment lines go with the next."""
    lines = text[start:end].splitlines(keepends=True)
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    return start + sum(len(line) for line in lines)


def _check(path: Path, text: str, old: dict[str, Any], block: str) -> None:
    """Refuse unless the new file parses to the old data with only our table changed."""
    try:
        new = parse_toml(text, path)
    except ConfigError:
        raise ConfigError(path, f"appending [{TABLE}] would make it invalid TOML; add the "
                               "block by hand (docs/configuration.md)") from None
    wanted = parse_toml(block, path)["tool"]["replaycase"]
    if new.get("tool", {}).get("replaycase") != wanted or _without_ours(new) != \
            _without_ours(old):
        raise ConfigError(path, f"cannot rewrite [{TABLE}] safely; edit it by hand or remove "
                               "it, then rerun init")
    parse_config(wanted, path)


def _without_ours(data: dict[str, Any]) -> dict[str, Any]:
    copy = dict(data)
    tool = dict(copy.get("tool", {}))
    tool.pop("replaycase", None)
    if tool:
        copy["tool"] = tool
    else:
        copy.pop("tool", None)
    return copy
