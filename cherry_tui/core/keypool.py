"""A provider's keys, used in turn, with failover: the pure bookkeeping.

Cherry Studio rotates several keys but never skips a dead or rate-limited one (its
issues #10731, #9450, #8567). Here:

* keys are still used in turn (round robin over the usable ones);
* a key answered with 401 or 403 is **bad** for the rest of this run (never asked again);
* a key answered with 429 or a quota error **rests**: for the server's ``retry-after``
  when it gave one, else for an exponential backoff (1 s, 2 s, 4 s ... at most 5 min)
  that grows with each rate limit in a row and is forgotten when the key works again;
* :meth:`KeyPool.next_usable` gives the next key that is neither bad nor resting (and not
  in ``skip``: the keys a request already tried), or None;
* every key has a state with its reason, and :meth:`KeyPool.summary` lists each masked
  key with its reason for the one message shown when every key failed.

No I/O and no clock of its own beyond ``clock`` (monotonic seconds, injectable), so the
request loop (core.client) and the tests drive it directly. Nothing here ever shows a
key unmasked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from .secrets import mask

BACKOFF_START = 1.0
BACKOFF_MAX = 300.0

READY, WORKS, BAD, RESTING = "ready", "works", "bad", "resting"


@dataclass(frozen=True)
class KeyState:
    """One key as the pool sees it (a copy: changing it changes nothing)."""

    key: str
    state: str = READY  # ready (not tried yet), works, bad, resting
    reason: str = ""  # why it is bad or resting, e.g. "rejected (HTTP 401)"
    rest_left: float = 0.0  # seconds until a resting key is usable again

    @property
    def masked(self) -> str:
        return mask(self.key)

    @property
    def why(self) -> str:
        """``rejected (HTTP 401)``; a resting key says for how long."""
        if self.state == RESTING:
            return f"{self.reason}, resting {_secs(self.rest_left)}"
        if self.state == BAD:
            return self.reason
        return "works" if self.state == WORKS else "not used yet"

    def describe(self) -> str:
        """``sk-a****1111: rejected (HTTP 401)``."""
        return f"{self.masked}: {self.why}"


def _secs(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.2g} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


@dataclass
class _Entry:
    state: str = READY
    reason: str = ""
    until: float = 0.0  # monotonic time a resting key is usable again
    limits: int = 0  # rate limits in a row (the backoff's exponent)


class KeyPool:
    """A provider's keys in turn, skipping bad and resting ones (see the module docstring)."""

    def __init__(self, keys: Sequence[str], clock: Callable[[], float] = time.monotonic):
        self.keys: list[str] = list(dict.fromkeys(k for k in keys if k))
        self._clock = clock
        self._next = 0
        self._entries = {k: _Entry() for k in self.keys}

    def __bool__(self) -> bool:
        return bool(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def usable(self, key: str) -> bool:
        entry = self._entries[key]
        return entry.state != BAD and (entry.state != RESTING or entry.until <= self._clock())

    def next_usable(self, skip: Collection[str] = ()) -> str | None:
        """The next key in turn that is neither bad, resting nor in ``skip``; None if none."""
        n = len(self.keys)
        for i in range(n):
            key = self.keys[(self._next + i) % n]
            if key not in skip and self.usable(key):
                self._next = (self._next + i + 1) % n
                return key
        return None

    def mark_ok(self, key: str) -> None:
        """The key worked: it is usable, and its backoff starts afresh."""
        self._entries[key] = _Entry(WORKS)

    def mark_bad(self, key: str, reason: str) -> None:
        """401/403: never used again in this run."""
        self._entries[key] = _Entry(BAD, reason)

    def mark_limited(self, key: str, reason: str, retry_after: float | None = None) -> float:
        """429 or a quota error: the key rests for ``retry_after`` seconds when the server
        said so, else for the backoff. Returns how long it rests."""
        entry = self._entries[key]
        limits = entry.limits + 1
        rest = retry_after if retry_after is not None and retry_after >= 0 else \
            min(BACKOFF_MAX, BACKOFF_START * 2 ** (limits - 1))
        self._entries[key] = _Entry(RESTING, reason, self._clock() + rest, limits)
        return rest

    def state(self, key: str) -> KeyState:
        entry = self._entries[key]
        left = entry.until - self._clock()
        if entry.state == RESTING and left <= 0:  # rested: usable again, reason kept
            return KeyState(key, READY, entry.reason)
        return KeyState(key, entry.state, entry.reason, max(0.0, left))

    def states(self) -> list[KeyState]:
        return [self.state(k) for k in self.keys]

    def soonest(self) -> float | None:
        """Seconds until the first resting key is usable (0 if one is usable now); None
        when every key is bad."""
        waits = [max(0.0, self._entries[k].until - self._clock())
                 for k in self.keys if self._entries[k].state != BAD]
        return min(waits) if waits else None

    def summary(self, keys: Collection[str] | None = None) -> str:
        """Each masked key with its state, ``; ``-separated (``keys``: only those)."""
        return "; ".join(s.describe() for s in self.states() if keys is None or s.key in keys)


__all__ = ["BAD", "READY", "RESTING", "WORKS", "KeyPool", "KeyState"]
