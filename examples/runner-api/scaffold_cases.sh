#!/usr/bin/env sh
# Regenerate the committed cases/ from the example traces (deterministic: no diff if nothing
# changed). Run from the repository root.
set -eu
replaycase scaffold examples/traces/tool-loop.json --out cases/tool-loop --force
replaycase scaffold examples/traces/tool-error-unhandled.json --out cases/tool-error-unhandled --force
replaycase scaffold examples/traces/wrong-tool.json --out cases/wrong-tool --force \
  --observed "tool_called: issue_refund"
replaycase scaffold examples/traces/no-final-output.json --out cases/no-final-output --force
