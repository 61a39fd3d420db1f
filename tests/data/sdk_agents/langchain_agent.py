"""The billing agent on LangChain (``langchain-openai``'s ChatOpenAI with a bound tool, a
plain tool loop), with no replaycase code and no base URL: ChatOpenAI reads OPENAI_BASE_URL
and OPENAI_API_KEY as it does in production.

    python langchain_agent.py buggy|fixed|asks [stream] [responses [previous]]   (the question on stdin)

Variants as in billing_agent.py; ``stream`` streams every model answer (SSE); ``responses``
talks the Responses API (``use_responses_api``), ``previous`` sends only the new items with
``previous_response_id``. With
AGENT_TRANSCRIPT set it writes its history and tools there as OpenAI messages and tools
(langchain's own ``convert_to_openai_messages`` and ``convert_to_openai_tool``), as
production logging does.
"""

import json
import os
import sys

from langchain_core.messages import (
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_openai_messages,
)
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_openai import ChatOpenAI

SYSTEM = "You are Acme's billing agent. Use lookup_billing for account data."


@tool
def lookup_billing(customer_id: str) -> dict:
    """Read a customer's billing account."""
    raise TimeoutError("billing-api did not respond within 10s")


def main(variant: str, modes: list) -> int:
    stream = "stream" in modes
    model = ChatOpenAI(model="gpt-4o-mini", temperature=0, streaming=stream,
                       stream_usage=stream, use_responses_api="responses" in modes,
                       use_previous_response_id="previous" in modes)
    model = model.bind_tools([lookup_billing], tool_choice="auto", strict=True,
                             parallel_tool_calls=False)
    messages: list = [SystemMessage(SYSTEM), HumanMessage(sys.stdin.read().strip())]
    calls = 0
    try:
        while True:
            reply = model.invoke(messages)
            messages.append(reply)
            if not reply.tool_calls:
                print(reply.content)
                return 0
            for call in reply.tool_calls:
                calls += 1
                try:
                    result = json.dumps(lookup_billing.invoke(call["args"]))
                except Exception as exc:  # the model is shown the error
                    result = f"Error: {type(exc).__name__}: {exc}"
                messages.append(ToolMessage(result, tool_call_id=call["id"]))
            if variant == "fixed" and calls >= 2:
                print("Sorry, our billing system is not answering; please try again later.")
                return 0
            if variant == "asks" and calls >= 2:
                messages.append(HumanMessage("The tool failed twice: apologize."))
            if calls >= 3:
                print("ToolLoopError: lookup_billing failed 3 times; aborting", file=sys.stderr)
                return 1
    finally:
        if os.environ.get("AGENT_TRANSCRIPT"):
            with open(os.environ["AGENT_TRANSCRIPT"], "w") as handle:
                json.dump({"messages": convert_to_openai_messages(messages),
                           "tools": [convert_to_openai_tool(lookup_billing)]}, handle, indent=1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
