"""OpenAI chat completions (``POST {base}/chat/completions``), the format most servers speak.

Reasoning arrives as ``reasoning_content`` / ``reasoning`` deltas or as an inline
``<think>`` block (DeepSeek R1 on many hosts); usage comes with ``stream_options``.
An image goes as a content part ``{"type": "image_url", "image_url": {"url": DATA_URL}}``
(OpenAI's ChatCompletionContentPartImage: the url may be a base64 data URL).
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
from .think import ThinkSplitter


def usage_of(usage: Any) -> Usage | None:
    """``{"prompt_tokens", "completion_tokens", "total_tokens"}`` -> Usage."""
    if not isinstance(usage, dict):
        return None
    return Usage(_int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens")),
                 _int(usage.get("total_tokens")))


def wire_message(message: dict[str, Any]) -> dict[str, Any]:
    """A message as chat completions take it: one with images gets a list of content
    parts, its text then each image as an ``image_url`` part holding a data URL."""
    images = images_of(message)
    if not images:
        return without_images(message)
    parts: list[dict[str, Any]] = []
    if message.get("content"):
        parts.append({"type": "text", "text": str(message["content"])})
    parts += [{"type": "image_url", "image_url": {"url": i.data_url()}} for i in images]
    return {**without_images(message), "content": parts}


def chat_body(call: ChatCall) -> dict[str, Any]:
    """The chat-completions body (shared with Azure OpenAI)."""
    body: dict[str, Any] = {"model": call.model,
                            "messages": [wire_message(m) for m in call.messages]}
    if call.max_tokens is not None:
        body["max_tokens"] = call.max_tokens
    body.update(call.sampling())
    if call.stream:
        if call.extras:
            body["stream_options"] = {"include_usage": True}
    return body


class OpenAIStreamDecoder:
    """OpenAI ``chat.completion.chunk`` events -> typed events."""

    def __init__(self) -> None:
        self._think = ThinkSplitter()
        self.finish_reason: str | None = None
        self.done = False  # [DONE] seen
        self.usage: Usage | None = None

    def feed(self, ev: SSEEvent) -> list[Event]:
        data = ev.data.strip()
        if not data:
            return []
        if data == "[DONE]":
            self.done = True
            return []
        obj = event_json(data)
        if obj.get("error") or ev.event == "error":
            raise StreamProblem("error", error_text(obj.get("error") or obj))
        out: list[Event] = []
        for choice in obj.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) not in (0, None):
                continue
            delta = choice.get("delta") or choice.get("message") or {}
            if isinstance(delta, dict):
                for field in ("reasoning_content", "reasoning"):
                    text = delta.get(field)
                    if isinstance(text, str) and text:
                        out.append(ReasoningDelta(text))
                        break
                text = delta.get("content")
                if isinstance(text, str) and text:
                    out.extend(self._think.feed(text))
            if choice.get("finish_reason"):
                out.extend(self._think.flush())
                self.finish_reason = str(choice["finish_reason"])
        usage = usage_of(obj.get("usage"))
        if usage is not None:
            self.usage = usage
            out.append(usage)
        return out

    def end(self) -> list[Event]:
        """The stream ended: the last events, or StreamProblem('truncated')."""
        out = self._think.flush()
        if not self.done and self.finish_reason is None:
            raise StreamProblem("truncated")
        return [*out, Finish(self.finish_reason)]


def parse_openai_completion(obj: Any) -> Completion:
    """A non-streamed chat completion -> Completion."""
    if not isinstance(obj, dict) or not isinstance(obj.get("choices"), list) or not obj["choices"]:
        raise malformed(obj)
    choice = obj["choices"][0] if isinstance(obj["choices"][0], dict) else {}
    msg = choice.get("message") or choice.get("delta") or {}
    reasoning = ""
    for field in ("reasoning_content", "reasoning"):
        if isinstance(msg.get(field), str) and msg[field]:
            reasoning = msg[field]
            break
    splitter = ThinkSplitter()
    events = splitter.feed(msg.get("content") or "") + splitter.flush()
    text = "".join(e.text for e in events if isinstance(e, ContentDelta))
    reasoning += "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    finish = choice.get("finish_reason")
    return Completion(text, reasoning, usage_of(obj.get("usage")), str(finish) if finish else None)


class OpenAI(WireProtocol):
    """``openai``: chat completions with a Bearer key."""

    def headers(self, key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}

    def chat_request(self, resolved: Resolved, call: ChatCall) -> Request:
        return Request(resolved.chat, chat_body(call))

    def drop_refused(self, body: dict[str, Any], detail: str) -> dict[str, Any] | None:
        if "stream_options" in detail and "stream_options" in body:
            return {k: v for k, v in body.items() if k != "stream_options"}  # no usage then
        return None

    def decoder(self) -> OpenAIStreamDecoder:
        return OpenAIStreamDecoder()

    def parse_completion(self, obj: Any) -> Completion:
        return parse_openai_completion(obj)
