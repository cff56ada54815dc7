"""The client tells each rate-limit wait before it starts (``Waiting``), so a screen can
say "retrying in N s" instead of showing nothing; against llmock over a real socket."""

from __future__ import annotations

import asyncio

from cherry_tui.core.client import Client, ContentDelta, Waiting

from test_client_llmock import HELLO, KEY, provider


async def test_each_429_wait_is_told_before_it_starts(llmock):
    llmock.rate_limit(times=2, retry_after=0.2).reply("after the wait")
    async with Client(max_retries=2) as client:
        events = [e async for e in client.stream_chat(provider(llmock.url), [KEY], "m", HELLO)]
    waits = [e for e in events if isinstance(e, Waiting)]
    assert [w.seconds for w in waits] == [0.2, 0.2] and [w.attempt for w in waits] == [2, 3]
    assert all("is rate limiting requests (HTTP 429" in w.reason for w in waits)
    assert events[:2] == waits  # before anything of the answer
    assert "".join(e.text for e in events if isinstance(e, ContentDelta)) == "after the wait"


async def test_closing_the_stream_during_a_wait_sends_nothing_more(llmock):
    llmock.rate_limit(times=1, retry_after=20).reply("never asked for")
    async with Client() as client:
        stream = client.stream_chat(provider(llmock.url), [KEY], "m", HELLO)
        first = await asyncio.wait_for(anext(stream), 10)
        assert isinstance(first, Waiting) and first.seconds == 20
        await stream.aclose()  # the user stopped: the wait ends, no retry is sent
    assert len(llmock.requests) == 1
