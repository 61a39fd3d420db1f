"""The wire protocols the loopback model server speaks (DESIGN 8): each reads a request body
into the parts of a match key and writes a recorded answer back, as JSON or as the SSE stream
the provider's SDK expects, and errors in the provider's shape."""

from ._wire import BadRequest, Reply, WireProtocol, WireRequest
from .anthropic_messages import AnthropicMessages, anthropic_error
from .openai_chat import OpenAIChat, openai_error
from .openai_responses import OpenAIResponses, ResponseStore

__all__ = [
    "AnthropicMessages",
    "BadRequest",
    "OpenAIChat",
    "OpenAIResponses",
    "Reply",
    "ResponseStore",
    "WireProtocol",
    "WireRequest",
    "anthropic_error",
    "openai_error",
]
