"""The proxy httpx will use for a URL, read from the environment as httpx reads it.

Used to say "the proxy ... is unreachable" instead of "the server is down", and to
report a SOCKS proxy that cannot work because socksio is missing.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

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
