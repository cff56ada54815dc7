"""The command line, run as a real process: url, providers, key, config, --version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import pytest

CASES = tomllib.loads((Path(__file__).parent / "data" / "address-cases.toml").read_text())["case"]


def run(*args, stdin: str | None = None, env: dict | None = None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "cherry_tui", *args], input=stdin,
                          capture_output=True, text=True, env=full_env, timeout=60)


@pytest.mark.parametrize("case", CASES, ids=[repr(c["address"]) for c in CASES])
def test_url_json_for_every_case(case):
    r = run("url", case["address"], "--type", case["type"], "--json")
    if case.get("error"):
        assert r.returncode == 2
        assert r.stdout == ""
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
        return
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj == {"chat": case["chat"], "models": case["models"] or None, "rule": case["rule"],
                   "warnings": []}


def test_url_plain_text_explains_the_rule():
    r = run("url", "https://ark.cn-beijing.volces.com/api/v3/chat/completions#")
    assert r.returncode == 0
    assert "chat:   https://ark.cn-beijing.volces.com/api/v3/chat/completions" in r.stdout
    assert "ends with # - used exactly as typed" in r.stdout
    r = run("url", "api.deepseek.com")
    assert r.returncode == 2 and "did you mean https://api.deepseek.com" in r.stderr


def test_version_and_usage_errors():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("cherry-tui ")
    for args in (["nonsense"], ["url"], ["url", "x", "--type", "gemini"], ["key"],
                 ["key", "set", "no-such-provider"]):
        r = run(*args, stdin="")
        assert r.returncode == 2, args
        assert "Traceback" not in r.stderr and "cherry-tui" in r.stderr


def test_config_path_honours_env_and_flag(config_file, tmp_path):
    assert run("config", "path").stdout.strip() == str(config_file)
    other = tmp_path / "other.toml"
    assert run("--config", str(other), "config", "path").stdout.strip() == str(other)


def test_providers_json_lists_builtins_and_custom(config_file):
    config_file.parent.mkdir(parents=True)
    config_file.write_text('[providers.gw]\nname = "Gateway"\naddress = "http://127.0.0.1:3000"\n'
                           'key = "env:GW_TOKEN"\nenabled = true\nmodels = ["a", "b"]\n')
    r = run("providers", "--json", env={"GW_TOKEN": "tok-5555555555"})
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert len(rows) >= 22
    gw = rows["gw"]
    assert gw["key"] == "env:GW_TOKEN" and gw["enabled"] and gw["models"] == 2
    assert gw["chat_url"] == "http://127.0.0.1:3000/v1/chat/completions"
    assert rows["volcengine"]["chat_url"] == "https://ark.cn-beijing.volces.com/api/v3/chat/completions"
    assert "tok-5555555555" not in r.stdout
    table = run("providers", env={"GW_TOKEN": "tok-5555555555"}).stdout
    assert table.splitlines()[1].startswith("gw ")  # enabled ones first


def test_key_set_without_keyring_fails_clearly_and_stores_nothing(config_file):
    r = run("key", "set", "volcengine", stdin="sk-volc-6666666666\n")
    assert r.returncode == 1
    assert "no OS keyring" in r.stderr and "env:ARK_API_KEY" in r.stderr and "--file" in r.stderr
    assert "sk-volc" not in r.stderr + r.stdout
    assert not config_file.exists()


def test_key_set_file_then_env_then_delete(config_file):
    r = run("key", "set", "oneapi", "--file", stdin="sk-one-7777777777, sk-two-8888888888\n")
    assert r.returncode == 0, r.stderr
    assert "stored 2 key(s)" in r.stdout and "sk-o****7777" in r.stdout
    assert "sk-one-7777777777" not in r.stdout
    assert 'key = "file"' in config_file.read_text()
    rows = {row["id"]: row for row in json.loads(run("providers", "--json").stdout)}
    assert rows["oneapi"]["key"] == "file"
    assert run("key", "show", "oneapi").stdout.splitlines() == [
        "oneapi: file sk-o****7777, sk-t****8888", "  key 1: sk-o****7777", "  key 2: sk-t****8888"]
    r = run("key", "env", "oneapi", "ONEAPI_TOKEN")
    assert r.returncode == 0 and 'key = "env:ONEAPI_TOKEN"' in config_file.read_text()
    r = run("key", "delete", "oneapi")
    assert "secrets file" in r.stdout
    secrets_file = config_file.parent / "secrets.toml"
    assert "sk-one" not in secrets_file.read_text()


def test_broken_config_is_reported_and_untouched(config_file):
    config_file.parent.mkdir(parents=True)
    config_file.write_text("[providers.x\nname = 1\n")
    before = config_file.read_bytes()
    r = run("providers")
    assert "does not parse" in r.stderr and "line 1" in r.stderr
    r = run("key", "set", "oneapi", "--file", stdin="sk-x-9999999999")
    assert r.returncode == 1 and "does not parse" in r.stderr
    assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr
    assert config_file.read_bytes() == before
    assert not (config_file.parent / "secrets.toml").exists()


@pytest.mark.keyring
def test_key_set_volcengine_in_real_keyring(real_keyring, config_file):
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"}
    pid = f"volc-{uuid.uuid4().hex[:6]}"
    config_file.parent.mkdir(parents=True)
    config_file.write_text(f'[providers.{pid}]\naddress = "https://ark.cn-beijing.volces.com/api/v3/"\n')
    r = run("key", "set", pid, stdin="ark-key-0123456789abcdef\n", env=env)
    assert r.returncode == 0, r.stderr
    assert "the keyring (SecretService Keyring)" in r.stdout and "ark-****cdef" in r.stdout
    try:
        rows = {row["id"]: row for row in json.loads(run("providers", "--json", env=env).stdout)}
        assert rows[pid]["key"] == "keyring"
        assert "ark-key-0123456789abcdef" not in config_file.read_text()
    finally:
        r = run("key", "delete", pid, env=env)
        assert "deleted the key" in r.stdout
    rows = {row["id"]: row for row in json.loads(run("providers", "--json", env=env).stdout)}
    assert rows[pid]["key"] == "missing"


def test_themes_lists_shipped_and_reports_bad_user_files(config_file):
    r = run("themes")
    assert r.returncode == 0
    assert r.stdout.splitlines()[0].startswith("cherry-dark ")
    user = config_file.parent / "themes"
    user.mkdir(parents=True)
    (user / "mine.toml").write_text('name = "mine"\nprimary = "#112233"\ndescription = "My own"\n')
    (user / "bad.toml").write_text('name = "bad"\nprimary = "#zzz"\n')
    r = run("themes")
    assert r.returncode == 1
    assert any(line.startswith("mine ") and "yours" in line for line in r.stdout.splitlines())
    assert "bad.toml" in r.stderr and "'#zzz' is not a colour" in r.stderr


def test_url_warns_when_the_endpoint_would_be_there_twice():
    invoke = "https://maas.example.com/v1/infers/abc/v1/chat/completions"
    r = run("url", invoke)
    assert r.returncode == 0
    assert "warning: the address already ends with /chat/completions" in r.stdout
    assert f"use {invoke}#" in r.stdout
    obj = json.loads(run("url", invoke, "--json").stdout)
    assert len(obj["warnings"]) == 1 and "twice" in obj["warnings"][0]
