"""The shared HTTP client: one ``httpx.AsyncClient`` (keep-alive) for every protocol.

It owns what every protocol shares: picking the protocol (``PROTOCOLS[type]``), keys
(the pool, checks, scrubbing), 429 retries, the answer size cap, reading SSE and JSON
bodies, and turning failures into :class:`~.errors.ProviderError`. Every URL comes
from :func:`cherry_tui.core.addresses.resolve`, so the editor's preview,
``cherry-tui url`` and the real requests agree.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import replace
from functools import partial
from typing import Any

import httpx

from ..addresses import ENDPOINTS, AddressError
from ..attachments import has_images
from ..config import Provider
from .. import model_windows
from ..context import listed_windows
from ..keypool import KeyPool, KeyState
from ..model_kinds import sees_images
from ..secrets import scrub
from ..text import count, inert_line
from . import PROTOCOLS
from .base import ChatCall, Request, Target
from .errors import (
    EXCERPT, ProviderError, StreamProblem, error_text, excerpt, midstream_error,
    one_line, retry_after, server_text, status_error, too_large, transport_error,
)
from .events import (
    CheckResult, Completion, ContentDelta, Event, Finish, KeySkipped, ReasoningDelta, Usage,
    Waiting,
)
from .failover import key_failed, next_key
from .keys import check_keys
from .proxy import socks_missing
from .session import Sessions
from .stream import sse_events

_ERROR_BODY_LIMIT = 64 * 1024
MAX_ANSWER_BYTES = 32 * 1024 * 1024  # default cap on one answer (config: max_answer_bytes)


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
        self._sessions = Sessions(connect_timeout=connect_timeout, read_timeout=read_timeout,
                                  verify=verify, trust_env=self._proxy_problem is None)
        self._http = self._sessions.shared
        # One pool per provider and key set: a check of one key alone (check --all-keys,
        # the editor) leaves the state of the provider's keys together untouched.
        self._pools: dict[tuple[str, tuple[str, ...]], KeyPool] = {}
        self._no_extras: set[str] = set()  # providers that refused an optional field
        self._windows: model_windows.Windows | None = None  # read on first use

    @property
    def windows(self) -> model_windows.Windows:
        """Context windows the providers' model lists reported: {provider id: {model id:
        tokens}}, kept between runs (core.model_windows; core.context reads them)."""
        if self._windows is None:
            self._windows = model_windows.load()
        return self._windows

    def _remember_windows(self, provider_id: str, found: dict[str, int]) -> None:
        """A fresh model list's windows replace the provider's earlier ones (and are
        saved: a file write, off the event loop)."""
        if found == self.windows.get(provider_id, {}):
            return
        if found:
            self.windows[provider_id] = found
        else:
            self.windows.pop(provider_id, None)
        model_windows.save(self.windows)

    def key_states(self, provider_id: str, keys: Sequence[str]) -> list[KeyState]:
        """Each of these keys of the provider as this run has seen it (empty before they
        were first used together)."""
        pool = self._pools.get((provider_id, tuple(k for k in keys if k)))
        return pool.states() if pool else []

    async def aclose(self) -> None:
        await self._sessions.aclose()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        return self._http.is_closed

    # ------------------------------------------------------------------ preparing
    def _target(self, provider: Provider, keys: Sequence[str]) -> Target:
        keys = tuple(k for k in (keys or ()) if k)
        label = (provider.name if provider.name == provider.id
                 else f"{provider.name} ({provider.id})")
        if provider.problems:
            raise ProviderError("config", scrub(
                f"{label} is not set up correctly: {'; '.join(provider.problems)} "
                "(fix it in the provider editor or the config file)", list(keys)))
        try:
            resolved = provider.resolved()
        except AddressError as exc:
            raise ProviderError("config", scrub(f"{label}: {exc}", list(keys))) from None
        check_keys(provider, keys, label)
        if self._proxy_problem and not provider.proxy:
            raise ProviderError("proxy", self._proxy_problem)
        pool = self._pools.setdefault((provider.id, keys), KeyPool(keys))
        return Target(provider, keys, pool, resolved, PROTOCOLS[provider.type])

    def _chat_request(self, t: Target, call: ChatCall) -> Request:
        p = t.provider
        if has_images(call.messages) and not sees_images(call.model, dict(p.model_kinds),
                                                         p.type):
            raise t.error("images", (
                f"{call.model} of {t.label} does not take images (its kind is "
                f"{p.kind_of(call.model)}): ask a vision model, or if this one sees images "
                f"set its kind to vision (k on the models screen, or model_kinds = "
                f'{{ "{call.model}" = "vision" }} in [providers.{p.id}] of config.toml)'))
        if t.provider.id in self._no_extras:
            call = replace(call, extras=False)
        return t.protocol.chat_request(t.urls(call.model), call)

    # ------------------------------------------------------------------ sending
    async def _open(self, t: Target, request: Request, *, stream: bool = False,
                    model: str | None = None,
                    on_wait: Callable[[Waiting | KeySkipped], None] | None = None,
                    retries: int | None = None) -> httpx.Response:
        """Send, with bounded retries on 429; returns an open (unread) 2xx response.

        ``on_wait`` hears of each pause before it starts, and of each key skipped.
        """
        response = None
        async for item in self._attempts(t, request, stream=stream, model=model,
                                         retries=retries):
            if isinstance(item, (Waiting, KeySkipped)):
                if on_wait is not None:
                    on_wait(item)
            else:
                response = item
        assert response is not None  # _attempts ends with a response or raises
        return response

    async def _attempts(self, t: Target, request: Request, *, stream: bool, model: str | None,
                        retries: int | None = None
                        ) -> AsyncGenerator[Waiting | KeySkipped | httpx.Response, None]:
        """Yield a :class:`Waiting` before each pause of a 429 retry, a :class:`KeySkipped`
        for each key of several that failed (:mod:`.failover`), then the response."""
        attempt = 0
        retries = self.max_retries if retries is None else retries
        url, body = request.url, request.body
        pool, tried = t.pool, set[str]()
        http = self._sessions.for_target(t)
        while True:
            key = next_key(t, pool, tried)
            headers = {"Accept": "text/event-stream" if stream else "application/json",
                       **request.headers, **dict(t.provider.headers), **t.protocol.headers(key)}
            try:
                sent = http.build_request(request.method, url, json=body, headers=headers)
                response = await http.send(sent, stream=True)
            except httpx.HTTPError as exc:
                raise await transport_error(t, exc, url, connect_timeout=self.connect_timeout,
                                            read_timeout=self.read_timeout) from None
            except RuntimeError:  # the shared client was closed meanwhile
                if self._http.is_closed:
                    raise t.error("cancelled", f"the request to {t.label} was cancelled: the "
                                  "client was closed", url=url) from None
                raise
            if response.status_code < 300:
                if key:
                    pool.mark_ok(key)
                yield response
                return
            try:
                raw = await self._read_limited(response)
            except httpx.HTTPError:
                raw = b""
            finally:
                await response.aclose()
            status = response.status_code
            error = t.protocol.parse_error(raw, response.headers.get("content-type", ""))
            reduced = (t.protocol.drop_refused(body, error.detail)
                       if body and status in (400, 422) else None)
            if reduced is not None:  # an optional field was refused: ask again without it
                self._no_extras.add(t.provider.id)
                body = reduced
                tried.discard(key or "")
                continue
            skipped = key_failed(pool, key, status, error, response.headers) if key else None
            if skipped is not None and len(pool) > 1:  # the next usable key, before any token
                yield skipped
                continue
            if status == 429 and attempt < retries:
                wait = retry_after(response.headers)
                wait = error.retry_after if wait is None else wait
                if wait is None:
                    wait = min(1.0 * 2 ** attempt, 8.0)
                if wait <= self.max_retry_wait:
                    attempt += 1
                    said = f": {error.detail}" if error.detail else ""
                    reason = scrub(inert_line(one_line(
                        f"{t.label} is rate limiting requests (HTTP 429{said})")), list(t.keys))
                    yield Waiting(wait, reason, attempt + 1)
                    await asyncio.sleep(wait)
                    continue
            raise status_error(t, response, error, url, key, model, attempt + 1)

    @staticmethod
    async def _read_limited(response: httpx.Response) -> bytes:
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= _ERROR_BODY_LIMIT:
                break
        return b"".join(chunks)

    def _midstream(self, t: Target, exc: BaseException, url: str, chars: int,
                   partial: str) -> ProviderError:
        return midstream_error(t, exc, url, chars, partial, read_timeout=self.read_timeout,
                               closed=self._http.is_closed)

    async def _read_json(self, t: Target, response: httpx.Response, url: str) -> Any:
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_answer_bytes:
                    raise too_large(t, url, size, "", self.max_answer_bytes)
        except httpx.HTTPError as exc:
            raise self._midstream(t, exc, url, 0, "") from None
        finally:
            await response.aclose()
        raw = b"".join(chunks)
        try:
            return json.loads(raw)
        except ValueError:
            pass
        detail, is_html = server_text(raw, response.headers.get("content-type", ""))
        if is_html:
            raise t.error("bad_response", (
                f"{url} answered with {detail} instead of the API's JSON: the address of "
                f"{t.label} points at a web page, not the API - {t.rule_hint()}"),
                status=response.status_code, url=url)
        raise t.error("bad_response", (
            f"{url} answered with something that is not JSON ({detail or 'an empty body'}): "
            f"check the address of {t.label} - {t.rule_hint()}"),
            status=response.status_code, url=url)

    def _parse_whole(self, t: Target, obj: Any, url: str, hint: bool) -> Completion:
        """A whole JSON answer -> Completion (keys scrubbed), or a ProviderError."""
        if isinstance(obj, dict) and obj.get("error"):
            raise t.error("server", f"{t.label} answered with an error: "
                          f"{excerpt(error_text(obj['error']), EXCERPT)}", url=url)
        try:
            text, reasoning, usage, finish = t.protocol.parse_completion(obj)
        except StreamProblem as exc:
            if exc.kind == "error":  # e.g. Gemini's blocked prompt
                raise t.error("server", f"{t.label} answered with an error: "
                              f"{excerpt(exc.detail, EXCERPT)}", url=url) from None
            more = f" - {t.rule_hint()}" if hint else ""
            raise t.error("bad_response", (
                f"{url} answered with JSON that is not a chat completion "
                f"({excerpt(json.dumps(obj), 80)}): check the address of {t.label}{more}"),
                url=url) from None
        return Completion(scrub(text, t.keys), scrub(reasoning, t.keys), usage, finish)

    # ------------------------------------------------------------------ public API
    async def list_models(self, provider: Provider, keys: Sequence[str]) -> list[str]:
        """The provider's model ids, sorted (every page the server offers).

        Ids are outside text: keys in them are masked; callers gate them for display.
        """
        t = self._target(provider, keys)
        url = t.resolved.models
        if not url:
            raise t.error("config", (
                f"the model list URL of {t.label} cannot be derived from its address "
                f"{provider.address!r} (it ends with # but not with "
                f"/{ENDPOINTS[provider.type][0]}): type the model ids by hand"))
        ids: set[str] = set()
        windows: dict[str, int] = {}
        page: str | None = None
        for _ in range(100):  # a server that pages forever is cut off, not followed
            request = t.protocol.models_request(url, page)
            response = await self._open(t, request)
            obj = await self._read_json(t, response, request.url)
            found = t.protocol.parse_models(obj)
            windows.update(listed_windows(obj))
            if found is None:
                raise t.error("bad_response", (
                    f"{request.url} did not answer with a model list (no 'data' or 'models' "
                    f"list in {excerpt(json.dumps(obj), 80)}): check the address of "
                    f"{t.label}"), url=request.url)
            ids.update(found.ids)
            page = found.next_page
            if not page:
                break
        await asyncio.to_thread(self._remember_windows, provider.id,
                                {scrub(m, t.keys): n for m, n in windows.items()})
        return sorted({scrub(i, t.keys) for i in ids})  # a server may echo the key as an id

    async def check(self, provider: Provider, keys: Sequence[str],
                    model: str | None = None) -> CheckResult:
        """One real minimal request; never raises ProviderError."""
        started = time.monotonic()
        try:
            t = self._target(provider, keys)
            # Azure's model list is the models a resource may deploy, not its deployments:
            # only a call to the deployment checks it.
            if model is None and provider.models and (
                    t.resolved.models is None or provider.type == "azure-openai"):
                model = provider.models[0]
            if model:  # a check reports a rate limit at once rather than wait it out
                skipped: list[str] = []
                await self.complete(provider, keys, model, [{"role": "user", "content": "Hi"}],
                                    max_tokens=1, retries=0, on_wait=lambda e: skipped.append(
                                        f"skipped key {e.masked}: {e.reason}")
                                    if isinstance(e, KeySkipped) else None)
                latency = time.monotonic() - started
                said = f" ({'; '.join(skipped)})" if skipped else ""
                return CheckResult(True, latency,
                                   f"OK: {model} answered in {latency:.2f} s{said}", model)
            models = await self.list_models(provider, keys)
            latency = time.monotonic() - started
            return CheckResult(True, latency,
                               f"OK: {count(len(models), 'model')} listed in {latency:.2f} s", None)
        except ProviderError as exc:
            return CheckResult(False, time.monotonic() - started, exc.message, model, exc.kind)

    async def complete(self, provider: Provider, keys: Sequence[str], model: str,
                       messages: list[dict[str, Any]], *, temperature: float | None = None,
                       max_tokens: int | None = None, top_p: float | None = None,
                       on_wait: Callable[[Waiting | KeySkipped], None] | None = None,
                       retries: int | None = None) -> Completion:
        """A non-streamed answer (text, reasoning, usage, finish_reason), keys scrubbed.

        ``on_wait`` hears of each 429 pause and each key skipped; ``retries`` caps the 429
        retries (default: the client's ``max_retries``)."""
        t = self._target(provider, keys)
        request = self._chat_request(t, ChatCall(model, messages, False, temperature,
                                                 max_tokens, top_p))
        response = await self._open(t, request, model=model, on_wait=on_wait, retries=retries)
        if "event-stream" in response.headers.get("content-type", "").lower():
            return await self._collect(t, response, request.url)  # an exact streaming URL
        obj = await self._read_json(t, response, request.url)
        return self._parse_whole(t, obj, request.url, hint=True)

    async def _collect(self, t: Target, response: httpx.Response, url: str) -> Completion:
        """A whole answer read from a stream (the address names a streaming URL)."""
        text: list[str] = []
        reasoning: list[str] = []
        usage, finish = None, None
        try:
            async for event in sse_events(t, response, url, limit=self.max_answer_bytes,
                                          failed=partial(self._midstream, t)):
                if isinstance(event, ContentDelta):
                    text.append(event.text)
                elif isinstance(event, ReasoningDelta):
                    reasoning.append(event.text)
                elif isinstance(event, Usage):
                    usage = event
                elif isinstance(event, Finish):
                    finish = event.reason
        finally:
            await response.aclose()
        return Completion("".join(text), "".join(reasoning), usage, finish)

    async def stream_chat(self, provider: Provider, keys: Sequence[str], model: str,
                          messages: list[dict[str, Any]], *, temperature: float | None = None,
                          max_tokens: int | None = None,
                          top_p: float | None = None) -> AsyncIterator[Event]:
        """Yield events as they arrive; Finish comes last.

        A :class:`Waiting` comes before each pause of a 429 retry, a :class:`KeySkipped`
        for each key of several that failed before any token. Text is scrubbed of
        the keys. On failure a ProviderError is raised after the events that did arrive
        (its ``partial`` holds the text). Cancelling the consumer or closing this
        generator closes the connection.
        """
        t = self._target(provider, keys)
        request = self._chat_request(t, ChatCall(model, messages, True, temperature, max_tokens,
                                                 top_p))
        url = request.url
        response: httpx.Response | None = None
        async with aclosing(self._attempts(t, request, stream=True, model=model)) as attempts:
            async for item in attempts:
                if isinstance(item, (Waiting, KeySkipped)):
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
            async for event in sse_events(t, response, url, limit=self.max_answer_bytes,
                                          failed=partial(self._midstream, t)):
                yield event
        finally:
            await response.aclose()

    async def _whole_answer(self, t: Target, response: httpx.Response, url: str) -> list[Event]:
        """The events of a complete JSON answer sent where a stream was asked for."""
        obj = await self._read_json(t, response, url)
        text, reasoning, usage, finish = self._parse_whole(t, obj, url, hint=False)
        events: list[Event] = []
        if reasoning:
            events.append(ReasoningDelta(reasoning))
        if text:
            events.append(ContentDelta(text))
        if usage:
            events.append(usage)
        events.append(Finish(finish))
        return events
