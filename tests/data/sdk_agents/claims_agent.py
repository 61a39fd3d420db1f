"""A claims agent on the official anthropic SDK (Messages API), with no replaycase code and no
base URL: the SDK reads ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY as it does in production.

    python claims_agent.py buggy|fixed|asks json|stream   (the question on stdin)

buggy: retries a failing tool until its loop guard refuses the third call (exit 1). fixed: gives up
after two failures and answers from code (no new model answer needed). asks: after two
failures it asks the model something new (the recording cannot answer it). json calls
``messages.create``; stream reads the SSE through the ``messages.stream`` helper. With
AGENT_TRANSCRIPT set it writes its conversation there ({"model", "system", "messages"}), as
production logging does.
"""

import json
import os
import sys

from anthropic import Anthropic

MODEL = "claude-3-5-haiku-latest"
SYSTEM = "You are Acme's claims agent. Use get_claim for claim data."
TOOLS = [{"name": "get_claim", "description": "Read an insurance claim.",
          "input_schema": {"type": "object", "properties": {"claim_id": {"type": "string"}},
                           "required": ["claim_id"]}}]


def get_claim(claim_id: str) -> dict:
    raise ConnectionError("claims-db refused the connection")


def ask(client: Anthropic, mode: str, messages: list):
    request = {"model": MODEL, "max_tokens": 1024, "system": SYSTEM, "messages": messages,
               "tools": TOOLS}
    if mode == "json":
        return client.messages.create(**request)
    with client.messages.stream(**request) as stream:
        return stream.get_final_message()


def main(variant: str, mode: str) -> int:
    client = Anthropic()
    messages: list = [{"role": "user", "content": sys.stdin.read().strip()}]
    calls = 0
    try:
        while True:
            reply = ask(client, mode, messages)
            uses = [block for block in reply.content if block.type == "tool_use"]
            if not uses:
                print("".join(block.text for block in reply.content if block.type == "text"))
                return 0
            messages.append({"role": "assistant", "content": [
                block.model_dump(exclude_none=True) for block in reply.content]})
            results = []
            for use in uses:
                if calls >= 2:  # the loop guard: no third try
                    print("ToolLoopError: get_claim failed twice; aborting", file=sys.stderr)
                    return 1
                calls += 1
                try:
                    content, failed = json.dumps(get_claim(**use.input)), False
                except Exception as exc:  # the model is shown the error
                    content, failed = f"{type(exc).__name__}: {exc}", True
                results.append({"type": "tool_result", "tool_use_id": use.id,
                                "content": content, "is_error": failed})
            messages.append({"role": "user", "content": results})
            if variant == "fixed" and calls >= 2:
                print("Sorry, our claims system is not answering; please try again later.")
                return 0
            if variant == "asks" and calls >= 2:
                results.append({"type": "text", "text": "The tool failed twice: apologize."})
    finally:
        if os.environ.get("AGENT_TRANSCRIPT"):
            with open(os.environ["AGENT_TRANSCRIPT"], "w") as handle:
                json.dump({"model": MODEL, "system": SYSTEM, "messages": messages}, handle,
                          indent=1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
