"""Local servers speaking three providers' wire formats over a real socket (not tests).

Written from the public API references (see cherry_tui/core/providers/*.py for what was
checked), plain HTTP on 127.0.0.1:

* ``responses``  OpenAI Responses: ``POST /v1/responses`` (typed SSE events, no [DONE]),
                 ``GET /v1/models``; key as ``Authorization: Bearer``.
* ``gemini``     Gemini native: ``POST /v1beta/models/M:streamGenerateContent?alt=sse``
                 and ``:generateContent``, ``GET /v1beta/models`` paged with
                 ``pageToken``/``nextPageToken``; key in ``x-goog-api-key``.
* ``azure``      Azure OpenAI: ``POST /openai/deployments/D/chat/completions?api-version=V``
                 and ``POST /openai/v1/chat/completions``, ``GET /openai/models?api-version=V``
                 and ``/openai/v1/models``; key in ``api-key``.

Each answers a wrong key, an unknown model or deployment, a wrong path and a rate limit
with that provider's own error shape. ``Wire.fault`` scripts one failure: ``"cut"`` (the
stream stops mid-answer), ``"error"`` (an error event mid-stream), ``"rate"`` (429),
``"no-thinking"`` (Gemini: 400 for a request asking for thoughts).
Every request is journaled (method, path with query, headers, JSON body).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .local import LocalServer, QuietHandler

KEY = "sk-wire-0123456789abcdefSECRET"
MODEL = "wire-model"  # Gemini model id, Azure deployment name, Responses model
AZURE_VERSION = "2024-10-21"
MODELS = ["gemini-2.0-flash", "gemini-2.5-flash", "gemini-2.5-pro", "text-embedding-004",
          "wire-model"]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Wire:
    kind: str  # responses | gemini | azure
    port: int = 0
    pieces: list[str] = field(default_factory=lambda: ["Hel", "lo ", "there"])
    thoughts: list[str] = field(default_factory=lambda: ["Thinking", " hard"])
    fault: str | None = None
    retry_after: str = "1"
    seen: list[Seen] = field(default_factory=list)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def reasoning(self) -> str:
        return "".join(self.thoughts)


# ------------------------------------------------------------------ the formats
def _responses_events(w: Wire) -> list[tuple[str, dict[str, Any]]]:
    usage = {"input_tokens": 7, "output_tokens": 5, "total_tokens": 12,
             "output_tokens_details": {"reasoning_tokens": 2}}
    ev: list[tuple[str, dict[str, Any]]] = [
        ("response.created", {"response": {"id": "resp_1", "status": "in_progress"}}),
        ("response.reasoning_summary_part.added", {"summary_index": 0}),
        *[("response.reasoning_summary_text.delta", {"item_id": "rs_1", "summary_index": 0,
                                                     "delta": t}) for t in w.thoughts],
        ("response.output_item.added", {"item": {"type": "message", "id": "msg_1"}}),
        *[("response.output_text.delta", {"item_id": "msg_1", "output_index": 1,
                                          "content_index": 0, "delta": t}) for t in w.pieces],
        ("response.output_text.done", {"text": w.text}),
        ("response.completed", {"response": {"id": "resp_1", "status": "completed",
                                             "usage": usage}}),
    ]
    return [(name, {"type": name, "sequence_number": i, **data})
            for i, (name, data) in enumerate(ev)]


def _responses_whole(w: Wire) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "status": "completed", "error": None,
            "output": [
                {"type": "reasoning", "id": "rs_1",
                 "summary": [{"type": "summary_text", "text": w.reasoning}]},
                {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                 "content": [{"type": "output_text", "text": w.text, "annotations": []}]}],
            "usage": {"input_tokens": 7, "output_tokens": 5, "total_tokens": 12}}


def _gemini_chunks(w: Wire) -> list[dict[str, Any]]:
    parts = [[{"text": t, "thought": True}] for t in w.thoughts] + [[{"text": t}]
                                                                      for t in w.pieces]
    chunks = [{"candidates": [{"content": {"role": "model", "parts": p}, "index": 0}],
               "modelVersion": MODEL} for p in parts]
    chunks[-1]["candidates"][0]["finishReason"] = "STOP"
    chunks[-1]["usageMetadata"] = {"promptTokenCount": 7, "candidatesTokenCount": 3,
                                   "thoughtsTokenCount": 2, "totalTokenCount": 12}
    return chunks


def _azure_chunks(w: Wire) -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4o"}
    out: list[dict[str, Any]] = [{"id": "", "object": "", "model": "", "choices": [],
                                  "prompt_filter_results": [{"prompt_index": 0}]}]
    out += [{**base, "choices": [{"index": 0, "delta": {"content": t}, "finish_reason": None}]}
            for t in w.pieces]
    out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    out.append({**base, "choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 3,
                                                 "total_tokens": 10}})
    return out


def _azure_whole(w: Wire) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": w.text}}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}}


# ------------------------------------------------------------------ errors, per provider
def _bad_key(kind: str) -> tuple[int, dict[str, Any]]:
    if kind == "gemini":
        return 400, {"error": {"code": 400, "message": "API key not valid. Please pass a valid "
                               "API key.", "status": "INVALID_ARGUMENT", "details": [
                                   {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                    "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}
    if kind == "azure":
        return 401, {"error": {"code": "401", "message": "Access denied due to invalid "
                               "subscription key or wrong API endpoint. Make sure to provide "
                               "a valid key for an active subscription and use a correct "
                               "regional API endpoint for your resource."}}
    return 401, {"error": {"message": "Incorrect API key provided.", "type":
                           "invalid_request_error", "param": None, "code": "invalid_api_key"}}


def _bad_model(kind: str, model: str) -> tuple[int, dict[str, Any]]:
    if kind == "gemini":
        return 404, {"error": {"code": 404, "message": f"models/{model} is not found for API "
                               "version v1beta, or is not supported for generateContent. "
                               "Call ListModels to see the list of available models and "
                               "their supported methods.", "status": "NOT_FOUND"}}
    if kind == "azure":
        return 404, {"error": {"code": "DeploymentNotFound", "message": "The API deployment "
                               "for this resource does not exist. If you created the "
                               "deployment within the last 5 minutes, please wait a moment "
                               "and try again."}}
    return 400, {"error": {"message": f"The requested model '{model}' does not exist.",
                           "type": "invalid_request_error", "param": "model",
                           "code": "model_not_found"}}


def _rate_limited(w: Wire) -> tuple[int, dict[str, Any], dict[str, str]]:
    if w.kind == "gemini":  # no header: the wait is in RetryInfo
        return 429, {"error": {"code": 429, "message": "You exceeded your current quota.",
                               "status": "RESOURCE_EXHAUSTED", "details": [
                                   {"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                    "retryDelay": f"{w.retry_after}s"}]}}, {}
    message = ("Requests to the ChatCompletions_Create Operation have exceeded token rate "
               "limit." if w.kind == "azure" else "Rate limit reached for requests")
    return 429, {"error": {"code": "429" if w.kind == "azure" else "rate_limit_exceeded",
                           "message": message}}, {"Retry-After": w.retry_after}


def _no_route(kind: str, path: str) -> tuple[int, Any, str]:
    if kind == "gemini":  # Google's front end answers an unknown path with a web page
        return 404, ("<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title>"
                     f"<p><b>404.</b> <ins>That's an error.</ins><p>The requested URL "
                     f"<code>{path}</code> was not found on this server.</html>"), "text/html"
    if kind == "azure":
        return 404, {"error": {"code": "404", "message": "Resource not found"}}, \
            "application/json"
    return 404, {"error": {"message": f"Invalid URL (POST {path})", "type":
                           "invalid_request_error"}}, "application/json"


# ------------------------------------------------------------------ the server
def _route(w: Wire, method: str, path: str, query: dict[str, list[str]]
           ) -> tuple[str, str | None, bool] | None:
    """(what, model, stream) for a known route, else None."""
    if w.kind == "responses":
        if path == "/v1/responses" and method == "POST":
            return "chat", None, False
        if path == "/v1/models" and method == "GET":
            return "models", None, False
    elif w.kind == "gemini":
        if path == "/v1beta/models" and method == "GET":
            return "models", None, False
        head, _, name = path.rpartition("/")
        model, _, verb = name.partition(":")
        if head == "/v1beta/models" and method == "POST" and verb in (
                "generateContent", "streamGenerateContent"):
            stream = verb == "streamGenerateContent"
            if stream and query.get("alt") != ["sse"]:
                return None  # only the SSE framing is served here
            return "chat", model, stream
    else:
        version = query.get("api-version", [None])[0]
        if path.startswith("/openai/v1/"):
            rest = path[len("/openai/v1/"):]
            if rest == "chat/completions" and method == "POST":
                return "chat", None, False
            if rest == "models" and method == "GET":
                return "models", None, False
            return None
        if version != AZURE_VERSION:
            return None
        if path == "/openai/models" and method == "GET":
            return "models", None, False
        parts = path.split("/")
        if (len(parts) == 6 and parts[1:3] == ["openai", "deployments"]
                and parts[4:] == ["chat", "completions"] and method == "POST"):
            return "chat", parts[3], False
    return None


def _handler(w: Wire) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):

        def _stream(self, events: list[str]) -> None:
            """Server-sent events, the body ending when the connection closes."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for event in events:
                self.wfile.write(event.encode())
                self.wfile.flush()
                time.sleep(0.005)

        def _sse(self, payloads: list[tuple[str | None, Any]], eol: str = "\n") -> list[str]:
            out = []
            for name, data in payloads:
                text = data if isinstance(data, str) else json.dumps(data)
                head = f"event: {name}{eol}" if name else ""
                out.append(f"{head}data: {text}{eol}{eol}")
            return out

        def _chat_stream(self) -> list[str]:
            if w.kind == "responses":
                events = _responses_events(w)
                sse = self._sse([(name, data) for name, data in events])
                middle = len(sse) - 3
                failed = {"type": "response.failed", "response": {"status": "failed", "error": {
                    "code": "server_error", "message": "The model crashed mid-answer."}}}
                error_event = ("response.failed", failed)
            elif w.kind == "gemini":
                sse = self._sse([(None, c) for c in _gemini_chunks(w)], eol="\r\n")
                middle = len(sse) - 1
                error_event = (None, {"error": {"code": 500, "message": "Internal error "
                                                "encountered.", "status": "INTERNAL"}})
            else:
                sse = self._sse([(None, c) for c in _azure_chunks(w)] + [(None, "[DONE]")])
                middle = len(sse) - 3
                error_event = (None, {"error": {"code": "content_filter", "message":
                                                "The response was filtered."}})
            if w.fault == "cut":
                return sse[:middle]
            if w.fault == "error":
                return sse[:middle] + self._sse([error_event])
            return sse

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            w.seen.append(Seen(self.command, self.path, dict(self.headers.items()), body))
            parts = urlsplit(self.path)
            route = _route(w, self.command, parts.path, parse_qs(parts.query))
            if route is None:
                status, page, ctype = _no_route(w.kind, parts.path)
                self._send(status, page, ctype)
                return
            what, model, stream = route
            key = {"responses": self.headers.get("Authorization"),
                   "gemini": self.headers.get("x-goog-api-key"),
                   "azure": self.headers.get("api-key")}[w.kind]
            if key not in (KEY, f"Bearer {KEY}"):
                self._send(*_bad_key(w.kind))
                return
            if w.fault == "rate":
                status, err, headers = _rate_limited(w)
                self._send(status, err, headers=headers)
                return
            if what == "models":
                self._models(parse_qs(parts.query))
                return
            config = (body or {}).get("generationConfig") or {}
            if w.fault == "no-thinking" and "thinkingConfig" in config:
                # A model without thinking refusing includeThoughts (wording ours).
                self._send(400, {"error": {"code": 400, "message": "Thinking is not enabled "
                                           "for this model.", "status": "INVALID_ARGUMENT"}})
                return
            model = model or (body or {}).get("model")
            if model != MODEL:
                self._send(*_bad_model(w.kind, str(model)))
                return
            stream = stream or bool((body or {}).get("stream"))
            if stream:
                self._stream(self._chat_stream())
            elif w.kind == "responses":
                self._send(200, _responses_whole(w))
            elif w.kind == "gemini":
                merged = {"candidates": [{"content": {"role": "model", "parts": [
                    {"text": w.reasoning, "thought": True}, {"text": w.text}]},
                    "finishReason": "STOP", "index": 0}],
                    "usageMetadata": _gemini_chunks(w)[-1]["usageMetadata"]}
                self._send(200, merged)
            else:
                self._send(200, _azure_whole(w))

        def _models(self, query: dict[str, list[str]]) -> None:
            if w.kind != "gemini":
                self._send(200, {"object": "list", "data": [{"id": m, "object": "model"}
                                                            for m in MODELS]})
                return
            page = int(query.get("pageToken", ["0"])[0])  # two models a page
            items = [{"name": f"models/{m}", "displayName": m,
                      "supportedGenerationMethods": ["generateContent"]}
                     for m in MODELS[page * 2:page * 2 + 2]]
            out: dict[str, Any] = {"models": items}
            if page * 2 + 2 < len(MODELS):
                out["nextPageToken"] = str(page + 1)
            self._send(200, out)

        do_GET = do_POST = _handle

    return Handler


class Serving:
    """A wire server on a thread: ``with Serving("gemini") as w: ...``."""

    def __init__(self, kind: str) -> None:
        self.wire = Wire(kind)
        self.local = LocalServer(_handler(self.wire))
        self.wire.port = self.local.port

    def __enter__(self) -> Wire:
        self.local.start()
        return self.wire

    def __exit__(self, *exc: object) -> None:
        self.local.stop()
