"""Acme's billing support agent: the official openai SDK, three tools as plain functions.

    echo "How do I change the card on my account?" | python examples/agent.py
    python examples/agent.py --buggy "Why was I charged twice?"     # what production ran

The SDK reads OPENAI_BASE_URL and OPENAI_API_KEY; nothing here knows about replaycase. The
answer goes to stdout; a run that fails exits 1 with the error on stderr.

Production ran release 1.3.0 (`--buggy`). Release 1.4.0 (the default) fixes three failures:
- tool loop: 1.3.0 hands a timed-out lookup back to the model, which retries it until the loop
  guard stops the run; 1.4.0 gives up after two timeouts and escalates (a fix in code alone).
- unhandled tool error: 1.3.0 survives only timeouts, so a help-center outage crashes it;
  1.4.0 shows the model any tool error (the model is asked something new).
- wrong tool: 1.3.0's `lookup_billing` returns invoices without what they were for, and the
  model refunds a charge the customer only asked about; 1.4.0 returns each invoice's
  description, and the model explains the charge (the model is asked something new).

The services behind the tools are stubs that fail the way they did in production, so every
run is the same.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from openai import OpenAI

MODEL = "gpt-4o-mini"
SYSTEM = ("You are Acme's billing support agent. Look up the customer's account before "
          "answering billing questions; use the help center for how-to questions.")
LOOP_GUARD = 5  # identical tool calls before the run is stopped
BUGGY = "--buggy" in sys.argv  # release 1.3.0, what production ran

# --- the tools: plain functions ------------------------------------------------------------

ACCOUNTS = {"C-20077": {"customer_id": "C-20077", "plan": "Pro", "invoices": [{
    "id": "INV-2024-0312", "amount": 12.0,
    "description": "a prorated charge for 1 extra Pro seat added on 12 March"}]}}
ARTICLES = {"what is your refund policy": "Refunds are possible within 30 days of a charge."}


def lookup_billing(customer_id: str) -> dict[str, Any]:
    """Read a customer's billing account."""
    if customer_id not in ACCOUNTS:
        raise TimeoutError("billing-api did not respond within 10s")
    account = ACCOUNTS[customer_id]
    if BUGGY:  # 1.3.0 left out what each invoice was for
        return {**account, "invoices": [{k: v for k, v in invoice.items() if k != "description"}
                                        for invoice in account["invoices"]]}
    return account


def search_kb(query: str) -> dict[str, Any]:
    """Search the help center."""
    if "card" in query:
        raise ConnectionError("kb-service unavailable (503)")
    return {"article": ARTICLES.get(query, "No article found.")}


def issue_refund(invoice_id: str, amount: float) -> dict[str, Any]:
    """Refund an invoice, in full or in part."""
    return {"refunded": amount, "invoice_id": invoice_id}


TOOLS = {"lookup_billing": lookup_billing, "search_kb": search_kb, "issue_refund": issue_refund}
PARAMETERS = {
    "lookup_billing": {"customer_id": {"type": "string"}},
    "search_kb": {"query": {"type": "string"}},
    "issue_refund": {"invoice_id": {"type": "string"}, "amount": {"type": "number"}},
}


def tool_schema(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "description": TOOLS[name].__doc__,
        "parameters": {"type": "object", "properties": PARAMETERS[name],
                       "required": list(PARAMETERS[name])}}}


# --- the agent -----------------------------------------------------------------------------

class ToolLoopError(RuntimeError):
    """The model asked for the same tool call too many times."""


def run_tool(name: str, arguments: dict[str, Any]) -> str:
    """A tool's result as the model sees it: JSON, or the error's text."""
    try:
        return json.dumps(TOOLS[name](**arguments))
    except TimeoutError as exc:
        return f"Error: TimeoutError: {exc}"
    except Exception as exc:
        if BUGGY:  # 1.3.0 let every other tool error crash the run
            raise
        return f"Error: {type(exc).__name__}: {exc}"


def answer(question: str, client: OpenAI | None = None) -> str:
    """Answer one support question."""
    client = client or OpenAI()
    messages: list[Any] = [{"role": "system", "content": SYSTEM},
                           {"role": "user", "content": question}]
    seen: dict[str, int] = {}
    while True:
        reply = client.chat.completions.create(
            model=MODEL, messages=messages, tools=[tool_schema(name) for name in TOOLS],
        ).choices[0].message
        if not reply.tool_calls:
            return reply.content or ""
        messages.append(reply.model_dump(exclude_none=True))
        for call in reply.tool_calls:
            name, arguments = call.function.name, json.loads(call.function.arguments)
            result = run_tool(name, arguments)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
            key = f"{name}({call.function.arguments})"
            seen[key] = seen.get(key, 0) + 1
            if not BUGGY and result.startswith("Error") and seen[key] >= 2:
                return ("Our billing system is not answering right now, so I have escalated "
                        "your question to a billing specialist, who will reply by e-mail.")
            if seen[key] >= LOOP_GUARD:
                raise ToolLoopError(f"{name} called {seen[key]} times with identical "
                                    "arguments; loop guard stopped the run")


def main(argv: list[str]) -> int:
    words = [a for a in argv if a != "--buggy"]
    question = " ".join(words) if words else sys.stdin.read().strip()
    try:
        print(answer(question))
    except ToolLoopError as exc:
        print(f"ToolLoopError: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
