"""A billing agent on the official openai SDK, with no replaycase code and no base URL: the
SDK reads OPENAI_BASE_URL and OPENAI_API_KEY as it does in production.

    python billing_agent.py buggy|fixed|asks|hangs [API]   (the question on stdin)

buggy: retries a failing tool until its loop guard aborts the run (exit 1). fixed: gives up
after two failures and answers from code (no new model answer needed). asks: after two
failures it asks the model something new (the recording cannot answer it). hangs: hangs after
its first answer. With AGENT_TRANSCRIPT set it writes its conversation there, as production
logging does: the chat messages, or on the Responses API the list of input items.

API (default chat): chat, chat-stream (Chat Completions, stream=True with usage and
tool-call deltas), responses, responses-stream, responses-previous (Responses, streamed,
sending only the new items after the first turn, with previous_response_id).
"""

import json
import os
import sys
import time

from openai import OpenAI

SYSTEM = "You are Acme's billing agent. Use lookup_billing for account data."
PARAMETERS = {"type": "object", "properties": {"customer_id": {"type": "string"}},
              "required": ["customer_id"]}
TOOLS = [{"type": "function", "function": {
    "name": "lookup_billing", "description": "Read a customer's billing account.",
    "parameters": PARAMETERS}}]
RESPONSES_TOOLS = [{"type": "function", "name": "lookup_billing",
                    "description": "Read a customer's billing account.",
                    "parameters": PARAMETERS}]


def lookup_billing(customer_id: str) -> dict:
    raise TimeoutError("billing-api did not respond within 10s")


def run_tool(arguments: str) -> str:
    try:
        return json.dumps(lookup_billing(**json.loads(arguments)))
    except Exception as exc:  # the model is shown the error
        return f"Error: {type(exc).__name__}: {exc}"


def chat_turn(client: OpenAI, messages: list, stream: bool) -> tuple[str | None, list]:
    """One Chat Completions call: the answer's text and its tool calls (id, name, args)."""
    if not stream:
        message = client.chat.completions.create(model="gpt-4o-mini", messages=messages,
                                                 tools=TOOLS).choices[0].message
        return message.content, [(c.id, c.function.name, c.function.arguments)
                                 for c in message.tool_calls or []]
    text, calls, usage = None, {}, None
    for chunk in client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=TOOLS, stream=True,
            stream_options={"include_usage": True}):
        usage = chunk.usage or usage
        for choice in chunk.choices:
            delta = choice.delta
            if delta.content:
                text = (text or "") + delta.content
            for part in delta.tool_calls or []:
                call = calls.setdefault(part.index, ["", "", ""])
                call[0] = part.id or call[0]
                if part.function is not None:
                    call[1] += part.function.name or ""
                    call[2] += part.function.arguments or ""
    if usage is None:
        raise RuntimeError("the stream carried no usage")
    return text, [tuple(calls[i]) for i in sorted(calls)]


def chat(client: OpenAI, variant: str, question: str, log: list, stream: bool) -> int:
    log += [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    calls = 0
    while True:
        text, tool_calls = chat_turn(client, log, stream)
        if variant == "hangs":
            time.sleep(60)
        if not tool_calls:
            print(text)
            return 0
        log.append({"role": "assistant", "content": text, "tool_calls": [
            {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
            for i, n, a in tool_calls]})
        for call_id, _name, arguments in tool_calls:
            calls += 1
            log.append({"role": "tool", "tool_call_id": call_id, "content": run_tool(arguments)})
        if variant == "fixed" and calls >= 2:
            print("Sorry, our billing system is not answering; please try again later.")
            return 0
        if variant == "asks" and calls >= 2:
            log.append({"role": "user", "content": "The tool failed twice: apologize."})
        if calls >= 3:
            print("ToolLoopError: lookup_billing failed 3 times; aborting", file=sys.stderr)
            return 1


def respond(client: OpenAI, items: list, stream: bool, previous: str | None):  # noqa: ANN201
    """One Responses call: the completed response."""
    extra = {"previous_response_id": previous} if previous else {}
    if not stream:
        return client.responses.create(model="gpt-4o-mini", instructions=SYSTEM, input=items,
                                       tools=RESPONSES_TOOLS, **extra)
    events = client.responses.create(model="gpt-4o-mini", instructions=SYSTEM, input=items,
                                     tools=RESPONSES_TOOLS, stream=True, **extra)
    done = [e.response for e in events if e.type == "response.completed"]
    if len(done) != 1:
        raise RuntimeError("the stream did not complete")
    return done[0]


def responses(client: OpenAI, variant: str, question: str, log: list, api: str) -> int:
    chained = api == "responses-previous"
    log.append({"role": "user", "content": question})
    new, previous, calls = list(log), None, 0
    while True:
        response = respond(client, new if chained else log, api != "responses",
                           previous if chained else None)
        if variant == "hangs":
            time.sleep(60)
        output = [item.model_dump(exclude_none=True) for item in response.output]
        log += output
        tool_calls = [item for item in response.output if item.type == "function_call"]
        if not tool_calls:
            print(response.output_text)
            return 0
        new, previous = [], response.id
        for call in tool_calls:
            calls += 1
            new.append({"type": "function_call_output", "call_id": call.call_id,
                        "output": run_tool(call.arguments)})
        if variant == "fixed" and calls >= 2:
            print("Sorry, our billing system is not answering; please try again later.")
            log += new
            return 0
        if variant == "asks" and calls >= 2:
            new.append({"role": "user", "content": "The tool failed twice: apologize."})
        log += new
        if calls >= 3:
            print("ToolLoopError: lookup_billing failed 3 times; aborting", file=sys.stderr)
            return 1


def main(variant: str, api: str) -> int:
    client = OpenAI()
    question = sys.stdin.read().strip()
    log: list = []
    try:
        if api.startswith("chat"):
            return chat(client, variant, question, log, api == "chat-stream")
        return responses(client, variant, question, log, api)
    finally:
        if os.environ.get("AGENT_TRANSCRIPT"):
            with open(os.environ["AGENT_TRANSCRIPT"], "w") as handle:
                json.dump(log, handle, indent=1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "chat"))
