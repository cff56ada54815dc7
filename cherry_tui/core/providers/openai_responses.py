"""OpenAI Responses (``POST {base}/responses``), type ``openai-responses``.

Checked against OpenAI's API reference (Responses, streaming events): the request takes
``input`` (role/content messages; an image is an ``input_image`` part whose
``image_url`` is a string, a data URL, not an object as in chat completions) and
``instructions`` (the system prompt); the stream
is typed events with no ``[DONE]``: ``response.output_text.delta`` carries text,
``response.reasoning_summary_text.delta`` (and ``response.reasoning_text.delta``)
reasoning, and it ends with ``response.completed`` / ``response.incomplete`` (usage in
``response.usage``) or fails with ``response.failed`` / ``error``.
"""

from __future__ import annotations

from typing import Any

from ..addresses import Resolved
from ..attachments import images_of
from .base import ChatCall, Request, WireProtocol, event_json, malformed
from .errors import StreamProblem, error_text
from .events import Completion, ContentDelta, Event, Finish, ReasoningDelta, Usage
from .events import int_or_none as _int
from .sse import SSEEvent

MIN_OUTPUT_TOKENS = 16  # OpenAI refuses a smaller max_output_tokens (a check asks for 1)
_REASONING_DELTAS = ("response.reasoning_summary_text.delta", "response.reasoning_text.delta")
_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}


def _usage(response: Any) -> Usage | None:
    usage = response.get("usage") if isinstance(response, dict) else None
    if not isinstance(usage, dict):
        return None
    return Usage(_int(usage.get("input_tokens")), _int(usage.get("output_tokens")),
                 _int(usage.get("total_tokens")))


def _finish(response: dict[str, Any]) -> str:
    if response.get("status") == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        return _INCOMPLETE.get(str(reason), str(reason or "incomplete"))
    return "stop"


class ResponsesStreamDecoder:
    """Responses streaming events -> typed events."""

    def __init__(self) -> None:
        self.done = False
        self.finish_reason: str | None = None
        self._summary_parts = 0

    def feed(self, ev: SSEEvent) -> list[Event]:
        data = ev.data.strip()
        if not data:
            return []
        obj = event_json(data)
        kind = obj.get("type") or ev.event
        if kind == "response.output_text.delta":
            delta = obj.get("delta")
            return [ContentDelta(delta)] if isinstance(delta, str) and delta else []
        if kind in _REASONING_DELTAS:
            delta = obj.get("delta")
            return [ReasoningDelta(delta)] if isinstance(delta, str) and delta else []
        if kind == "response.reasoning_summary_part.added":
            self._summary_parts += 1
            return [ReasoningDelta("\n\n")] if self._summary_parts > 1 else []
        if kind == "error":
            raise StreamProblem("error", error_text(obj.get("error") or obj))
        if kind == "response.failed":
            response = obj.get("response") or {}
            raise StreamProblem("error", error_text(response.get("error") or obj.get("error")
                                                    or "the response failed"))
        if kind in ("response.completed", "response.incomplete"):
            response = obj.get("response") or {}
            self.done = True
            self.finish_reason = _finish(response)
            usage = _usage(response)
            return [usage] if usage else []
        return []  # created, in_progress, output_item.*, content_part.*, *.done ...

    def end(self) -> list[Event]:
        if not self.done:
            raise StreamProblem("truncated")
        return [Finish(self.finish_reason)]


def parse_response(obj: Any) -> Completion:
    """A whole Response object: ``output`` items of type message and reasoning."""
    if not isinstance(obj, dict) or not isinstance(obj.get("output"), list):
        raise malformed(obj)
    text: list[str] = []
    reasoning: list[str] = []
    for item in obj["output"]:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "message":
            text += [str(c.get("text", "")) for c in item.get("content") or []
                     if isinstance(c, dict) and c.get("type") == "output_text"]
        elif item.get("type") == "reasoning":
            parts = [*(item.get("summary") or []), *(item.get("content") or [])]
            reasoning += [str(p.get("text", "")) for p in parts
                          if isinstance(p, dict) and p.get("text")]
    return Completion("".join(text), "\n\n".join(reasoning), _usage(obj), _finish(obj))


def _input(message: dict[str, Any]) -> dict[str, Any]:
    """A message as ``input`` takes it: one with images gets content parts, its text as
    ``input_text`` then each image as ``input_image`` with a data URL string."""
    images = images_of(message)
    if not images:
        return {"role": message.get("role"), "content": message.get("content") or ""}
    parts: list[dict[str, Any]] = []
    if message.get("content"):
        parts.append({"type": "input_text", "text": str(message["content"])})
    parts += [{"type": "input_image", "image_url": i.data_url()} for i in images]
    return {"role": message.get("role"), "content": parts}


class OpenAIResponses(WireProtocol):
    """``openai-responses``: the Responses API with a Bearer key."""

    def headers(self, key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}

    def chat_request(self, resolved: Resolved, call: ChatCall) -> Request:
        body: dict[str, Any] = {
            "model": call.model,
            "input": [_input(m) for m in call.messages if m.get("role") != "system"],
            "store": False,  # a chat client keeps its own history
        }
        if system := call.system_text():
            body["instructions"] = system
        if call.max_tokens is not None:
            body["max_output_tokens"] = max(call.max_tokens, MIN_OUTPUT_TOKENS)
        body.update(call.sampling())
        return Request(resolved.chat, body)

    def decoder(self) -> ResponsesStreamDecoder:
        return ResponsesStreamDecoder()

    def parse_completion(self, obj: Any) -> Completion:
        return parse_response(obj)
