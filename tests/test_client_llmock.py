"""The provider client against real servers over real sockets.

llmock (an independent OpenAI/Anthropic-compatible server with fault injection and
a journal) answers the chats; faults it cannot make come from other real servers:
the same llmock app behind TLS (uvicorn + a self-signed certificate), Python's own
``http.server`` for web pages, and closed ports / unresolvable names.
"""

from __future__ import annotations

import re
import asyncio
import datetime
import socket
import subprocess
import sys
import threading
import time

import pytest

from cherry_tui.core.client import (
    CheckResult,
    Client,
    ContentDelta,
    Finish,
    ProviderError,
    ReasoningDelta,
    Usage,
)
from cherry_tui.core.config import Config, Provider
from cherry_tui.core.secrets import key_info, mask

from conftest import free_port

KEY = "sk-live-0123456789abcdefSECRET"
KEY2 = "sk-live-fedcba9876543210OTHER"
HELLO = [{"role": "user", "content": "Say hello"}]


def provider(address: str, *, type: str = "openai", pid: str = "mock", models=(),
             needs_key: bool = True) -> Provider:
    return Provider(id=pid, name="Mock", type=type, address=address, enabled=True,
                    models=tuple(models), needs_key=needs_key)


@pytest.fixture
async def client():
    c = Client(connect_timeout=5, read_timeout=5)
    yield c
    await c.aclose()


async def collect(agen):
    """All events, and the ProviderError that ended the stream (or None)."""
    events = []
    try:
        async for ev in agen:
            events.append(ev)
    except ProviderError as exc:
        return events, exc
    return events, None


def text(events, cls=ContentDelta) -> str:
    return "".join(e.text for e in events if isinstance(e, cls))


def assert_clean(exc: ProviderError) -> None:
    msg = exc.message
    assert str(exc) == msg and "\n" not in msg and "Traceback" not in msg
    for k in (KEY, KEY2):
        assert k not in msg and k not in (exc.url or "")


# ---------------------------------------------------------------------------- streaming
async def test_stream_sends_the_right_request_and_yields_typed_events(llmock, client):
    llmock.reply("Paris is the capital of France.")
    p = provider(llmock.url)  # root address: /v1/ is appended
    msgs = [{"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is the capital of France?"}]
    events, exc = await collect(client.stream_chat(p, [KEY], "gpt-4o", msgs, temperature=0.2,
                                                   max_tokens=50))
    assert exc is None
    assert text(events) == "Paris is the capital of France."
    assert isinstance(events[-1], Finish) and events[-1].reason == "stop"
    usage = [e for e in events if isinstance(e, Usage)]
    assert len(usage) == 1 and usage[0].completion_tokens > 0
    rec = llmock.last_request
    assert rec.method == "POST" and rec.path == "/v1/chat/completions"
    assert rec.status == 200 and rec.completed
    assert rec.body["stream"] is True
    assert rec.body["stream_options"] == {"include_usage": True}
    assert rec.body["messages"] == msgs
    assert rec.body["model"] == "gpt-4o"
    assert rec.body["temperature"] == 0.2 and rec.body["max_tokens"] == 50


async def test_inline_think_over_a_real_stream(llmock, client):
    llmock.reply("<think>The user wants a greeting.</think>\n\nHello there!")
    events, exc = await collect(client.stream_chat(provider(llmock.url), [KEY], "m", HELLO))
    assert exc is None
    assert text(events, ReasoningDelta) == "The user wants a greeting."
    assert text(events) == "Hello there!"


@pytest.mark.parametrize("address, path", [
    ("{root}/v1", "/v1/chat/completions"),
    ("{root}/v1/", "/v1/chat/completions"),
    ("{root}/v1/chat/completions#", "/v1/chat/completions"),
    ("{root}/groq/openai/v1", "/groq/openai/v1/chat/completions"),
])
async def test_urls_come_from_the_address_rules(llmock, client, address, path):
    llmock.reply("ok")
    events, exc = await collect(client.stream_chat(
        provider(address.format(root=llmock.url)), [KEY], "m", HELLO))
    assert exc is None and text(events) == "ok"
    assert llmock.last_request.path == path


async def test_keys_are_used_in_turn(llmock, client):
    # llmock counts its quota per credential: with one request a minute, two calls
    # succeed only if the two keys were sent in turn.
    llmock.limits(rpm=1)
    client.max_retries = 0
    p = provider(llmock.url)
    assert (await client.complete(p, [KEY, KEY2], "m", HELLO))[0]
    assert (await client.complete(p, [KEY, KEY2], "m", HELLO))[0]
    with pytest.raises(ProviderError) as info:  # the first key again: its minute is used up
        await client.complete(p, [KEY, KEY2], "m", HELLO)
    assert info.value.kind == "rate_limit"
    # the pool moved on to the second key, whose minute is used up too: one message for both
    assert [r.status for r in llmock.requests] == [200, 200, 429, 429]
    assert info.value.message.startswith("every key of Mock (mock) failed: ")


async def test_one_key_is_one_credential(llmock, client):
    llmock.limits(rpm=1)
    client.max_retries = 0
    p = provider(llmock.url)
    await client.complete(p, [KEY], "m", HELLO)
    with pytest.raises(ProviderError) as info:
        await client.complete(p, [KEY], "m", HELLO)
    assert info.value.kind == "rate_limit" and info.value.status == 429
    assert_clean(info.value)


async def test_server_that_rejects_stream_options_is_asked_again_without(llmock, client):
    llmock.fail(400, message="Unrecognized request argument supplied: stream_options")
    llmock.reply("fine", times=2)
    p = provider(llmock.url)
    events, exc = await collect(client.stream_chat(p, [KEY], "m", HELLO))
    assert exc is None and text(events) == "fine"
    assert not any(isinstance(e, Usage) for e in events)  # no usage without the option
    first, second = llmock.requests
    assert first.status == 400 and "stream_options" in first.body
    assert second.status == 200 and "stream_options" not in second.body
    events, exc = await collect(client.stream_chat(p, [KEY], "m", HELLO))  # remembered
    assert exc is None and "stream_options" not in llmock.last_request.body


# ---------------------------------------------------------------------------- stream faults
async def test_connection_cut_mid_answer_keeps_the_partial_text(llmock, client):
    llmock.reply("one two three four five six seven eight").disconnect(after_chunks=4)
    events, exc = await collect(client.stream_chat(provider(llmock.url), [KEY], "m", HELLO))
    assert exc is not None and exc.kind == "stream"
    assert text(events) == "one two three " and exc.partial == "one two three "
    assert "cut in the middle of the answer" in exc.message and "14 characters" in exc.message
    assert_clean(exc)
    assert not llmock.last_request.completed


async def test_truncated_stream_is_reported_not_accepted(llmock, client):
    llmock.reply("one two three four five").truncate(after_chunks=3)
    events, exc = await collect(client.stream_chat(provider(llmock.url), [KEY], "m", HELLO))
    assert exc is not None and exc.kind == "stream"
    assert text(events) == "one two "
    assert not any(isinstance(e, Finish) for e in events)
    assert "cut off" in exc.message and "without a finish reason" in exc.message


async def test_malformed_chunk_is_an_error(llmock, client):
    llmock.reply("one two three four five").corrupt(after_chunks=3)
    events, exc = await collect(client.stream_chat(provider(llmock.url), [KEY], "m", HELLO))
    assert exc is not None and exc.kind == "stream"
    assert text(events) == "one two "
    assert "malformed chunk" in exc.message and "not JSON" in exc.message


async def test_stalled_stream_hits_the_read_timeout(llmock):
    llmock.reply("one two three four five").stall(after_chunks=3, seconds=30)
    async with Client(read_timeout=0.5) as c:
        events, exc = await collect(c.stream_chat(provider(llmock.url), [KEY], "m", HELLO))
    assert exc is not None and exc.kind == "timeout"
    assert text(events) == "one two "
    assert "stalled" in exc.message and "0.5 s" in exc.message
    assert "partial answer is kept" in exc.message


async def test_slow_first_token_times_out_before_any_text(llmock):
    llmock.slow_first_token(30)
    async with Client(read_timeout=0.5) as c:
        events, exc = await collect(c.stream_chat(provider(llmock.url), [KEY], "m", HELLO))
    assert events == [] and exc.kind == "timeout"
    assert "before any text arrived" in exc.message


async def test_no_answer_at_all_times_out(llmock):
    llmock.delay(30)
    async with Client(read_timeout=0.5) as c:
        with pytest.raises(ProviderError) as info:
            await c.complete(provider(llmock.url), [KEY], "m", HELLO)
    assert info.value.kind == "timeout" and "did not answer within 0.5 s" in info.value.message


# ---------------------------------------------------------------------------- stop
async def test_cancelling_the_consumer_closes_the_connection_and_keeps_the_text(llmock, client):
    llmock.pace(50).reply(" ".join(f"w{i}" for i in range(300)))
    got: list[str] = []
    three = asyncio.Event()

    async def consume():
        async for ev in client.stream_chat(provider(llmock.url), [KEY], "m", HELLO):
            if isinstance(ev, ContentDelta):
                got.append(ev.text)
                if len(got) == 3:
                    three.set()

    task = asyncio.create_task(consume())
    await three.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "".join(got).startswith("w0 w1 w2")
    rec = llmock.last_request  # waits for the server to finish serving it
    assert rec.completed is False and rec.chunks_sent < 100
    llmock.pace(0).reply("still here")
    assert (await client.complete(provider(llmock.url), [KEY], "m", HELLO))[0] == "still here"


async def test_closing_the_generator_closes_the_connection(llmock, client):
    llmock.pace(50).reply(" ".join(f"w{i}" for i in range(300)))
    agen = client.stream_chat(provider(llmock.url), [KEY], "m", HELLO)
    texts = []
    async for ev in agen:
        if isinstance(ev, ContentDelta):
            texts.append(ev.text)
            if len(texts) == 2:
                break
    await agen.aclose()
    rec = llmock.last_request
    assert rec.completed is False and rec.chunks_sent < 100
    assert texts == ["w0 ", "w1 "]


# ---------------------------------------------------------------------------- HTTP errors
async def test_401_names_the_provider_and_the_masked_key(llmock, client):
    llmock.fail(401, message=f"Incorrect API key provided: {KEY}")  # a server echoing the key
    with pytest.raises(ProviderError) as info:
        await collect_or_raise(client.stream_chat(provider(llmock.url), [KEY], "m", HELLO))
    exc = info.value
    assert exc.kind == "auth" and exc.status == 401
    assert "Mock" in exc.message and mask(KEY) in exc.message
    assert "cherry-tui key set mock" in exc.message
    assert_clean(exc)


async def test_403(llmock, client):
    llmock.fail(403)
    with pytest.raises(ProviderError) as info:
        await client.complete(provider(llmock.url), [KEY], "m", HELLO)
    assert info.value.kind == "auth" and "HTTP 403" in info.value.message
    assert mask(KEY) in info.value.message
    assert_clean(info.value)


async def test_404_gives_the_exact_url_and_the_address_rules(llmock, client):
    p = provider(llmock.url + "/api")  # -> /api/v1/chat/completions: llmock has no such route
    with pytest.raises(ProviderError) as info:
        await client.complete(p, [KEY], "m", HELLO)
    exc = info.value
    assert exc.kind == "not_found" and exc.status == 404
    assert f"{llmock.url}/api/v1/chat/completions" in exc.message
    assert exc.url == f"{llmock.url}/api/v1/chat/completions"
    assert "/v1/ was added" in exc.message and "#" in exc.message and "/" in exc.message
    (rec,) = llmock.requests
    assert rec.path == "/api/v1/chat/completions" and rec.status == 404


async def test_404_on_an_exact_address_says_it_was_used_as_typed(llmock, client):
    p = provider(llmock.url + "/v2/chat#")
    with pytest.raises(ProviderError) as info:
        await client.complete(p, [KEY], "m", HELLO)
    assert info.value.kind == "not_found"
    assert f"HTTP 404 from {llmock.url}/v2/chat:" in info.value.message
    assert "used exactly as typed" in info.value.message


async def test_429_is_retried_honouring_retry_after(llmock, client):
    llmock.rate_limit(times=2, retry_after=0.2).reply("after the wait")
    events, exc = await collect(client.stream_chat(provider(llmock.url), [KEY], "m", HELLO))
    assert exc is None and text(events) == "after the wait"
    assert [r.status for r in llmock.requests] == [429, 429, 200]
    llmock.assert_resilient()  # llmock's own judgement: the client waited as asked


async def test_429_retries_are_bounded(llmock):
    llmock.rate_limit(times=10, retry_after=0.05)
    async with Client(max_retries=2) as c:
        with pytest.raises(ProviderError) as info:
            await collect_or_raise(c.stream_chat(provider(llmock.url), [KEY], "m", HELLO))
    exc = info.value
    assert exc.kind == "rate_limit" and exc.status == 429
    assert len(llmock.requests) == 3 and "after 3 tries" in exc.message
    assert_clean(exc)


async def test_429_with_a_long_retry_after_is_reported_at_once(llmock, client):
    llmock.rate_limit(times=1, retry_after=120)
    with pytest.raises(ProviderError) as info:
        await client.complete(provider(llmock.url), [KEY], "m", HELLO)
    assert info.value.retry_after == 120 and "wait 120 s" in info.value.message
    assert len(llmock.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx(llmock, client, status):
    llmock.fail(status)
    with pytest.raises(ProviderError) as info:
        await collect_or_raise(client.stream_chat(provider(llmock.url), [KEY], "m", HELLO))
    exc = info.value
    assert exc.kind == "server" and exc.status == status
    assert f"HTTP {status}" in exc.message and "try again later" in exc.message
    assert len(llmock.requests) == 1  # 5xx is not retried


async def test_400_shows_the_server_message(llmock, client):
    llmock.context_overflow()
    with pytest.raises(ProviderError) as info:
        await client.complete(provider(llmock.url), [KEY], "m", HELLO)
    assert info.value.status == 400
    assert "maximum context length" in info.value.message


async def collect_or_raise(agen):
    return [ev async for ev in agen]


# ---------------------------------------------------------------------------- transport
async def test_connection_refused(client):
    port = free_port()
    with pytest.raises(ProviderError) as info:
        await client.complete(provider(f"http://127.0.0.1:{port}"), [KEY], "m", HELLO)
    assert info.value.kind == "connect"
    assert f"connection refused by 127.0.0.1:{port}" in info.value.message


async def test_unknown_host(client):
    with pytest.raises(ProviderError) as info:
        await client.list_models(provider("https://no-such-host.invalid"), [KEY])
    assert info.value.kind == "dns"
    assert "'no-such-host.invalid'" in info.value.message and "DNS" in info.value.message


async def test_https_to_a_plain_http_server_suggests_http(llmock, client):
    https = llmock.url.replace("http://", "https://")
    with pytest.raises(ProviderError) as info:
        await client.complete(provider(https), [KEY], "m", HELLO)
    exc = info.value
    assert exc.kind == "scheme"
    assert f"use {llmock.url} as the address" in exc.message
    assert_clean(exc)


@pytest.fixture(scope="module")
def tls_llmock(tmp_path_factory):
    """The llmock app served over TLS by uvicorn, with a fresh self-signed certificate."""
    import uvicorn
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from llmock.main import create_app

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(
        create_app(), log_level="critical", lifespan="off",
        ssl_keyfile=str(folder / "key.pem"), ssl_certfile=str(folder / "cert.pem")))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        time.sleep(0.01)
    yield port
    server.should_exit = True
    thread.join(10)
    sock.close()


async def test_http_to_an_https_server_suggests_https(tls_llmock, client):
    with pytest.raises(ProviderError) as info:
        await client.complete(provider(f"http://127.0.0.1:{tls_llmock}"), [KEY], "m", HELLO)
    exc = info.value
    assert exc.kind == "scheme"
    assert f"use https://127.0.0.1:{tls_llmock} as the address" in exc.message


async def test_untrusted_certificate_is_a_tls_error(tls_llmock, client):
    with pytest.raises(ProviderError) as info:
        await client.list_models(provider(f"https://127.0.0.1:{tls_llmock}"), [KEY])
    exc = info.value
    assert exc.kind == "tls"
    assert "certificate" in exc.message and "not trusted" in exc.message


@pytest.fixture
def web_server(tmp_path):
    """Python's own http.server over a folder: a web site, not an API."""
    site = tmp_path / "site"
    (site / "v1").mkdir(parents=True)
    (site / "index.html").write_text("<html><head><title>Welcome to nginx!</title></head>"
                                     "<body><h1>Welcome</h1></body></html>")
    (site / "v1" / "models").write_text("<!doctype html><html><head><title>My Gateway"
                                        "</title></head><body>Log in</body></html>")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                             "127.0.0.1", "--directory", str(site)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


async def test_html_page_instead_of_json_is_explained(web_server, client):
    with pytest.raises(ProviderError) as info:
        await client.list_models(provider(web_server), [KEY])  # /v1/models is an HTML file
    exc = info.value
    assert exc.kind == "bad_response"
    assert "HTML page" in exc.message and "My Gateway" in exc.message
    assert "not the API" in exc.message


async def test_html_error_page_gives_a_short_excerpt(web_server, client):
    with pytest.raises(ProviderError) as info:  # http.server answers POST with an HTML 501
        await client.complete(provider(web_server), [KEY], "m", HELLO)
    exc = info.value
    assert exc.status == 501 and "HTML page" in exc.message and "<" not in exc.message
    assert len(exc.message) < 600


# ---------------------------------------------------------------------------- config errors
async def test_no_key_says_how_to_set_one(client):
    p = Provider(id="deepseek", name="DeepSeek", type="openai",
                 address="https://api.deepseek.com", env="DEEPSEEK_API_KEY")
    with pytest.raises(ProviderError) as info:
        await client.list_models(p, [])
    exc = info.value
    assert exc.kind == "no_key"
    assert "cherry-tui key set deepseek" in exc.message and "DEEPSEEK_API_KEY" in exc.message


async def test_provider_with_problems_is_a_config_error(client):
    p = provider("http://127.0.0.1:1")
    p = Provider(**{**p.__dict__,
                    "problems": ("key must be one of keyring, env:VARIABLE or file",)})
    with pytest.raises(ProviderError) as info:
        await client.list_models(p, [KEY])
    assert info.value.kind == "config" and "key must be one of" in info.value.message


async def test_unresolvable_address_is_a_config_error(client):
    with pytest.raises(ProviderError) as info:
        await client.list_models(provider("api.example.com"), [KEY])
    assert info.value.kind == "config" and "https://api.example.com" in info.value.message


async def test_provider_without_key_need_sends_none(llmock, client):
    p = provider(llmock.url, needs_key=False)
    assert await client.list_models(p, []) == sorted(await client.list_models(p, []))
    assert llmock.last_request.path == "/v1/models"


# ---------------------------------------------------------------------------- models, check
async def test_models_are_fetched_and_sorted(llmock, client):
    models = await client.list_models(provider(llmock.url), [KEY])
    assert models == sorted(models) and "gpt-4o-mini" in models
    assert llmock.last_request.method == "GET" and llmock.last_request.path == "/v1/models"


async def test_exact_address_with_a_derivable_model_list(llmock, client):
    models = await client.list_models(provider(llmock.url + "/v1/chat/completions#"), [KEY])
    assert "gpt-4o" in models and llmock.last_request.path == "/v1/models"


async def test_exact_address_without_a_model_list_says_so(llmock, client):
    with pytest.raises(ProviderError) as info:
        await client.list_models(provider(llmock.url + "/v1/invoke#"), [KEY])
    exc = info.value
    assert exc.kind == "config" and "cannot be derived" in exc.message
    assert llmock.requests == []  # nothing guessed, nothing sent


async def test_check_with_a_model_sends_a_one_token_request(llmock, client):
    result = await client.check(provider(llmock.url), [KEY], "gpt-4o-mini")
    assert isinstance(result, CheckResult)
    assert result.ok and result.model == "gpt-4o-mini" and result.latency >= 0
    assert result.message.startswith("OK")
    rec = llmock.last_request
    assert rec.path == "/v1/chat/completions" and rec.body["max_tokens"] == 1
    assert rec.body.get("stream") in (None, False)


async def test_check_without_a_model_lists_models(llmock, client):
    result = await client.check(provider(llmock.url), [KEY])
    assert result.ok and result.model is None and re.search(r"OK: [\d,]+ models? listed in", result.message)
    assert llmock.last_request.path == "/v1/models"


async def test_check_never_raises(llmock, client):
    llmock.fail(401)
    result = await client.check(provider(llmock.url), [KEY], "m")
    assert not result.ok and result.kind == "auth" and mask(KEY) in result.message
    result = await client.check(provider(llmock.url + "/v1/invoke#"), [KEY])
    assert not result.ok and result.kind == "config"
    result = await client.check(provider(llmock.url), [])
    assert not result.ok and result.kind == "no_key"


async def test_check_on_an_exact_address_uses_the_first_model(llmock, client):
    p = provider(llmock.url + "/v1/chat/completions/#", models=("my-model",))
    llmock.reply("x")
    result = await client.check(provider(llmock.url + "/v1/chat/completions#"), [KEY])
    assert result.ok  # model list derivable: listed
    result = await client.check(p, [KEY])
    assert result.model == "my-model"
    assert llmock.last_request.body["model"] == "my-model", result


async def test_complete_non_streaming(llmock, client):
    llmock.reply("<think>short</think>Answer.")
    text_, reasoning, usage, finish = await client.complete(provider(llmock.url), [KEY], "m",
                                                            HELLO, temperature=0)
    assert (text_, reasoning, finish) == ("Answer.", "short", "stop")
    assert usage is not None and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert llmock.last_request.body["temperature"] == 0


# ---------------------------------------------------------------------------- config + keys
async def test_a_custom_provider_from_the_config_with_an_env_key(llmock, client, config_file,
                                                                monkeypatch):
    cfg = Config.load(config_file)
    pid = cfg.add_provider("My Gateway", "openai", llmock.url, models=["gpt-4o"])
    cfg.set_provider_field(pid, "key", "env:GATEWAY_TOKEN")
    cfg.save()
    monkeypatch.setenv("GATEWAY_TOKEN", f"{KEY},{KEY2}")
    p = Config.load(config_file).provider(pid)
    keys = key_info(p, config_file).keys
    assert keys == (KEY, KEY2)
    llmock.reply("configured")
    assert (await client.complete(p, keys, "gpt-4o", HELLO))[0] == "configured"


# ---------------------------------------------------------------------------- anthropic
async def test_anthropic_models_and_stream(llmock, client):
    p = provider(llmock.base_url("anthropic"), type="anthropic", pid="claude")
    models = await client.list_models(p, [KEY])
    assert models == sorted(models) and llmock.last_request.path == "/anthropic/v1/models"
    llmock.reply("Bonjour")
    msgs = [{"role": "system", "content": "French only."}, *HELLO]
    events, exc = await collect(client.stream_chat(p, [KEY], "claude-x", msgs))
    assert exc is None and text(events) == "Bonjour" and events[-1] == Finish("stop")
    rec = llmock.last_request
    assert rec.path == "/anthropic/v1/messages"
    assert rec.body["system"] == "French only." and rec.body["messages"] == HELLO
    assert rec.body["stream"] is True and rec.body["max_tokens"] > 0


async def test_anthropic_truncated_stream(llmock, client):
    p = provider(llmock.base_url("anthropic"), type="anthropic", pid="claude")
    llmock.reply("one two three four").truncate(after_chunks=4)
    _events, exc = await collect(client.stream_chat(p, [KEY], "claude-x", HELLO))
    assert exc is not None and exc.kind == "stream" and "cut off" in exc.message


# ---------------------------------------------------------------------------- keep-alive
async def test_one_shared_connection_is_reused(llmock, client):
    llmock.reply("a").reply("b")
    p = provider(llmock.url)
    for expected in ("a", "b"):
        events, exc = await collect(client.stream_chat(p, [KEY], "m", HELLO))
        assert exc is None and text(events) == expected
    pool = client._http._transport._pool
    assert len(pool.connections) == 1  # both streams used the same keep-alive connection
