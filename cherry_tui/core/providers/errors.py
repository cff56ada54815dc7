"""Every way a provider call fails, said as one line: what is wrong and what to do.

Hierarchy: :class:`ProviderError` is the only error callers see; its ``kind`` says
which failure it is (``auth``, ``rate_limit``, ``not_found``, ``scheme``, ``dns``,
``tls``, ``connect``, ``timeout``, ``proxy``, ``stream``, ``server``, ``bad_response``,
``too_large``, ``config``, ``no_key``, ``cancelled``). :class:`StreamProblem` is raised
by the pure decoders and mapped here. Keys never appear in a message: the target's
:meth:`~cherry_tui.core.providers.base.Target.error` scrubs them.
"""

from __future__ import annotations

import asyncio
import email.utils
import html
import json
import re
import socket
import ssl
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from ..addresses import swap_scheme
from ..config import Provider
from ..secrets import mask
from ..text import inert_line
from .proxy import proxy_for

if TYPE_CHECKING:
    from .base import ErrorBody, Target

EXCERPT = 160


class ProviderError(Exception):
    """A request failed. ``message`` is one line: what is wrong and what to fix.

    The message holds server text, so it is made inert (no terminal controls) here,
    once, for every place that shows it.
    """

    def __init__(self, kind: str, message: str, *, status: int | None = None,
                 url: str | None = None, retry_after: float | None = None,
                 partial: str = ""):
        message = inert_line(one_line(message))
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


class StreamProblem(Exception):
    """Raised by the pure decoders; the client turns it into a ProviderError."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(detail)
        self.kind = kind  # "malformed" | "error" | "truncated"
        self.detail = detail


# ---------------------------------------------------------------------------- text
def one_line(text: str) -> str:
    return re.sub(r"\s*[\r\n]+\s*", " ", str(text)).strip()


def excerpt(text: str, limit: int = 60) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[:limit] + "..."


def error_text(err: Any) -> str:
    """One error object of a body or event (``{"message", "code"|"type"|"status"}``)."""
    if isinstance(err, dict):
        msg = err.get("message") or err.get("msg") or err.get("detail") or err.get("type")
        status = err.get("status")  # Gemini: "INVALID_ARGUMENT" says more than 400
        code = status if isinstance(status, str) else (err.get("code") or err.get("type"))
        text = str(msg) if msg else json.dumps(err)[:EXCERPT]
        if code and str(code) not in text:
            text += f" [{code}]"
        return text
    return str(err)


def server_text(body: bytes, content_type: str) -> tuple[str, bool]:
    """(a short, one-line account of an error body, is it an HTML page)."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return "", False
    try:
        obj = json.loads(text)
    except ValueError:
        obj = None
    if isinstance(obj, list) and len(obj) == 1 and isinstance(obj[0], dict):
        obj = obj[0]  # Gemini's REST errors may come as a one-element array
    if isinstance(obj, dict):
        for field in ("error", "message", "detail", "msg", "error_msg", "errorMessage"):
            val = obj.get(field)
            if val:
                if isinstance(val, list) and val and isinstance(val[0], dict):
                    val = val[0].get("msg") or val[0]
                return excerpt(error_text(val), EXCERPT), False
        return excerpt(text, EXCERPT), False
    if obj is not None:
        return excerpt(text, EXCERPT), False
    if "html" in content_type.lower() or text.lstrip().startswith("<"):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
        bits = [title.group(1)] if title else []
        body_text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.I | re.S)
        body_text = html.unescape(re.sub(r"<[^>]+>", " ", body_text))
        bits.append(body_text)
        page = " ".join(" ".join(b.split()) for b in bits if b.strip())
        return f'an HTML page: "{excerpt(page, 100)}"', True
    return f'"{excerpt(text, 100)}"', False


def retry_after(headers: httpx.Headers) -> float | None:
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


def hostport(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.3g} MB" if n >= 1024 * 1024 else f"{n} bytes"


def key_fix(p: Provider, one: str = "the right one") -> str:
    """How to store ``one`` (a key), for the provider's key source (keyring, file, env)."""
    if p.key and p.key.startswith("env:"):
        var = p.key[4:]
        return f"put {one} in the environment variable {var} (export {var}=...)"
    if p.key == "file":
        return f"store {one} with `cherry-tui key set {p.id} --file`"
    extra = f" (or set the environment variable {p.env})" if p.env and p.key is None else ""
    return f"store {one} with `cherry-tui key set {p.id}`{extra}"


# ---------------------------------------------------------------------------- proxies
def proxy_error(t: Target, exc: httpx.HTTPError, url: str) -> ProviderError | None:
    """A failure at the proxy (the provider's own ``proxy``, else the one the environment
    names), said as such (not "server down")."""
    own = t.provider.proxy
    found = (f"proxy in [providers.{t.provider.id}]", _without_credentials(own)) if own \
        else proxy_for(url)
    if found is None or not isinstance(exc, (httpx.ProxyError, httpx.ConnectError,
                                             httpx.ConnectTimeout)):
        return None
    var, proxy = found
    reason = next((str(c) for c in reversed(_causes(exc)) if str(c)), type(exc).__name__)
    if isinstance(exc, httpx.ProxyError):
        return t.error("proxy", (
            f"the proxy {proxy} (from {var}) could not reach {hostport(url)} for {t.label}: "
            f"{excerpt(reason, 100)} - check the address, or set NO_PROXY="
            f"{urlsplit(url).hostname} to go around the proxy"), url=url)
    return t.error("proxy", (
        f"the proxy {proxy} (from {var}) is unreachable ({excerpt(reason, 80)}), so "
        f"{t.label} could not be asked: start the proxy, correct {var}, or unset it"), url=url)


def _without_credentials(proxy: str) -> str:
    parts = urlsplit(proxy)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


# ---------------------------------------------------------------------------- HTTP status
def status_error(t: Target, response: httpx.Response, body: ErrorBody, url: str,
                 key: str | None, model: str | None, tries: int) -> ProviderError:
    """A non-2xx answer, said by what it means for the user (``body`` parsed by the protocol)."""
    status = response.status_code
    detail, is_html = body.detail, body.is_html
    said = f": {detail}" if detail else ""
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
    if status in (401, 403) or body.key_rejected:
        if not key:
            return t.error("auth", (
                f"{t.label} needs an API key (HTTP {status}{said}): "
                f"{key_fix(t.provider, 'one')}"), status=status, url=url)
        if status != 403:
            msg = (f"{t.label} rejected the API key {mask(key)} (HTTP {status}{said}): check "
                   f"the key, or {key_fix(t.provider)}")
        else:
            msg = (f"{t.label} refused access with the API key {mask(key)} (HTTP 403{said}): "
                   "the key may lack access to this model or the account needs attention; "
                   f"check it, or {key_fix(t.provider, 'another')}")
        return t.error("auth", msg, status=status, url=url)
    if status == 404 or (status == 400 and "model_not_found" in detail):
        # A web page (Google's 404 page names the URL, models/... and all) is the address.
        if t.provider.type == "azure-openai" and model and "deployment" in detail.lower():
            return t.error("not_found", (
                f"{t.label} has no deployment named {model!r} (HTTP {status} from {url}{said}): "
                "an Azure OpenAI model id is the name of a deployment of the resource - "
                "copy it from the Deployments page of the Azure portal"), status=status, url=url)
        if model and "model" in detail.lower() and not is_html:
            return t.error("not_found", (
                f"{t.label} does not know the model {model!r} (HTTP {status} from {url}{said}): "
                f"check the model id (cherry-tui models {t.provider.id} lists them)"),
                status=status, url=url)
        return t.error("not_found", (
            f"HTTP 404 from {url}{said}: the address of {t.label} or the model is wrong - "
            f"{t.rule_hint()}"), status=status, url=url)
    if status == 429:
        wait = retry_after(response.headers)
        wait = body.retry_after if wait is None else wait
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
            f"{hostport(url)} speaks HTTPS but the address uses http://: use "
            f"{swap_scheme(t.provider.address)} as the address of {t.label}"),
            status=status, url=url)
    hint = f" - {t.rule_hint()}" if is_html or status == 405 else ""
    return t.error("bad_response", (
        f"{t.label} refused the request (HTTP {status}{said}) at {url}{hint}"),
        status=status, url=url)


# ---------------------------------------------------------------------------- transport
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
    except (TimeoutError, OSError, ssl.SSLError):
        return False
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    except (TimeoutError, OSError, ssl.SSLError):
        pass
    return True


_PLAIN_HTTP_SIGNS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER", "RECORD LAYER", "HTTP_REQUEST",
                     "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL")


async def transport_error(t: Target, exc: httpx.HTTPError, url: str, *,
                          connect_timeout: float, read_timeout: float) -> ProviderError:
    """A failure before any response arrived."""
    hp = hostport(url)
    parts = urlsplit(url)
    causes = _causes(exc)
    proxy = proxy_error(t, exc, url)
    if proxy is not None:
        return proxy
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return t.error("timeout", (
            f"no connection to {hp} within {connect_timeout:g} s for {t.label}: check "
            "the address, and that the server is reachable from this machine"), url=url)
    if isinstance(exc, httpx.TimeoutException):
        return t.error("timeout", (
            f"{t.label} did not answer within {read_timeout:g} s at {url}: the server is "
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
                if parts.scheme == "https" and any(s in str(c).upper() for s in _PLAIN_HTTP_SIGNS):
                    return t.error("scheme", (
                        f"{hp} speaks plain HTTP, not HTTPS: use "
                        f"{swap_scheme(t.provider.address)} as the address of {t.label}"),
                        url=url)
                return t.error("tls", (
                    f"the TLS handshake with {hp} failed ({excerpt(str(c), 100)}): check "
                    "that the address and port are right"), url=url)
        for c in causes:
            if isinstance(c, ConnectionRefusedError):
                return t.error("connect", (
                    f"connection refused by {hp} for {t.label}: nothing is listening there - "
                    "is the server running, and are the host and port right?"), url=url)
        reason = next((str(c) for c in reversed(causes) if str(c)), type(exc).__name__)
        return t.error("connect", (
            f"cannot connect to {hp} for {t.label}: {excerpt(reason, 100)} - check the "
            "address and the network"), url=url)
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        if parts.scheme == "http" and parts.hostname and await _speaks_tls(
                parts.hostname, parts.port or 80, min(connect_timeout, 5.0)):
            return t.error("scheme", (
                f"{hp} speaks HTTPS, not plain HTTP: use "
                f"{swap_scheme(t.provider.address)} as the address of {t.label}"), url=url)
        return t.error("connect", (
            f"{hp} closed the connection without an HTTP answer for {t.label}: check the "
            "address and port, and whether the server needs https://"), url=url)
    return t.error("connect", f"the request to {t.label} failed: {excerpt(str(exc), 100)} "
                   f"({url})", url=url)


# ---------------------------------------------------------------------------- mid-stream
def midstream_error(t: Target, exc: BaseException, url: str, chars: int, partial: str, *,
                    read_timeout: float, closed: bool) -> ProviderError:
    got = f"after {chars} characters (the partial answer is kept)" if chars else \
        "before any text arrived"
    if isinstance(exc, httpx.TimeoutException):
        return t.error("timeout", (
            f"the answer from {t.label} stalled: nothing arrived for "
            f"{read_timeout:g} s, {got} - try again"), url=url, partial=partial)
    if isinstance(exc, StreamProblem):
        if exc.kind == "truncated":
            return t.error("stream", (
                f"the answer from {t.label} was cut off: the stream ended without a finish "
                f"reason {got} - try again"), url=url, partial=partial)
        if exc.kind == "error":
            return t.error("server", (
                f"{t.label} reported an error in the middle of the answer: "
                f"{excerpt(exc.detail, EXCERPT)} ({got})"), url=url, partial=partial)
        return t.error("stream", (
            f"{t.label} sent a malformed chunk ({excerpt(exc.detail)!r} is not JSON), {got} "
            "- try again"), url=url, partial=partial)
    reason = excerpt(str(exc) or type(exc).__name__, 80)
    if closed:
        return t.error("cancelled", f"the answer from {t.label} was cancelled: the client "
                       f"was closed ({got})", url=url, partial=partial)
    return t.error("stream", (
        f"the connection to {t.label} was cut in the middle of the answer ({reason}), {got} "
        "- try again"), url=url, partial=partial)


def too_large(t: Target, url: str, size: int, partial: str, limit: int) -> ProviderError:
    kept = (f"the first {len(partial)} characters of the answer are kept" if partial
            else "no complete piece of text had arrived")
    return t.error("too_large", (
        f"the answer from {t.label} passed max_answer_bytes ({size_text(limit)}; "
        f"{size_text(size)} received), so it was stopped: {kept} - raise max_answer_bytes in "
        "the config file if answers this large are expected"), url=url, partial=partial)
