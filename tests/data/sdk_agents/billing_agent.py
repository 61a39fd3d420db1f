"""A billing agent on the official openai SDK, with no replaycase code and no base URL: the
SDK reads OPENAI_BASE_URL and OPENAI_API_KEY as it does in production.

    python billing_agent.py buggy|fixed|asks|hangs   (the question on stdin)

buggy: retries a failing tool until its loop guard aborts the run (exit 1). fixed: gives up
after two failures and answers from code (no new model answer needed). asks: after two
failures it asks the model something new (the recording cannot answer it). hangs: hangs after its first answer. With
AGENT_TRANSCRIPT set it writes its conversation there, as production logging does.
"""

import json
import os
import sys
import time

from openai import OpenAI

SYSTEM = "You are Acme's billing agent. Use lookup_billing for account data."
TOOLS = [{"type": "function", "function": {
    "name": "lookup_billing", "description": "Read a customer's billing account.",
    "parameters": {"type": "object", "properties": {"customer_id": {"type": "string"}},
                   "required": ["customer_id"]}}}]


def lookup_billing(customer_id: str) -> dict:
    raise TimeoutError("billing-api did not respond within 10s")


def main(variant: str) -> int:
    client = OpenAI()
    messages: list = [{"role": "system", "content": SYSTEM},
                      {"role": "user", "content": sys.stdin.read().strip()}]
    calls = 0
    try:
        while True:
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages,
                                                   tools=TOOLS)
            message = reply.choices[0].message
            if variant == "hangs":
                time.sleep(60)
            if not message.tool_calls:
                print(message.content)
                return 0
            messages.append({"role": "assistant", "content": message.content, "tool_calls": [
                {"id": c.id, "type": "function",
                 "function": {"name": c.function.name, "arguments": c.function.arguments}}
                for c in message.tool_calls]})
            for call in message.tool_calls:
                calls += 1
                try:
                    result = json.dumps(lookup_billing(**json.loads(call.function.arguments)))
                except Exception as exc:  # the model is shown the error
                    result = f"Error: {type(exc).__name__}: {exc}"
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
            if variant == "fixed" and calls >= 2:
                print("Sorry, our billing system is not answering; please try again later.")
                return 0
            if variant == "asks" and calls >= 2:
                messages.append({"role": "user", "content": "The tool failed twice: apologize."})
            if calls >= 3:
                print("ToolLoopError: lookup_billing failed 3 times; aborting", file=sys.stderr)
                return 1
    finally:
        if os.environ.get("AGENT_TRANSCRIPT"):
            with open(os.environ["AGENT_TRANSCRIPT"], "w") as handle:
                json.dump(messages, handle, indent=1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
