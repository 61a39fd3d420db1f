#!/usr/bin/env sh
# Regenerate the committed cases/ from the production traces in examples/traces/, then record
# the fixes that ask the model something new against the scripted model (deterministic: no
# diff if nothing changed). Run from the repository root; CASES=DIR writes elsewhere.
set -eu
cases="${CASES:-cases}"
python="${PYTHON:-python}"
replaycase scaffold examples/traces/tool-loop.otlp.jsonl --out "$cases/tool-loop" --force
replaycase scaffold examples/traces/tool-error-unhandled.otlp.jsonl \
  --out "$cases/tool-error-unhandled" --force
replaycase scaffold examples/traces/wrong-tool.otlp.jsonl --out "$cases/wrong-tool" --force \
  --observed "tool_called: issue_refund"

# The fix for tool-loop is in code alone: it replays from the failing branch as it is. The
# other two ask the model something new: record their new turns once.
log="$(mktemp)"
"$python" examples/scripted_model.py --port 0 >"$log" &
model=$!
trap 'kill "$model" 2>/dev/null || true; rm -f "$log"' EXIT
until grep -q "scripted model on" "$log"; do sleep 0.1; done
url="$(sed -n 's/^scripted model on //p' "$log")"
OPENAI_API_KEY=sk-scripted-model replaycase record "$cases/tool-error-unhandled" \
  "$cases/wrong-tool" --runner-cmd "$python examples/agent.py" --upstream "$url" -j 2
