"""The openai-responses, gemini and azure-openai protocols over a real socket.

Each against tests/servers/wire.py, a local server speaking that provider's wire format
(written from the public API references): streaming with reasoning and usage, a whole
answer, the model list (Gemini's paged), every error shape, a stream cut or failing
mid-answer, and what the request looked like on the wire.
"""

from __future__ import annotations

import pytest
from servers.wire import AZURE_VERSION, KEY, MODEL, MODELS, Serving

from cherry_tui.core.addresses import resolve
from cherry_tui.core.config import Provider
from cherry_tui.core.doctor import diagnose
from cherry_tui.core.providers import PROTOCOLS
from cherry_tui.core.providers.base import ChatCall
from cherry_tui.core.providers.client import Client
from cherry_tui.core.providers.errors import ProviderError, StreamProblem
from cherry_tui.core.providers.events import (
    Completion, ContentDelta, Finish, ReasoningDelta, Usage,
)
from cherry_tui.core.providers.gemini import parse_generate_content
from cherry_tui.core.providers.openai_responses import parse_response
from cherry_tui.core.providers.sse import SSEEvent
from cherry_tui.core.secrets import mask

TYPES = {"responses": "openai-responses", "gemini": "gemini", "azure": "azure-openai"}
KINDS = list(TYPES)
HI = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


@pytest.fixture(params=KINDS)
def wire(request):
    with Serving(request.param) as w:
        yield w


def provider(w, address: str | None = None, **kw) -> Provider:
    return Provider(id="p", name="P", type=TYPES[w.kind], address=address or w.root,
                    models=(MODEL,), **kw)


async def events_of(w, p: Provider | None = None, keys=(KEY,), model=MODEL, **kw) -> list:
    async with Client(max_retries=0, **kw) as client:
        return [e async for e in client.stream_chat(p or provider(w), list(keys), model, HI)]


async def failure(coro) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        await coro
    assert KEY not in info.value.message
    return info.value


async def stream_failure(w, **kw) -> ProviderError:
    return await failure(events_of(w, **kw))


# ---------------------------------------------------------------------------- answers
async def test_stream_gives_reasoning_text_usage_and_finish(wire):
    events = await events_of(wire)
    text = "".join(e.text for e in events if isinstance(e, ContentDelta))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert text == "Hello there"
    assert reasoning == ("" if wire.kind == "azure" else "Thinking hard")
    usage = [e for e in events if isinstance(e, Usage)]
    assert usage and usage[-1].prompt_tokens == 7 and usage[-1].total_tokens in (10, 12)
    assert events[-1] == Finish("stop")
    if wire.kind != "azure":  # the thinking comes first, as it was sent
        assert isinstance(events[0], ReasoningDelta)


async def test_whole_answer(wire):
    async with Client() as client:
        got = await client.complete(provider(wire), [KEY], MODEL, HI, max_tokens=1)
    assert isinstance(got, Completion)
    assert got.text == "Hello there" and got.finish_reason == "stop"
    assert got.reasoning == ("" if wire.kind == "azure" else "Thinking hard")
    assert got.usage is not None and got.usage.prompt_tokens == 7


async def test_model_list(wire):
    async with Client() as client:
        assert await client.list_models(provider(wire), [KEY]) == sorted(MODELS)
    gets = [s.path for s in wire.seen if s.method == "GET"]
    if wire.kind == "gemini":  # two a page: three pages, each asked for with its token
        assert gets == ["/v1beta/models", "/v1beta/models?pageToken=1",
                        "/v1beta/models?pageToken=2"]


# ---------------------------------------------------------------------------- on the wire
async def test_responses_request():
    with Serving("responses") as w:
        await events_of(w)
        async with Client() as client:
            await client.complete(provider(w), [KEY], MODEL, HI, max_tokens=1)
    stream, whole = [s for s in w.seen if s.method == "POST"]
    assert stream.path == "/v1/responses" and stream.headers["Authorization"] == f"Bearer {KEY}"
    assert stream.body == {"model": MODEL, "input": [{"role": "user", "content": "Hi"}],
                           "store": False, "instructions": "Be brief.", "stream": True}
    assert whole.body["max_output_tokens"] == 16  # OpenAI's minimum, for a 1-token check
    assert "stream" not in whole.body


async def test_gemini_request():
    with Serving("gemini") as w:
        await events_of(w)
        async with Client() as client:
            await client.complete(provider(w), [KEY], MODEL, HI, max_tokens=5)
    stream, whole = [s for s in w.seen if s.method == "POST"]
    assert stream.path == f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
    assert whole.path == f"/v1beta/models/{MODEL}:generateContent"
    assert stream.headers["x-goog-api-key"] == KEY and "Authorization" not in stream.headers
    assert stream.body == {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
                           "systemInstruction": {"parts": [{"text": "Be brief."}]},
                           "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}
    assert whole.body["generationConfig"]["maxOutputTokens"] == 5


def test_gemini_roles_map_assistant_to_model():
    call = ChatCall(MODEL, [{"role": "user", "content": "a"},
                            {"role": "assistant", "content": "b"}], True)
    resolved = resolve("http://127.0.0.1:1", "gemini", model=MODEL)
    request = PROTOCOLS["gemini"].chat_request(resolved, call)
    assert [c["role"] for c in request.body["contents"]] == ["user", "model"]
    assert request.url == f"http://127.0.0.1:1/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"


async def test_gemini_without_thinking_is_asked_again_without_it():
    with Serving("gemini") as w:
        w.fault = "no-thinking"
        events = await events_of(w)
        assert "".join(e.text for e in events if isinstance(e, ContentDelta)) == "Hello there"
        refused, again = [s for s in w.seen if s.method == "POST"]
        assert "thinkingConfig" in refused.body["generationConfig"]
        assert "generationConfig" not in again.body


@pytest.mark.parametrize("version, path", [
    (None, f"/openai/deployments/{MODEL}/chat/completions?api-version={AZURE_VERSION}"),
    ("v1", "/openai/v1/chat/completions"),
])
async def test_azure_request(version, path):
    with Serving("azure") as w:
        await events_of(w, provider(w, w.root + "/", api_version=version))
    [post] = [s for s in w.seen if s.method == "POST"]
    assert post.path == path and post.headers["api-key"] == KEY
    assert "Authorization" not in post.headers and post.body["model"] == MODEL


async def test_azure_check_calls_the_deployment_not_the_model_list():
    with Serving("azure") as w:
        async with Client() as client:
            ok = await client.check(provider(w), [KEY])
            gone = Provider(id="p", name="P", type="azure-openai", address=w.root,
                            models=("gone",))
            bad = await client.check(gone, [KEY])
    assert ok.ok and ok.model == MODEL
    assert not bad.ok and bad.kind == "not_found" and "no deployment named 'gone'" in bad.message
    assert all(s.method == "POST" for s in w.seen)


# ---------------------------------------------------------------------------- errors
async def test_wrong_key(wire):
    exc = await stream_failure(wire, keys=["sk-wrong-0123456789abcdefXYZ"])
    assert exc.kind == "auth"
    assert f"rejected the API key {mask('sk-wrong-0123456789abcdefXYZ')}" in exc.message
    assert "cherry-tui key set p" in exc.message
    said = {"responses": "Incorrect API key", "gemini": "API key not valid",
            "azure": "Access denied"}[wire.kind]
    assert said in exc.message


async def test_wrong_model(wire):
    exc = await stream_failure(wire, model="nope")
    assert exc.kind == "not_found"
    if wire.kind == "azure":
        assert "has no deployment named 'nope'" in exc.message
        assert "Deployments page of the Azure portal" in exc.message
    else:
        assert "does not know the model 'nope'" in exc.message
        assert "cherry-tui models p" in exc.message


async def test_rate_limit_says_how_long_to_wait(wire):
    wire.fault, wire.retry_after = "rate", "7"
    exc = await stream_failure(wire)
    assert exc.kind == "rate_limit" and exc.retry_after == 7.0
    assert "wait 7 s and try again" in exc.message


async def test_rate_limit_retries_after_the_wait(wire):
    wire.fault, wire.retry_after = "rate", "0"
    async with Client(max_retries=1) as client:
        with pytest.raises(ProviderError):
            [e async for e in client.stream_chat(provider(wire), [KEY], MODEL, HI)]
    assert len([s for s in wire.seen if s.method == "POST"]) == 2


@pytest.mark.parametrize("kind, address, rule", [
    ("responses", "{root}/", "so no /v1/ was added"),
    ("gemini", "{root}/v1", "the Gemini API is v1beta: use"),
    ("gemini", "{root}/", "so no /v1beta/ was added"),
    ("azure", "{root}/api/", "so no /openai/ was added"),
])
async def test_wrong_address_names_the_rule(kind, address, rule):
    with Serving(kind) as w:
        exc = await stream_failure(w, p=provider(w, address.format(root=w.root)))
    assert exc.kind == "not_found" and "the address of P" in exc.message
    assert rule in exc.message and "does not know the model" not in exc.message


async def test_https_to_a_plain_http_server(wire):
    exc = await stream_failure(wire, p=provider(wire, f"https://127.0.0.1:{wire.port}"))
    assert exc.kind == "scheme"
    assert f"use http://127.0.0.1:{wire.port} as the address of P" in exc.message


async def test_stream_cut_mid_answer_keeps_the_text(wire):
    wire.fault = "cut"
    exc = await stream_failure(wire)
    assert exc.kind == "stream" and "was cut off" in exc.message
    assert exc.partial and "Hello there".startswith(exc.partial)


async def test_error_event_mid_answer(wire):
    wire.fault = "error"
    exc = await stream_failure(wire)
    assert exc.kind == "server" and "in the middle of the answer" in exc.message
    said = {"responses": "The model crashed mid-answer. [server_error]",
            "gemini": "Internal error encountered. [INTERNAL]",
            "azure": "The response was filtered. [content_filter]"}[wire.kind]
    assert said in exc.message and exc.partial


# ---------------------------------------------------------------------------- pure parts
def test_gemini_blocked_prompt_is_an_error_not_an_empty_answer():
    decoder = PROTOCOLS["gemini"].decoder()
    with pytest.raises(StreamProblem) as info:
        decoder.feed(SSEEvent('{"promptFeedback": {"blockReason": "SAFETY"}}'))
    assert info.value.kind == "error" and "blocked (SAFETY)" in info.value.detail
    with pytest.raises(StreamProblem):
        parse_generate_content({"promptFeedback": {"blockReason": "OTHER"}})


def test_gemini_max_tokens_finish_and_stream_without_finish():
    decoder = PROTOCOLS["gemini"].decoder()
    decoder.feed(SSEEvent('{"candidates": [{"content": {"parts": [{"text": "a"}]}}]}'))
    with pytest.raises(StreamProblem) as info:
        decoder.end()
    assert info.value.kind == "truncated"
    decoder.feed(SSEEvent('{"candidates": [{"content": {"parts": [{"text": "b"}]}, '
                          '"finishReason": "MAX_TOKENS"}]}'))
    assert decoder.end() == [Finish("length")]


def test_responses_incomplete_is_length_and_failed_response_is_an_error():
    decoder = PROTOCOLS["openai-responses"].decoder()
    decoder.feed(SSEEvent('{"type": "response.incomplete", "response": {"status": '
                          '"incomplete", "incomplete_details": {"reason": "max_output_tokens"}}}'))
    assert decoder.end() == [Finish("length")]
    with pytest.raises(StreamProblem) as info:
        PROTOCOLS["openai-responses"].decoder().feed(SSEEvent(
            '{"type": "error", "code": "rate_limit_exceeded", "message": "slow down"}'))
    assert "slow down [rate_limit_exceeded]" in info.value.detail
    assert parse_response({"output": [], "status": "completed"}) == Completion("", "", None,
                                                                               "stop")


def test_gemini_model_pages():
    gemini = PROTOCOLS["gemini"]
    page = gemini.parse_models({"models": [{"name": "models/b"}, {"name": "models/a"}],
                                "nextPageToken": "t"})
    assert page is not None and (page.ids, page.next_page) == (["a", "b"], "t")
    assert gemini.parse_models({"data": []}) is None
    assert gemini.models_request("http://x/v1beta/models", "a b").url == \
        "http://x/v1beta/models?pageToken=a%20b"


async def test_exact_streaming_url_serves_a_whole_answer_too():
    """An address ending with # is used as typed for every request, so a check (one
    non-streamed request) against Gemini's streaming URL reads the stream whole."""
    with Serving("gemini") as w:
        exact = f"{w.root}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse#"
        async with Client() as client:
            got = await client.complete(provider(w, exact), [KEY], MODEL, HI, max_tokens=1)
            models = await client.list_models(provider(w, exact), [KEY])
    assert got == Completion("Hello there", "Thinking hard", Usage(7, 5, 12), "stop")
    assert models == sorted(MODELS)
    assert w.seen[0].path == f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"


@pytest.mark.parametrize("kind", ["gemini", "azure"])
async def test_address_doctor_stays_out_of_gemini_and_azure(kind):
    """Its rewrites (/v1 added or dropped, the chat endpoint stripped) are OpenAI-shaped:
    for these types it sends nothing, and the error's rule hint says what to change."""
    with Serving(kind) as w:
        assert await diagnose(provider(w, w.root + "/nowhere/"), [KEY], MODEL) == []
    assert w.seen == []
