"""ReplayOptions and ReplaySettings from the configuration and the flags of `replay`.

Replay builds its options from the project's configuration, never the reverse: the
configuration (``replaycase.project.config``) knows nothing of replay.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..project.config import (
    DEFAULT_EVIDENCE_DIR,
    DEFAULT_MAX_OUTPUT_MB,
    REPLAY_FLAGS,
    ReplaycaseConfig,
    case_paths,
    check_flags,
    pick,
)
from .case_run import ReplayOptions
from .freezing import check_tools
from .grading import Grader


@dataclass(frozen=True)
class ReplaySettings:
    """What `replay` runs: the case paths, how many at once, and the replay options."""

    paths: list[Path]
    jobs: int
    options: ReplayOptions


def replay_options(config: ReplaycaseConfig, *, runner_cmd: str | None = None,
                   timeout_s: float | None = None, evidence_dir: Path | None = None,
                   max_output_mb: float | None = None, redact: bool = True,
                   env_allow: list[str] | None = None,
                   flag_names: Mapping[str, str] = REPLAY_FLAGS,
                   freeze_tools: bool | None = None, offline: bool | None = None,
                   tools: Mapping[str, str] | None = None, grader_cmd: str | None = None,
                   grader_timeout_s: float | None = None) -> ReplayOptions:
    """Merge the replay flags (of `replay`, or of the pytest plugin) with the configuration;
    UsageError naming the flag (as ``flag_names`` spells it) of a bad number."""
    check_flags(flag_names, timeout_s=timeout_s, max_output_mb=max_output_mb,
                grader_timeout_s=grader_timeout_s)
    configured_dir = config.resolve(config.evidence_dir) if config.evidence_dir else None
    from_config = runner_cmd is None and config.runner_cmd is not None
    return ReplayOptions(
        runner_cmd=pick(runner_cmd, config.runner_cmd, None),
        timeout_s=pick(timeout_s, config.timeout_s, None),
        evidence_root=pick(evidence_dir, configured_dir, DEFAULT_EVIDENCE_DIR),
        max_output_bytes=int(pick(max_output_mb, config.max_output_mb,
                                  DEFAULT_MAX_OUTPUT_MB) * 1024 * 1024),
        cwd=config.root if from_config and config.file is not None else None,
        limits=config.to_limits(),
        redact=redact,
        redact_patterns=list(config.redact_patterns),
        env_allow=list(env_allow) if env_allow else None,
        freeze_tools=pick(freeze_tools, config.freeze_tools, False),
        offline=pick(offline, config.offline, False),
        tools=check_tools({**config.tools, **(tools or {})}),
        grader=_grader(config, grader_cmd, grader_timeout_s))


def _grader(config: ReplaycaseConfig, cmd: str | None, timeout_s: float | None
            ) -> Grader | None:
    """The grader of the flags, else of the configuration (run in its folder), or None."""
    chosen = pick(cmd, config.grader_cmd, None)
    if not chosen:
        return None
    from_config = cmd is None and config.file is not None
    return Grader(cmd=chosen, timeout_s=pick(timeout_s, config.grader_timeout_s, 60.0),
                  cwd=config.root if from_config else None)


def replay_settings(config: ReplaycaseConfig, *, paths: list[Path] | None,
                    runner_cmd: str | None = None, jobs: int | None = None,
                    timeout_s: float | None = None, evidence_dir: Path | None = None,
                    max_output_mb: float | None = None, redact: bool = True,
                    env_allow: list[str] | None = None, freeze_tools: bool | None = None,
                    offline: bool | None = None,
                    tools: Mapping[str, str] | None = None, grader_cmd: str | None = None,
                    grader_timeout_s: float | None = None) -> ReplaySettings:
    """Merge the flags of `replay` with the configuration."""
    check_flags(jobs=jobs)
    options = replay_options(config, runner_cmd=runner_cmd, timeout_s=timeout_s,
                             evidence_dir=evidence_dir, max_output_mb=max_output_mb,
                             redact=redact, env_allow=env_allow, freeze_tools=freeze_tools,
                             offline=offline, tools=tools, grader_cmd=grader_cmd,
                             grader_timeout_s=grader_timeout_s)
    return ReplaySettings(paths=case_paths(config, paths),
                          jobs=pick(jobs, config.jobs, os.cpu_count() or 1), options=options)
