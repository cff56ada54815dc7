"""How an API address, as a user types it, becomes request URLs.

One function, :func:`resolve`, serves the editor's live preview, the real
requests and ``cherry-tui url``. The rules (checked in this order, after
trimming surrounding white space) are the contract in
``tests/data/address-cases.toml``:

exact           ends with ``#``: the address minus the ``#`` is the chat URL.
                The model list is derivable only when it ends with the endpoint.
slash           ends with ``/``: no version segment is added.
keep-version    the last path segment is a version (v1, v3, v2beta): kept.
append-version  anything else: the type's version is appended (``/v1/``; Gemini
                ``/v1beta/``; Azure OpenAI ``/openai/``, also for a bare resource
                address typed with its trailing ``/``).

Where a type's URL holds the model (Gemini's ``models/{model}:...``, Azure's
``deployments/{model}/...``), ``model`` fills it in (``{model}`` when none is given);
Azure's ``api-version`` query comes from ``api_version`` (``v1`` picks the
``/openai/v1/`` API, which takes the deployment as the body's ``model``).

A resolved address may carry warnings: a non-exact address that already ends with
the chat endpoint (a pasted invoke URL without ``#``) would call a URL containing the
endpoint twice, and the preview says so as it is typed, with the address to use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

PROVIDER_TYPES = ("openai", "anthropic", "openai-responses", "gemini", "azure-openai")

# Endpoint appended to the base for each provider type: (chat, model list). Gemini's and
# Azure's dated chat endpoints hold the model, filled in by resolve().
ENDPOINTS = {
    "openai": ("chat/completions", "models"),
    "anthropic": ("messages", "models"),
    "openai-responses": ("responses", "models"),
    "gemini": ("models/{model}:streamGenerateContent?alt=sse", "models"),
    "azure-openai": ("chat/completions", "models"),
}
GEMINI_VERSION = "v1beta"
AZURE_API_VERSION = "2024-10-21"  # the latest GA data-plane version; "v1" = the v1 API
MODEL_SLOT = "{model}"

RULE_TEXT = {
    "exact": "ends with # - used exactly as typed",
    "slash": "ends with / - no /v1 added",
    "keep-version": "ends with a version - kept, endpoint appended",
    "append-version": "no version given - /v1/ appended",
}
_APPEND_TEXT = {"gemini": f"no version given - /{GEMINI_VERSION}/ appended",
                "azure-openai": "a resource address - /openai/ appended"}
_SLASH_TEXT = {"gemini": f"ends with / - no /{GEMINI_VERSION} added",
               "azure-openai": "ends with / - no /openai added"}

_VERSION = re.compile(r"^v\d+[a-z]*\d*$", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


class AddressError(ValueError):
    """An address that cannot work. The message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class Resolved:
    chat: str
    models: str | None
    rule: str
    warnings: tuple[str, ...] = ()  # the address resolves, but very likely not as meant
    once: str | None = None  # the non-streamed chat URL, where it differs from ``chat``
    provider_type: str = "openai"

    @property
    def rule_text(self) -> str:
        texts = {"append-version": _APPEND_TEXT, "slash": _SLASH_TEXT}.get(self.rule, {})
        return texts.get(self.provider_type, RULE_TEXT[self.rule])

    @property
    def whole(self) -> str:
        """The URL a non-streamed chat request goes to."""
        return self.once or self.chat

    def as_dict(self) -> dict[str, str | None | list[str]]:
        out: dict[str, str | None | list[str]] = {
            "chat": self.chat, "models": self.models, "rule": self.rule,
            "warnings": list(self.warnings)}
        if self.once:
            out["whole"] = self.once
        return out


def _validate(address: str, provider_type: str) -> None:
    if provider_type not in ENDPOINTS:
        raise AddressError(
            f"unknown provider type {provider_type!r}: use one of {', '.join(PROVIDER_TYPES)}"
        )
    if not address:
        raise AddressError(
            "the API address is empty: type the provider's address, e.g. https://api.openai.com"
        )
    if any(ch.isspace() for ch in address):
        raise AddressError(
            f"the API address {address!r} contains a space: remove it (copy the address exactly)"
        )
    match = _SCHEME.match(address)
    if not match:
        if "://" in address or address.startswith(("/", ":")):
            raise AddressError(
                f"{address!r} is not a web address: it must start with http:// or https://"
            )
        raise AddressError(
            f"{address!r} has no scheme: did you mean https://{address}? "
            "(use http:// for a plain-http server such as http://127.0.0.1:3000)"
        )
    scheme = match.group(1).lower()
    if scheme not in ("http", "https"):
        raise AddressError(
            f"{scheme}:// addresses are not supported: use http:// or https:// "
            f"(e.g. https://{address[match.end():]})"
        )
    body = address[:-1] if address.endswith("#") else address
    if "#" in body:
        raise AddressError(
            f"{address!r} has a '#' in the middle: '#' is only allowed at the very end, "
            "meaning 'use this address exactly as typed'"
        )
    parts = urlsplit(body)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise AddressError(
            f"{address!r} has an invalid port: use a number from 1 to 65535, e.g. http://127.0.0.1:3000"
        ) from None
    if not host:
        raise AddressError(
            f"{address!r} has no host name: e.g. https://api.openai.com or http://127.0.0.1:3000"
        )
    if port == 0:
        raise AddressError(f"{address!r} has port 0: use the port the server listens on")
    if parts.query and not address.endswith("#"):
        raise AddressError(
            f"{address!r} has a query string ('?...'): end the address with '#' "
            "to use it exactly as typed"
        )


def resolve(address: str, provider_type: str = "openai", *, model: str | None = None,
            api_version: str | None = None) -> Resolved:
    """Resolve a typed address into the chat URL, the model-list URL and the rule.

    Raises :class:`AddressError` for an address that cannot work.
    """
    address = (address or "").strip()
    _validate(address, provider_type)
    if address.endswith("#"):
        return _exact(address[:-1], provider_type)
    warnings = _warnings(address, provider_type)
    path = urlsplit(address).path
    azure_root = provider_type == "azure-openai" and path in ("", "/")
    if address.endswith("/") and not azure_root:
        rule, base = "slash", address
    elif ends_with_version(path):
        rule, base = "keep-version", address + "/"
    else:
        rule, base = "append-version", address.rstrip("/") + "/" + {
            "gemini": GEMINI_VERSION, "azure-openai": "openai"}.get(provider_type, "v1") + "/"
    slot = quote(model, safe="") if model else MODEL_SLOT
    chat_ep, models_ep = ENDPOINTS[provider_type]
    once = None
    if provider_type == "gemini":
        once = f"{base}models/{slot}:generateContent"
        chat_ep = chat_ep.replace(MODEL_SLOT, slot)
    elif provider_type == "azure-openai":
        version = (api_version or "").strip() or AZURE_API_VERSION
        if rule == "keep-version" or version == "v1":
            if rule == "append-version":
                base += "v1/"
        else:
            query = f"?api-version={quote(version, safe='')}"
            chat_ep = f"deployments/{slot}/chat/completions{query}"
            models_ep += query
    return Resolved(base + chat_ep, base + models_ep, rule, warnings, once, provider_type)


def _exact(chat: str, provider_type: str) -> Resolved:
    """An address ending with ``#``: used as typed for chat (streamed or not)."""
    models = None
    if provider_type == "gemini":
        head, found, _ = chat.partition("/models/")
        models = head + "/models" if found else None
    else:
        chat_ep, models_ep = ENDPOINTS[provider_type]
        if urlsplit(chat).path.endswith("/" + chat_ep) and not urlsplit(chat).query:
            models = chat[: -len(chat_ep)] + models_ep
    return Resolved(chat, models, "exact", provider_type=provider_type)


def ends_with_version(path: str) -> bool:
    """Does this URL path (or one segment) end with a version (``/v1``, ``/api/v3``)?"""
    last = path.rsplit("/", 1)[-1] if path else ""
    return bool(last and _VERSION.match(last))


def _warnings(address: str, provider_type: str) -> tuple[str, ...]:
    """Warnings for a valid address that is not exact (``#`` is used as typed)."""
    chat_ep, models_ep = ENDPOINTS[provider_type]
    trimmed = address.rstrip("/")
    path = urlsplit(trimmed).path
    if provider_type == "gemini" and re.search(r":(stream)?generateContent$", path, re.I):
        return (f"the address already names a model and method ({path.rsplit('/', 1)[-1]}), "
                f"so the chat URL would name them twice: use {trimmed}# (ending with # uses "
                "it exactly as typed)",)
    if path.endswith("/" + chat_ep):
        return (f"the address already ends with /{chat_ep}, so the chat URL would contain "
                f"it twice: use {trimmed}# (ending with # uses it exactly as typed)",)
    if path.endswith("/" + models_ep):
        fixed = trimmed[: -len(models_ep) - 1] + ("/" if address.endswith("/") else "")
        return (f"the address ends with /{models_ep}, the model-list endpoint: use {fixed} "
                f"(/{chat_ep} is appended to it)",)
    return ()


def swap_scheme(address: str) -> str:
    """The address with http:// and https:// swapped: the hint for a scheme mismatch.

    A bare root typed with a trailing ``/`` (``https://10.0.0.5:3000/``) loses it: the
    ``/`` stops ``/v1`` being added, and a root address is meant to get it (the OneAPI
    guide: only the root address, nothing from the ``/`` on).
    """
    address = address.strip()
    for old, new in (("https://", "http://"), ("http://", "https://")):
        if address.lower().startswith(old):
            swapped = new + address[len(old):]
            if swapped.endswith("/") and urlsplit(swapped).path == "/":
                return swapped[:-1]
            return swapped
    return address


def rule_hint(address: str, provider_type: str = "openai") -> str:
    """What to change in an address whose URL did not work, by the rule that built it.

    A warning (the endpoint twice) comes first: "end it with /" would not fix that.
    """
    res = resolve(address, provider_type)
    chat_ep = ENDPOINTS[provider_type][0]
    added = {"gemini": f"/{GEMINI_VERSION}/", "azure-openai": "/openai/"}.get(provider_type, "/v1/")
    if res.warnings:
        how = res.warnings[0]
    elif res.rule == "append-version":
        how = (f"{added} was added because the address has no version; end the address "
               "with / to stop that, or with # to use it exactly as typed")
    elif res.rule == "exact":
        how = ("the address ends with #, so it is used exactly as typed; remove the # "
               f"to have /{chat_ep} appended")
    elif res.rule == "slash" and not ends_with_version(urlsplit(address.strip()).path.rstrip("/")):
        how = (f"the address ends with /, so no {added} was added; remove the / to have "
               f"{added} added, or end it with # to use it exactly as typed")
    elif provider_type == "gemini" and res.rule == "keep-version" and not address.strip(
            ).endswith("/" + GEMINI_VERSION):
        typed = address.strip()
        head, _, last = typed.rpartition("/")
        how = (f"the address ends with the version {last}, kept as typed, but the Gemini API "
               f"is {GEMINI_VERSION}: use {head}/{GEMINI_VERSION} (or {head})")
    else:
        how = (f"/{chat_ep} was appended to the address; end it with # to use it "
               "exactly as typed")
    return f"{how} (cherry-tui url ADDRESS shows the resulting URLs)"


_API_VERSION = re.compile(r"^(v1|preview|\d{4}-\d{2}-\d{2}(-preview)?)$")


def api_version_problems(value: str, provider_type: str) -> list[str]:
    """What is wrong with a provider's ``api_version`` setting (nothing: [])."""
    if provider_type != "azure-openai":
        return [f"api_version applies to type azure-openai only, not {provider_type}: "
                "remove it"]
    if not _API_VERSION.match(value.strip()):
        return [f"api_version {value!r} is not an Azure OpenAI API version: use a date such "
                f"as {AZURE_API_VERSION}, or v1 for the /openai/v1/ API"]
    return []


def check(address: str, provider_type: str = "openai") -> str | None:
    """The error message for an address, or None when it resolves."""
    try:
        resolve(address, provider_type)
    except AddressError as exc:
        return str(exc)
    return None
