"""The address doctor against real stand-in servers over real sockets.

Each stand-in (tests/_standins.py) serves chat at one exact path only, like the
guides' providers: OneAPI at /v1/chat/completions (its web page, status 200, on other
paths), a Huawei MaaS invoke URL, Volcengine Ark at /api/v3/chat/completions.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from _standins import INVOKE_UUID, KEY, MODEL, Serving
from hypothesis import given, settings
from hypothesis import strategies as st

from cherry_tui.core.addresses import resolve
from cherry_tui.core.client import Client
from cherry_tui.core.config import Provider
from cherry_tui.core.doctor import candidates, diagnose, is_address_failure


def provider(address: str, *, type: str = "openai") -> Provider:
    return Provider(id="p", name="P", type=type, address=address, enabled=True,
                    models=(MODEL,), needs_key=True)


@pytest.fixture
def oneapi():
    with Serving("oneapi") as s:
        yield s


@pytest.fixture
def huawei():
    with Serving("huawei") as s:
        yield s


@pytest.fixture
def volcengine():
    with Serving("volcengine") as s:
        yield s


async def failed_check(p: Provider):
    async with Client(connect_timeout=5, read_timeout=5) as client:
        return await client.check(p, [KEY], MODEL)


# ---------------------------------------------------------------------------- OneAPI
async def test_oneapi_typed_as_https_with_slash_is_fixed_to_http_without_slash(oneapi):
    typed = f"https://127.0.0.1:{oneapi.port}/"
    result = await failed_check(provider(typed))
    assert not result.ok and is_address_failure(result.kind)
    # The hint names the address that works: no '/', so /v1 is added.
    assert f"use {oneapi.root} as the address" in result.message
    found = await diagnose(provider(typed), [KEY], MODEL)
    assert found, oneapi.seen
    best = found[0]
    assert (best.address, best.chat_url) == (oneapi.root, oneapi.chat_url)
    assert best.status == 401  # probed over plain http without the key
    assert all(s.chat_url != oneapi.root + "/chat/completions" for s in found)  # a web page
    # The key never crossed the network in clear text.
    assert all(seen.authorization is None for seen in oneapi.seen)
    fixed = await failed_check(provider(best.address))
    assert fixed.ok, fixed.message


async def test_oneapi_http_with_slash_gets_the_web_page_and_the_fix_drops_the_slash(oneapi):
    typed = oneapi.root + "/"
    result = await failed_check(provider(typed))
    assert not result.ok and result.kind == "bad_response"
    assert "remove the / to have /v1/ added" in result.message  # not "end it with #" first
    found = await diagnose(provider(typed), [KEY], MODEL)
    assert [(s.address, s.status) for s in found][:1] == [(oneapi.root, 200)]
    assert {seen.authorization for seen in oneapi.seen} == {f"Bearer {KEY}"}


# ---------------------------------------------------------------------------- Huawei
async def test_huawei_invoke_url_without_hash_is_fixed_with_hash(huawei):
    typed = huawei.chat_url  # pasted without the '#' the guide asks for
    res = resolve(typed)
    assert res.chat.endswith("/chat/completions/v1/chat/completions") and res.warnings
    result = await failed_check(provider(typed))
    assert not result.ok and result.kind == "not_found"
    assert f"use {typed}#" in result.message and "end the address with /" not in result.message
    found = await diagnose(provider(typed), [KEY], MODEL)
    assert found[0].address == typed + "#"
    assert found[0].chat_url == huawei.chat_url and found[0].status == 200
    assert all(s.chat_url == huawei.chat_url for s in found)
    assert (await failed_check(provider(found[0].address))).ok


async def test_huawei_invoke_url_with_the_endpoint_deleted_gets_v1_back(huawei):
    typed = f"{huawei.root}/v1/infers/{INVOKE_UUID}/"  # the guide's "delete v1/chat/completions"
    found = await diagnose(provider(typed), [KEY], MODEL)
    assert found[0].address == f"{huawei.root}/v1/infers/{INVOKE_UUID}"  # drop the '/'
    assert found[0].chat_url == huawei.chat_url


async def test_a_wrong_key_still_finds_the_path(huawei):
    found = await diagnose(provider(huawei.chat_url), ["sk-wrong-key-000000000000"], MODEL)
    assert (found[0].address, found[0].status) == (huawei.chat_url + "#", 401)


# ---------------------------------------------------------------------------- Volcengine
async def test_volcengine_endpoint_pasted_without_hash(volcengine):
    typed = volcengine.chat_url
    found = await diagnose(provider(typed), [KEY], MODEL)
    # One suggestion per chat URL, in the form closest to what was typed: add the '#'.
    assert [(s.address, s.chat_url, s.status) for s in found] == [
        (typed + "#", volcengine.chat_url, 200)]


async def test_a_hash_on_a_version_is_removed(volcengine):
    typed = f"{volcengine.root}/api/v3#"
    found = await diagnose(provider(typed), [KEY], MODEL)
    assert found[0].address == f"{volcengine.root}/api/v3"


async def test_a_redirect_on_the_same_host_is_followed_to_a_fix(volcengine):
    volcengine.redirect["/v1/chat/completions"] = "/api/v3/chat/completions"
    found = await diagnose(provider(volcengine.root), [KEY], MODEL)
    assert found and found[0].chat_url == volcengine.chat_url
    assert resolve(found[0].address).chat == volcengine.chat_url


# ---------------------------------------------------------------------------- no wrong advice
async def test_a_right_address_with_a_wrong_model_gets_no_suggestion(oneapi):
    p = provider(oneapi.root)
    async with Client(connect_timeout=5, read_timeout=5) as client:
        result = await client.check(p, [KEY], "no-such-model")
    assert not result.ok
    assert await diagnose(p, [KEY], "no-such-model") == []


async def test_nothing_answers_nothing_is_offered(oneapi):
    p = provider(f"{oneapi.root}/somewhere/else/v2")
    found = await diagnose(p, [KEY], MODEL)
    assert found == []


async def test_connection_refused_on_both_schemes_offers_nothing():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert await diagnose(provider(f"https://127.0.0.1:{port}/"), [KEY], MODEL) == []


async def test_an_unknown_host_is_never_replaced():
    assert await diagnose(provider("https://no-such-host.invalid/"), [KEY], MODEL) == []


# ---------------------------------------------------------------------------- candidates
def test_candidates_for_the_oneapi_mistake():
    pairs = candidates("https://10.0.0.5:3000/", swap_scheme=True)
    assert pairs[0] == ("http://10.0.0.5:3000", "http://10.0.0.5:3000/v1/chat/completions")


host = st.from_regex(r"[a-z][a-z0-9-]{0,8}\.(com|cn|io)", fullmatch=True)
typed_addresses = st.builds(
    lambda scheme, h, port, segs, tail: f"{scheme}://{h}{port}" + "".join("/" + s for s in segs)
    + tail,
    st.sampled_from(["http", "https"]), host, st.sampled_from(["", ":3000"]),
    st.lists(st.sampled_from(["v1", "api", "v3", "chat", "completions", "models", "infers",
                              "x-1", "messages"]), max_size=5),
    st.sampled_from(["", "/", "#", "/#"]),
)


@settings(max_examples=300)
@given(typed_addresses, st.sampled_from(["openai", "anthropic"]), st.booleans())
def test_candidates_never_leave_the_host_and_resolve_to_their_url(address, ptype, swap):
    typed = urlsplit(address)
    for text, url in candidates(address, ptype, swap_scheme=swap):
        parts = urlsplit(url)
        assert (parts.hostname, parts.port) == (typed.hostname, typed.port)
        assert resolve(text, ptype).chat == url
        assert (parts.scheme != typed.scheme) == swap


# ---------------------------------------------------------------------------- cherry-tui check
BIN = str(Path(sys.executable).parent / "cherry-tui")


def write_provider(config: Path, address: str, *, models=(MODEL,), default: str | None = None):
    config.parent.mkdir(parents=True, exist_ok=True)
    lines = [f'default_model = "{default}"'] if default else []
    lines += ["[providers.gw]", 'name = "Gateway"', 'type = "openai"', f'address = "{address}"',
              'key = "env:GW_KEY"', f"models = {json.dumps(list(models))}", "enabled = true"]
    config.write_text("\n".join(lines) + "\n")


def check(*args: str, key: str = KEY) -> subprocess.CompletedProcess:
    env = dict(os.environ, GW_KEY=key)  # CHERRY_TUI_CONFIG comes from isolated_env
    return subprocess.run([BIN, "check", "gw", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_cli_check_prints_the_fix_that_answered(config_file, oneapi):
    write_provider(config_file, f"https://127.0.0.1:{oneapi.port}/")
    r = check()
    assert r.returncode == 1, r.stdout + r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith("cherry-tui: ") and f"use {oneapi.root} as the address" in line
    assert r.stdout.splitlines()[0] == (f"Try: address {oneapi.root} -> chat URL "
                                        f"{oneapi.chat_url} (answered 401)")
    assert KEY not in r.stdout + r.stderr


def test_cli_check_json_has_the_suggestions(config_file, huawei):
    write_provider(config_file, huawei.chat_url)  # the invoke URL without '#'
    r = check("--json")
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1
    obj = json.loads(r.stdout)
    assert obj["ok"] is False and obj["model"] == MODEL
    assert obj["suggestions"][0] == {"address": huawei.chat_url + "#",
                                     "chat_url": huawei.chat_url, "status": 200}
    write_provider(config_file, obj["suggestions"][0]["address"])
    r = check("--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"provider": "gw", "ok": True, "message": json.loads(
        r.stdout)["message"], "model": MODEL, "url": huawei.chat_url, "suggestions": []}


def test_cli_check_sends_a_chat_request_like_the_tui_not_the_model_list(config_file, huawei):
    # Huawei MaaS serves no model list at an invoke URL: the check must not need one.
    write_provider(config_file, f"{huawei.root}/v1/infers/{INVOKE_UUID}/v1",
                   models=("other", MODEL), default=f"gw/{MODEL}")
    r = check()
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"gw: OK: {MODEL} answered in ")
    assert [(s.method, s.path) for s in huawei.seen] == [("POST", urlsplit(huawei.chat_url).path)]


def test_cli_check_on_a_wrong_key_suggests_no_address(config_file, volcengine):
    write_provider(config_file, volcengine.root + "/api/v3")
    r = check(key="sk-wrong-key-000000000000")
    assert r.returncode == 1 and "HTTP 401" in r.stderr
    assert r.stdout == ""


# ---------------------------------------------------------------------------- http for https
async def test_http_typed_for_an_https_server_is_fixed_to_https():
    serving = Serving("volcengine", tls=True)
    with serving as ark:
        trust = ssl.create_default_context(cafile=serving.cafile)
        typed = ark.root.replace("https://", "http://") + "/api/v3/"
        found = await diagnose(provider(typed), [KEY], MODEL, verify=trust)
    assert [(s.address, s.chat_url, s.status) for s in found] == [
        (ark.root + "/api/v3/", ark.chat_url, 200)]
    # Over https the key is sent: the server knows it (200), on the same host only.
    assert {seen.authorization for seen in ark.seen} == {f"Bearer {KEY}"}


async def test_the_doctor_probes_through_the_providers_own_proxy(oneapi):
    from dataclasses import replace

    from _keyserver import Proxy

    with Proxy() as proxy:
        p = replace(provider(oneapi.root + "/"), proxy=proxy.url)
        found = await diagnose(p, [KEY], MODEL)
        assert [(s.address, s.status) for s in found][:1] == [(oneapi.root, 200)]
        assert proxy.carried and all(url.startswith(oneapi.root) for url in proxy.carried)
        assert len(proxy.carried) == len(oneapi.seen)  # every probe went through it
