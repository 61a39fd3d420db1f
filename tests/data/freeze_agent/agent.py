"""A billing agent on the official openai SDK with its tool a plain function of another
module (``from billing_tools import lookup_billing``); no replaycase code, no base URL.

    python agent.py buggy|child|typo   (the question on stdin)
    python agent.py --tool-child ARGUMENTS   (prints the tool's content for one call)

buggy: retries the tool until its loop guard aborts (exit 1). child: the same, each tool call
run in a child Python process. typo: calls the tool with the customer id lower-cased.
AGENT_TRANSCRIPT: write the chat messages there. USER_SITE_MARK: see user_site/.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for python -I too

from billing_tools import lookup_billing  # noqa: E402

SYSTEM = "You are Acme's billing agent. Use lookup_billing for account data."
TOOLS = [{"type": "function", "function": {
    "name": "lookup_billing", "description": "Read a customer's billing account.",
    "parameters": {"type": "object", "properties": {"customer_id": {"type": "string"}},
                   "required": ["customer_id"]}}}]


def run_tool(arguments: str) -> str:
    try:
        result = lookup_billing(**json.loads(arguments))
    except Exception as exc:  # the model is shown the error
        return f"Error: {type(exc).__name__}: {exc}"
    return result if isinstance(result, str) else json.dumps(result)


def main(variant: str) -> int:
    from openai import OpenAI

    client = OpenAI()
    log = [{"role": "system", "content": SYSTEM},
           {"role": "user", "content": sys.stdin.read().strip()}]
    calls = 0
    try:
        while True:
            message = client.chat.completions.create(
                model="gpt-4o-mini", messages=log, tools=TOOLS).choices[0].message
            if not message.tool_calls:
                print(message.content)
                return 0
            log.append({"role": "assistant", "content": message.content, "tool_calls": [
                {"id": c.id, "type": "function", "function": {
                    "name": c.function.name, "arguments": c.function.arguments}}
                for c in message.tool_calls]})
            for call in message.tool_calls:
                calls += 1
                arguments = call.function.arguments
                if variant == "typo":
                    arguments = arguments.replace("C-", "c-")
                if variant == "child":
                    content = subprocess.run([sys.executable, __file__, "--tool-child",
                                              arguments], capture_output=True, text=True,
                                             check=True).stdout.rstrip("\n")
                else:
                    content = run_tool(arguments)
                log.append({"role": "tool", "tool_call_id": call.id, "content": content})
            if calls >= 3:
                print("ToolLoopError: lookup_billing failed 3 times; aborting", file=sys.stderr)
                return 1
    finally:
        if os.environ.get("AGENT_TRANSCRIPT"):
            with open(os.environ["AGENT_TRANSCRIPT"], "w") as handle:
                json.dump(log, handle, indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "--tool-child":
        print(run_tool(sys.argv[2]))
        sys.exit(0)
    sys.exit(main(sys.argv[1]))
