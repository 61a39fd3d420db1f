"""pytest plugin: `pytest cases/ --replaycase-runner CMD` runs each case.yaml as a test.

The runner is --replaycase-runner, else ``runner_cmd`` of ``[tool.replaycase]``. The
configuration is read at start when the flag is given, else only when pytest meets a case.yaml,
so the plugin stays inert in other test suites. With no runner either way, no case is collected
and a ``NoRunnerWarning`` says so, once (per process). Each item replays its case with
the same code as `replaycase replay`; the other settings come from the flags below, else from
``[tool.replaycase]`` in pyproject.toml. Items are independent, so pytest-xdist (``-n 4``)
spreads them over processes, or hosts, like any test.

Registered under the ``pytest11`` entry point ``replaycase.pytest_plugin``, so both plain
``pytest`` and ``pytest -p replaycase.pytest_plugin`` (with plugin autoload disabled) load it
once.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._jsonio import Limits
    from .replay.case_run import ReplayOptions
    from .results import ReplayResult

_SETTINGS = pytest.StashKey["_Settings | None"]()  # None: no runner, no case collected
NO_RUNNER = ("replaycase: case.yaml files are not collected: no runner command (pass "
             "--replaycase-runner CMD, or set runner_cmd in [tool.replaycase] of pyproject.toml)")


class NoRunnerWarning(pytest.PytestWarning):
    """pytest met case.yaml files but has no runner to replay them with."""


class _Settings:
    """The replay options of this session, merged once from flags and configuration."""

    def __init__(self, options: ReplayOptions, expect: str, limits: Limits) -> None:
        self.options = options
        self.expect = expect
        self.limits = limits


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("replaycase", "replay agent regression cases")
    group.addoption("--replaycase-runner", dest="replaycase_runner", default=None,
                    metavar="CMD", help="Candidate runner command; collects case.yaml files.")
    group.addoption("--replaycase-timeout", dest="replaycase_timeout", type=float,
                    default=None, metavar="S", help="Seconds per case (default: timeout_s "
                    "in [tool.replaycase], else the case's runner.timeout_s).")
    group.addoption("--replaycase-expect", dest="replaycase_expect", default="fixed",
                    choices=("fixed", "reproduced"), help="What every case must show.")
    group.addoption("--replaycase-evidence-dir", dest="replaycase_evidence_dir",
                    default=None, metavar="DIR", help="Evidence folder (default: "
                    "evidence_dir in [tool.replaycase], else .replaycase/runs).")


def pytest_configure(config: pytest.Config) -> None:
    runner = config.getoption("replaycase_runner")
    if runner:  # a bad configuration is a usage error at once
        config.stash[_SETTINGS] = _settings(config, runner)


def _settings(config: pytest.Config, runner: str | None) -> _Settings | None:
    """The session's settings: the flags over ``[tool.replaycase]``; None without a runner."""
    from .errors import ReplaycaseError
    from .project.config import load_config
    from .replay.settings import replay_options

    try:
        project = load_config(Path(config.invocation_params.dir))
        runner = runner or project.runner_cmd
        if not runner:
            return None
        evidence = config.getoption("replaycase_evidence_dir")
        options = replay_options(project, runner_cmd=runner,
                                 timeout_s=config.getoption("replaycase_timeout"),
                                 evidence_dir=Path(evidence) if evidence else None,
                                 flag_names={"timeout_s": "--replaycase-timeout"})
    except ReplaycaseError as exc:
        raise pytest.UsageError(f"replaycase: {exc}") from None
    return _Settings(options, config.getoption("replaycase_expect"), project.to_limits())


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = config.stash.get(_SETTINGS, None)  # set at start only by the flag
    if settings is None:
        return None
    return f"replaycase: runner {settings.options.runner_cmd!r}, expect {settings.expect}"


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.File | None:
    if file_path.name != "case.yaml":
        return None
    stash = parent.config.stash
    if _SETTINGS not in stash:  # the first case.yaml, no flag: runner_cmd of the project
        stash[_SETTINGS] = _settings(parent.config, None)
        if stash[_SETTINGS] is None:
            warnings.warn(NoRunnerWarning(NO_RUNNER), stacklevel=1)
    if stash[_SETTINGS] is None:
        return None
    return CaseFile.from_parent(parent, path=file_path)


def _active(config: pytest.Config) -> _Settings:
    """The settings of a session that collected cases."""
    settings = config.stash[_SETTINGS]
    assert settings is not None  # no case is collected without them
    return settings


class CaseFile(pytest.File):
    """A case.yaml: one test item."""

    def collect(self) -> list[pytest.Item]:
        """The case's item; a case that cannot be loaded is one failing item (not a
        collection error, which would stop the whole session)."""
        from .case import load_case
        from .errors import InputError

        try:
            case = load_case(self.path.parent, _active(self.config).limits)
        except (InputError, OSError, RecursionError) as exc:
            from .replay.suite import load_error

            return [InvalidCaseItem.from_parent(self, name=self.path.parent.name,
                                                error=load_error(self.path.parent, exc))]
        return [CaseItem.from_parent(self, name=case.id, case=case)]


class CaseRefused(Exception):
    """A case folder that cannot be loaded, so cannot be replayed."""


class InvalidCaseItem(pytest.Item):
    """A case folder replaycase refuses: fails with its one-line error."""

    def __init__(self, *, error: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise CaseRefused(self.error)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        return f"replaycase: {self.error}"

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"replaycase: {self.name} (invalid)"


class CaseFailure(Exception):
    """A case that did not meet the expectation."""


class CaseItem(pytest.Item):
    """Replays one case against the runner given on the command line."""

    def __init__(self, *, case: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        from .replay.case_run import replay_case
        from .replay.suite import internal_error_result

        settings = _active(self.config)
        try:
            result = replay_case(self.case, settings.options)
        except Exception as exc:  # a fault inside replaycase: this case's runner_error
            result = internal_error_result(self.case, settings.options, exc)
        self.user_properties.append(("verdict", result.verdict))
        if result.evidence_dir:
            self.user_properties.append(("evidence", result.evidence_dir))
        if not result.passes(settings.expect):  # type: ignore[arg-type]
            raise CaseFailure(result)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailure):
            return failure_table(excinfo.value.args[0])
        from .errors import ReplaycaseError

        if isinstance(excinfo.value, ReplaycaseError):
            return f"replaycase: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"replaycase: {self.name}"


def failure_table(result: ReplayResult) -> str:
    """The verdict and every signature and assertion with expected and actual."""
    from ._text import short
    from .report.terminal import inert

    lines = [f"{result.case_id}: {result.verdict.upper()} "
             f"(observed failure reproduced: {'yes' if result.reproduced else 'no'})"]
    if result.divergence is not None:
        lines.append(inert(result.divergence.message))
    if result.runner.reason:
        lines.append(f"runner: {inert(result.runner.reason)}")
        if result.runner.stderr_tail:
            lines.append("stderr tail:")
            lines.extend("  " + inert(line) for line in result.runner.stderr_tail.splitlines())
    rows = [("", "kind", "entry", "expected", "actual")]
    for label, outcomes in (("signature", result.signatures), ("desired", result.assertions)):
        for o in outcomes:
            rows.append((o.outcome, label, o.key, short(o.expected, 40), short(o.actual, 40)))
    if len(rows) > 1:
        widths = [max(len(inert(r[i])) for r in rows) for i in range(5)]
        for row in rows:
            lines.append("  ".join(inert(c).ljust(w) for c, w in zip(row, widths, strict=True))
                         .rstrip())
    if result.evidence_dir:
        lines.append(f"evidence: {result.evidence_dir}")
    return "\n".join(lines)
