"""Google Gemini, native API, type ``gemini``.

Checked against Google's Gemini API reference (models.generateContent,
models.streamGenerateContent, models.list, error responses): the key goes in
``x-goog-api-key``; the request is ``contents`` (roles ``user``/``model``, text
``parts``; an image is an ``inlineData`` Blob part, ``mimeType`` and base64 ``data``),
``systemInstruction`` and ``generationConfig``; a streamed answer
(``:streamGenerateContent?alt=sse``) is SSE whose every event is a whole
GenerateContentResponse, with no end marker: the last one carries ``finishReason``.
Parts marked ``thought: true`` are reasoning (asked for with
``thinkingConfig.includeThoughts``); ``usageMetadata`` is the usage. The model list is
``{"models": [{"name": "models/ID"}], "nextPageToken"}``, asked for page by page with
``pageToken``. Errors are ``{"error": {"code", "message", "status", "details"}}``; a bad
key is HTTP 400 with reason ``API_KEY_INVALID``, and a 429 may say when to retry in a
``RetryInfo`` detail (``"retryDelay": "37s"``).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from ..addresses import Resolved
from ..attachments import images_of
from .base import ChatCall, ErrorBody, ModelPage, Request, WireProtocol, event_json, malformed
from .errors import StreamProblem, error_text, server_text
from .events import Completion, ContentDelta, Event, Finish, ReasoningDelta, Usage
from .events import int_or_none as _int
from .sse import SSEEvent

_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
_ROLES = {"assistant": "model", "model": "model"}


def _usage(meta: Any) -> Usage | None:
    if not isinstance(meta, dict):
        return None
    prompt = _int(meta.get("promptTokenCount"))
    answer, thoughts = _int(meta.get("candidatesTokenCount")), _int(meta.get("thoughtsTokenCount"))
    completion = None if answer is None and thoughts is None else (answer or 0) + (thoughts or 0)
    return Usage(prompt, completion, _int(meta.get("totalTokenCount")))


def _blocked(obj: dict[str, Any]) -> StreamProblem | None:
    """A prompt refused before any answer (``promptFeedback.blockReason``)."""
    reason = (obj.get("promptFeedback") or {}).get("blockReason")
    if reason and not obj.get("candidates"):
        return StreamProblem("error", f"the prompt was blocked ({reason})")
    return None


def _parts(obj: dict[str, Any]) -> tuple[list[Event], str | None]:
    """(content and reasoning events, finishReason) of the first candidate."""
    candidates = obj.get("candidates") or []
    first = candidates[0] if candidates and isinstance(candidates[0], dict) else {}
    out: list[Event] = []
    for part in (first.get("content") or {}).get("parts") or []:
        text = part.get("text") if isinstance(part, dict) else None
        if isinstance(text, str) and text:
            out.append(ReasoningDelta(text) if part.get("thought") else ContentDelta(text))
    reason = first.get("finishReason")
    return out, (_FINISH.get(str(reason), str(reason).lower()) if reason else None)


class GeminiStreamDecoder:
    """``alt=sse`` events, each a GenerateContentResponse -> typed events."""

    def __init__(self) -> None:
        self.done = False  # no end marker: the body simply ends
        self.finish_reason: str | None = None
        self._usage: Usage | None = None

    def feed(self, ev: SSEEvent) -> list[Event]:
        data = ev.data.strip()
        if not data:
            return []
        obj = event_json(data)
        if obj.get("error"):
            raise StreamProblem("error", error_text(obj["error"]))
        blocked = _blocked(obj)
        if blocked:
            raise blocked
        events, reason = _parts(obj)
        if reason:
            self.finish_reason = reason
        self._usage = _usage(obj.get("usageMetadata")) or self._usage
        return events

    def end(self) -> list[Event]:
        if self.finish_reason is None:
            raise StreamProblem("truncated")
        return [*([self._usage] if self._usage else []), Finish(self.finish_reason)]


def parse_generate_content(obj: Any) -> Completion:
    if isinstance(obj, list):  # a streamed answer without alt=sse: a JSON array of chunks
        chunks = obj
    elif isinstance(obj, dict):
        chunks = [obj]
    else:
        raise malformed(obj)
    text, reasoning, finish, usage = [], [], None, None
    for chunk in chunks:
        if not isinstance(chunk, dict) or not ("candidates" in chunk or "promptFeedback" in chunk):
            raise malformed(obj)
        blocked = _blocked(chunk)
        if blocked:
            raise blocked
        events, reason = _parts(chunk)
        text += [e.text for e in events if isinstance(e, ContentDelta)]
        reasoning += [e.text for e in events if isinstance(e, ReasoningDelta)]
        finish = reason or finish
        usage = _usage(chunk.get("usageMetadata")) or usage
    return Completion("".join(text), "".join(reasoning), usage, finish)


def _content(message: dict[str, Any]) -> dict[str, Any]:
    """A message as ``contents`` take it: a text part, then an ``inlineData`` part
    (``mimeType``, base64 ``data``) for each image (no empty text part beside images:
    Gemini refuses an empty text)."""
    text, images = str(message.get("content") or ""), images_of(message)
    parts: list[dict[str, Any]] = [{"text": text}] if text or not images else []
    parts += [{"inlineData": {"mimeType": i.mime, "data": i.base64()}} for i in images]
    return {"role": _ROLES.get(str(message.get("role")), "user"), "parts": parts}


class Gemini(WireProtocol):
    """``gemini``: generateContent / streamGenerateContent, key in ``x-goog-api-key``."""

    def headers(self, key: str | None) -> dict[str, str]:
        return {"x-goog-api-key": key} if key else {}

    def chat_request(self, resolved: Resolved, call: ChatCall) -> Request:
        system = call.system_text()
        body: dict[str, Any] = {"contents": [
            _content(m) for m in call.messages if m.get("role") != "system"]}
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        config: dict[str, Any] = {}
        if call.temperature is not None:
            config["temperature"] = call.temperature
        if call.top_p is not None:
            config["topP"] = call.top_p
        if call.max_tokens is not None:
            config["maxOutputTokens"] = call.max_tokens
        if call.extras:
            config["thinkingConfig"] = {"includeThoughts": True}
        if config:
            body["generationConfig"] = config
        return Request(resolved.chat if call.stream else resolved.whole, body)

    def drop_refused(self, body: dict[str, Any], detail: str) -> dict[str, Any] | None:
        config = body.get("generationConfig")
        if "think" in detail.lower() and isinstance(config, dict) and "thinkingConfig" in config:
            rest = {k: v for k, v in config.items() if k != "thinkingConfig"}
            return {**{k: v for k, v in body.items() if k != "generationConfig"},
                    **({"generationConfig": rest} if rest else {})}
        return None

    def models_request(self, url: str, page: str | None) -> Request:
        if page:
            url += ("&" if "?" in url else "?") + "pageToken=" + quote(page, safe="")
        return Request(url, method="GET")

    def decoder(self) -> GeminiStreamDecoder:
        return GeminiStreamDecoder()

    def parse_completion(self, obj: Any) -> Completion:
        return parse_generate_content(obj)

    def parse_models(self, obj: Any) -> ModelPage | None:
        if not isinstance(obj, dict) or not isinstance(obj.get("models", []), list):
            return None
        if "models" not in obj and "nextPageToken" not in obj:
            return None if obj else ModelPage([])  # {} is an empty list
        ids = []
        for item in obj.get("models") or []:
            name = item.get("name") if isinstance(item, dict) else None
            if isinstance(name, str) and name:
                ids.append(name.removeprefix("models/"))
        token = obj.get("nextPageToken")
        return ModelPage(sorted(set(ids)), token if isinstance(token, str) and token else None)

    def parse_error(self, raw: bytes, content_type: str) -> ErrorBody:
        detail, is_html = server_text(raw, content_type)
        try:
            obj = json.loads(raw)
        except ValueError:
            return ErrorBody(detail, is_html)
        if isinstance(obj, list) and obj:
            obj = obj[0]
        err = obj.get("error") if isinstance(obj, dict) else None
        details = err.get("details") if isinstance(err, dict) else None
        key_rejected, wait = False, None
        for d in details if isinstance(details, list) else []:
            if not isinstance(d, dict):
                continue
            if d.get("reason") == "API_KEY_INVALID":
                key_rejected = True
            delay = d.get("retryDelay")
            if isinstance(delay, str) and re.fullmatch(r"\d+(\.\d+)?s", delay):
                wait = float(delay[:-1])
        return ErrorBody(detail, is_html, key_rejected=key_rejected, retry_after=wait)
