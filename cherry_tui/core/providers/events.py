"""What a provider call yields: typed stream events, a whole answer, a check's result.

Every protocol module turns its wire format into these, so the screens and the CLI
never see a protocol's own shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class ContentDelta:
    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None


@dataclass(frozen=True)
class Finish:
    """Always the last event of a stream that completed; ``reason`` as the server said."""

    reason: str | None


@dataclass(frozen=True)
class Waiting:
    """The client is about to wait ``seconds`` before trying again (a 429 Retry-After).

    Sent before the pause so a UI can say "rate limited, retrying in N s"; stopping the
    consumer during the pause stops the request.
    """

    seconds: float
    reason: str  # one line, e.g. "Mock is rate limiting requests (HTTP 429: slow down)"
    attempt: int  # the try that comes after the pause (2 for the first retry)


@dataclass(frozen=True)
class KeySkipped:
    """A key of several failed before any token (401/403, 429 or a quota error): the
    request moved on to the next usable key. Sent before that try, so a UI can say so."""

    masked: str  # the key, masked (sk-1****abcd)
    reason: str  # e.g. "rejected (HTTP 401)", "rate limited (HTTP 429), resting 30 s"


Event = ContentDelta | ReasoningDelta | Usage | Finish | Waiting | KeySkipped


class Completion(NamedTuple):
    """A whole (non-streamed) answer. A tuple, so ``text, reasoning, usage, finish = ...``
    keeps working where callers unpack it."""

    text: str
    reasoning: str
    usage: Usage | None
    finish_reason: str | None


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    latency: float  # seconds
    message: str
    model: str | None
    kind: str | None = None  # ProviderError.kind when not ok


def int_or_none(value: object) -> int | None:
    """A token count as the server sent it, or None (a bool is not a count)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
