"""Claude Code sessions: ``~/.claude/projects/<project>/<session>.jsonl``, one record a line.

The file is streamed, never read whole; each line is one record of ``type``:

    user        InputMessageEvent (text; the first is the run's input), or ToolResultEvents
                for its ``tool_result`` blocks (``is_error`` honored; a ``toolUseResult`` of
                "User rejected tool use" is an error too). "[Request interrupted by user…]"
                marks the session as interrupted.
    assistant   LlmCallEvent: streamed messages are split across lines with one
                ``message.id``, merged into one call (texts joined, tool calls in order, the
                last usage); a ToolCallEvent per ``tool_use``. Model, usage (input tokens
                count the cache reads and writes too), stop reason; the request messages are
                the conversation before the call, in Anthropic's shape (``model.chat``); the
                system prompt and the offered tools are not logged (None). A message with
                ``isApiErrorMessage`` (model ``<synthetic>``) is an ErrorEvent, not a call.
    system      ErrorEvent when its ``level`` is ``error``; else CustomEvent ``system:<subtype>``;
                a ``compact_boundary`` starts the conversation of later calls afresh (from
                the compact summary that follows), as Claude Code's requests do
    summary     CustomEvent ``summary``
    progress    ``agent_progress``: the sub-agent's messages (below); hook progress is left out
    file-history-snapshot, queue-operation   left out (file backups, queue bookkeeping)

Sub-agents: the ``Task`` tool call and its result (the sub-agent's answer) are the main
run's; the sub-agent's own messages (``agent_progress`` lines, or ``isSidechain`` lines in a
main session) are CustomEvents ``subagent_tool_call`` / ``subagent_tool_result`` /
``subagent_message`` with ``span_id`` ``agent-<agentId>`` and ``parent_id`` the Task call's id,
so they never count as the main run's tool calls (loops, counts) while staying visible.
``metadata.extra["subagents"]`` sums each one up. A sub-agent's own file (every line
``isSidechain``, ``agent-<id>.jsonl``) is read as a run in its own right.

Run id: the ``sessionId`` (``agent-<agentId>`` for a sub-agent file). Final output: the last
assistant text. Status: ``cancelled`` when the session ends interrupted by the user,
``error`` when it ends in an API error or an error-level system message, else ``success``.
"""

from __future__ import annotations

from .._jsonio import json_kind
from ..model import TraceRun
from ._claude_session import SessionBuilder
from ._common import feed_records
from .base import Importer, TraceDocument

RECORD_TYPES = frozenset({"user", "assistant", "system", "summary", "progress",
                          "file-history-snapshot", "queue-operation"})
_MARKERS = ("sessionId", "uuid", "leafUuid", "messageId")


class ClaudeCodeImporter(Importer):
    name = "claude-code"
    description = "Claude Code session JSONL (~/.claude/projects/*/<session>.jsonl)"

    def check(self, doc: TraceDocument) -> str | None:
        if doc.kind != "jsonl":
            return "not a JSONL file"
        first = doc.first
        if not isinstance(first, dict):
            return f"first record is {json_kind(first)}, expected a session record object"
        kind = first.get("type")
        if not isinstance(kind, str) or kind not in RECORD_TYPES:
            return f"first record type {kind!r} is not a Claude Code record"
        if not any(key in first for key in _MARKERS):
            return "first record has no sessionId, uuid, leafUuid or messageId"
        if "payload" in first:
            return "first record has a payload (not a Claude Code record)"
        return None

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        builder = SessionBuilder()
        feed_records(doc, self.name, builder.add)
        return [builder.finish(doc.sha256)]
