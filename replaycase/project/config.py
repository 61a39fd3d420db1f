"""Project defaults from ``[tool.replaycase]`` in pyproject.toml; command-line flags win.

The nearest pyproject.toml holding a ``[tool.replaycase]`` table, from the current folder
upward, is the project's configuration (as ruff finds ``[tool.ruff]``). Unknown keys are
errors, each reported on one line naming the file and the key. Relative paths in it are
relative to the folder of that pyproject.toml.

Precedence, for every setting: a flag given on the command line, else the configuration,
else the built-in default. Redaction patterns add up instead: a pattern on the command line
never silently drops the project's own.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from .._jsonio import DEFAULT_LIMITS, Limits, read_bytes
from ..errors import ConfigError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
TABLE = "tool.replaycase"
DEFAULT_EVIDENCE_DIR = Path(".replaycase") / "runs"
DEFAULT_MAX_OUTPUT_MB = 10.0
PRICE_KEYS = ("input_per_million", "output_per_million")
_MAX_PYPROJECT_BYTES = 4 * 1024 * 1024
T = TypeVar("T")


class _Strict(BaseModel):
    # A number is a finite number of the field's type: a boolean is not one, and NaN or
    # infinity would make every comparison with it silently false (the same in case.yaml).
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


MAX_MB = 1024.0 * 1024
"""The largest size in MB any setting takes (a terabyte): a larger one is a typo."""
MAX_REPEAT = 10_000
Seconds = Annotated[float, Field(gt=0, le=86400)]
Megabytes = Annotated[float, Field(gt=0, le=MAX_MB)]
Jobs = Annotated[int, Field(ge=1, le=1024)]


class LimitsConfig(_Strict):
    """``[tool.replaycase.limits]``: bounds on untrusted input (``replaycase._jsonio.Limits``)."""

    max_file_mb: Megabytes = DEFAULT_LIMITS.max_file_mb
    """Largest trace or fixture file read, in MB."""
    max_depth: int = Field(default=DEFAULT_LIMITS.max_depth, ge=1, le=1000)
    """Deepest nesting of JSON accepted."""
    max_string_mb: Megabytes = DEFAULT_LIMITS.max_string_mb
    """Longest single string accepted, in MB."""
    max_output_file_mb: Megabytes = Field(default=DEFAULT_LIMITS.max_output_file_mb,
                                          alias="max_output_mb")
    """Largest output file a runner may write, in MB. The key stays ``max_output_mb`` (as
    documented); in Python it is named apart from the stdout/stderr cap of the same key
    in ``[tool.replaycase]``."""

    def to_limits(self) -> Limits:
        return Limits(**self.model_dump())


class ReplaycaseConfig(_Strict):
    """``[tool.replaycase]``: every key is optional; unset means the built-in default."""

    cases: list[str] | None = None
    """Case folders (or folders of cases) that `replay` and `lint` use when given no path."""
    runner_cmd: str | None = None
    """Shell command of the candidate runner (run in the folder of pyproject.toml)."""
    timeout_s: Seconds | None = None
    """Seconds per case; overrides each case's runner.timeout_s."""
    jobs: Jobs | None = None
    """Cases replayed at once (default: the CPU count)."""
    evidence_dir: str | None = None
    """Where replay evidence folders go (default: .replaycase/runs)."""
    redact_patterns: list[str] = Field(default_factory=list)
    """Extra regexes redacted by `scaffold` and looked for by `lint`."""
    max_output_mb: Megabytes | None = None
    """Cap on a runner's stdout and stderr, each, in MB (default: 10)."""
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    prices: dict[str, dict[str, float]] = Field(default_factory=dict)
    """Model name -> {input_per_million, output_per_million}, in USD."""
    freeze_tools: bool | None = None
    """Answer the runner's tool calls from each case's fixtures (docs/freeze-tools.md)."""
    offline: bool | None = None
    """Refuse the runner's network connections to anything but loopback."""
    tools: dict[str, str] = Field(default_factory=dict)
    """``[tool.replaycase.tools]``: tool name -> ``"package.module:function"`` to freeze."""
    grader_cmd: str | None = None
    """Shell command that grades each ``semantic`` check (run in the folder of pyproject.toml)."""
    grader_timeout_s: Seconds | None = None
    """Seconds per graded check (default: 60)."""

    _file: Path | None = PrivateAttr(default=None)

    @field_validator("redact_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regex {pattern!r}: {exc}") from None
        return value

    @field_validator("prices")
    @classmethod
    def _prices(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for model, price in value.items():
            keys = sorted(price)
            if keys != sorted(PRICE_KEYS):
                raise ValueError(f"{model!r}: expected exactly the keys "
                                 f"{', '.join(PRICE_KEYS)}, got {', '.join(keys) or 'none'}")
            if any(amount < 0 for amount in price.values()):
                raise ValueError(f"{model!r}: prices cannot be negative")
        return value

    @property
    def file(self) -> Path | None:
        """The pyproject.toml this came from; None when built-in defaults only."""
        return self._file

    @property
    def root(self) -> Path:
        """The folder relative paths are resolved against."""
        return self._file.parent if self._file is not None else Path.cwd()

    def resolve(self, path: str | Path) -> Path:
        """A configured path, made usable from the current folder."""
        return _near(self.root / path) if not Path(path).is_absolute() else Path(path)

    def to_limits(self) -> Limits:
        return self.limits.to_limits()


def _near(path: Path) -> Path:
    """``path`` relative to the current folder when that reads better, else absolute."""
    try:
        relative = os.path.relpath(path, Path.cwd())
    except ValueError:  # another drive on Windows
        return path.absolute()
    return Path(relative)


def find_pyproject(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The nearest pyproject.toml with a ``[tool.replaycase]`` table, and that table."""
    folder = (start or Path.cwd()).absolute()
    for candidate in (folder / PYPROJECT, *(p / PYPROJECT for p in folder.parents)):
        if not candidate.exists() or candidate.is_dir():
            continue
        table = read_pyproject(candidate).get("tool", {}).get("replaycase")
        if table is not None:
            if not isinstance(table, dict):
                raise ConfigError(candidate, f"{TABLE}: expected a table")
            return candidate, table
    return None


def read_pyproject(path: Path) -> dict[str, Any]:
    """A pyproject.toml, parsed; ConfigError on one line when it cannot be."""
    return parse_toml(read_pyproject_text(path), path)


def read_pyproject_text(path: Path) -> str:
    """A pyproject.toml's text, read under a size cap (a FIFO or a device is refused)."""
    try:
        return read_bytes(path, _MAX_PYPROJECT_BYTES).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(path, "not UTF-8 text") from None


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """TOML text, parsed; ConfigError naming ``path`` when it is invalid."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"invalid TOML: {exc}") from None


def parse_config(table: dict[str, Any], path: Path | None = None) -> ReplaycaseConfig:
    """Validate a ``[tool.replaycase]`` table; the first problem names the key."""
    try:
        config = ReplaycaseConfig.model_validate(table)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        error = errors[0]
        key = ".".join([TABLE, *(str(part) for part in error["loc"])])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "missing key"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(path or PYPROJECT, f"{key}: {message}{more}") from None
    config._file = path
    return config


def load_config(start: Path | None = None) -> ReplaycaseConfig:
    """The project's configuration, or the built-in defaults when there is none."""
    found = find_pyproject(start)
    if found is None:
        return ReplaycaseConfig()
    path, table = found
    return parse_config(table, path)


def pick(flag: T | None, configured: T | None, default: T) -> T:
    """A flag given on the command line, else the configured value, else the default."""
    if flag is not None:
        return flag
    return configured if configured is not None else default


def redact_patterns(config: ReplaycaseConfig, flags: list[str] | None) -> list[str]:
    """The project's redaction patterns plus those given on the command line."""
    merged = list(config.redact_patterns)
    merged += [p for p in flags or [] if p not in merged]
    return merged


def case_paths(config: ReplaycaseConfig, paths: list[Path] | None) -> list[Path]:
    """The paths given on the command line, else the configured ``cases``."""
    if paths:
        return list(paths)
    if config.cases:
        return [config.resolve(p) for p in config.cases]
    raise UsageError(f"no case paths given; pass some, or set cases in [{TABLE}] of "
                     f"{PYPROJECT}")


class ReplayFlags(_Strict):
    """The numbers `replay` (and the pytest plugin) take as flags, checked like the table's
    (a flag not given is not checked)."""

    timeout_s: Seconds = 60.0
    max_output_mb: Megabytes = DEFAULT_MAX_OUTPUT_MB
    jobs: Jobs = 1
    repeat: int = Field(default=1, ge=1, le=MAX_REPEAT)
    min_pass_rate: float = Field(default=1.0, gt=0, le=1)
    grader_timeout_s: Seconds = 60.0


REPLAY_FLAGS = {"timeout_s": "--timeout", "max_output_mb": "--max-output-mb", "jobs": "-j",
                "repeat": "--repeat", "min_pass_rate": "--min-pass-rate",
                "grader_timeout_s": "--grader-timeout"}
_EXAMPLES = {"min_pass_rate": " (e.g. 0.8)"}


def check_flags(names: Mapping[str, str] = REPLAY_FLAGS, **values: Any) -> None:
    """UsageError naming the flag of the first value out of range, NaN, infinite or of the
    wrong type: ``--timeout must be above 0 and at most 86400 (got nan)``."""
    try:
        ReplayFlags.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        key = str(error["loc"][0])
        field = ReplayFlags.model_fields[key]
        raise UsageError(f"{names.get(key, key)} must be {_requirement(field.metadata)}"
                         f"{_EXAMPLES.get(key, '')} (got {error['input']!r})") from None


def _requirement(metadata: list[Any]) -> str:
    """'above 0 and at most 86400' from a field's bounds."""
    words = {"gt": "above", "ge": "at least", "lt": "below", "le": "at most"}
    parts = [f"{word} {_number(getattr(bound, name))}" for bound in metadata
             for name, word in words.items() if getattr(bound, name, None) is not None]
    return " and ".join(parts) or "a finite number"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
