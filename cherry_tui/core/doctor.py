"""The address doctor: when a request fails on the address, find the fixes that work.

The guides' users make a handful of mistakes: ``https`` for a plain-HTTP gateway, a
trailing ``/`` that stops ``/v1`` being added, an invoke URL pasted without ``#`` (the
endpoint twice), a ``#`` where the endpoint should be appended, a missing or extra
version. :func:`candidates` turns the typed address into the likely fixes; :func:`diagnose`
tries each one against the server itself with one small chat request (what the check
sends) and keeps only those where the endpoint exists, best first.

"The endpoint exists" means an answer from the API, whatever it says about the request:
200, 400/422 (it read the body), 401/403 (it wants another key), 429, or a JSON 404
naming the model. A 404 about the path, 405, a redirect, a 5xx or any HTML page (OneAPI
serves its web UI with 200 on unknown paths) does not count.

Safety: every candidate keeps the provider's host (and an explicit port); other hosts
are never tried, so the key goes nowhere new. The scheme is swapped only when the typed
one failed before any HTTP answer (TLS mismatch, refused, closed); when that turns
``https`` into ``http`` the probe carries no key (it would cross the network in clear
text), and an API's 401 is answer enough.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from .addresses import ENDPOINTS, AddressError, ends_with_version, resolve
from .config import Provider
from .model_kinds import CHAT_KINDS

__all__ = ["ADDRESS_KINDS", "Suggestion", "candidates", "check_model", "diagnose",
           "is_address_failure"]

# ProviderError kinds that may come from the address (others: key, quota, server, model).
ADDRESS_KINDS = frozenset({"not_found", "scheme", "tls", "connect", "bad_response"})

_ANSWERED = {200: 0, 201: 0, 400: 1, 422: 1, 401: 2, 402: 2, 403: 2, 429: 2}
_BODY_LIMIT = 16 * 1024
_ANTHROPIC_VERSION = "2023-06-01"


def check_model(provider: Provider, default_model: str | None) -> str | None:
    """The model a check asks for one token (and the doctor probes with), as the TUI does:
    the default model when it belongs to this provider, else the provider's first chat
    model (an embedding, rerank, image or audio model cannot answer a chat request); None
    when it has none, and the check fetches the model list instead."""
    pid, _, model = (default_model or "").partition("/")
    if pid == provider.id and model:
        return model
    return next((m for m in provider.models if provider.kind_of(m) in CHAT_KINDS), None)


def is_address_failure(kind: str | None) -> bool:
    """Is a failure of this ProviderError kind worth running the doctor for?"""
    return kind in ADDRESS_KINDS


@dataclass(frozen=True)
class Suggestion:
    """An address that answered: what to type, the chat URL it calls, the HTTP status."""

    address: str
    chat_url: str
    status: int

    def as_dict(self) -> dict[str, str | int]:
        return {"address": self.address, "chat_url": self.chat_url, "status": self.status}


@dataclass(frozen=True)
class _Probe:
    status: int | None  # None: no HTTP answer
    exists: bool
    location: str | None = None  # a redirect's target, absolute
    transport: bool = False  # failed before any HTTP answer, in a way the scheme may fix


# ------------------------------------------------------------------------ candidates
def _strip_endpoints(path: str, endpoints: Sequence[str]) -> str:
    """``/v1/chat/completions`` -> ``/v1``; also a doubled ``.../chat/completions/v1``."""
    while True:
        path = path.rstrip("/")
        for ep in endpoints:
            if path.endswith("/" + ep):
                path = path[: -len(ep) - 1]
                break
        else:
            head, _, last = path.rpartition("/")
            if ends_with_version(last) and any(head.endswith("/" + ep) for ep in endpoints):
                path = head
                continue
            return path


def _chat_urls(address: str, provider_type: str, schemes: Sequence[str]) -> list[str]:
    """The chat URLs a mistyped address most likely meant, on the same host and port."""
    chat_ep, models_ep = ENDPOINTS[provider_type]
    body = address.strip()
    body = body[:-1] if body.endswith("#") else body
    parts = urlsplit(body)
    core = _strip_endpoints(parts.path, (chat_ep, models_ep))
    if ends_with_version(core):
        bases = [core, core.rpartition("/")[0]]
    else:
        bases = [core + "/v1", core]
    paths = [f"{b}/{chat_ep}" for b in bases]
    typed = parts.path.rstrip("/")
    if typed and typed not in paths and not ends_with_version(typed.rpartition("/")[2]):
        paths.append(typed)  # the path itself, used exactly as typed (add '#')
    urls: list[str] = []
    for scheme in schemes:
        for path in paths:
            url = urlunsplit((scheme, parts.netloc, path, parts.query, ""))
            if url not in urls:
                urls.append(url)
    return urls


def _distance(a: str, b: str) -> int:
    """Levenshtein distance: how many characters the user has to change."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _address_for(chat_url: str, provider_type: str, typed: str) -> str | None:
    """The address text closest to what was typed that resolves to ``chat_url``."""
    chat_ep = ENDPOINTS[provider_type][0]
    forms = [chat_url + "#"]
    if chat_url.endswith("/" + chat_ep):
        base = chat_url[: -len(chat_ep) - 1]
        forms += [base + "/", base]
        if base.endswith("/v1"):
            forms.append(base[:-3])
    good = []
    for form in forms:
        try:
            res = resolve(form, provider_type)
        except AddressError:
            continue
        if res.chat == chat_url and not res.warnings:
            good.append(form)
    typed = typed.strip()
    return min(good, key=lambda f: (_distance(typed, f), len(f)), default=None)


def candidates(address: str, provider_type: str = "openai", *,
               swap_scheme: bool = False) -> list[tuple[str, str]]:
    """Likely fixes of ``address`` as (address text, chat URL), most likely first.

    Same host and port only. ``swap_scheme``: try the other scheme instead of the typed
    one (the typed one got no HTTP answer). The current chat URL is left out.
    """
    address = address.strip()
    try:
        current = resolve(address, provider_type).chat
    except AddressError:
        return []
    scheme = urlsplit(address).scheme.lower()
    schemes = [{"http": "https", "https": "http"}[scheme]] if swap_scheme else [scheme]
    out: list[tuple[str, str]] = []
    for url in _chat_urls(address, provider_type, schemes):
        if url == current:
            continue
        text = _address_for(url, provider_type, address)
        if text is not None:
            out.append((text, url))
    return out


# ------------------------------------------------------------------------ probing
def _same_host(url: str, host: str | None) -> bool:
    return host is not None and urlsplit(url).hostname == host


def _headers(provider_type: str, key: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if provider_type == "anthropic":
        headers["anthropic-version"] = _ANTHROPIC_VERSION
        if key:
            headers["x-api-key"] = key
    elif key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def _answered(url: str, status: int, body: bytes, content_type: str) -> bool:
    """Did the API itself answer (the path is an endpoint), whatever it said?"""
    text = body.decode("utf-8", errors="replace").lstrip()
    if "html" in content_type.lower() or text.startswith("<"):
        return False
    try:
        obj = json.loads(text) if text else None
    except ValueError:
        obj = None
    if status == 404:
        # "model X does not exist" - but not a "no route for /v1/models/..." that echoes it
        return obj is not None and "model" in text.lower().replace(urlsplit(url).path.lower(), "")
    if status < 300:
        return isinstance(obj, dict)
    return status in _ANSWERED


def _transport_failure(exc: httpx.HTTPError) -> bool:
    """Failed before any HTTP answer in a way the other scheme may fix.

    Not a DNS failure (other hosts are never tried) nor an untrusted certificate (the
    server does speak TLS: that is a trust problem, not the address).
    """
    cur: BaseException | None = exc
    while cur is not None:
        if isinstance(cur, ssl.SSLCertVerificationError):
            return False
        if isinstance(cur, socket.gaierror):
            return False
        cur = cur.__cause__ or cur.__context__
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError,
                            httpx.ReadError, httpx.WriteError))


async def _probe(http: httpx.AsyncClient, url: str, provider_type: str, key: str | None,
                 model: str | None) -> _Probe:
    body: dict[str, object] = {"model": model or "", "max_tokens": 1,
                               "messages": [{"role": "user", "content": "Hi"}]}
    try:
        async with http.stream("POST", url, json=body,
                               headers=_headers(provider_type, key)) as response:
            raw = b""
            async for chunk in response.aiter_bytes():
                raw += chunk
                if len(raw) >= _BODY_LIMIT:
                    break
    except httpx.HTTPError as exc:
        return _Probe(None, False, transport=_transport_failure(exc))
    status = response.status_code
    location = None
    if 300 <= status < 400 and response.headers.get("location"):
        location = urljoin(url, response.headers["location"])
    return _Probe(status, _answered(url, status, raw, response.headers.get("content-type", "")),
                  location)


def _rank(s: Suggestion, typed: str) -> tuple[int, int]:
    if s.status < 300:
        tier = 0
    elif s.status == 404:
        tier = 1  # a JSON 404 about the model: the endpoint read the body
    else:
        tier = _ANSWERED.get(s.status, 3)
    return tier, _distance(typed, s.address)


async def diagnose(provider: Provider, keys: Sequence[str], model: str | None = None, *,
                   timeout: float = 6.0, concurrency: int = 4,
                   verify: bool | ssl.SSLContext = True) -> list[Suggestion]:
    """The fixes of the provider's address that answered, best first.

    Empty when the current address answers (the failure was not the address), or when
    nothing else answered. Never raises for a network failure; never leaves the host.
    """
    typed = provider.address.strip()
    ptype = provider.type
    if ptype in ("gemini", "azure-openai"):
        return []  # its rewrites know the /v1/ endpoint shapes; the error's rule hint says more
    try:
        current = resolve(typed, ptype).chat
    except (AddressError, KeyError):
        return []
    host = urlsplit(current).hostname
    key = next((k for k in keys if k), None)
    try:  # the provider's own proxy and headers, as its requests have them
        http = httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                 verify=verify, proxy=provider.proxy,
                                 headers=dict(provider.headers))
    except ImportError:  # a socks5:// proxy without socksio: the request said so already
        return []
    async with http:
        first = await _probe(http, current, ptype, key, model)
        if first.exists:
            return []
        if first.status is None and not first.transport:
            return []  # DNS or certificate: no address fix on this host helps
        pairs = candidates(typed, ptype, swap_scheme=first.transport)
        if first.location and _same_host(first.location, host) and first.location != current:
            text = _address_for(first.location, ptype, typed)
            if text is not None and all(url != first.location for _, url in pairs):
                pairs.insert(0, (text, first.location))
        pairs = [(text, url) for text, url in pairs if _same_host(url, host)]
        gate = asyncio.Semaphore(max(1, concurrency))
        downgrade = urlsplit(current).scheme == "https"

        async def attempt(text: str, url: str) -> Suggestion | None:
            send = None if downgrade and urlsplit(url).scheme == "http" else key
            async with gate:
                probe = await _probe(http, url, ptype, send, model)
            if probe.exists and probe.status is not None:
                return Suggestion(text, url, probe.status)
            return None

        found = await asyncio.gather(*(attempt(t, u) for t, u in pairs))
    return sorted((s for s in found if s is not None), key=lambda s: _rank(s, typed))
