"""The live model ``record`` asks what the tape cannot answer (DESIGN 8): the request goes to
the upstream in its own protocol, with the real key, and the answer comes back as a tape
``Answer``.

The upstream is asked without streaming, whatever the runner asked: the recorded answer is then
served to the runner in its protocol and streaming mode exactly as ``replay`` will serve it
later, so the recorded run and its replays see the same bytes. The key is read from the
environment of replaycase (never the runner's) and is never written or printed.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from .._text import clip
from ..errors import UpstreamError
from ..tape.models import Answer, AnswerToolCall, AnswerUsage

_KEY_ENV = {"anthropic.messages": "ANTHROPIC_API_KEY"}
_DEFAULT_KEY_ENV = "OPENAI_API_KEY"
_DROPPED = ("stream", "stream_options")
_MAX_ANSWER_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Upstream:
    """An OpenAI-compatible ``/v1`` base URL, or Anthropic's base; the protocol follows the
    request."""

    url: str
    key_env: str | None = None
    """The variable holding the key; default ``OPENAI_API_KEY`` or ``ANTHROPIC_API_KEY``."""
    timeout_s: float = 120.0

    def key_name(self, protocol: str) -> str:
        return self.key_env or _KEY_ENV.get(protocol, _DEFAULT_KEY_ENV)

    def endpoint(self, path: str) -> str:
        """Where a request to ``path`` (``/v1/...``) goes."""
        base = self.url.rstrip("/")
        if base.endswith("/v1"):
            base = base[:-3]
        return base + path

    def ask(self, protocol: str, path: str, body: dict[str, Any]) -> Answer:
        """The upstream's answer to one request; UpstreamError with one line when it fails."""
        key = os.environ.get(self.key_name(protocol), "")
        if not key:
            raise UpstreamError(f"no upstream key: set {self.key_name(protocol)} (or name "
                                "another variable with --upstream-key-env)")
        headers = {"content-type": "application/json", "accept": "application/json"}
        if protocol == "anthropic.messages":
            headers.update({"x-api-key": key, "anthropic-version": "2023-06-01"})
        else:
            headers["authorization"] = f"Bearer {key}"
        sent = {name: value for name, value in body.items() if name not in _DROPPED}
        data = json.dumps(sent, ensure_ascii=False).encode()
        request = urllib.request.Request(self.endpoint(path), data=data, headers=headers,
                                         method="POST")
        where = f"upstream {self.endpoint(path)}"
        try:
            with _OPENER.open(request, timeout=self.timeout_s) as response:
                raw = response.read(_MAX_ANSWER_BYTES + 1)
                missing = getattr(response, "length", None)
            if missing and len(raw) <= _MAX_ANSWER_BYTES:
                raise UpstreamError(f"{where} hung up mid-answer ({missing} bytes missing)")
        except urllib.error.HTTPError as exc:
            raise UpstreamError(f"{where} answered HTTP {exc.code}: "
                                f"{_error_text(exc.read(4096), key)}") from None
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise UpstreamError(f"{where} cannot be reached: {_scrub(str(reason), key)}") \
                from None
        if len(raw) > _MAX_ANSWER_BYTES:
            raise UpstreamError(f"{where} answered more than {_MAX_ANSWER_BYTES} bytes")
        try:
            answer = json.loads(raw)
        except ValueError:
            raise UpstreamError(f"{where} answered something that is not JSON: "
                                f"{clip(_scrub(raw.decode(errors='replace'), key), 120)}") \
                from None
        if not isinstance(answer, dict):
            raise UpstreamError(f"{where} answered a JSON {type(answer).__name__}, not an object")
        try:
            return READERS[protocol](answer)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise UpstreamError(f"{where} answered in a shape {protocol} does not have: "
                                f"{exc!r}") from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed: the key would go along to wherever it points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def _scrub(text: str, key: str) -> str:
    return text.replace(key, "<upstream key>") if key else text


def _error_text(raw: bytes, key: str) -> str:
    """The message of a provider's error body, else its first characters."""
    text = raw.decode(errors="replace")
    try:
        error = json.loads(text).get("error")
        message = error.get("message") if isinstance(error, dict) else error
        text = message if isinstance(message, str) else text
    except (ValueError, AttributeError):
        pass
    return clip(" ".join(_scrub(text, key).split()), 200) or "(no body)"


def _usage(value: Any, given: str, made: str) -> AnswerUsage | None:
    if not isinstance(value, dict):
        return None
    usage = AnswerUsage(input_tokens=value.get(given), output_tokens=value.get(made))
    return usage if (usage.input_tokens, usage.output_tokens) != (None, None) else None


def _arguments(text: Any) -> Any:
    """Arguments as the tape keeps them: a JSON value, or the text the model wrote."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError:
        return text


def _chat(body: dict[str, Any]) -> Answer:
    choice = body["choices"][0]
    message = choice["message"]
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    calls = [AnswerToolCall(name=call["function"]["name"],
                            arguments=_arguments(call["function"].get("arguments")))
             for call in message.get("tool_calls") or []]
    return Answer(model=body.get("model"), text=content or "", tool_calls=calls,
                  stop_reason=choice.get("finish_reason"),
                  usage=_usage(body.get("usage"), "prompt_tokens", "completion_tokens"))


def _responses(body: dict[str, Any]) -> Answer:
    text: list[str] = []
    calls: list[AnswerToolCall] = []
    for item in body["output"]:
        if item.get("type") == "message":
            text += [part.get("text", "") for part in item.get("content") or []
                     if part.get("type") == "output_text"]
        elif item.get("type") == "function_call":
            calls.append(AnswerToolCall(name=item["name"],
                                        arguments=_arguments(item.get("arguments"))))
    status = body.get("status")
    return Answer(model=body.get("model"), text="".join(text), tool_calls=calls,
                  stop_reason="max_output_tokens" if status == "incomplete" else None,
                  usage=_usage(body.get("usage"), "input_tokens", "output_tokens"))


def _anthropic(body: dict[str, Any]) -> Answer:
    text: list[str] = []
    calls: list[AnswerToolCall] = []
    for block in body["content"]:
        if block.get("type") == "text":
            text.append(block.get("text", ""))
        elif block.get("type") == "tool_use":
            calls.append(AnswerToolCall(name=block["name"], arguments=block.get("input")))
    return Answer(model=body.get("model"), text="".join(text), tool_calls=calls,
                  stop_reason=body.get("stop_reason"),
                  usage=_usage(body.get("usage"), "input_tokens", "output_tokens"))


READERS = {"openai.chat": _chat, "openai.responses": _responses,
           "anthropic.messages": _anthropic}
"""Each protocol's JSON answer read as a tape ``Answer``."""
