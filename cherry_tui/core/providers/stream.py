"""Reading a streamed answer: SSE bytes -> the protocol's decoder -> scrubbed events.

Shared by every protocol: the body is bounded by ``max_answer_bytes``, keys are masked
even when split across two pieces, and a failure keeps the text that did arrive.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence

import httpx

from ..secrets import held_tail, scrub
from .base import Target
from .errors import ProviderError, StreamProblem, too_large
from .events import ContentDelta, Event, Finish, ReasoningDelta
from .sse import SSEParser


class StreamScrub:
    """Masks keys in text that arrives in pieces (a key may be split between two).

    The few characters at the end that could begin a key part are held back until the
    next piece (or :meth:`flush`), so what is let out is always scrubbed.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = [k.strip() for k in keys if k and k.strip()]
        self._held = ""

    def feed(self, text: str) -> str:
        if not self._keys:
            return text
        text = self._held + text
        keep = held_tail(text, self._keys)
        self._held = text[len(text) - keep:] if keep else ""
        return scrub(text[:len(text) - keep], self._keys)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return scrub(held, self._keys) if held else ""


async def sse_events(t: Target, response: httpx.Response, url: str, *, limit: int,
                     failed: Callable[[BaseException, str, int, str], ProviderError]
                     ) -> AsyncIterator[Event]:
    """Decode a server-sent-event body: bounded by max_answer_bytes, keys scrubbed."""
    decoder = t.protocol.decoder()
    parser = SSEParser()
    content, reasoning = StreamScrub(t.keys), StreamScrub(t.keys)
    chars, size = 0, 0
    partial: list[str] = []

    def clean(events: list[Event]) -> list[Event]:
        nonlocal chars
        out: list[Event] = []
        for event in events:
            if isinstance(event, ContentDelta):
                event = ContentDelta(content.feed(event.text))
                partial.append(event.text)
            elif isinstance(event, ReasoningDelta):
                event = ReasoningDelta(reasoning.feed(event.text))
            elif isinstance(event, Finish):
                out.extend(held())
            if isinstance(event, (ContentDelta, ReasoningDelta)):
                if not event.text:
                    continue
                chars += len(event.text)
            out.append(event)
        return out

    def held() -> list[Event]:
        nonlocal chars
        out: list[Event] = []
        rest = reasoning.flush()
        if rest:
            out.append(ReasoningDelta(rest))
        rest = content.flush()
        if rest:
            partial.append(rest)
            out.append(ContentDelta(rest))
        chars += len(rest)
        return out

    chunks = response.aiter_bytes()
    problem: BaseException | None = None
    oversize = False
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                oversize = True
                break
            for sse in parser.feed(chunk):
                for event in clean(decoder.feed(sse)):
                    yield event
            if decoder.done:
                break
        if not oversize:
            if decoder.done:
                await _drain(chunks)
            else:
                for sse in parser.close():
                    for event in clean(decoder.feed(sse)):
                        yield event
            for event in clean(decoder.end()):
                yield event
            return
    except (httpx.HTTPError, StreamProblem) as exc:
        problem = exc
    for event in held():
        yield event
    text = "".join(partial)
    if problem is None:
        raise too_large(t, url, size, text, limit)
    raise failed(problem, url, chars, text) from None


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """After the end event: read the end of the body so the connection can be reused."""
    async def drain() -> None:
        async for _ in chunks:
            pass
    try:
        await asyncio.wait_for(drain(), 1.0)
    except (TimeoutError, httpx.HTTPError):
        pass
