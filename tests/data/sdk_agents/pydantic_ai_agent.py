"""The billing agent on PydanticAI (an Agent with a tool, the OpenAI provider), with no
replaycase code and no base URL: the provider reads OPENAI_BASE_URL and OPENAI_API_KEY as it
does in production.

    python pydantic_ai_agent.py buggy|fixed|asks [stream] [chat]   (the question on stdin)

buggy: the failing tool asks the model to retry until PydanticAI's retry limit aborts the run
(exit 1). fixed: gives up after two failures and answers from code. asks: after two failures
it tells the model something new. ``stream`` streams every model answer (SSE); ``chat`` uses
Chat Completions (``openai-chat:``) where PydanticAI uses the Responses API. With
AGENT_TRANSCRIPT set it writes its history there as OpenAI messages, as production logging
does (AGENT_HISTORY: PydanticAI's own ``all_messages_json`` format too).
"""

import os
import sys

from pydantic_ai import Agent, ModelRetry, capture_run_messages
from pydantic_ai.messages import (
    ModelMessagesTypeAdapter,
    ModelResponse,
    RetryPromptPart,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

SYSTEM = "You are Acme's billing agent. Use lookup_billing for account data."
VARIANT, MODES = sys.argv[1], set(sys.argv[2:])
PROVIDER = "openai-chat" if "chat" in MODES else "openai"
agent = Agent(f"{PROVIDER}:gpt-4o-mini", system_prompt=SYSTEM, retries=2)
failures = 0


class GiveUp(Exception):
    """The fixed agent's way out of the run after two failures."""


@agent.tool_plain
def lookup_billing(customer_id: str) -> dict:
    """Read a customer's billing account."""
    global failures
    failures += 1
    if VARIANT == "fixed" and failures >= 2:
        raise GiveUp
    if VARIANT == "asks" and failures >= 2:
        raise ModelRetry("The tool failed twice: apologize.")
    raise ModelRetry("Error: TimeoutError: billing-api did not respond within 10s")


def openai_messages(history: list) -> list:
    """The run's history as OpenAI chat messages."""
    out: list = []
    for message in history:
        if isinstance(message, ModelResponse):
            calls = [{"id": p.tool_call_id, "type": "function",
                      "function": {"name": p.tool_name, "arguments": p.args_as_json_str()}}
                     for p in message.parts if isinstance(p, ToolCallPart)]
            text = "".join(p.content for p in message.parts if isinstance(p, TextPart))
            out.append({"role": "assistant", "content": text, "tool_calls": calls})
            continue
        for part in message.parts:
            if isinstance(part, (SystemPromptPart, UserPromptPart)):
                role = "system" if isinstance(part, SystemPromptPart) else "user"
                out.append({"role": role, "content": part.content})
            elif isinstance(part, ToolReturnPart):
                out.append({"role": "tool", "tool_call_id": part.tool_call_id,
                            "content": part.model_response_str()})
            elif isinstance(part, RetryPromptPart):
                out.append({"role": "tool", "tool_call_id": part.tool_call_id,
                            "content": part.model_response()})
    return out


async def _drain(ctx: object, events: object) -> None:
    async for _ in events:  # type: ignore[attr-defined]
        pass


def main(stream: bool) -> int:
    with capture_run_messages() as history:
        try:
            result = agent.run_sync(sys.stdin.read().strip(),
                                    event_stream_handler=_drain if stream else None)
            print(result.output)
            return 0
        except GiveUp:
            print("Sorry, our billing system is not answering; please try again later.")
            return 0
        except Exception as exc:  # UnexpectedModelBehavior: retries exhausted
            print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        finally:
            if os.environ.get("AGENT_TRANSCRIPT"):
                import json

                with open(os.environ["AGENT_TRANSCRIPT"], "w") as handle:
                    json.dump(openai_messages(history), handle, indent=1)
            if os.environ.get("AGENT_HISTORY"):
                with open(os.environ["AGENT_HISTORY"], "wb") as handle:
                    handle.write(ModelMessagesTypeAdapter.dump_json(history))


if __name__ == "__main__":
    sys.exit(main("stream" in MODES))
