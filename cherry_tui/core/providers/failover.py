"""Which failed answers are a key's own fault, and what the key pool makes of them.

The bookkeeping is :mod:`cherry_tui.core.keypool`; this module reads an HTTP answer for
it: 401 and 403 (and a protocol's "key rejected" body, such as Gemini's 400
``API_KEY_INVALID``) make a key bad for the run; 429 and 402, or an error that speaks of
a quota, credit or balance, make it rest for the server's ``Retry-After`` (else a
doubling backoff). With several keys the client then moves on to the next usable key
before any token has arrived and tells the caller with a :class:`~.events.KeySkipped`.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import httpx

from ..keypool import BAD, KeyPool
from .base import ErrorBody, Target
from .errors import ProviderError, retry_after
from .events import KeySkipped

_QUOTA = re.compile(r"quota|insufficient|billing|credit|balance", re.IGNORECASE)


def key_failed(pool: KeyPool, key: str, status: int, error: ErrorBody,
               headers: httpx.Headers) -> KeySkipped | None:
    """Mark ``key`` in ``pool`` when this answer is the key's fault, and return the note
    to show (None: not the key's fault, e.g. a wrong model or a server error)."""
    if status in (401, 403) or error.key_rejected:
        pool.mark_bad(key, "forbidden (HTTP 403)" if status == 403
                      else f"rejected (HTTP {status})")
    elif status in (402, 429):
        quota = status == 402 or bool(_QUOTA.search(error.detail))
        wait = retry_after(headers)
        pool.mark_limited(key, f"{'quota used up' if quota else 'rate limited'} (HTTP {status})",
                          error.retry_after if wait is None else wait)
    else:
        return None
    state = pool.state(key)
    return KeySkipped(state.masked, state.why)


def next_key(t: Target, pool: KeyPool, tried: set[str]) -> str | None:
    """The key for the next try: the only one (always, whatever its state), or the next
    usable one of several not yet tried by this request (added to ``tried``); when none
    is left, the :func:`every_key_failed` error is raised."""
    if len(pool) <= 1:
        return pool.keys[0] if pool.keys else None
    key = pool.next_usable(skip=tried)
    if key is None:
        raise every_key_failed(t, pool, tried)
    tried.add(key)
    return key


def every_key_failed(t: Target, pool: KeyPool, tried: Collection[str]) -> ProviderError:
    """One message listing each masked key and why it cannot be used now."""
    keys = set(tried) or set(pool.keys)
    states = [s for s in pool.states() if s.key in keys]
    bad = all(s.state == BAD for s in states)
    return t.error("auth" if bad else "rate_limit", (
        f"every key of {t.label} failed: {pool.summary(keys)} - fix or replace them "
        f"(cherry-tui check {t.provider.id} --all-keys checks each)"),
        retry_after=None if bad else pool.soonest())


__all__ = ["every_key_failed", "key_failed", "next_key"]
