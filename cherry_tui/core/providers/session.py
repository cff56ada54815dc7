"""The HTTP sessions the client sends through: one shared ``httpx.AsyncClient``
(keep-alive), and one more per proxy that a provider names in its own ``proxy`` field.

A provider without ``proxy`` goes through the shared session, where the environment's
proxy variables apply as httpx reads them (``HTTP_PROXY``, ``HTTPS_PROXY``,
``ALL_PROXY``, ``NO_PROXY``); a provider with one goes through that proxy only.
"""

from __future__ import annotations

import ssl

import httpx

from ... import __version__
from .base import Target


class Sessions:
    def __init__(self, *, connect_timeout: float, read_timeout: float,
                 verify: bool | ssl.SSLContext, trust_env: bool) -> None:
        self._settings = (connect_timeout, read_timeout, verify, trust_env)
        self.shared = self._new(None)
        self._proxied: dict[str, httpx.AsyncClient] = {}

    def _new(self, proxy: str | None) -> httpx.AsyncClient:
        connect_timeout, read_timeout, verify, trust_env = self._settings
        return httpx.AsyncClient(
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10,
                                keepalive_expiry=60.0),
            follow_redirects=False,
            verify=verify,
            headers={"User-Agent": f"cherry-tui/{__version__}"},
            trust_env=trust_env,
            proxy=proxy,
        )

    def for_target(self, t: Target) -> httpx.AsyncClient:
        """The session for this provider: its own proxy's, else the shared one."""
        proxy = t.provider.proxy
        if not proxy:
            return self.shared
        if proxy not in self._proxied:
            try:
                self._proxied[proxy] = self._new(proxy)
            except ImportError:  # socks5:// without socksio
                raise t.error("proxy", (
                    f"the proxy of {t.label} is a SOCKS proxy, but the socksio package is not "
                    "installed: pip install 'httpx[socks]' (or use an http:// proxy)")) from None
        return self._proxied[proxy]

    async def aclose(self) -> None:
        await self.shared.aclose()
        for session in self._proxied.values():
            await session.aclose()
