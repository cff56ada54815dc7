"""How an API address, as a user types it, becomes request URLs.

One function, :func:`resolve`, serves the editor's live preview, the real
requests and ``cherry-tui url``. The rules (checked in this order, after
trimming surrounding white space) are the contract in
``tests/data/address-cases.toml``:

exact           ends with ``#``: the address minus the ``#`` is the chat URL.
                The model list is derivable only when it ends with the endpoint.
slash           ends with ``/``: no version segment is added.
keep-version    the last path segment is a version (v1, v3, v2beta): kept.
append-version  anything else: ``/v1/`` is appended.

A resolved address may carry warnings: a non-exact address that already ends with
the chat endpoint (a pasted invoke URL without ``#``) would call a URL containing the
endpoint twice, and the preview says so as it is typed, with the address to use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

PROVIDER_TYPES = ("openai", "anthropic")

# Endpoint appended to the base for each provider type: (chat, model list).
ENDPOINTS = {
    "openai": ("chat/completions", "models"),
    "anthropic": ("messages", "models"),
}

RULE_TEXT = {
    "exact": "ends with # - used exactly as typed",
    "slash": "ends with / - no /v1 added",
    "keep-version": "ends with a version - kept, endpoint appended",
    "append-version": "no version given - /v1/ appended",
}

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

    @property
    def rule_text(self) -> str:
        return RULE_TEXT[self.rule]

    def as_dict(self) -> dict[str, str | None | list[str]]:
        return {"chat": self.chat, "models": self.models, "rule": self.rule,
                "warnings": list(self.warnings)}


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


def resolve(address: str, provider_type: str = "openai") -> Resolved:
    """Resolve a typed address into the chat URL, the model-list URL and the rule.

    Raises :class:`AddressError` for an address that cannot work.
    """
    address = (address or "").strip()
    _validate(address, provider_type)
    chat_ep, models_ep = ENDPOINTS[provider_type]

    if address.endswith("#"):
        chat = address[:-1]
        models = None
        if chat.endswith("/" + chat_ep):
            models = chat[: -len(chat_ep)] + models_ep
        return Resolved(chat, models, "exact")

    warnings = _warnings(address, provider_type)
    if address.endswith("/"):
        return Resolved(address + chat_ep, address + models_ep, "slash", warnings)

    if ends_with_version(urlsplit(address).path):
        return Resolved(f"{address}/{chat_ep}", f"{address}/{models_ep}", "keep-version",
                        warnings)

    return Resolved(f"{address}/v1/{chat_ep}", f"{address}/v1/{models_ep}", "append-version",
                    warnings)


def ends_with_version(path: str) -> bool:
    """Does this URL path (or one segment) end with a version (``/v1``, ``/api/v3``)?"""
    last = path.rsplit("/", 1)[-1] if path else ""
    return bool(last and _VERSION.match(last))


def _warnings(address: str, provider_type: str) -> tuple[str, ...]:
    """Warnings for a valid address that is not exact (``#`` is used as typed)."""
    chat_ep, models_ep = ENDPOINTS[provider_type]
    trimmed = address.rstrip("/")
    path = urlsplit(trimmed).path
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
    if res.warnings:
        how = res.warnings[0]
    elif res.rule == "append-version":
        how = ("/v1/ was added because the address has no version; end the address "
               "with / to stop that, or with # to use it exactly as typed")
    elif res.rule == "exact":
        how = ("the address ends with #, so it is used exactly as typed; remove the # "
               f"to have /{chat_ep} appended")
    elif res.rule == "slash" and not ends_with_version(urlsplit(address.strip()).path.rstrip("/")):
        how = ("the address ends with /, so no /v1/ was added; remove the / to have /v1/ "
               "added, or end it with # to use it exactly as typed")
    else:
        how = (f"/{chat_ep} was appended to the address; end it with # to use it "
               "exactly as typed")
    return f"{how} (cherry-tui url ADDRESS shows the resulting URLs)"


def check(address: str, provider_type: str = "openai") -> str | None:
    """The error message for an address, or None when it resolves."""
    try:
        resolve(address, provider_type)
    except AddressError as exc:
        return str(exc)
    return None
