"""The one small interface every wire protocol implements, and what it is handed.

Like httpx's ``BaseTransport``: the client (``client.py``) owns the HTTP session, key
pool, retries, size caps and error wording; a protocol module only knows its wire
format. A :class:`WireProtocol`

* builds the chat request (URL, extra headers, JSON body) for a streamed or whole answer,
  and the headers that carry a key;
* decodes stream events (an object with ``feed``/``end``, fed parsed SSE events);
* parses a non-streamed answer, a model list (one page), and an error body.

Adding a protocol: one new module implementing this, and one line in ``PROTOCOLS``
(``providers/__init__.py``).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..addresses import Resolved, rule_hint
from ..config import Provider
from ..keypool import KeyPool
from ..secrets import scrub
from .errors import EXCERPT, ProviderError, StreamProblem, server_text
from .events import Completion, Event
from .sse import SSEEvent


@dataclass(frozen=True)
class ChatCall:
    """One chat request as the caller asked for it, before any wire format."""

    model: str
    messages: list[dict[str, Any]]
    stream: bool
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    # Optional fields a server may refuse (OpenAI's stream_options, Gemini's includeThoughts):
    # after one refusal the client asks that provider without them.
    extras: bool = True

    def system_text(self) -> str:
        """The system messages joined: for protocols that take the system prompt apart
        from the conversation (Anthropic, Responses, Gemini)."""
        return "\n\n".join(str(m.get("content") or "") for m in self.messages
                           if m.get("role") == "system")

    def sampling(self) -> dict[str, Any]:
        """``temperature``, ``top_p`` and ``stream`` as the OpenAI-style bodies name them,
        only those the caller set."""
        out: dict[str, Any] = {}
        if self.temperature is not None:
            out["temperature"] = self.temperature
        if self.top_p is not None:
            out["top_p"] = self.top_p
        if self.stream:
            out["stream"] = True
        return out


@dataclass(frozen=True)
class Request:
    """What to send: the URL, headers beyond auth and Accept, and the JSON body."""

    url: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"


@dataclass(frozen=True)
class ErrorBody:
    """An error answer's body as the user should hear it."""

    detail: str  # one line ("" for an empty body)
    is_html: bool = False  # a web page: the address points at a site, not the API
    key_rejected: bool = False  # the key is wrong although the status is not 401/403
    retry_after: float | None = None  # a wait the body asks for (no Retry-After header)


@dataclass(frozen=True)
class ModelPage:
    ids: list[str]
    next_page: str | None = None  # a page token to ask for the next page with


class StreamDecoder(Protocol):
    """Parsed SSE events -> typed events. ``done`` once the protocol's end event came."""

    done: bool

    def feed(self, ev: SSEEvent) -> list[Event]: ...

    def end(self) -> list[Event]:
        """The stream ended: the last events, or StreamProblem('truncated')."""
        ...


class WireProtocol(ABC):
    """One provider type's wire format (see the module docstring)."""

    @abstractmethod
    def headers(self, key: str | None) -> dict[str, str]:
        """Headers every request of this protocol carries (the key's header, if any)."""

    @abstractmethod
    def chat_request(self, resolved: Resolved, call: ChatCall) -> Request: ...

    def drop_refused(self, body: dict[str, Any], detail: str) -> dict[str, Any] | None:
        """``body`` without the optional field a 400/422 ``detail`` refuses, or None."""
        return None

    def models_request(self, url: str, page: str | None) -> Request:
        return Request(url, method="GET")

    @abstractmethod
    def decoder(self) -> StreamDecoder: ...

    @abstractmethod
    def parse_completion(self, obj: Any) -> Completion:
        """A whole answer's JSON; StreamProblem('malformed') when it is not one."""

    def parse_models(self, obj: Any) -> ModelPage | None:
        ids = parse_model_list(obj)
        return None if ids is None else ModelPage(ids)

    def parse_error(self, raw: bytes, content_type: str) -> ErrorBody:
        detail, is_html = server_text(raw, content_type)
        return ErrorBody(detail, is_html)


def event_json(data: str) -> dict[str, Any]:
    """One SSE event's JSON object; anything else is a malformed chunk."""
    try:
        obj = json.loads(data)
    except ValueError:
        raise StreamProblem("malformed", data) from None
    if not isinstance(obj, dict):
        raise StreamProblem("malformed", data)
    return obj


def malformed(obj: Any) -> StreamProblem:
    return StreamProblem("malformed", json.dumps(obj)[:EXCERPT])


def parse_model_list(obj: Any) -> list[str] | None:
    """Model ids from ``{"data": [{"id": ...}]}`` (OpenAI) or ``{"models": [...]}``
    (Ollama: ``name``/``model``), sorted and unique; None when it is no model list."""
    items: Any = None
    if isinstance(obj, dict):
        items = obj.get("data") if isinstance(obj.get("data"), list) else obj.get("models")
    elif isinstance(obj, list):
        items = obj
    if not isinstance(items, list):
        return None
    ids: set[str] = set()
    for item in items:
        if isinstance(item, str) and item:
            ids.add(item)
        elif isinstance(item, dict):
            mid = item.get("id") or item.get("model") or item.get("name")
            if isinstance(mid, str) and mid:
                ids.add(mid)
    return sorted(ids)


@dataclass
class Target:
    """One provider, ready to call: protocol, URLs, keys, and scrubbed errors."""

    provider: Provider
    keys: tuple[str, ...]
    pool: KeyPool
    resolved: Resolved
    protocol: WireProtocol

    @property
    def label(self) -> str:
        p = self.provider
        return p.name if p.name == p.id else f"{p.name} ({p.id})"

    def error(self, kind: str, message: str, **kw: Any) -> ProviderError:
        keys = list(self.keys)
        if kw.get("url"):
            kw["url"] = scrub(kw["url"], keys)
        if kw.get("partial"):
            kw["partial"] = scrub(kw["partial"], keys)
        return ProviderError(kind, scrub(message, keys), **kw)

    def rule_hint(self) -> str:
        return rule_hint(self.provider.address, self.provider.type)

    def urls(self, model: str) -> Resolved:
        """The URLs for a request to ``model`` (Gemini's and Azure's URLs hold it)."""
        return self.provider.resolved(model)
