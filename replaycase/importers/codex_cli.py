"""Codex CLI rollouts: ``~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl``, one
``{"timestamp", "type", "payload"}`` record a line. The file is streamed, never read whole.

    session_meta    run id (``id``), version (``cli_version``), agent (``originator``); the
                    base instructions (``base_instructions.text``, or ``instructions`` in
                    0.77) are the instructions of every model call
    turn_context    the model of the calls that follow
    response_item   the Responses items the conversation is made of (``model.responses_items``):
                    ``message`` (user and developer: InputMessageEvent; assistant: the
                    answer), ``reasoning`` (left out), ``function_call`` / ``custom_tool_call``
                    / ``local_shell_call`` (ToolCallEvent; ``local_shell_call`` as a call of
                    ``local_shell`` with its ``action`` as arguments), and their outputs
                    (ToolResultEvent, the output text as the model was shown it: 0.77's
                    ``shell`` output is ``{"output", "metadata": {"exit_code"}}`` JSON text).
                    Consecutive assistant items are one model call (LlmCallEvent: its text,
                    its tool calls, the conversation before it as its request messages).
                    ``web_search_call`` and other hosted items: CustomEvent.
    compacted       CustomEvent; the calls after it are sent its ``replacement_history`` (or
                    its summary ``message``) in place of the conversation before it
    event_msg       ``token_count``: the usage of the last model call (``last_token_usage``);
                    ``user_message``: the run's input (its first); ``exec_command_end`` /
                    ``patch_apply_end``: a tool result is an error when the trace says the
                    command failed (``status`` failed or declined, ``success: false``), never
                    from a non-zero exit code alone (``rg`` finding nothing exits 1);
                    ``turn_aborted``: cancelled; ``error`` / ``stream_error``: ErrorEvent;
                    task_started / task_complete: CustomEvent; agent_message and
                    agent_reasoning repeat response items and are left out.

Final output: the last assistant message text. Status: ``cancelled`` when the session ends
aborted; ``error`` when it ends in an error, or in a task that started and never completed
(the rollout stopped mid-turn); else ``success`` (0.77 ``exec`` rollouts log no tasks).
"""

from __future__ import annotations

from .._jsonio import json_kind
from ..model import TraceRun
from ._codex_rollout import RolloutBuilder
from ._common import feed_records
from .base import Importer, TraceDocument

RECORD_TYPES = frozenset({"session_meta", "turn_context", "response_item", "event_msg",
                          "compacted"})


class CodexCliImporter(Importer):
    name = "codex-cli"
    description = "Codex CLI rollout JSONL (~/.codex/sessions/**/rollout-*.jsonl)"

    def check(self, doc: TraceDocument) -> str | None:
        if doc.kind != "jsonl":
            return "not a JSONL file"
        first = doc.first
        if not isinstance(first, dict):
            return f"first record is {json_kind(first)}, expected a rollout record object"
        kind = first.get("type")
        if not isinstance(kind, str) or kind not in RECORD_TYPES:
            return f"first record type {kind!r} is not a Codex rollout record"
        if not isinstance(first.get("payload"), dict):
            return 'first record has no "payload" object'
        return None

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        builder = RolloutBuilder()
        feed_records(doc, self.name, builder.add)
        return [builder.finish(doc.sha256)]
