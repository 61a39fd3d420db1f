"""The one exception tree of replaycase.

    ReplaycaseError                 anything replaycase reports to a user (exit 2)
     ├── InputError                 a file given to replaycase cannot be used
     │    ├── FileAccessError       it cannot be opened, read, written or replaced as asked
     │    ├── TraceFormatError      a trace is malformed or in no supported format
     │    ├── RunChoiceError        a trace holds no run of the id asked, or several and no id
     │    ├── CaseError             a case folder or case.yaml is invalid
     │    ├── ConfigError           the [tool.replaycase] configuration is invalid
     │    └── ResultsError          a file is not a replaycase results document
     ├── UsageError                 the options do not make sense together
     ├── UpstreamError              record's upstream model cannot be reached or refused
     └── RunnerHelperError          replaycase.runner used where it cannot serve
          ├── NotInReplay           a REPLAYCASE_* variable of the replay is not set
          ├── FixtureMissing        the fixtures hold no recorded call of the tool asked for
          └── FixtureUnreadable     a fixture file cannot be read

Only the leaves are raised; the inner classes are there to be caught.
Runner faults are not exceptions: they come back as a ``runner_error`` verdict.
The command line catches ``ReplaycaseError`` only and prints ``str(error)`` on one line.
"""

from __future__ import annotations

from pathlib import Path


class ReplaycaseError(Exception):
    """Root of every error replaycase reports to a user."""

    exit_code = 2


class UsageError(ReplaycaseError):
    """Options or arguments that do not fit together."""


class InputError(ReplaycaseError):
    """A file that cannot be used; the message names the file and the problem."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = str(path) if path is not None else None
        self.problem = _one_line(problem)
        super().__init__(f"{self.path}: {self.problem}" if self.path else self.problem)


class FileAccessError(InputError):
    """A file or folder that cannot be opened, read, written or replaced as asked."""


class TraceFormatError(InputError):
    """A trace file that is malformed or in no supported format."""

    def __init__(self, path: str | Path | None, problem: str, fmt: str | None = None) -> None:
        self.format = fmt
        prefix = f"[{fmt}] " if fmt else ""
        super().__init__(path, prefix + problem)


class RunChoiceError(InputError):
    """A trace file without the run asked for: no run of that id, or several and no id."""


class CaseError(InputError):
    """A case folder or case.yaml that is invalid."""


class ConfigError(InputError):
    """A ``[tool.replaycase]`` configuration (or its pyproject.toml) that cannot be used."""


class ResultsError(InputError):
    """A file that is not a results document this replaycase reads."""


class UpstreamError(ReplaycaseError):
    """The upstream model of ``replaycase record`` cannot be reached, refused a request, or
    answered something that is not an answer."""


class RunnerHelperError(ReplaycaseError):
    """``replaycase.runner`` used outside a replay, or asked for more than was recorded."""


class NotInReplay(RunnerHelperError):
    """A variable the replay sets for its runner is missing."""

    def __init__(self, variable: str) -> None:
        super().__init__(f"{variable} is not set: not inside a replay")


class FixtureMissing(RunnerHelperError):
    """The candidate asked for a tool output the fixtures do not hold."""


class FixtureUnreadable(RunnerHelperError):
    """A fixture file of the case that cannot be read."""


def _one_line(text: str, limit: int = 2000) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
