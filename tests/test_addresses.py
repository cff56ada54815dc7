"""The address rules: every case of address-cases.toml, plus properties."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cherry_tui.core.addresses import AddressError, resolve
from cherry_tui.core.catalog import catalog

CASES = tomllib.loads((Path(__file__).parent / "data" / "address-cases.toml").read_text())["case"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['type']}:{c['address']!r}" for c in CASES])
def test_contract_case(case):
    if case.get("error"):
        with pytest.raises(AddressError) as info:
            resolve(case["address"], case["type"])
        assert len(str(info.value)) > 20  # a sentence, not a code
        return
    res = resolve(case["address"], case["type"])
    assert res.chat == case["chat"]
    assert res.models == (case["models"] or None)
    assert res.rule == case["rule"]


def test_every_case_file_entry_was_read():
    assert len(CASES) >= 17


@pytest.mark.parametrize(
    "address, needle",
    [
        ("api.deepseek.com", "did you mean https://api.deepseek.com"),
        ("", "empty"),
        ("ftp://files.example.com", "use http:// or https://"),
        ("https://", "no host"),
        ("https://api.example.com:99999", "port"),
        ("https://api.exa mple.com", "space"),
        ("https://x.com/a#b", "only allowed at the very end"),
        ("https://x.com/v1?x=1", "end the address with '#'"),
    ],
)
def test_errors_say_what_to_fix(address, needle):
    with pytest.raises(AddressError) as info:
        resolve(address)
    assert needle in str(info.value)


def test_unknown_type_is_refused():
    with pytest.raises(AddressError, match="openai, anthropic"):
        resolve("https://api.openai.com", "gemini")


def test_query_allowed_with_exact():
    res = resolve("https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-06-01#")
    assert res.chat.endswith("?api-version=2024-06-01")
    assert res.rule == "exact"


@pytest.mark.parametrize("pid", list(catalog()))
def test_every_builtin_address_resolves(pid):
    entry = catalog()[pid]
    res = resolve(entry.address, entry.type)
    assert res.chat.startswith(("https://", "http://"))
    assert res.models is not None
    assert res.chat.endswith("chat/completions" if entry.type == "openai" else "messages")


def test_named_builtins_match_the_guides():
    assert resolve(catalog()["volcengine"].address).chat == \
        "https://ark.cn-beijing.volces.com/api/v3/chat/completions"
    assert resolve(catalog()["huawei"].address).chat == \
        "https://api.modelarts-maas.com/v1/chat/completions"
    assert resolve(catalog()["ollama"].address).chat == "http://localhost:11434/v1/chat/completions"
    assert resolve(catalog()["oneapi"].address).chat == "http://localhost:3000/v1/chat/completions"


# ---------------------------------------------------------------------------- properties
segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=12)
version = st.from_regex(r"v[0-9]{1,2}(beta|alpha)?", fullmatch=True)
host = st.builds(lambda a, b: f"{a}.{b}", st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
                 st.sampled_from(["com", "cn", "ai", "io"]))
addresses = st.builds(
    lambda scheme, h, port, segs, ver, tail: (
        f"{scheme}://{h}{port}" + "".join("/" + s for s in segs) + (f"/{ver}" if ver else "") + tail
    ),
    st.sampled_from(["http", "https"]),
    host,
    st.sampled_from(["", ":3000", ":8080"]),
    st.lists(segment, max_size=3),
    st.one_of(st.none(), version),
    st.sampled_from(["", "/", "#", "/#", "/chat/completions#"]),
)


def _after_scheme(url: str) -> str:
    return url.split("://", 1)[1]


@settings(max_examples=400)
@given(addresses, st.sampled_from(["openai", "anthropic"]))
def test_rules_add_nothing_the_user_did_not_type(address, ptype):
    res = resolve(address, ptype)
    for url in filter(None, (res.chat, res.models)):
        assert "#" not in url
        assert _after_scheme(url).count("//") <= _after_scheme(address).count("//")
        assert url.count("/v1/v1") <= address.count("/v1/v1")


@settings(max_examples=400)
@given(addresses, st.sampled_from(["openai", "anthropic"]),
       st.sampled_from(["", " ", "\t", "  \n"]))
def test_exact_is_the_typed_text_minus_hash(address, ptype, pad):
    typed = address if address.endswith("#") else address + "#"
    res = resolve(pad + typed + pad, ptype)
    assert res.rule == "exact"
    assert res.chat == typed[:-1]


@settings(max_examples=300)
@given(addresses, st.sampled_from(["openai", "anthropic"]))
def test_resolution_keeps_what_was_typed_as_prefix(address, ptype):
    res = resolve(address, ptype)
    assert res.chat.startswith(address.rstrip("#"))
    if res.rule == "append-version":
        assert not re.search(r"/v\d+[a-z]*\d*$", address)
        assert "/v1/" in res.chat[len(address):]
