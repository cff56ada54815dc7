"""Per-provider ``headers`` and ``proxy`` in config: checked, and keys refused in headers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cherry_tui.core import provider_options
from cherry_tui.core.config import Config


def load(config_file, body: str):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('[providers.gw]\nname = "GW"\naddress = "http://127.0.0.1:9"\n' + body)
    return Config.load(config_file).provider("gw")


def test_headers_and_proxy_load(config_file):
    p = load(config_file, 'headers = { "X-Title" = "My app", "HTTP-Referer" = "https://x.org" }\n'
                          'proxy = "http://127.0.0.1:8080"\n')
    assert p.ok, p.problems
    assert p.headers == (("X-Title", "My app"), ("HTTP-Referer", "https://x.org"))
    assert p.proxy == "http://127.0.0.1:8080"
    assert load(config_file, "").headers == () and load(config_file, "").proxy is None


@pytest.mark.parametrize("name,value,says", [
    ("Authorization", "Bearer abc", "would carry a key"),
    ("api-key", "x", "would carry a key"),
    ("X-API-Key", "x", "would carry a key"),
    ("x-goog-api-key", "x", "would carry a key"),
    ("X-Auth-Token", "x", "would carry a key"),
    ("X-Custom", "sk-abcdef1234567890", "looks like a key"),
    ("X-Custom", "Bearer abcdef", "looks like a key"),
    ("X-Custom", "AIzaSyA1234567890abcdef", "looks like a key"),
    ("X-Custom", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "looks like a key"),
    ("X Title", "x", "is not a header name"),
    ("X-Title", "caf\u00e9", "not printable ASCII"),
    ("X-Title", "a\nb", "not printable ASCII"),
])
def test_a_header_that_would_carry_a_key_or_cannot_be_sent_is_refused(name, value, says):
    problem = provider_options.header_problem(name, value)
    assert problem is not None and says in problem
    if "key" in says:
        assert "keys belong in key" in problem
    assert value not in problem or value == "x"  # a value is never echoed


def test_refused_headers_are_left_out_and_reported(config_file):
    p = load(config_file, 'headers = { "X-Title" = "ok", "Authorization" = "Bearer sk-x" }\n')
    assert p.headers == (("X-Title", "ok"),)
    assert p.problems == ("headers: Authorization would carry a key: keys belong in key "
                          "(cherry-tui key set|env|cmd PROVIDER), never in headers",)
    assert "sk-x" not in " ".join(p.problems)


@pytest.mark.parametrize("proxy,says", [
    ("127.0.0.1:8080", "must start with"),
    ("ftp://127.0.0.1:21", "must start with"),
    ("http://", "has no host"),
    ("http://127.0.0.1:99999", "not a number"),
    ("", "must be an address"),
])
def test_a_bad_proxy_is_reported(config_file, proxy, says):
    p = load(config_file, f'proxy = "{proxy}"\n')
    assert p.proxy is None and any(says in x for x in p.problems), p.problems


def test_config_check_names_the_line_and_knows_the_new_fields(config_file):
    load(config_file, 'headers = { "x-api-key" = "abc" }\nproxy = "socks5://127.0.0.1:1080"\n'
                      'model_kinds = { "m" = "vision" }\n')
    r = subprocess.run([sys.executable, "-m", "cherry_tui", "config", "check"],
                       capture_output=True, text=True, env=dict(os.environ), timeout=60)
    assert r.returncode == 1
    assert f"{config_file}, line 4: [providers.gw] headers: x-api-key would carry a key" \
        in r.stdout
    assert "not a provider field" not in r.stdout  # proxy and model_kinds are known fields
