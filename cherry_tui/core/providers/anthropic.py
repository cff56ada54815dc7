"""Anthropic Messages (``POST {base}/messages``): ``x-api-key``, typed stream events.

The system prompt is a top-level ``system`` field, ``max_tokens`` is required, and
thinking arrives as ``thinking_delta`` blocks. An image goes as a content block
``{"type": "image", "source": {"type": "base64", "media_type", "data"}}`` (JPEG, PNG,
GIF or WebP).
"""

from __future__ import annotations

from typing import Any

from ..addresses import Resolved
from ..attachments import images_of, without_images
from .base import ChatCall, Request, WireProtocol, event_json, malformed
from .errors import StreamProblem, error_text
from .events import Completion, ContentDelta, Event, Finish, ReasoningDelta, Usage
from .events import int_or_none as _int
from .sse import SSEEvent

ANTHROPIC_VERSION = "2023-06-01"
ANTHROPIC_DEFAULT_MAX_TOKENS = 4096

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
           "tool_use": "tool_calls"}


class AnthropicStreamDecoder:
    """Anthropic Messages stream events -> typed events."""

    def __init__(self) -> None:
        self.finish_reason: str | None = None
        self.done = False
        self._prompt: int | None = None
        self._completion: int | None = None

    def feed(self, ev: SSEEvent) -> list[Event]:
        data = ev.data.strip()
        if not data:
            return []
        obj = event_json(data)
        kind = obj.get("type") or ev.event
        if kind == "error" or obj.get("error"):
            raise StreamProblem("error", error_text(obj.get("error") or obj))
        if kind == "message_start":
            usage = (obj.get("message") or {}).get("usage") or {}
            self._prompt = _int(usage.get("input_tokens"))
        elif kind == "content_block_delta":
            delta = obj.get("delta") or {}
            if delta.get("type") == "text_delta" and delta.get("text"):
                return [ContentDelta(str(delta["text"]))]
            if delta.get("type") == "thinking_delta" and delta.get("thinking"):
                return [ReasoningDelta(str(delta["thinking"]))]
        elif kind == "message_delta":
            reason = (obj.get("delta") or {}).get("stop_reason")
            if reason:
                self.finish_reason = _FINISH.get(reason, str(reason))
            usage = obj.get("usage") or {}
            if _int(usage.get("output_tokens")) is not None:
                self._completion = _int(usage.get("output_tokens"))
        elif kind == "message_stop":
            self.done = True
            if self._prompt is not None or self._completion is not None:
                total = (self._prompt or 0) + (self._completion or 0)
                return [Usage(self._prompt, self._completion, total)]
        return []

    def end(self) -> list[Event]:
        if not self.done:
            raise StreamProblem("truncated")
        return [Finish(self.finish_reason)]


def parse_anthropic_message(obj: Any) -> Completion:
    if not isinstance(obj, dict) or not isinstance(obj.get("content"), list):
        raise malformed(obj)
    text = "".join(str(b.get("text", "")) for b in obj["content"]
                   if isinstance(b, dict) and b.get("type") == "text")
    reasoning = "".join(str(b.get("thinking", "")) for b in obj["content"]
                        if isinstance(b, dict) and b.get("type") == "thinking")
    usage = obj.get("usage")
    u = None
    if isinstance(usage, dict):
        p, c = _int(usage.get("input_tokens")), _int(usage.get("output_tokens"))
        u = Usage(p, c, (p or 0) + (c or 0))
    reason = obj.get("stop_reason")
    return Completion(text, reasoning, u, _FINISH.get(reason, reason) if reason else None)


def wire_message(message: dict[str, Any]) -> dict[str, Any]:
    """A message as the Messages API takes it: one with images gets content blocks, each
    image a ``base64`` image block, then its text (Anthropic suggests images first)."""
    images = images_of(message)
    if not images:
        return without_images(message)
    blocks: list[dict[str, Any]] = [
        {"type": "image", "source": {"type": "base64", "media_type": i.mime,
                                     "data": i.base64()}} for i in images]
    if message.get("content"):
        blocks.append({"type": "text", "text": str(message["content"])})
    return {**without_images(message), "content": blocks}


class Anthropic(WireProtocol):
    """``anthropic``: the Messages API."""

    def headers(self, key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if key:
            headers["x-api-key"] = key
        return headers

    def chat_request(self, resolved: Resolved, call: ChatCall) -> Request:
        body: dict[str, Any] = {
            "model": call.model,
            "messages": [wire_message(m) for m in call.messages if m.get("role") != "system"],
            "max_tokens": call.max_tokens or ANTHROPIC_DEFAULT_MAX_TOKENS,
        }
        if system := call.system_text():
            body["system"] = system
        body.update(call.sampling())
        return Request(resolved.chat, body)

    def decoder(self) -> AnthropicStreamDecoder:
        return AnthropicStreamDecoder()

    def parse_completion(self, obj: Any) -> Completion:
        return parse_anthropic_message(obj)
