"""The address rules: every case of address-cases.toml, plus properties."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cherry_tui.core.addresses import AddressError, resolve, rule_hint, swap_scheme
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
    with pytest.raises(AddressError, match="openai, anthropic, openai-responses, gemini, "
                       "azure-openai"):
        resolve("https://api.openai.com", "cohere")


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
    ends = {"openai": "/chat/completions", "anthropic": "/messages",
            "gemini": ":streamGenerateContent", "azure-openai": "/chat/completions"}
    assert urlsplit(res.chat).path.endswith(ends[entry.type])


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


# ---------------------------------------------------------------------------- warnings, hints
INVOKE = "https://maas.example.com/v1/infers/0f6e2b1c-1111-4a4a-9c9c-123456789abc/v1/chat/completions"


@pytest.mark.parametrize("case", [c for c in CASES if not c.get("error")],
                         ids=[repr(c["address"]) for c in CASES if not c.get("error")])
def test_contract_cases_have_no_warnings(case):
    assert resolve(case["address"], case["type"]).warnings == ()


@pytest.mark.parametrize("typed", [INVOKE, INVOKE + "/"])
def test_a_pasted_endpoint_without_hash_warns_and_says_what_to_type(typed):
    res = resolve(typed)
    assert "/chat/completions/" in res.chat  # the endpoint twice
    (warning,) = res.warnings
    assert "twice" in warning and f"use {INVOKE}#" in warning
    fixed = resolve(INVOKE + "#")
    assert fixed.chat == INVOKE and fixed.warnings == ()


def test_a_pasted_anthropic_endpoint_warns_too():
    (warning,) = resolve("https://api.example.com/v1/messages", "anthropic").warnings
    assert "/messages" in warning and "https://api.example.com/v1/messages#" in warning


def test_a_pasted_model_list_url_warns():
    (warning,) = resolve("http://127.0.0.1:3000/v1/models").warnings
    assert "use http://127.0.0.1:3000/v1 " in warning
    assert resolve("http://127.0.0.1:3000/v1").chat == "http://127.0.0.1:3000/v1/chat/completions"


def test_exact_addresses_never_warn():
    assert resolve(INVOKE + "#").warnings == ()


pasted = st.builds(lambda a, tail: a.rstrip("#/") + tail, addresses,
                   st.sampled_from(["", "/", "/chat/completions", "/chat/completions/",
                                    "/v1/chat/completions", "/messages", "/v1/messages/"]))


@settings(max_examples=300)
@given(pasted, st.sampled_from(["openai", "anthropic"]))
def test_an_endpoint_twice_always_comes_with_a_warning(address, ptype):
    res = resolve(address, ptype)
    ep = "chat/completions" if ptype == "openai" else "messages"
    path = res.chat.split("://", 1)[1]
    if res.rule != "exact" and re.search(rf"/{ep}/(v\d+[a-z]*\d*/)?{ep}$", path):
        assert res.warnings, res


@pytest.mark.parametrize("typed, fixed", [
    ("https://127.0.0.1:3000/", "http://127.0.0.1:3000"),  # OneAPI: the / would stop /v1
    ("https://127.0.0.1:3000", "http://127.0.0.1:3000"),
    ("http://10.0.0.5:3000/", "https://10.0.0.5:3000"),
    ("https://ark.example.com/api/v3/", "http://ark.example.com/api/v3/"),  # a path: kept
    ("https://gw.example.com/#", "http://gw.example.com/#"),
])
def test_swap_scheme_drops_the_root_slash_that_stops_v1(typed, fixed):
    assert swap_scheme(typed) == fixed
    if typed.endswith(":3000/"):
        assert resolve(fixed).chat.endswith(":3000/v1/chat/completions")


def test_hint_for_an_invoke_url_without_hash_does_not_offer_the_slash_first():
    hint = rule_hint(INVOKE)
    assert hint.startswith("the address already ends with /chat/completions")
    assert f"{INVOKE}#" in hint and "end the address with /" not in hint


def test_hint_for_a_root_with_slash_says_drop_it():
    hint = rule_hint("http://127.0.0.1:3000/")
    assert hint.startswith("the address ends with /, so no /v1/ was added; remove the /")


def test_hint_for_a_versioned_slash_address_offers_hash():
    assert rule_hint("https://ark.example.com/api/v3/").startswith(
        "/chat/completions was appended to the address; end it with #")
