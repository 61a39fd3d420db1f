"""The billing agent with its tool a LlamaIndex ``FunctionTool``, called through LlamaIndex's
``call_tool`` (which shows a failing tool to the model as "Encountered error: ..."), and the
model on the official openai SDK; no replaycase code and no base URL. (LlamaIndex's own OpenAI
LLM, llama-index-llms-openai, requires openai<3, which the test environment cannot install
beside openai-agents.)

    python llama_index_agent.py buggy|fixed   (the question on stdin)

buggy: asks the model again after each tool failure until its loop guard aborts (exit 1).
fixed: after two failures it answers from code. The tool times out unless BILLING_API_UP is
set (the outage is over). AGENT_TRANSCRIPT: write the chat messages there.
"""

import json
import os
import sys

from llama_index.core.tools import FunctionTool
from llama_index.core.tools.calling import call_tool
from openai import OpenAI

SYSTEM = "You are Acme's billing agent. Use lookup_billing for account data."


def lookup_billing(customer_id: str) -> dict:
    """Read a customer's billing account."""
    if os.environ.get("BILLING_API_UP"):
        return {"customer_id": customer_id, "balance_cents": 12900}
    raise TimeoutError("billing-api did not respond within 10s")


TOOL = FunctionTool.from_defaults(fn=lookup_billing)
TOOLS = [{"type": "function", "function": {
    "name": TOOL.metadata.name, "description": TOOL.metadata.description,
    "parameters": TOOL.metadata.get_parameters_dict()}}]


def main(variant: str) -> int:
    client = OpenAI(max_retries=0)
    messages: list = [{"role": "system", "content": SYSTEM},
                      {"role": "user", "content": sys.stdin.read().strip()}]
    failures = 0
    try:
        while True:
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages,
                                                   tools=TOOLS).choices[0].message
            messages.append(reply.model_dump(exclude_none=True, include={
                "role", "content", "tool_calls"}))
            if not reply.tool_calls:
                print(reply.content)
                return 0
            for call in reply.tool_calls:
                output = call_tool(TOOL, json.loads(call.function.arguments))
                failures += output.is_error
                messages.append({"role": "tool", "tool_call_id": call.id,
                                 "content": output.content})
            if variant == "fixed" and failures >= 2:
                print("Sorry, our billing system is not answering; please try again later.")
                return 0
            if failures >= 3:
                print("ToolLoopError: lookup_billing failed 3 times; aborting", file=sys.stderr)
                return 1
    finally:
        if os.environ.get("AGENT_TRANSCRIPT"):
            with open(os.environ["AGENT_TRANSCRIPT"], "w") as handle:
                json.dump(messages, handle, indent=1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
