"""A provider's extra options: ``headers``, ``proxy``, ``context_windows`` (validation only).

* ``headers = { "X-Title" = "My app", "HTTP-Referer" = "https://example.org" }`` are sent
  with every request to that provider. Keys never go here: a header that carries a key
  (``Authorization``, ``api-key``, ``x-api-key``, ``x-goog-api-key``, any name with
  ``token``, ``secret`` or ``api-key`` in it) or a value that looks like a key (``sk-...``,
  ``Bearer ...``, a JWT) is refused with a message saying keys belong in ``key``, because
  config.toml is not a secret store and keys there would skip masking and the key pool.
* ``proxy = "http://127.0.0.1:8080"`` (also ``https://``, ``socks5://``, ``socks5h://``)
  is that provider's proxy; without it the environment's proxy variables apply.
* ``context_windows = { "my-model" = 32768 }``: a model's context window in tokens, for
  the chat's bar and its warning before a request too long for the model (core.context).

Pure functions: they return problems as one-line messages; config.py attaches them to
the provider.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

KEY_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key",
                         "x-goog-api-key", "apikey", "x-apikey"})
_KEYISH_NAME = re.compile(r"token|secret|api-?key|password")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 field-name
_KEYISH_VALUE = re.compile(
    r"^(?:bearer|basic)\s+\S|"  # an Authorization value
    r"(?:^|[^A-Za-z0-9])(?:sk-|sk_|AIza|gsk_|xai-|hf_|pk-|ak-)[A-Za-z0-9_-]{8,}|"
    r"^eyJ[A-Za-z0-9_-]{8,}\.",  # a JWT
    re.IGNORECASE)
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
KEYS_BELONG = "keys belong in key (cherry-tui key set|env|cmd PROVIDER), never in headers"


def parse_headers(value: Any) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """A provider's ``headers`` table: ((name, value) pairs, problems).

    Refused entries are reported and left out; the rest are sent.
    """
    example = 'headers = { "X-Title" = "My app" }'
    if not isinstance(value, dict):
        return (), [f"headers must be a table of header name = value, e.g. {example}"]
    found: list[tuple[str, str]] = []
    problems: list[str] = []
    for name, val in value.items():
        name = str(name)
        if problem := header_problem(name, val):
            problems.append(f"headers: {problem}")
        else:
            found.append((name, str(val)))
    return tuple(found), problems


def header_problem(name: str, value: Any) -> str | None:
    """Why this header cannot be sent from config.toml, or None. Never echoes a value."""
    if not _TOKEN.match(name):
        return (f"{name!r} is not a header name (letters, digits and - only, e.g. X-Title)")
    if not isinstance(value, str):
        return f"{name} must be a string in quotes"
    lower = name.lower()
    if lower in KEY_HEADERS or _KEYISH_NAME.search(lower):
        return f"{name} would carry a key: {KEYS_BELONG}"
    if _KEYISH_VALUE.search(value):
        return f"the value of {name} looks like a key: {KEYS_BELONG}"
    for pos, ch in enumerate(value, 1):
        if not " " <= ch <= "~":
            return (f"character {pos} of the value of {name} is not printable ASCII "
                    f"(U+{ord(ch):04X}); HTTP headers cannot carry it")
    return None


def proxy_problem(value: Any) -> str | None:
    """Why ``proxy`` cannot be used, or None."""
    if not isinstance(value, str) or not value.strip():
        return 'proxy must be an address in quotes, e.g. proxy = "http://127.0.0.1:8080"'
    parts = urlsplit(value.strip())
    if parts.scheme not in PROXY_SCHEMES:
        return (f"proxy {value!r} must start with {', '.join(s + '://' for s in PROXY_SCHEMES)}"
                " (e.g. http://127.0.0.1:8080)")
    try:
        port = parts.port
    except ValueError:
        return f"proxy {value!r} has a port that is not a number from 1 to 65535"
    if not parts.hostname or port == 0:
        return f"proxy {value!r} has no host: write it as {parts.scheme}://HOST:PORT"
    return None


def parse_context_windows(value: Any) -> tuple[dict[str, int], list[str]]:
    """A provider's ``context_windows`` table: ({model id: tokens}, problems).

    Entries that are not a whole number above 0 are reported and left out."""
    example = 'context_windows = { "my-model" = 32768 }'
    if not isinstance(value, dict):
        return {}, [f"context_windows must be a table of model id = tokens, e.g. {example}"]
    found: dict[str, int] = {}
    problems: list[str] = []
    for model, n in value.items():
        if isinstance(n, int) and not isinstance(n, bool) and n > 0:
            found[str(model)] = int(n)
        else:
            problems.append(f"context_windows: {model!r} = {n!r} is not a number of tokens: "
                            f"write a whole number, e.g. {example}")
    return found, problems


__all__ = ["KEY_HEADERS", "PROXY_SCHEMES", "header_problem", "parse_context_windows",
           "parse_headers", "proxy_problem"]
