"""The billing agent as a LangGraph graph (ChatOpenAI with the tool bound, LangGraph's ToolNode
with ``handle_tool_errors=True``), with no replaycase code and no base URL.

    python langgraph_agent.py buggy|fixed   (the question on stdin)

buggy: the agent node asks the model again after each tool failure until its loop guard
aborts (exit 1). fixed: after two failures it answers from code. The tool times out unless
BILLING_API_UP is set (the outage is over). AGENT_TRANSCRIPT: write the messages there as
OpenAI messages (langchain's ``convert_to_openai_messages``), as production logging does.
"""

import json
import os
import sys

from langchain_core.messages import (
    AIMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_openai_messages,
)
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

SYSTEM = "You are Acme's billing agent. Use lookup_billing for account data."
APOLOGY = "Sorry, our billing system is not answering; please try again later."


class ToolLoopError(RuntimeError):
    """The loop guard: the tool failed three times."""


@tool
def lookup_billing(customer_id: str) -> dict:
    """Read a customer's billing account."""
    if os.environ.get("BILLING_API_UP"):
        return {"customer_id": customer_id, "balance_cents": 12900}
    raise TimeoutError("billing-api did not respond within 10s")


def build(variant: str):  # type: ignore[no-untyped-def]
    model = ChatOpenAI(model="gpt-4o-mini", temperature=0).bind_tools([lookup_billing])

    def agent(state: MessagesState) -> dict:
        failures = sum(1 for m in state["messages"]
                       if isinstance(m, ToolMessage) and m.status == "error")
        if variant == "fixed" and failures >= 2:
            return {"messages": [AIMessage(APOLOGY)]}
        if failures >= 3:
            raise ToolLoopError("lookup_billing failed 3 times; aborting")
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([lookup_billing], handle_tool_errors=True))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition, {"tools": "tools", END: END})
    graph.add_edge("tools", "agent")
    return graph.compile()


def main(variant: str) -> int:
    messages: list = [SystemMessage(SYSTEM), HumanMessage(sys.stdin.read().strip())]
    graph = build(variant)
    try:
        for state in graph.stream({"messages": messages}, stream_mode="values"):
            messages = state["messages"]
        print(messages[-1].content)
        return 0
    except ToolLoopError as exc:
        print(f"ToolLoopError: {exc}", file=sys.stderr)
        return 1
    finally:
        if os.environ.get("AGENT_TRANSCRIPT"):
            with open(os.environ["AGENT_TRANSCRIPT"], "w") as handle:
                json.dump(convert_to_openai_messages(messages), handle, indent=1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
