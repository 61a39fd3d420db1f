"""lint: is a case folder valid, confined, free of secrets, and sound? (DESIGN 3)

Sound means the case catches its own failure: every observed signature holds on the source
trace, and the desired assertions do not all pass on it. Nor do they all pass on a candidate
that does nothing (``assertions.null_candidate``): a case it passes would call doing nothing
a fix, so that is a problem too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from .._bounded_regex import TIMEOUT_MESSAGE
from .._jsonio import DEFAULT_LIMITS, Limits, loads, read_bytes, read_text
from ..assertions import all_hold, evaluate_all
from ..assertions.null_candidate import NULL_ANSWER, VACUOUS, passes_null
from ..errors import ReplaycaseError, UsageError
from ..importers import load_trace
from ..model import TraceRun
from ..redact import Redactor, free_text_patterns, scan_text
from ..tape import (
    ACCEPTED_RUN,
    TAPE_FILE,
    Tape,
    TapeFromRun,
    first_difference,
    read_tape_lines,
    tape_from_run,
)
from ._files import CaseFiles, walk_case
from .discover import discover_cases
from .load import case_problems, node_line, parse_yaml, read_case_text
from .models import CASE_FILE, FIXTURES, IGNORED_RUNNER_CMD, CaseSpec, inside


class LintProblem(BaseModel):
    """One problem: the file (relative to the case folder), the line when known, what."""

    file: str
    line: int | None = None
    message: str

    def diagnostic(self, folder: Path, label: str = "") -> str:
        """``file:line: [label: ]message``, like a compiler's diagnostics."""
        where = f"{(folder / self.file).as_posix()}"
        if self.line:
            where += f":{self.line}"
        return f"{where}: {label + ': ' if label else ''}{self.message}"


class LintReport(BaseModel):
    """The problems of one case folder, and its warnings (which do not make lint fail)."""

    path: str
    case_id: str | None = None
    problems: list[LintProblem] = []
    warnings: list[LintProblem] = []

    @property
    def clean(self) -> bool:
        return not self.problems


@dataclass
class _Linter:
    folder: Path
    limits: Limits
    extra_patterns: Sequence[str] = ()
    problems: list[LintProblem] = field(default_factory=list)
    warnings: list[LintProblem] = field(default_factory=list)
    files: CaseFiles = field(init=False)
    source_run: TraceRun | None = None
    case_spec: CaseSpec | None = None

    def add(self, file: str, message: str, line: int | None = None) -> None:
        self.problems.append(LintProblem(file=file, line=line, message=message))

    def warn(self, file: str, message: str, line: int | None = None) -> None:
        self.warnings.append(LintProblem(file=file, line=line, message=message))

    def run(self) -> LintReport:
        self.files = walk_case(self.folder)
        for path, problem in self.files.problems:
            self.add(path, problem)
        spec = self._case_yaml() if CASE_FILE not in self.files.flagged else None
        self.case_spec = spec
        self._fixtures()
        if spec is not None:
            self._soundness(spec)
            self._non_vacuous(spec)
            self._model_tape(spec)
        self._secrets()
        return LintReport(path=self.folder.as_posix(), case_id=spec.id if spec else None,
                          problems=self.problems, warnings=self.warnings)

    def _case_yaml(self) -> CaseSpec | None:
        path = self.folder / CASE_FILE
        try:
            text = read_case_text(path, self.limits)
            data, node = parse_yaml(text, path)
        except ReplaycaseError as exc:
            self.add(CASE_FILE, getattr(exc, "problem", str(exc)))
            return None
        spec, problems = case_problems(data, node, path)
        for problem in problems:
            line = None
            if problem.startswith("line "):
                head, _, problem = problem.partition(": ")
                line = int(head.split()[1])
            self.add(CASE_FILE, problem, line)
        if spec is not None and spec.runner.cmd:
            self.warn(CASE_FILE, IGNORED_RUNNER_CMD, node_line(node, ("runner", "cmd")))
        return spec

    def _fixtures(self) -> None:
        input_json = f"{FIXTURES}/input.json"
        readable = [p for p in (*self.files.files, *self.files.linked)
                    if p.startswith(f"{FIXTURES}/") and p.count("/") == 1 and p.endswith(".json")]
        if input_json not in readable and input_json not in self.files.flagged:
            self.add(input_json, "missing")
        for name in sorted(readable):
            path = self.folder / name
            try:
                value = loads(read_text(path, self.limits), path, self.limits)
            except ReplaycaseError as exc:
                self.add(name, getattr(exc, "problem", str(exc)))
                continue
            if path.name == "tool_calls.json":
                self._tool_calls(path, value)

    def _tool_calls(self, path: Path, value: object) -> None:
        if not isinstance(value, list):
            self.add(self._rel(path), "expected a list of recorded tool calls")
            return
        for index, call in enumerate(value):
            if not isinstance(call, dict) or not isinstance(call.get("tool_name"), str):
                self.add(self._rel(path), f"[{index}]: expected an object with a tool_name")
                return

    def _soundness(self, spec: CaseSpec) -> None:
        try:
            source = inside(self.folder, spec.source.file, self.folder / CASE_FILE)
        except ReplaycaseError as exc:
            self.add(CASE_FILE, getattr(exc, "problem", str(exc)))
            return
        if self._flagged(spec.source.file):
            return  # its problem is listed already
        try:
            runs = load_trace(source, "auto", self.limits)
        except ReplaycaseError as exc:
            self.add(spec.source.file, getattr(exc, "problem", str(exc)))
            return
        run = next((r for r in runs if r.run_id == spec.source.run_id), None)
        self.source_run = run
        if run is None:
            self.add(spec.source.file, f"holds no run {spec.source.run_id!r} "
                                       "(source.run_id in case.yaml)")
            return
        for index, outcome in enumerate(evaluate_all(spec.observed_failure, run)):
            if outcome.outcome != "passed":
                self.add(CASE_FILE, f"observed_failure[{index}] ({outcome.key}) does not hold "
                                    f"on the source trace: {outcome.message}")
        desired = evaluate_all(spec.desired, run)
        for index, outcome in enumerate(desired):
            if outcome.outcome == "error" and TIMEOUT_MESSAGE in outcome.message:
                self.add(CASE_FILE, f"desired[{index}] ({outcome.key}) could not be evaluated "
                                    f"on the source trace: {outcome.message}")
        if all_hold(desired):
            self.add(CASE_FILE, "unsound: every desired assertion already passes on the "
                                "source trace, so the case cannot catch its own failure")

    def _non_vacuous(self, spec: CaseSpec) -> None:
        """Some desired assertion fails on a run that calls no tool and answers nothing."""
        if passes_null(spec.desired, spec.scenario.input):
            self.add(CASE_FILE, f"{VACUOUS} (a run that calls no tool and answers "
                                f"{NULL_ANSWER!r} passes them all)")

    def _model_tape(self, spec: CaseSpec) -> None:
        """The tape parses and fits the source trace; parts not recorded are warnings."""
        name = f"{FIXTURES}/{TAPE_FILE}"
        if name in self.files.flagged:
            return  # its problem is listed already
        present = name in self.files.files or name in self.files.linked
        derived = tape_from_run(self.source_run) if self.source_run is not None else None
        if not present:
            if derived is not None and derived.tape is not None:
                self.warn(name, "missing, though the source trace recorded model answers: "
                                "re-scaffold to replay unmodified agents from a model tape")
            elif derived is not None and self.source_run and self.source_run.llm_calls():
                self.warn(name, f"no model tape: {derived.reason}; a replay cannot serve "
                                "model answers to an unmodified agent")
            return
        try:
            tape, lines = read_tape_lines(self.folder / name, self.limits)
        except ReplaycaseError as exc:
            problem = getattr(exc, "problem", str(exc))
            head, _, rest = problem.partition(": ")
            line = int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else None
            self.add(name, rest if line else problem, line)
            return
        if derived is not None:
            self._tape_fits(name, tape, lines, derived)
        self._accepted(spec, name, tape, lines)
        if tape.header.case_id is not None and tape.header.case_id != spec.id:
            self.warn(name, f"made for case {tape.header.case_id!r}, not {spec.id!r}", 1)
        missing = [part for part in ("instructions", "tools", "history")
                   if all(getattr(t.key, part) is None for t in tape.turns)
                   and not (part == "instructions" and spec.model_tape.match == "history")]
        if missing:
            self.warn(name, not_recorded_note(missing))

    def _tape_fits(self, name: str, tape: Tape, lines: list[int],
                   derived: TapeFromRun) -> None:
        """The failing branch's match keys, in order, are the source trace's."""
        expected = derived.tape.turns if derived.tape is not None else []
        failing = [(t, line) for t, line in zip(tape.turns, lines, strict=True)
                   if t.branch == "failing"]
        for index, (turn, line) in enumerate(failing):
            if index >= len(expected):
                self.add(name, f"turn {turn.turn}: the source trace has only {len(expected)} "
                               "answered model call(s): is this the tape of another case?",
                         line)
                return
            difference = first_difference(expected[index].key, turn.key)
            if difference is not None or expected[index].key != turn.key:
                where = f" ({difference.path})" if difference is not None else ""
                self.add(name, f"turn {turn.turn}: its match key does not fit model call "
                               f"{index + 1} of the source trace{where}: is this the tape of "
                               "another case? Re-scaffold to remake it", line)
                return
        if len(failing) < len(expected):
            self.add(name, f"holds {len(failing)} failing turn(s), the source trace "
                           f"{len(expected)} answered model call(s): re-scaffold to remake it")

    def _accepted(self, spec: CaseSpec, name: str, tape: Tape, lines: list[int]) -> None:
        """Accepted turns continue the failing branch's conversation, and the run they were
        recorded in (fixtures/accepted_run.json) still passes the desired assertions."""
        accepted = [(t, line) for t, line in zip(tape.turns, lines, strict=True)
                    if t.branch == "accepted"]
        if not accepted:
            return
        starts = {t.key.history[0] for t in tape.turns
                  if t.branch == "failing" and t.key.history}
        for turn, line in accepted:
            history = turn.key.history
            if starts and history and history[0] not in starts:
                self.add(name, f"accepted turn {turn.turn} does not continue the failing "
                               "branch (history[0] differs): is it from another case? "
                               "Re-record it", line)
                return
        run_name = f"{FIXTURES}/{ACCEPTED_RUN}"
        if run_name in self.files.flagged:
            return
        if run_name not in self.files.files:
            self.warn(run_name, "missing: the accepted branch cannot be judged; re-record "
                                "it with replaycase record")
            return
        try:
            [run] = load_trace(self.folder / run_name, "native", self.limits)[:1]
        except (ReplaycaseError, ValueError) as exc:
            self.add(run_name, getattr(exc, "problem", str(exc)))
            return
        for index, outcome in enumerate(evaluate_all(spec.desired, run)):
            if outcome.outcome in ("failed", "error"):
                self.add(CASE_FILE, f"desired[{index}] ({outcome.key}) fails on the run the "
                                    f"accepted branch was recorded in: {outcome.message}; "
                                    "re-record the fix, or correct the assertion")

    def _secrets(self) -> None:
        """The built-in detectors over every file; the user's patterns over free text only."""
        for name in self.files.files:
            path = self.folder / name
            try:
                data = read_bytes(path, self.limits.max_file_bytes)
            except ReplaycaseError as exc:
                self.add(name, f"{getattr(exc, 'problem', exc)}; not scanned for secrets")
                continue
            for finding in scan_text(data.decode("utf-8", "replace")):
                self.add(name, f"secret found ({finding.kind}); redact it or re-scaffold",
                         finding.line)
        if self.extra_patterns:
            self._pattern_secrets()

    def _pattern_secrets(self) -> None:
        """User patterns (``redact_patterns``, ``--redact-pattern``) match anything a user can
        type, ``err`` too: like scaffold, they are judged on the free text of the source run
        (which the fixtures and notes are made from), never on statuses, event types, keys or
        replaycase's own fields."""
        run, spec = self.source_run, self.case_spec
        if run is None or spec is None:
            return
        if free_text_patterns(run, Redactor(list(self.extra_patterns))) is not run:
            self.add(spec.source.file, "secret found (a redact pattern matches the run's free "
                                       "text); redact it or re-scaffold")

    def _flagged(self, relative: str) -> bool:
        """Whether ``relative`` or a folder it is in has a problem listed already."""
        parts = Path(relative).parts
        return any("/".join(parts[:n]) in self.files.flagged for n in range(1, len(parts) + 1))

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.folder).as_posix()
        except ValueError:
            return path.as_posix()


def not_recorded_note(missing: Sequence[str]) -> str:
    """The warning for key parts the trace did not record: what matching still compares."""
    compared = [p for p in ("instructions", "tools", "history") if p not in missing]
    how = f"matching on {' and '.join(compared)} only" if compared else \
        "every request matches, answered in recorded order"
    return f"{', '.join(missing)} not recorded: {how}"


def lint_case(folder: str | Path, limits: Limits = DEFAULT_LIMITS,
              extra_patterns: Sequence[str] = ()) -> LintReport:
    """Every problem of one case folder."""
    return _Linter(Path(folder), limits, extra_patterns).run()


def lint_paths(paths: Sequence[str | Path], limits: Limits = DEFAULT_LIMITS,
               extra_patterns: Sequence[str] = ()) -> list[LintReport]:
    """Lint every case folder under the given paths."""
    folders = discover_cases(list(paths))
    if not folders:
        raise UsageError(f"no case folders (no {CASE_FILE}) under "
                              + ", ".join(str(p) for p in paths))
    return [lint_case(folder, limits, extra_patterns) for folder in folders]


def to_json(reports: list[LintReport]) -> str:
    """The `lint --output json` document."""
    return json.dumps({"schema": "replaycase.case.lint/v1",
                       "cases": [r.model_dump() for r in reports],
                       "clean": all(r.clean for r in reports)}, indent=2)
