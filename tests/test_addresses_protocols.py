"""The address rules of openai-responses, gemini and azure-openai (address-cases-protocols.toml)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cherry_tui.core.addresses import AddressError, api_version_problems, resolve, rule_hint
from cherry_tui.core.config import Config

CASES = tomllib.loads((Path(__file__).parent / "data" / "address-cases-protocols.toml")
                      .read_text())["case"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['type']}:{c['address']!r}" for c in CASES])
def test_case(case):
    kw = {"model": case.get("model"), "api_version": case.get("api_version")}
    if case.get("error"):
        with pytest.raises(AddressError) as info:
            resolve(case["address"], case["type"], **kw)
        assert len(str(info.value)) > 20
        return
    res = resolve(case["address"], case["type"], **kw)
    assert (res.chat, res.models, res.rule) == (case["chat"], case["models"] or None,
                                                case["rule"])
    assert res.whole == case.get("whole", case["chat"])


def test_every_case_was_read():
    assert len(CASES) >= 16
    assert {c["type"] for c in CASES} == {"openai-responses", "gemini", "azure-openai"}


@pytest.mark.parametrize("case", [c for c in CASES if not c.get("error")][:12],
                         ids=lambda c: f"{c['type']}:{c['address']!r}")
def test_cli_url_shows_the_same(case):
    args = [sys.executable, "-m", "cherry_tui", "url", case["address"], "--type", case["type"],
            "--json"]
    if case.get("model"):
        args += ["-m", case["model"]]
    if case.get("api_version"):
        args += ["--api-version", case["api_version"]]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert (obj["chat"], obj["models"], obj["rule"]) == (case["chat"], case["models"] or None,
                                                         case["rule"])
    assert obj.get("whole", obj["chat"]) == case.get("whole", case["chat"])


def test_rule_texts_name_each_types_version():
    assert resolve("https://g.example.com", "gemini").rule_text == \
        "no version given - /v1beta/ appended"
    assert resolve("https://g.example.com/", "gemini").rule_text == "ends with / - no /v1beta added"
    assert resolve("https://r.openai.azure.com/", "azure-openai").rule_text == \
        "a resource address - /openai/ appended"
    assert "/v1beta/ was added" in rule_hint("https://g.example.com", "gemini")
    assert "Gemini API is v1beta: use https://g.example.com/v1beta" in \
        rule_hint("https://g.example.com/v1", "gemini")


def test_gemini_pasted_method_url_warns():
    (warning,) = resolve("https://g.example.com/v1beta/models/gemini-2.5-flash:generateContent",
                         "gemini").warnings
    assert "use https://g.example.com/v1beta/models/gemini-2.5-flash:generateContent#" in warning


def test_api_version_setting(config_file):
    assert api_version_problems("2024-10-21", "azure-openai") == []
    assert api_version_problems("v1", "azure-openai") == []
    (bad,) = api_version_problems("latest", "azure-openai")
    assert "use a date such as 2024-10-21, or v1" in bad
    (wrong_type,) = api_version_problems("v1", "openai")
    assert "applies to type azure-openai only" in wrong_type
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('[providers.az]\ntype = "azure-openai"\naddress = '
                           '"https://r.openai.azure.com"\napi_version = "v1"\nmodels = ["d"]\n'
                           '[providers.bad]\ntype = "azure-openai"\naddress = '
                           '"https://r.openai.azure.com"\napi_version = 2024\n')
    cfg = Config.load(config_file)
    az = cfg.provider("az")
    assert az.ok and az.resolved().chat == "https://r.openai.azure.com/openai/v1/chat/completions"
    assert "api_version must be a string" in cfg.provider("bad").problems[0]
