"""The provider client: models, checks and chat completions over HTTP (httpx).

Pure logic, no Textual import. One :class:`Client` per app holds one shared
``httpx.AsyncClient`` (keep-alive); every URL comes from
:func:`cherry_tui.core.addresses.resolve`, so the editor's preview, ``cherry-tui url``
and the real requests agree.

Streaming is split into pure parts that tests can feed byte by byte:

* :class:`SSEParser`        bytes -> server-sent events (CRLF, CR, comments, ``data:``
                            without a space, events split across reads);
* :class:`ThinkSplitter`    content text -> content / reasoning (inline ``<think>``);
* :class:`OpenAIStreamDecoder`, :class:`AnthropicStreamDecoder`
                            events -> typed :data:`Event` values.

Every failure becomes a :class:`ProviderError` whose message is one line saying what
is wrong and what to do about it. Keys never appear in a message: only their masked
form (``sk-1****abcd``), and any server text is scrubbed of them.
"""

from __future__ import annotations

import asyncio
import email.utils
import html
import json
import os
import re
import socket
import ssl
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from .. import __version__
from .addresses import ENDPOINTS, AddressError, Resolved, resolve, rule_hint, swap_scheme
from .config import Provider
from .secrets import KeyPool, held_tail, mask, scrub
from .text import count, inert, inert_line

__all__ = [
    "MAX_ANSWER_BYTES", "AnthropicStreamDecoder", "CheckResult", "Client",
    "ContentDelta", "Event", "Finish", "OpenAIStreamDecoder", "ProviderError",
    "ReasoningDelta", "SSEEvent", "SSEParser", "ThinkSplitter", "Usage", "Waiting",
    "answer_limit", "neutralize_controls", "parse_model_list", "proxy_for", "socks_missing",
]

ANTHROPIC_VERSION = "2023-06-01"
ANTHROPIC_DEFAULT_MAX_TOKENS = 4096
_ERROR_BODY_LIMIT = 64 * 1024
_EXCERPT = 160
MAX_ANSWER_BYTES = 32 * 1024 * 1024  # default cap on one answer (config: max_answer_bytes)


# ============================================================================ errors
class ProviderError(Exception):
    """A request failed. ``message`` is one line: what is wrong and what to fix.

    The message holds server text, so it is made inert (no terminal controls) here,
    once, for every place that shows it.
    """

    def __init__(self, kind: str, message: str, *, status: int | None = None,
                 url: str | None = None, retry_after: float | None = None,
                 partial: str = ""):
        message = inert_line(_one_line(message))
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.url = url
        self.message = message
        self.retry_after = retry_after  # seconds the server asked to wait (429)
        self.partial = partial  # content text that arrived before a stream failed

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"ProviderError({self.kind!r}, {self.message!r}, status={self.status!r})"


def _one_line(text: str) -> str:
    return re.sub(r"\s*[\r\n]+\s*", " ", str(text)).strip()


class _StreamProblem(Exception):
    """Raised by the pure decoders; the client turns it into a ProviderError."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(detail)
        self.kind = kind  # "malformed" | "error" | "truncated"
        self.detail = detail


# ============================================================================ events
@dataclass(frozen=True)
class ContentDelta:
    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None


@dataclass(frozen=True)
class Finish:
    """Always the last event of a stream that completed; ``reason`` as the server said."""

    reason: str | None


@dataclass(frozen=True)
class Waiting:
    """The client is about to wait ``seconds`` before trying again (a 429 Retry-After).

    Sent before the pause so a UI can say "rate limited, retrying in N s"; stopping the
    consumer during the pause stops the request.
    """

    seconds: float
    reason: str  # one line, e.g. "Mock is rate limiting requests (HTTP 429: slow down)"
    attempt: int  # the try that comes after the pause (2 for the first retry)


Event = ContentDelta | ReasoningDelta | Usage | Finish | Waiting


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    latency: float  # seconds
    message: str
    model: str | None
    kind: str | None = None  # ProviderError.kind when not ok


# ============================================================================ SSE
@dataclass(frozen=True)
class SSEEvent:
    data: str
    event: str | None = None


class SSEParser:
    """Incremental server-sent-events parser (WHATWG rules), fed raw bytes.

    Lines end with LF, CRLF or CR (a CR at the end of one read and the LF at the
    start of the next count once). Comment lines (``: keep-alive``) are ignored;
    ``data:`` with or without a space; several ``data`` lines join with LF.

    Linear in the stream's length: each read is scanned once for line ends, and the
    pieces of a line that spans many reads are kept in a list and joined once when
    its end arrives (one 20 MB ``data:`` line costs what its bytes cost).
    """

    _EOL = re.compile(rb"\r\n|\r|\n")

    def __init__(self) -> None:
        self._pieces: list[bytes] = []  # the current line, not yet ended
        self._skip_lf = False
        self._data: list[str] = []
        self._event: str | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        out: list[SSEEvent] = []
        if self._skip_lf and chunk:
            if chunk.startswith(b"\n"):
                chunk = chunk[1:]
            self._skip_lf = False
        start = 0
        for m in self._EOL.finditer(chunk):
            piece = chunk[start:m.start()]
            if self._pieces:
                self._pieces.append(piece)
                piece = b"".join(self._pieces)
                self._pieces = []
            self._line(piece, out)
            start = m.end()
            if m.group() == b"\r" and m.end() == len(chunk):
                self._skip_lf = True  # a CRLF may be split across reads
        if start < len(chunk):
            self._pieces.append(chunk[start:])
        return out

    def close(self) -> list[SSEEvent]:
        """End of stream: a last line without its newline still counts."""
        out: list[SSEEvent] = []
        if self._pieces:
            line, self._pieces = b"".join(self._pieces), []
            self._line(line, out)
        self._dispatch(out)
        return out

    def _line(self, raw: bytes, out: list[SSEEvent]) -> None:
        if not raw:
            self._dispatch(out)
            return
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(":"):
            return  # comment / keep-alive
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        # id, retry and unknown fields are ignored

    def _dispatch(self, out: list[SSEEvent]) -> None:
        if self._data:
            out.append(SSEEvent("\n".join(self._data), self._event))
        self._data = []
        self._event = None


# ============================================================================ <think>
def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper start of ``tag``."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0


class ThinkSplitter:
    """Splits inline ``<think>...</think>`` at the start of an answer into reasoning.

    Tags may be split across chunks. Only a ``<think>`` that opens the answer
    (after white space) counts, so an answer that talks about the tag is left alone.
    """

    OPEN, CLOSE = "<think>", "</think>"

    def __init__(self) -> None:
        self._state = "start"  # start | think | after | content
        self._buf = ""

    def feed(self, text: str) -> list[Event]:
        out: list[Event] = []
        self._buf += text
        while self._buf:
            if self._state == "start":
                stripped = self._buf.lstrip()
                if not stripped:
                    break
                if stripped.startswith(self.OPEN):
                    self._state, self._buf = "think", stripped[len(self.OPEN):]
                    continue
                if self.OPEN.startswith(stripped):
                    break  # maybe the start of the tag: wait for more
                self._state = "content"
            elif self._state == "think":
                i = self._buf.find(self.CLOSE)
                if i >= 0:
                    if i:
                        out.append(ReasoningDelta(self._buf[:i]))
                    self._state, self._buf = "after", self._buf[i + len(self.CLOSE):]
                    continue
                keep = _partial_suffix(self._buf, self.CLOSE)
                emit = self._buf[: len(self._buf) - keep]
                if emit:
                    out.append(ReasoningDelta(emit))
                self._buf = self._buf[len(emit):]
                break
            elif self._state == "after":
                stripped = self._buf.lstrip()
                if not stripped:
                    self._buf = ""
                    break
                self._state, self._buf = "content", stripped
            else:
                out.append(ContentDelta(self._buf))
                self._buf = ""
        return out

    def flush(self) -> list[Event]:
        buf, self._buf = self._buf, ""
        if not buf:
            return []
        if self._state == "think":
            return [ReasoningDelta(buf)]
        if self._state == "after":
            return []
        return [ContentDelta(buf)]


# ============================================================================ decoders
def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _excerpt(text: str, limit: int = 60) -> str:
    text = _one_line(text)
    return text if len(text) <= limit else text[:limit] + "..."


def _error_text(err: Any) -> str:
    if isinstance(err, dict):
        msg = err.get("message") or err.get("msg") or err.get("detail") or err.get("type")
        code = err.get("code") or err.get("type")
        text = str(msg) if msg else json.dumps(err)[:_EXCERPT]
        if code and str(code) not in text:
            text += f" [{code}]"
        return text
    return str(err)


def _event_json(data: str) -> dict[str, Any]:
    """One SSE event's JSON object; anything else is a malformed chunk."""
    try:
        obj = json.loads(data)
    except ValueError:
        raise _StreamProblem("malformed", data) from None
    if not isinstance(obj, dict):
        raise _StreamProblem("malformed", data)
    return obj


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
        obj = _event_json(data)
        if obj.get("error") or ev.event == "error":
            raise _StreamProblem("error", _error_text(obj.get("error") or obj))
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
        usage = obj.get("usage")
        if isinstance(usage, dict):
            self.usage = Usage(_int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens")),
                               _int(usage.get("total_tokens")))
            out.append(self.usage)
        return out

    def end(self) -> list[Event]:
        """The stream ended: the last events, or _StreamProblem('truncated')."""
        out = self._think.flush()
        if not self.done and self.finish_reason is None:
            raise _StreamProblem("truncated")
        return [*out, Finish(self.finish_reason)]


_ANTHROPIC_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
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
        obj = _event_json(data)
        kind = obj.get("type") or ev.event
        if kind == "error" or obj.get("error"):
            raise _StreamProblem("error", _error_text(obj.get("error") or obj))
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
                self.finish_reason = _ANTHROPIC_FINISH.get(reason, str(reason))
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
            raise _StreamProblem("truncated")
        return [Finish(self.finish_reason)]


def parse_openai_completion(obj: Any) -> tuple[str, str, Usage | None, str | None]:
    """A non-streamed chat completion -> (text, reasoning, usage, finish_reason)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("choices"), list) or not obj["choices"]:
        raise _StreamProblem("malformed", json.dumps(obj)[:_EXCERPT])
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
    usage = obj.get("usage")
    u = (Usage(_int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens")),
               _int(usage.get("total_tokens"))) if isinstance(usage, dict) else None)
    finish = choice.get("finish_reason")
    return text, reasoning, u, str(finish) if finish else None


def parse_anthropic_message(obj: Any) -> tuple[str, str, Usage | None, str | None]:
    if not isinstance(obj, dict) or not isinstance(obj.get("content"), list):
        raise _StreamProblem("malformed", json.dumps(obj)[:_EXCERPT])
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
    return text, reasoning, u, _ANTHROPIC_FINISH.get(reason, reason) if reason else None


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


# ============================================================================ terminal
def neutralize_controls(text: str) -> str:
    """The outside-text gate (kept under its old name): see :mod:`cherry_tui.core.text`."""
    return inert(text)


# ============================================================================ HTTP helpers
def _server_text(body: bytes, content_type: str) -> tuple[str, bool]:
    """(a short, one-line account of an error body, is it an HTML page)."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return "", False
    try:
        obj = json.loads(text)
    except ValueError:
        obj = None
    if isinstance(obj, dict):
        for field in ("error", "message", "detail", "msg", "error_msg", "errorMessage"):
            val = obj.get(field)
            if val:
                if isinstance(val, list) and val and isinstance(val[0], dict):
                    val = val[0].get("msg") or val[0]
                return _excerpt(_error_text(val), _EXCERPT), False
        return _excerpt(text, _EXCERPT), False
    if obj is not None:
        return _excerpt(text, _EXCERPT), False
    if "html" in content_type.lower() or text.lstrip().startswith("<"):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
        bits = [title.group(1)] if title else []
        body_text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.I | re.S)
        body_text = html.unescape(re.sub(r"<[^>]+>", " ", body_text))
        bits.append(body_text)
        page = " ".join(" ".join(b.split()) for b in bits if b.strip())
        return f'an HTML page: "{_excerpt(page, 100)}"', True
    return f'"{_excerpt(text, 100)}"', False


def _retry_after(headers: httpx.Headers) -> float | None:
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _hostport(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


async def _speaks_tls(host: str, port: int, timeout: float) -> bool:
    """Does host:port complete a TLS handshake? (certificate not checked: a probe only)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ctx, server_hostname=host), timeout)
    except (OSError, asyncio.TimeoutError, ssl.SSLError):
        return False
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    except (OSError, asyncio.TimeoutError, ssl.SSLError):
        pass
    return True


# ============================================================================ answer size
def answer_limit(value: Any) -> tuple[int, str | None]:
    """The config's ``max_answer_bytes`` -> (bytes, a one-line problem or None).

    Unset gives :data:`MAX_ANSWER_BYTES`; a value that is not a positive whole number
    gives the default and says so.
    """
    if value is None:
        return MAX_ANSWER_BYTES, None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value, None
    return MAX_ANSWER_BYTES, (
        f"max_answer_bytes = {inert_line(repr(value))} in the config file is not a positive "
        f"whole number of bytes (e.g. 33554432): using {MAX_ANSWER_BYTES}")


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.3g} MB" if n >= 1024 * 1024 else f"{n} bytes"


# ============================================================================ stream scrubbing
class _StreamScrub:
    """Masks keys in text that arrives in pieces (a key may be split between two).

    The few characters at the end that could begin a key part are held back until the
    next piece (or :meth:`flush`), so what is let out is always scrubbed.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = [k.strip() for k in keys if k and k.strip()]
        self._held = ""

    def feed(self, text: str) -> str:
        if not self._keys:
            return text
        text = self._held + text
        keep = held_tail(text, self._keys)
        self._held = text[len(text) - keep:] if keep else ""
        return scrub(text[:len(text) - keep], self._keys)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return scrub(held, self._keys) if held else ""


# ============================================================================ key checks
def _key_fix(p: Provider, one: str = "the right one") -> str:
    """How to store ``one`` (a key), for the provider's key source (keyring, file, env)."""
    if p.key and p.key.startswith("env:"):
        var = p.key[4:]
        return f"put {one} in the environment variable {var} (export {var}=...)"
    if p.key == "file":
        return f"store {one} with `cherry-tui key set {p.id} --file`"
    extra = f" (or set the environment variable {p.env})" if p.env and p.key is None else ""
    return f"store {one} with `cherry-tui key set {p.id}`{extra}"


def _key_problem(key: str) -> tuple[int, str] | None:
    """(1-based position, what) of the first character that cannot be in an API key."""
    for i, ch in enumerate(key, 1):
        code = ord(ch)
        if 0x21 <= code <= 0x7E:
            continue
        if ch.isspace() or not ch.isprintable():  # zero-width space, BOM, NBSP, ...
            return i, f"an invisible character (U+{code:04X})"
        return i, f"a non-ASCII character (U+{code:04X})"
    return None


# ============================================================================ proxies
_PROXY_VARS = {"https": ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"),
               "http": ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")}


def proxy_for(url: str) -> tuple[str, str] | None:
    """(variable name, proxy address without credentials) that httpx uses for ``url``."""
    parts = urlsplit(url)
    for var in _PROXY_VARS.get(parts.scheme, ()):
        value = os.environ.get(var, "").strip()
        if value:
            if parts.hostname and _no_proxy(parts.hostname):
                return None
            proxy = urlsplit(value if "://" in value else f"http://{value}")
            where = f"{proxy.scheme}://{proxy.hostname}" + (f":{proxy.port}" if proxy.port else "")
            return var, where
    return None


def _no_proxy(host: str) -> bool:
    """Does NO_PROXY exempt ``host`` (``*``, the host itself, or a domain it is in)?"""
    value = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    for entry in (e.strip().lower().lstrip(".") for e in value.split(",")):
        if entry == "*" or (entry and (host.lower() == entry or host.lower().endswith(
                "." + entry))):
            return True
    return False


def socks_missing() -> str | None:
    """A one-line problem when a SOCKS proxy is set but socksio is not installed."""
    for var in ("ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
                "http_proxy"):
        if os.environ.get(var, "").strip().lower().startswith("socks"):
            try:
                import socksio  # noqa: F401 - httpx needs it for socks5://
            except ImportError:
                return (f"{var} names a SOCKS proxy, but the socksio package is not installed: "
                        "pip install 'httpx[socks]' (or unset the variable)")
            return None
    return None


# ============================================================================ the client
@dataclass
class _Target:
    """One provider, ready to call: URLs, keys, and a way to build scrubbed errors."""

    provider: Provider
    keys: tuple[str, ...]
    pool: KeyPool
    resolved: Resolved

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


class Client:
    """Talks to providers. One instance per app; close it with :meth:`aclose`."""

    def __init__(self, *, connect_timeout: float = 10.0, read_timeout: float = 60.0,
                 max_retries: int = 2, max_retry_wait: float = 30.0,
                 verify: bool | ssl.SSLContext = True,
                 max_answer_bytes: int = MAX_ANSWER_BYTES):
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_retries = max_retries  # extra attempts after a 429, before any token
        self.max_retry_wait = max_retry_wait  # a longer Retry-After is reported, not waited
        self.max_answer_bytes = max_answer_bytes  # one answer's body; more is cut with a message
        # A SOCKS proxy without socksio: every request says so (httpx would raise ImportError).
        self._proxy_problem = socks_missing()
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10,
                                keepalive_expiry=60.0),
            follow_redirects=False,
            verify=verify,
            headers={"User-Agent": f"cherry-tui/{__version__}"},
            trust_env=self._proxy_problem is None,
        )
        self._pools: dict[str, tuple[tuple[str, ...], KeyPool]] = {}
        self._no_stream_options: set[str] = set()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        return self._http.is_closed

    # ------------------------------------------------------------------ preparing
    def _target(self, provider: Provider, keys: Sequence[str]) -> _Target:
        keys = tuple(k for k in (keys or ()) if k)
        label = provider.name if provider.name == provider.id else f"{provider.name} ({provider.id})"
        if provider.problems:
            raise ProviderError("config", scrub(
                f"{label} is not set up correctly: {'; '.join(provider.problems)} "
                "(fix it in the provider editor or the config file)", list(keys)))
        try:
            resolved = resolve(provider.address, provider.type)
        except AddressError as exc:
            raise ProviderError("config", scrub(f"{label}: {exc}", list(keys))) from None
        if not keys and provider.needs_key:
            raise ProviderError("no_key", self._no_key_message(provider, label))
        for n, key in enumerate(keys, 1):
            bad = _key_problem(key)
            if bad:
                which = f"key {n} of {len(keys)}" if len(keys) > 1 else "key"
                raise ProviderError("config", (
                    f"the API {which} of {label} contains {bad[1]} at position {bad[0]} (often "
                    f"pasted along with it): {_key_fix(provider, 'a clean copy')}"))
        if self._proxy_problem:
            raise ProviderError("proxy", self._proxy_problem)
        cached = self._pools.get(provider.id)
        if cached is None or cached[0] != keys:
            cached = (keys, KeyPool(keys))
            self._pools[provider.id] = cached
        return _Target(provider, keys, cached[1], resolved)

    @staticmethod
    def _no_key_message(p: Provider, label: str) -> str:
        if p.key and p.key.startswith("env:"):
            var = p.key[4:]
            return (f"no API key for {label}: the environment variable {var} is not set "
                    f"(export {var}=... or store the key with `cherry-tui key set {p.id}`)")
        if p.key == "file":
            return (f"no API key for {label} in the secrets file: store one with "
                    f"`cherry-tui key set {p.id} --file`")
        env = f", or set the environment variable {p.env}" if p.env else \
            f", or read it from a variable with `cherry-tui key env {p.id} VAR`"
        return f"no API key for {label}: store one with `cherry-tui key set {p.id}`{env}"

    def _headers(self, t: _Target, key: str | None, *, stream: bool) -> dict[str, str]:
        headers = {"Accept": "text/event-stream" if stream else "application/json"}
        if t.provider.type == "anthropic":
            headers["anthropic-version"] = ANTHROPIC_VERSION
            if key:
                headers["x-api-key"] = key
        elif key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _chat_body(self, t: _Target, model: str, messages: list[dict], *, stream: bool,
                   temperature: float | None, max_tokens: int | None) -> dict[str, Any]:
        if t.provider.type == "anthropic":
            system = "\n\n".join(str(m.get("content") or "") for m in messages
                                 if m.get("role") == "system")
            body: dict[str, Any] = {
                "model": model,
                "messages": [m for m in messages if m.get("role") != "system"],
                "max_tokens": max_tokens or ANTHROPIC_DEFAULT_MAX_TOKENS,
            }
            if system:
                body["system"] = system
        else:
            body = {"model": model, "messages": messages}
            if max_tokens is not None:
                body["max_tokens"] = max_tokens
        if temperature is not None:
            body["temperature"] = temperature
        if stream:
            body["stream"] = True
            if t.provider.type == "openai" and t.provider.id not in self._no_stream_options:
                body["stream_options"] = {"include_usage": True}
        return body

    # ------------------------------------------------------------------ sending
    async def _open(self, t: _Target, method: str, url: str, *, body: dict | None = None,
                    stream: bool = False, model: str | None = None,
                    on_wait: Callable[[Waiting], None] | None = None) -> httpx.Response:
        """Send, with bounded retries on 429; returns an open (unread) 2xx response.

        ``on_wait`` hears of each pause before it starts.
        """
        response = None
        async for item in self._attempts(t, method, url, body=body, stream=stream, model=model):
            if isinstance(item, Waiting):
                if on_wait is not None:
                    on_wait(item)
            else:
                response = item
        assert response is not None  # _attempts ends with a response or raises
        return response

    async def _attempts(self, t: _Target, method: str, url: str, *, body: dict | None,
                        stream: bool, model: str | None
                        ) -> AsyncGenerator[Waiting | httpx.Response, None]:
        """Yield a :class:`Waiting` before each pause of a 429 retry, then the response."""
        attempt = 0
        while True:
            key = t.pool.next()
            try:
                request = self._http.build_request(method, url, json=body,
                                                   headers=self._headers(t, key, stream=stream))
                response = await self._http.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise await self._transport_error(t, exc, url) from None
            except RuntimeError:  # the shared client was closed meanwhile
                if self._http.is_closed:
                    raise t.error("cancelled", f"the request to {t.label} was cancelled: the "
                                  "client was closed", url=url) from None
                raise
            if response.status_code < 300:
                yield response
                return
            try:
                raw = await self._read_limited(response)
            except httpx.HTTPError:
                raw = b""
            finally:
                await response.aclose()
            status = response.status_code
            detail, _ = _server_text(raw, response.headers.get("content-type", ""))
            if (stream and status in (400, 422) and "stream_options" in detail
                    and body and "stream_options" in body):
                # The server rejects stream_options: ask again without it (no usage then).
                self._no_stream_options.add(t.provider.id)
                body = {k: v for k, v in body.items() if k != "stream_options"}
                continue
            if status == 429 and attempt < self.max_retries:
                wait = _retry_after(response.headers)
                if wait is None:
                    wait = min(1.0 * 2 ** attempt, 8.0)
                if wait <= self.max_retry_wait:
                    attempt += 1
                    said = f": {detail}" if detail else ""
                    reason = scrub(inert_line(_one_line(
                        f"{t.label} is rate limiting requests (HTTP 429{said})")), list(t.keys))
                    yield Waiting(wait, reason, attempt + 1)
                    await asyncio.sleep(wait)
                    continue
            raise self._status_error(t, response, raw, url, key, model, attempt + 1)

    def _too_large(self, t: _Target, url: str, size: int, partial: str) -> ProviderError:
        kept = (f"the first {len(partial)} characters of the answer are kept" if partial
                else "no complete piece of text had arrived")
        return t.error("too_large", (
            f"the answer from {t.label} passed max_answer_bytes ({_size(self.max_answer_bytes)}; "
            f"{_size(size)} received), so it was stopped: {kept} - raise max_answer_bytes in "
            "the config file if answers this large are expected"), url=url, partial=partial)

    @staticmethod
    async def _read_limited(response: httpx.Response) -> bytes:
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= _ERROR_BODY_LIMIT:
                break
        return b"".join(chunks)

    def _status_error(self, t: _Target, response: httpx.Response, raw: bytes, url: str,
                      key: str | None, model: str | None, tries: int) -> ProviderError:
        status = response.status_code
        detail, is_html = _server_text(raw, response.headers.get("content-type", ""))
        said = f": {detail}" if detail else ""
        pid = t.provider.id
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            target = str(response.url.join(location)) if location else ""
            if target and urlsplit(target).scheme != urlsplit(url).scheme:
                return t.error("scheme", (
                    f"{url} redirects to {urlsplit(target).scheme}:// ({target}): use "
                    f"{swap_scheme(t.provider.address)} as the address of {t.label}"),
                    status=status, url=url)
            return t.error("bad_response", (
                f"{url} redirects (HTTP {status}) to {target or 'nowhere'}: set the address of "
                f"{t.label} to where the API really is"), status=status, url=url)
        if status in (401, 403):
            if not key:
                return t.error("auth", (
                    f"{t.label} needs an API key (HTTP {status}{said}): "
                    f"{_key_fix(t.provider, 'one')}"), status=status, url=url)
            if status == 401:
                msg = (f"{t.label} rejected the API key {mask(key)} (HTTP 401{said}): check the "
                       f"key, or {_key_fix(t.provider)}")
            else:
                msg = (f"{t.label} refused access with the API key {mask(key)} (HTTP 403{said}): "
                       "the key may lack access to this model or the account needs attention; "
                       f"check it, or {_key_fix(t.provider, 'another')}")
            return t.error("auth", msg, status=status, url=url)
        if status == 404:
            if model and "model" in detail.lower():
                return t.error("not_found", (
                    f"{t.label} does not know the model {model!r} (HTTP 404 from {url}{said}): "
                    f"check the model id (cherry-tui models {pid} lists them)"),
                    status=status, url=url)
            return t.error("not_found", (
                f"HTTP 404 from {url}{said}: the address of {t.label} or the model is wrong - "
                f"{t.rule_hint()}"), status=status, url=url)
        if status == 429:
            wait = _retry_after(response.headers)
            when = f"wait {wait:.3g} s" if wait is not None else "wait a little"
            return t.error("rate_limit", (
                f"{t.label} is rate limiting requests (HTTP 429{said}); gave up after "
                f"{tries} {'try' if tries == 1 else 'tries'}: {when} and try again, or check "
                "the plan's quota"), status=status, url=url, retry_after=wait)
        if status >= 500:
            extra = " - the address may point at a web page, not the API" if is_html else ""
            return t.error("server", (
                f"{t.label}'s server failed (HTTP {status}{said}) at {url}: try again later"
                f"{extra}"), status=status, url=url)
        if status == 400 and "http request was sent to https" in detail.lower():
            return t.error("scheme", (
                f"{_hostport(url)} speaks HTTPS but the address uses http://: use "
                f"{swap_scheme(t.provider.address)} as the address of {t.label}"),
                status=status, url=url)
        hint = f" - {t.rule_hint()}" if is_html or status == 405 else ""
        return t.error("bad_response", (
            f"{t.label} refused the request (HTTP {status}{said}) at {url}{hint}"),
            status=status, url=url)

    async def _transport_error(self, t: _Target, exc: httpx.HTTPError, url: str) -> ProviderError:
        """A failure before any response arrived."""
        hp = _hostport(url)
        parts = urlsplit(url)
        causes = _causes(exc)
        proxy = self._proxy_error(t, exc, url)
        if proxy is not None:
            return proxy
        if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
            return t.error("timeout", (
                f"no connection to {hp} within {self.connect_timeout:g} s for {t.label}: check "
                "the address, and that the server is reachable from this machine"), url=url)
        if isinstance(exc, httpx.TimeoutException):
            return t.error("timeout", (
                f"{t.label} did not answer within {self.read_timeout:g} s at {url}: the server is "
                "slow or stuck; try again"), url=url)
        if isinstance(exc, httpx.UnsupportedProtocol):
            return t.error("config", f"{url} cannot be called: {exc}", url=url)
        if isinstance(exc, httpx.ConnectError):
            for c in causes:
                if isinstance(c, socket.gaierror):
                    return t.error("dns", (
                        f"cannot find the host {parts.hostname!r} of {t.label} (DNS lookup "
                        "failed): check the address for typos, and the network or DNS of this "
                        "machine"), url=url)
                if isinstance(c, ssl.SSLCertVerificationError):
                    reason = getattr(c, "verify_message", None) or str(c)
                    return t.error("tls", (
                        f"the TLS certificate of {hp} is not trusted ({reason}): if this server "
                        "uses a self-signed or private certificate, add its CA to the system "
                        "trust store (or SSL_CERT_FILE); if it serves plain HTTP, use "
                        f"{swap_scheme(t.provider.address)}"), url=url)
            for c in causes:
                if isinstance(c, ssl.SSLError) or "SSL" in str(c):
                    text = str(c).upper()
                    if parts.scheme == "https" and any(s in text for s in (
                            "WRONG_VERSION_NUMBER", "RECORD_LAYER", "RECORD LAYER",
                            "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL")):
                        return t.error("scheme", (
                            f"{hp} speaks plain HTTP, not HTTPS: use "
                            f"{swap_scheme(t.provider.address)} as the address of {t.label}"),
                            url=url)
                    return t.error("tls", (
                        f"the TLS handshake with {hp} failed ({_excerpt(str(c), 100)}): check "
                        "that the address and port are right"), url=url)
            for c in causes:
                if isinstance(c, ConnectionRefusedError):
                    return t.error("connect", (
                        f"connection refused by {hp} for {t.label}: nothing is listening there - "
                        "is the server running, and are the host and port right?"), url=url)
            reason = next((str(c) for c in reversed(causes) if str(c)), type(exc).__name__)
            return t.error("connect", (
                f"cannot connect to {hp} for {t.label}: {_excerpt(reason, 100)} - check the "
                "address and the network"), url=url)
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            if parts.scheme == "http" and parts.hostname and await _speaks_tls(
                    parts.hostname, parts.port or 80, min(self.connect_timeout, 5.0)):
                return t.error("scheme", (
                    f"{hp} speaks HTTPS, not plain HTTP: use "
                    f"{swap_scheme(t.provider.address)} as the address of {t.label}"), url=url)
            return t.error("connect", (
                f"{hp} closed the connection without an HTTP answer for {t.label}: check the "
                "address and port, and whether the server needs https://"), url=url)
        return t.error("connect", f"the request to {t.label} failed: {_excerpt(str(exc), 100)} "
                       f"({url})", url=url)

    def _proxy_error(self, t: _Target, exc: httpx.HTTPError, url: str) -> ProviderError | None:
        """A failure at the proxy the environment names, said as such (not "server down")."""
        found = proxy_for(url)
        if found is None or not isinstance(exc, (httpx.ProxyError, httpx.ConnectError,
                                                 httpx.ConnectTimeout)):
            return None
        var, proxy = found
        causes = _causes(exc)
        reason = next((str(c) for c in reversed(causes) if str(c)), type(exc).__name__)
        if isinstance(exc, httpx.ProxyError):
            return t.error("proxy", (
                f"the proxy {proxy} (from {var}) could not reach {_hostport(url)} for {t.label}: "
                f"{_excerpt(reason, 100)} - check the address, or set NO_PROXY="
                f"{urlsplit(url).hostname} to go around the proxy"), url=url)
        return t.error("proxy", (
            f"the proxy {proxy} (from {var}) is unreachable ({_excerpt(reason, 80)}), so "
            f"{t.label} could not be asked: start the proxy, correct {var}, or unset it"), url=url)

    def _midstream_error(self, t: _Target, exc: BaseException, url: str, chars: int,
                         partial: str) -> ProviderError:
        got = f"after {chars} characters (the partial answer is kept)" if chars else \
            "before any text arrived"
        if isinstance(exc, httpx.TimeoutException):
            return t.error("timeout", (
                f"the answer from {t.label} stalled: nothing arrived for "
                f"{self.read_timeout:g} s, {got} - try again"), url=url, partial=partial)
        if isinstance(exc, _StreamProblem):
            if exc.kind == "truncated":
                return t.error("stream", (
                    f"the answer from {t.label} was cut off: the stream ended without a finish "
                    f"reason {got} - try again"), url=url, partial=partial)
            if exc.kind == "error":
                return t.error("server", (
                    f"{t.label} reported an error in the middle of the answer: "
                    f"{_excerpt(exc.detail, _EXCERPT)} ({got})"), url=url, partial=partial)
            return t.error("stream", (
                f"{t.label} sent a malformed chunk ({_excerpt(exc.detail)!r} is not JSON), {got} "
                "- try again"), url=url, partial=partial)
        reason = _excerpt(str(exc) or type(exc).__name__, 80)
        if self._http.is_closed:
            return t.error("cancelled", f"the answer from {t.label} was cancelled: the client "
                           f"was closed ({got})", url=url, partial=partial)
        return t.error("stream", (
            f"the connection to {t.label} was cut in the middle of the answer ({reason}), {got} "
            "- try again"), url=url, partial=partial)

    async def _read_json(self, t: _Target, response: httpx.Response, url: str) -> Any:
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_answer_bytes:
                    raise self._too_large(t, url, size, "")
        except httpx.HTTPError as exc:
            raise self._midstream_error(t, exc, url, 0, "") from None
        finally:
            await response.aclose()
        raw = b"".join(chunks)
        try:
            return json.loads(raw)
        except ValueError:
            pass
        detail, is_html = _server_text(raw, response.headers.get("content-type", ""))
        if is_html:
            raise t.error("bad_response", (
                f"{url} answered with {detail} instead of the API's JSON: the address of "
                f"{t.label} points at a web page, not the API - {t.rule_hint()}"),
                status=response.status_code, url=url)
        raise t.error("bad_response", (
            f"{url} answered with something that is not JSON ({detail or 'an empty body'}): "
            f"check the address of {t.label} - {t.rule_hint()}"),
            status=response.status_code, url=url)

    # ------------------------------------------------------------------ public API
    async def list_models(self, provider: Provider, keys: Sequence[str]) -> list[str]:
        """The provider's model ids, sorted (``data[].id``, or Ollama-style ``models``).

        Ids are outside text: keys in them are masked; callers gate them for display.
        """
        t = self._target(provider, keys)
        url = t.resolved.models
        if not url:
            raise t.error("config", (
                f"the model list URL of {t.label} cannot be derived from its address "
                f"{provider.address!r} (it ends with # but not with "
                f"/{ENDPOINTS[provider.type][0]}): type the model ids by hand"))
        response = await self._open(t, "GET", url)
        obj = await self._read_json(t, response, url)
        ids = parse_model_list(obj)
        if ids is None:
            raise t.error("bad_response", (
                f"{url} did not answer with a model list (no 'data' or 'models' list in "
                f"{_excerpt(json.dumps(obj), 80)}): check the address of {t.label}"), url=url)
        return sorted({scrub(i, t.keys) for i in ids})  # a server may echo the key as an id

    async def check(self, provider: Provider, keys: Sequence[str],
                    model: str | None = None) -> CheckResult:
        """One real minimal request; never raises ProviderError."""
        started = time.monotonic()
        try:
            t = self._target(provider, keys)
            if model is None and t.resolved.models is None and provider.models:
                model = provider.models[0]
            if model:
                await self.complete(provider, keys, model, [{"role": "user", "content": "Hi"}],
                                    max_tokens=1)
                latency = time.monotonic() - started
                return CheckResult(True, latency, f"OK: {model} answered in {latency:.2f} s",
                                   model)
            models = await self.list_models(provider, keys)
            latency = time.monotonic() - started
            return CheckResult(True, latency,
                               f"OK: {count(len(models), 'model')} listed in {latency:.2f} s", None)
        except ProviderError as exc:
            return CheckResult(False, time.monotonic() - started, exc.message, model, exc.kind)

    async def complete(self, provider: Provider, keys: Sequence[str], model: str,
                       messages: list[dict], *, temperature: float | None = None,
                       max_tokens: int | None = None,
                       on_wait: Callable[[Waiting], None] | None = None
                       ) -> tuple[str, str, Usage | None, str | None]:
        """A non-streamed answer: (text, reasoning, usage, finish_reason), keys scrubbed."""
        t = self._target(provider, keys)
        url = t.resolved.chat
        body = self._chat_body(t, model, messages, stream=False, temperature=temperature,
                               max_tokens=max_tokens)
        response = await self._open(t, "POST", url, body=body, model=model, on_wait=on_wait)
        obj = await self._read_json(t, response, url)
        if isinstance(obj, dict) and obj.get("error"):
            raise t.error("server", f"{t.label} answered with an error: "
                          f"{_excerpt(_error_text(obj['error']), _EXCERPT)}", url=url)
        try:
            parse = (parse_anthropic_message if provider.type == "anthropic"
                     else parse_openai_completion)
            text, reasoning, usage, finish = parse(obj)
            return scrub(text, t.keys), scrub(reasoning, t.keys), usage, finish
        except _StreamProblem:
            raise t.error("bad_response", (
                f"{url} answered with JSON that is not a chat completion "
                f"({_excerpt(json.dumps(obj), 80)}): check the address of {t.label} - "
                f"{t.rule_hint()}"), url=url) from None

    async def stream_chat(self, provider: Provider, keys: Sequence[str], model: str,
                          messages: list[dict], *, temperature: float | None = None,
                          max_tokens: int | None = None) -> AsyncIterator[Event]:
        """Yield events as they arrive; Finish comes last.

        A :class:`Waiting` comes before each pause of a 429 retry. Text is scrubbed of
        the keys. On failure a ProviderError is raised after the events that did arrive
        (its ``partial`` holds the text). Cancelling the consumer or closing this
        generator closes the connection.
        """
        t = self._target(provider, keys)
        url = t.resolved.chat
        body = self._chat_body(t, model, messages, stream=True, temperature=temperature,
                               max_tokens=max_tokens)
        response: httpx.Response | None = None
        async with aclosing(self._attempts(t, "POST", url, body=body, stream=True,
                                           model=model)) as attempts:
            async for item in attempts:
                if isinstance(item, Waiting):
                    yield item  # the consumer may stop here: aclosing ends the wait
                else:
                    response = item
        assert response is not None  # _attempts ends with a response or raises
        try:
            if "event-stream" not in response.headers.get("content-type", "").lower():
                # A server that ignores "stream": a whole JSON answer (or a web page).
                for event in await self._whole_answer(t, response, url):
                    yield event
                return
            async for event in self._sse_events(t, response, url):
                yield event
        finally:
            await response.aclose()

    async def _whole_answer(self, t: _Target, response: httpx.Response, url: str) -> list[Event]:
        """The events of a complete JSON answer sent where a stream was asked for."""
        obj = await self._read_json(t, response, url)
        if isinstance(obj, dict) and obj.get("error"):
            raise t.error("server", f"{t.label} answered with an error: "
                          f"{_excerpt(_error_text(obj['error']), _EXCERPT)}", url=url)
        try:
            parse = (parse_anthropic_message if t.provider.type == "anthropic"
                     else parse_openai_completion)
            text, reasoning, usage, finish = parse(obj)
        except _StreamProblem:
            raise t.error("bad_response", (
                f"{url} answered with JSON that is not a chat completion "
                f"({_excerpt(json.dumps(obj), 80)}): check the address of {t.label}"),
                url=url) from None
        events: list[Event] = []
        if reasoning:
            events.append(ReasoningDelta(scrub(reasoning, t.keys)))
        if text:
            events.append(ContentDelta(scrub(text, t.keys)))
        if usage:
            events.append(usage)
        events.append(Finish(finish))
        return events

    async def _sse_events(self, t: _Target, response: httpx.Response, url: str
                          ) -> AsyncIterator[Event]:
        """Decode a server-sent-event body: bounded by max_answer_bytes, keys scrubbed."""
        decoder = (AnthropicStreamDecoder() if t.provider.type == "anthropic"
                   else OpenAIStreamDecoder())
        parser = SSEParser()
        content, reasoning = _StreamScrub(t.keys), _StreamScrub(t.keys)
        chars, size = 0, 0
        partial: list[str] = []

        def clean(events: list[Event]) -> list[Event]:
            nonlocal chars
            out: list[Event] = []
            for event in events:
                if isinstance(event, ContentDelta):
                    event = ContentDelta(content.feed(event.text))
                    partial.append(event.text)
                elif isinstance(event, ReasoningDelta):
                    event = ReasoningDelta(reasoning.feed(event.text))
                elif isinstance(event, Finish):
                    out.extend(held())
                if isinstance(event, (ContentDelta, ReasoningDelta)):
                    if not event.text:
                        continue
                    chars += len(event.text)
                out.append(event)
            return out

        def held() -> list[Event]:
            nonlocal chars
            out: list[Event] = []
            rest = reasoning.flush()
            if rest:
                out.append(ReasoningDelta(rest))
            rest = content.flush()
            if rest:
                partial.append(rest)
                out.append(ContentDelta(rest))
            chars += len(rest)
            return out

        chunks = response.aiter_bytes()
        problem: BaseException | None = None
        too_large = False
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > self.max_answer_bytes:
                    too_large = True
                    break
                for sse in parser.feed(chunk):
                    for event in clean(decoder.feed(sse)):
                        yield event
                if decoder.done:
                    break
            if not too_large:
                if decoder.done:
                    await self._drain(chunks)
                else:
                    for sse in parser.close():
                        for event in clean(decoder.feed(sse)):
                            yield event
                for event in clean(decoder.end()):
                    yield event
                return
        except (httpx.HTTPError, _StreamProblem) as exc:
            problem = exc
        for event in held():
            yield event
        text = "".join(partial)
        if problem is None:
            raise self._too_large(t, url, size, text)
        raise self._midstream_error(t, problem, url, chars, text) from None

    @staticmethod
    async def _drain(chunks: AsyncIterator[bytes]) -> None:
        """After [DONE]: read the end of the body so the connection can be reused."""
        async def drain() -> None:
            async for _ in chunks:
                pass
        try:
            await asyncio.wait_for(drain(), 1.0)
        except (httpx.HTTPError, asyncio.TimeoutError):
            pass
