"""Writing what ``record`` kept into the case folder (DESIGN 8): the tape's accepted branch
replaced, case.yaml's ``revision`` bumped, notes.md told which turns were accepted; the folder
rewritten whole (scaffold's writer: complete or not at all, over a case folder only)."""

from __future__ import annotations

import re
from pathlib import Path

from .._safe_files import read_regular
from .._text import clip
from ..case import CASE_FILE, NOTES, ReplayCase
from ..errors import CaseError
from ..scaffolding.writer import FileText, write_folder
from ..tape import ACCEPTED_RUN, TAPE_FILE, Tape, TapeTurn, tape_text

_REVISION = re.compile(r"^revision:[ \t]*(\d+)[ \t]*$", re.MULTILINE)
_NOTES_HEAD = "## Accepted model turns (replaycase record)"
_MAX_FILE = 256 * 1024 * 1024


def with_accepted(tape: Tape | None, accepted: list[TapeTurn], case_id: str) -> Tape:
    """The tape with its accepted branch replaced by ``accepted`` (the failing one kept)."""
    base = tape or Tape()
    header = base.header if tape is not None else base.header.model_copy(
        update={"case_id": case_id})
    failing = [turn for turn in base.turns if turn.branch == "failing"]
    return Tape(header=header, turns=[*failing, *accepted])


def turn_summary(turn: TapeTurn) -> str:
    """One line for a reviewer: what was asked, what came back."""
    history = turn.key.history or ()
    last = history[-1] if history else None
    if last is None:
        asked = "(no history recorded)"
    elif last.role == "tool":
        asked = f"tool result {clip(last.text, 60)!r}"
    elif last.tool_calls:
        asked = "after " + ", ".join(call.name for call in last.tool_calls)
    else:
        asked = f"{last.role} {clip(last.text, 60)!r}"
    answer = turn.answer
    said = [f"text {clip(answer.text, 80)!r}"] if answer.text else []
    said += [f"{call.name}({clip(str(call.arguments), 60)})" for call in answer.tool_calls]
    return f"turn {turn.turn}: asked {asked} -> {', '.join(said) or 'nothing'}"


def update_case(case: ReplayCase, tape: Tape, recorded_run: str) -> None:
    """Rewrite the case folder with ``tape``, the recorded run its accepted branch was
    judged on (native JSON, redacted), the next revision and the notes."""
    files = _folder_files(case.path)
    files[f"fixtures/{TAPE_FILE}"] = tape_text(tape)
    files[f"fixtures/{ACCEPTED_RUN}"] = recorded_run
    files[CASE_FILE] = _next_revision(files[CASE_FILE], case.spec.revision)
    accepted = [turn for turn in tape.turns if turn.branch == "accepted"]
    files[NOTES] = _notes(files.get(NOTES, ""), accepted, case.spec.revision + 1)
    write_folder(case.path, dict[str, FileText](files), force=True)


def _folder_files(folder: Path) -> dict[str, str]:
    """Every file of the case folder, by its path in it (links and special files refused)."""
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        relative = path.relative_to(folder).as_posix()
        try:
            files[relative] = read_regular(path, _MAX_FILE, follow=False).decode("utf-8")
        except UnicodeDecodeError:
            raise CaseError(path, "not UTF-8 text: record rewrites a case folder of text "
                                  "files only") from None
    return files


def _next_revision(text: str, revision: int) -> str:
    """case.yaml with ``revision`` one higher, its comments and layout kept."""
    if _REVISION.search(text):
        return _REVISION.sub(f"revision: {revision + 1}", text, count=1)
    return re.sub(r"^(id:.*)$", rf"\1\nrevision: {revision + 1}", text, count=1,
                  flags=re.MULTILINE)


def _notes(text: str, accepted: list[TapeTurn], revision: int) -> str:
    """notes.md with its accepted-turns section (re)written."""
    start = text.find(_NOTES_HEAD)
    if start >= 0:
        end = text.find("\n## ", start + len(_NOTES_HEAD))
        text = text[:start].rstrip("\n") + ("\n" + text[end:] if end >= 0 else "")
    lines = [_NOTES_HEAD, "",
             f"Revision {revision}: `replaycase record` kept {len(accepted)} new model turn(s) "
             "of the fixed candidate as the tape's `accepted` branch, after review. `replay` "
             "serves the buggy candidate from the `failing` branch and the fix from this one.",
             "", *[f"- {turn_summary(turn)}" for turn in accepted]]
    return text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
