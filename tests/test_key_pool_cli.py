"""The key pool through the command line, against a real server that answers each key
its own way; per-provider headers and proxy on the wire."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from _keyserver import MODEL, REPLY, KeyServer, Proxy

from cherry_tui.core.secrets import mask

K1, K2, K3 = "sk-revoked-1111111111", "sk-limited-2222222222", "sk-working-3333333333"


def write(config_file, root: str, extra: str = "") -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'default_model = "gw/{MODEL}"\n\n[providers.gw]\nname = "GW"\ntype = "openai"\n'
        f'address = "{root}"\nkey = "env:GW_KEYS"\nmodels = ["{MODEL}"]\nenabled = true\n'
        + extra)


def cli(*args: str, keys: str, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items()
            if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    full.update(GW_KEYS=keys, **env)
    return subprocess.run([sys.executable, "-m", "cherry_tui", *args], capture_output=True,
                          text=True, env=full, timeout=60)


@pytest.fixture
def server():
    with KeyServer() as s:
        s.answers = {
            K1: (401, {}, {"error": {"message": "invalid api key", "type": "auth"}}),
            K2: (429, {"Retry-After": "30"}, {"error": {"message": "slow down"}}),
        }
        yield s


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_ask_skips_a_revoked_and_a_rate_limited_key_and_answers(server, config_file, stream):
    write(config_file, server.root)
    r = cli("ask", *([] if stream else ["--no-stream"]), "What is the capital of France?",
            keys=f"{K1},{K2},{K3}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == REPLY
    assert server.keys_seen() == [K1, K2, K3]  # no wait: K3 was asked at once
    notes = r.stderr.splitlines()
    assert notes == [f"cherry-tui: skipped key {mask(K1)}: rejected (HTTP 401)",
                     f"cherry-tui: skipped key {mask(K2)}: rate limited (HTTP 429), "
                     "resting 30 s"]
    for key in (K1, K2, K3):
        assert key not in r.stderr + r.stdout


def test_every_key_failing_is_one_message_listing_each_key(server, config_file):
    write(config_file, server.root)
    r = cli("ask", "hi", keys=f"{K1},{K2}")
    assert r.returncode == 1
    last = r.stderr.splitlines()[-1]
    assert last.startswith("cherry-tui: every key of GW (gw) failed: ")
    assert f"{mask(K1)}: rejected (HTTP 401)" in last
    assert f"{mask(K2)}: rate limited (HTTP 429), resting 30 s" in last
    assert server.keys_seen() == [K1, K2]
    assert K1 not in r.stderr and K2 not in r.stderr


def test_one_key_keeps_its_own_error(server, config_file):
    write(config_file, server.root)
    r = cli("ask", "hi", keys=K1)
    assert r.returncode == 1
    assert "rejected the API key" in r.stderr and "every key" not in r.stderr


def test_check_all_keys_checks_each_with_its_latency(server, config_file):
    write(config_file, server.root)
    r = cli("check", "gw", "--all-keys", keys=f"{K1},{K2},{K3}")
    assert r.returncode == 1  # not every key works
    lines = r.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"key 1 {mask(K1)}: failed") and "HTTP 401" in lines[0]
    assert lines[1].startswith(f"key 2 {mask(K2)}: failed") and "HTTP 429" in lines[1]
    assert lines[2].startswith(f"key 3 {mask(K3)}: OK: {MODEL} answered in ")
    assert sorted(server.keys_seen()) == sorted([K1, K2, K3])
    r = cli("check", "gw", "--all-keys", "--json", keys=f"{K1},{K3}")
    rows = json.loads(r.stdout)["keys"]
    assert [(row["key"], row["ok"]) for row in rows] == [(mask(K1), False), (mask(K3), True)]
    assert all(isinstance(row["latency"], float) for row in rows)


def test_key_show_lists_each_key(server, config_file):
    write(config_file, server.root)
    r = cli("key", "show", "gw", keys=f"{K1},{K2}")
    assert r.returncode == 0
    assert r.stdout.splitlines()[1:] == [f"  key 1: {mask(K1)}", f"  key 2: {mask(K2)}"]


def test_headers_from_config_reach_the_server(server, config_file):
    write(config_file, server.root,
          'headers = { "X-Title" = "cherry test", "HTTP-Referer" = "https://example.org" }\n')
    r = cli("ask", "hi", keys=K3)
    assert r.returncode == 0, r.stderr
    r = cli("models", "gw", keys=K3)
    assert r.returncode == 0, r.stderr
    assert [s.path for s in server.seen] == ["/v1/chat/completions", "/v1/models"]
    for seen in server.seen:
        assert seen.headers["X-Title"] == "cherry test"
        assert seen.headers["HTTP-Referer"] == "https://example.org"
        assert seen.headers["Authorization"] == f"Bearer {K3}"


def test_a_provider_proxy_carries_its_requests(server, config_file):
    with Proxy() as proxy:
        write(config_file, server.root, f'proxy = "{proxy.url}"\n')
        r = cli("ask", "hi", keys=K3)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == REPLY
        assert proxy.carried == [f"{server.root}/v1/chat/completions"]


def test_without_a_provider_proxy_the_environment_one_applies(server, config_file):
    with Proxy() as proxy:
        write(config_file, server.root)
        r = cli("ask", "hi", keys=K3, HTTP_PROXY=proxy.url)
        assert r.returncode == 0, r.stderr
        assert proxy.carried == [f"{server.root}/v1/chat/completions"]
        write(config_file, server.root, 'proxy = "http://127.0.0.1:9"\n')
        r = cli("ask", "hi", keys=K3, HTTP_PROXY=proxy.url)  # the provider's wins
        assert r.returncode == 1
        assert "the proxy http://127.0.0.1:9 (from proxy in [providers.gw]) is unreachable" \
            in r.stderr
        assert len(proxy.carried) == 1


def test_a_key_from_a_command_is_sent(server, config_file):
    write(config_file, server.root)
    text = config_file.read_text().replace('key = "env:GW_KEYS"',
                                           f'key = "cmd:printf {K1},{K3}"')
    config_file.write_text(text)
    r = cli("ask", "hi", keys="")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == REPLY and server.keys_seen() == [K1, K3]
    assert r.stderr.strip() == f"cherry-tui: skipped key {mask(K1)}: rejected (HTTP 401)"


def test_a_header_carrying_a_key_stops_the_request_with_the_fix(server, config_file):
    write(config_file, server.root, f'headers = {{ "Authorization" = "Bearer {K3}" }}\n')
    r = cli("ask", "hi", keys=K3)
    assert r.returncode == 1 and server.seen == []
    assert "headers: Authorization would carry a key: keys belong in key" in r.stderr
    assert K3 not in r.stderr
