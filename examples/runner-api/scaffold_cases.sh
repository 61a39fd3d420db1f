#!/usr/bin/env sh
# Regenerate the committed examples/runner-api/cases/ from this example's traces
# (deterministic: no diff if nothing changed). Run from the repository root.
set -eu
here=examples/runner-api
replaycase scaffold $here/traces/tool-loop.json --out $here/cases/tool-loop --force
replaycase scaffold $here/traces/tool-error-unhandled.json --out $here/cases/tool-error-unhandled \
  --force
replaycase scaffold $here/traces/wrong-tool.json --out $here/cases/wrong-tool --force \
  --observed "tool_called: issue_refund"
replaycase scaffold $here/traces/no-final-output.json --out $here/cases/no-final-output --force
