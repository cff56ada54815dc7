"""``cherry-tui import cherry-studio``: every backup format, the mapping, bad input,
idempotence, keys never shown unmasked, comments kept, conversations searchable.

The shared hand-made sample (tests/data/cherry) is used as is; the other backups are
built here from the format facts (shared/import/cherry-backup-format.md): data.json
with its three JSON layers (versions 3-5), the gzip .bak (1-2), the 2.x zip with
Data/cherrystudio.sqlite (7) and the version-6 manifest.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cherry_tui.core import cherry_import
from cherry_tui.core.cherry_import import ImportProblem, cherry_chat_url, read_backup
from cherry_tui.core.config import Config
from cherry_tui.core.history import History
from cherry_tui.core.importers.legacy_json import split_cherry_keys

SAMPLE = Path(__file__).parent / "data" / "cherry" / "cherry-studio.20260528100000.zip"
SAMPLE_KEYS = ["sk-test-doubao-0123456789abcdef", "sk-test-oneapi-aaaa1111aaaa1111",
               "sk-test-oneapi-bbbb2222bbbb2222"]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "cherry_tui", *args], capture_output=True,
                          text=True, env=full, timeout=60)


# ------------------------------------------------------------------ backup builders
def provider(pid: str, name: str, host: str, key: str = "", *, system: bool = False,
             enabled: bool = True, type: str = "openai", models=(), **extra) -> dict:
    return {"id": pid, "name": name, "type": type, "apiKey": key, "apiHost": host,
            "models": [{"id": m, "provider": pid, "name": m, "group": m} for m in models],
            "isSystem": system, "enabled": enabled, **extra}


def data_json(providers: list, version: int = 5, assistants: dict | None = None,
              indexed: object = None) -> bytes:
    persist = {"llm": json.dumps({"providers": providers}),
               "assistants": json.dumps(assistants or {"assistants": []}),
               "_persist": json.dumps({"version": 208, "rehydrated": True})}
    data = {"time": 1779962400000, "version": version,
            "localStorage": {"persist:cherry-studio": json.dumps(persist)},
            "indexedDB": indexed if indexed is not None else {"topics": [], "message_blocks": []}}
    return json.dumps(data).encode()


def write_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def v5_zip(tmp_path: Path, providers: list, **kw) -> Path:
    return write_zip(tmp_path / "cherry-studio.202605281000.zip",
                     {"data.json": data_json(providers, **kw), "Data/": b""})


def v7_zip(tmp_path: Path) -> Path:
    db_path = tmp_path / "cherrystudio.sqlite"
    db = sqlite3.connect(db_path)
    db.executescript("""
        CREATE TABLE user_provider(provider_id TEXT PRIMARY KEY, preset_provider_id TEXT,
            name TEXT, logo_key TEXT, endpoint_configs TEXT, default_chat_endpoint TEXT,
            api_keys TEXT DEFAULT '[]', auth_config TEXT, api_features TEXT,
            provider_settings TEXT, is_enabled INTEGER, order_key TEXT, created_at INTEGER,
            updated_at INTEGER);
        CREATE TABLE user_model(id TEXT PRIMARY KEY, provider_id TEXT, model_id TEXT,
            preset_model_id TEXT, name TEXT, is_enabled INTEGER, order_key TEXT);
        CREATE TABLE assistant(id TEXT PRIMARY KEY, name TEXT, prompt TEXT, model_id TEXT);
        CREATE TABLE topic(id TEXT PRIMARY KEY, name TEXT, assistant_id TEXT,
            active_node_id TEXT);
        CREATE TABLE message(id TEXT PRIMARY KEY, parent_id TEXT, topic_id TEXT, role TEXT,
            data TEXT, status TEXT, model_id TEXT, created_at INTEGER);
    """)
    db.execute("INSERT INTO user_provider VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
        "deepseek", "deepseek", "DeepSeek", None,
        json.dumps({"openai-chat-completions": {"baseUrl": "https://api.deepseek.com"}}),
        "openai-chat-completions",
        json.dumps([{"id": "k1", "key": "sk-v7-deepseek-1234567890", "isEnabled": True},
                    {"id": "k2", "key": "v1:aes:QUJDREVGRw==", "isEnabled": True},
                    {"id": "k3", "key": "sk-v7-disabled-000000000", "isEnabled": False}]),
        None, None, None, 1, "a", 0, 0))
    db.execute("INSERT INTO user_provider VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
        "0b7d", None, "My Gateway", None,
        json.dumps({"anthropic-messages": {"baseUrl": "https://gw.example.com/anthropic"}}),
        "anthropic-messages", json.dumps([{"id": "k", "key": "sk-ant-gw-abcdef123456",
                                           "isEnabled": True}]),
        None, None, None, 1, "b", 0, 0))
    db.executemany("INSERT INTO user_model VALUES (?,?,?,?,?,?,?)", [
        ("m1", "deepseek", "deepseek-chat", None, "DeepSeek Chat", 1, "a"),
        ("m2", "deepseek", "deepseek-reasoner", None, "R1", 1, "b"),
        ("m3", "deepseek", "deepseek-old", None, "old", 0, "c"),
        ("m4", "0b7d", "claude-sonnet-4-5", None, "Sonnet", 1, "a")])
    db.execute("INSERT INTO assistant VALUES ('a1', 'Helper', 'Be brief.', 'm1')")
    db.execute("INSERT INTO topic VALUES ('t1', 'Tides on Mars', 'a1', 'msg3')")
    rows = [("msg1", None, "user", {"blocks": [{"type": "main_text", "content": "Why tides?"}]},
             None, 1779962280000),
            ("msg2", "msg1", "assistant", {"blocks": [{"type": "main_text",
                                                       "content": "Old branch answer"}]},
             "m1", 1779962281000),
            ("msg3", "msg1", "assistant", {"blocks": [
                {"type": "thinking", "content": "Phobos is close."},
                {"type": "main_text", "content": "Mars has weak solid-body tides."}]},
             "m2", 1779962282000)]
    for mid, parent, role, data, model, created in rows:
        db.execute("INSERT INTO message VALUES (?,?,?,?,?,?,?,?)",
                   (mid, parent, "t1", role, json.dumps(data), "success", model, created))
    db.commit()
    db.close()
    meta = {"version": 7, "timestamp": 1779962400000, "appName": "Cherry Studio",
            "appVersion": "2.0.8", "platform": "darwin", "arch": "arm64",
            "resources": {"database": False, "cache": True, "indexedDB": False,
                          "localStorage": False, "appClaude": False, "data": True}}
    return write_zip(tmp_path / "cherry-studio.20260528100000000.host.mac.zip",
                     {"metadata.json": json.dumps(meta).encode(), "cache.json": b"{}",
                      "Data/cherrystudio.sqlite": db_path.read_bytes()})


# ------------------------------------------------------------------ reading
def test_every_package_ships_in_the_wheel():
    """core/importers is a package of its own: pyproject.toml must list it (and any other)."""
    import tomllib

    root = Path(__file__).parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(root).parts)
             for p in (root / "cherry_tui").rglob("__init__.py")}
    assert found <= listed, f"not in pyproject.toml packages: {sorted(found - listed)}"


def test_sample_reads_as_version_5_with_providers_and_the_conversation():
    backup = read_backup(SAMPLE)
    assert backup.version == 5 and not backup.broken
    doubao, oneapi = backup.providers
    assert (doubao.id, doubao.system, doubao.keys) == ("doubao", True, (SAMPLE_KEYS[0],))
    assert oneapi.keys == tuple(SAMPLE_KEYS[1:])
    assert oneapi.address == "http://127.0.0.1:3000"
    (topic,) = backup.topics
    assert topic.title == "Reverse a string in Go"
    assert topic.system_prompt.startswith("You are a concise senior engineer")
    user, answer = topic.messages
    assert user.content == "How do I reverse a UTF-8 string in Go?"
    assert answer.reasoning.startswith("The user wants rune-aware reversal")
    assert answer.content.startswith("Reverse runes, not bytes")
    assert answer.created == pytest.approx(1779962281.0)


def test_mapping_of_the_sample_builtin_ids_and_custom_names():
    selection = cherry_import.incoming(read_backup(SAMPLE))
    volc, oneapi = selection.items
    assert (volc.id, volc.type, volc.origin) == ("volcengine", "openai", "doubao")
    assert volc.chat_url() == "https://ark.cn-beijing.volces.com/api/v3/chat/completions"
    assert (oneapi.id, oneapi.models) == ("oneapi", ("gpt-4o-mini", "deepseek-reasoner"))
    assert oneapi.chat_url() == "http://127.0.0.1:3000/v1/chat/completions"
    assert not volc.warnings and not oneapi.warnings


def test_cherry_key_splitting_keeps_escaped_commas():
    assert split_cherry_keys(r"a1, b2 ,,c\,3") == ["a1", "b2", "c,3"]
    assert split_cherry_keys("") == []


@pytest.mark.parametrize(("address", "ptype", "cherry"), [
    ("http://127.0.0.1:3000", "openai", "http://127.0.0.1:3000/v1/chat/completions"),
    ("http://h:3000/api/", "openai", "http://h:3000/api/v1/chat/completions"),
    ("https://x.com/v1#", "openai", "https://x.com/v1/chat/completions"),
    ("https://x.com/v1/chat/completions#", "openai", "https://x.com/v1/chat/completions"),
    ("https://ark.cn-beijing.volces.com/api/v3/", "openai",
     "https://ark.cn-beijing.volces.com/api/v3/chat/completions"),
    ("https://gw.example.com/v1/proxy", "openai", "https://gw.example.com/v1/proxy/chat/completions"),
    ("https://api.anthropic.com", "anthropic", "https://api.anthropic.com/v1/messages"),
])
def test_cherry_url_rules(address, ptype, cherry):
    assert cherry_chat_url(address, ptype) == cherry


def test_rows_warn_where_cherry_and_cherry_tui_build_different_urls(tmp_path):
    backup = read_backup(v5_zip(tmp_path, [
        provider("u1", "Slash", "http://h:3000/api/", "sk-slash-123456789"),
        provider("u2", "Sharp", "https://x.com/v1#", "sk-sharp-123456789"),
        provider("u3", "Plain", "http://h:3000", "sk-plain-123456789")]))
    slash, sharp, plain = cherry_import.incoming(backup).items
    assert slash.address == "http://h:3000/api/"  # kept as typed
    assert slash.warnings == ("Cherry Studio called http://h:3000/api/v1/chat/completions, "
                              "cherry-tui calls http://h:3000/api/chat/completions: to keep "
                              "Cherry's, set the address to http://h:3000/api/v1",)
    assert "set the address to https://x.com/v1" in sharp.warnings[0]
    assert plain.warnings == ()


def test_types_unsupported_here_are_skipped_with_the_reason(tmp_path, monkeypatch):
    from cherry_tui.core import addresses

    monkeypatch.setattr(addresses, "PROVIDER_TYPES", ("openai", "anthropic"))
    backup = read_backup(v5_zip(tmp_path, [
        provider("u1", "Resp", "https://r.example.com", "sk-resp-123456789",
                 type="openai-response"),
        provider("u2", "Vertex", "https://v.example.com", "sk-vert-123456789", type="vertexai"),
        provider("u3", "Claude proxy", "https://c.example.com", "sk-ant-123456789",
                 type="anthropic"),
        provider("u4", "Odd", "https://o.example.com", "sk-odd-1234567890", type="martian")]))
    resp, vertex, claude, odd = cherry_import.incoming(backup).items
    assert resp.skip == "type openai-responses is not supported by this version"
    assert vertex.skip == "type vertexai has no equivalent in cherry-tui"
    assert claude.skip is None and claude.type == "anthropic"
    assert claude.chat_url() == "https://c.example.com/v1/messages"
    assert odd.skip == "type martian is unknown to cherry-tui"


@pytest.mark.parametrize(("cherry_type", "ours"), [
    ("openai-response", "openai-responses"), ("gemini", "gemini"),
    ("azure-openai", "azure-openai"), ("new-api", "openai"), ("ollama", "openai")])
def test_each_cherry_type_maps_to_ours_and_is_skipped_only_where_unsupported(
        tmp_path, cherry_type, ours):
    from cherry_tui.core import addresses

    backup = read_backup(v5_zip(tmp_path, [provider(
        "u1", "Custom", "https://custom.example.com", "sk-custom-12345678", type=cherry_type)]))
    (item,) = cherry_import.incoming(backup).items
    assert item.type == ours
    if ours in addresses.PROVIDER_TYPES:  # this version has the type: imported
        assert item.skip is None
    else:
        assert item.skip == f"type {ours} is not supported by this version"


def test_cherrys_gemini_builtin_lands_on_ours_where_we_have_it(tmp_path):
    from cherry_tui.core.catalog import catalog

    backup = read_backup(v5_zip(tmp_path, [provider(
        "gemini", "Gemini", "https://generativelanguage.googleapis.com",
        "AIza-test-0123456789abcdef", system=True, type="gemini")]))
    (item,) = cherry_import.incoming(backup).items
    assert item.id == "gemini"
    if "gemini" in catalog():
        assert item.builtin and item.type == "gemini" and item.skip is None
        assert item.warnings == ()  # Cherry's URL rules are not compared for gemini
    else:
        assert item.skip == "type gemini is not supported by this version"


def test_azure_keeps_its_api_version_where_the_type_exists(tmp_path, config_file):
    from cherry_tui.core import addresses

    if "azure-openai" not in addresses.PROVIDER_TYPES:
        pytest.skip("this version has no azure-openai type (the row is skipped, tested above)")
    zipped = v5_zip(tmp_path, [provider(
        "u1", "Work Azure", "https://myres.openai.azure.com", "azkey-0123456789abcdef",
        type="azure-openai", apiVersion="2024-10-21", models=["gpt-4o-deploy"])])
    assert run("import", "cherry-studio", str(zipped), "--keys", "file").returncode == 0
    azure = Config.load(config_file).provider("work-azure")
    assert (azure.type, azure.api_version, azure.ok) == ("azure-openai", "2024-10-21", True)
    again = run("import", "cherry-studio", str(zipped), "--keys", "file")
    assert "1 unchanged" in again.stdout
    exported = run("export", "providers")
    assert 'api_version = "2024-10-21"' in exported.stdout


def test_unused_builtins_are_left_out_unless_named(tmp_path):
    zipped = v5_zip(tmp_path, [
        provider("openai", "OpenAI", "https://api.openai.com", system=True, enabled=False,
                 type="openai-response"),
        provider("silicon", "Silicon", "https://api.siliconflow.cn", "sk-silicon-12345678",
                 system=True, enabled=False),
        provider("groq", "Groq", "https://my-groq-proxy.example.com", system=True,
                 enabled=False),
        provider("aihubmix", "AiHubMix", "https://aihubmix.com", "sk-aihub-123456789",
                 system=True)])
    selection = cherry_import.incoming(read_backup(zipped))
    assert [i.id for i in selection.items] == ["siliconflow", "groq", "aihubmix"]
    assert selection.left_out == ["openai"]
    assert selection.items[2].type == "openai" and not selection.items[2].builtin
    only = cherry_import.incoming(read_backup(zipped), ["openai"])
    assert [i.id for i in only.items] == ["openai"]
    with pytest.raises(ValueError, match="no provider 'nope'"):
        cherry_import.incoming(read_backup(zipped), ["nope"])


def test_a_builtin_at_its_default_address_keeps_ours(tmp_path):
    groq = provider("groq", "Groq", "https://api.groq.com/openai", system=True)
    del groq["enabled"]  # old backups: a built-in without "enabled" is not in use
    backup = read_backup(v5_zip(tmp_path, [
        provider("github", "Github Models", "https://models.github.ai/inference",
                 "ghp-test-0123456789", system=True),
        provider("ollama", "Ollama", "", system=True, enabled=True, type="ollama",
                 models=["llama3.2:3b"]), groq]))
    github, ollama = cherry_import.incoming(backup).items
    assert github.address == "https://models.github.ai/inference/"
    assert github.chat_url() == "https://models.github.ai/inference/chat/completions"
    assert (ollama.address, ollama.models) == ("http://localhost:11434", ("llama3.2:3b",))
    assert cherry_import.incoming(backup).left_out == ["groq"]


def test_custom_ids_are_stable_and_never_take_a_claimed_or_other_protocol_builtin(tmp_path):
    backup = read_backup(v5_zip(tmp_path, [
        provider("deepseek", "DeepSeek", "https://api.deepseek.com", "sk-ds-0123456789",
                 system=True),
        provider("u1", "DeepSeek", "https://ds-proxy.example.com", "sk-dsp-0123456789"),
        provider("u2", "OneAPI", "https://claude-gw.example.com", "sk-gw-0123456789",
                 type="anthropic"),
        provider("u3", "Proxy", "https://p1.example.com", "sk-p1-0123456789"),
        provider("u4", "Proxy", "https://p2.example.com", "sk-p2-0123456789")]))
    ids = [i.id for i in cherry_import.incoming(backup).items]
    assert ids == ["deepseek", "deepseek-2", "oneapi-2", "proxy", "proxy-2"]
    assert ids == [i.id for i in cherry_import.incoming(backup).items]


def test_keys_with_commas_bad_characters_and_headers_are_reported(tmp_path):
    backup = read_backup(v5_zip(tmp_path, [provider(
        "u1", "Proxy", "https://p.example.com", "sk-good-123456789,sk-with\\,comma1,sk-bad\u00a0key12",
        extra_headers={"X-Tenant": "secret-tenant-value"})]))
    (item,) = cherry_import.incoming(backup).items
    assert item.keys == ("sk-good-123456789",)
    text = " ".join(item.warnings)
    assert "key 2 holds a comma" in text and "key 3 left out" in text
    assert "extra headers not imported (X-Tenant)" in text
    assert "secret-tenant-value" not in text


def test_a_custom_providers_claude_address_is_named(tmp_path):
    backup = read_backup(v5_zip(tmp_path, [provider(
        "u1", "Both", "https://both.example.com", "sk-both-123456789",
        anthropicApiHost="https://both.example.com/anthropic")]))
    (item,) = cherry_import.incoming(backup).items
    assert "second address for Claude models (https://both.example.com/anthropic)" in \
        item.warnings[0]


def test_version_1_bak_and_version_3_inline_messages(tmp_path):
    assistants = {"defaultAssistant": {"id": "default", "prompt": "",
                                       "topics": [{"id": "t1", "name": "Old chat"}]}}
    messages = [{"id": "m1", "role": "user", "content": "first question",
                 "createdAt": "2024-05-01T10:00:00.000Z"},
                {"id": "m2", "role": "assistant", "content": "first answer",
                 "reasoning_content": "hmm", "modelId": "gpt-4o",
                 "model": {"id": "gpt-4o", "provider": "openai"},
                 "createdAt": "2024-05-01T10:00:05.000Z"},
                {"id": "m3", "role": "user", "type": "clear", "content": ""}]
    v1 = data_json([provider("openai", "OpenAI", "https://api.openai.com", "sk-v1-openai-123456",
                             system=True)], version=1, assistants=assistants,
                   indexed=[{"key": "topic:t1", "value": {"id": "t1", "messages": messages}},
                            {"key": "image://avatar", "value": "data:"}])
    bak = tmp_path / "cherry-studio.20240501.bak"
    bak.write_bytes(gzip.compress(v1))
    backup = read_backup(bak)
    assert backup.version == 1
    assert [p.id for p in backup.providers] == ["openai"]
    (topic,) = backup.topics
    assert topic.title == "Old chat"
    assert [(m.role, m.content, m.reasoning) for m in topic.messages] == [
        ("user", "first question", ""), ("assistant", "first answer", "hmm"),
        ("context", "", "")]  # Cherry's "clear context": a new-context marker
    v3 = v5_zip(tmp_path, [], version=3, assistants=assistants,
                indexed={"topics": [{"id": "t1", "messages": messages}]})
    assert read_backup(v3).topics[0].messages[1].content == "first answer"


def test_an_unzipped_backup_folder_reads_like_the_zip(tmp_path):
    for zipped, name in ((SAMPLE, "v5"), (v7_zip(tmp_path), "v7")):
        folder = tmp_path / name
        with zipfile.ZipFile(zipped) as zf:
            zf.extractall(folder)
        assert read_backup(folder).providers == read_backup(zipped).providers
    with pytest.raises(ImportProblem, match=r"folder without data\.json or metadata"):
        read_backup(tmp_path / "v5" / "Data")


def test_several_answers_to_one_question_keep_the_one_cherry_used(tmp_path, config_file):
    def msg(mid, role, text, **extra):
        return {"id": mid, "role": role, "blocks": [f"b-{mid}"], "createdAt": 1779962280000,
                **extra}

    messages = [msg("q1", "user", "Compare"), msg("a1", "assistant", "from gpt", askId="q1"),
                msg("a2", "assistant", "from claude", askId="q1", useful=True),
                msg("a3", "assistant", "from qwen", askId="q1"),
                msg("q2", "user", "And now?"), msg("a4", "assistant", "first", askId="q2"),
                msg("a5", "assistant", "second", askId="q2")]
    blocks = [{"id": f"b-{m['id']}", "messageId": m["id"], "type": "main_text",
               "content": {"q1": "Compare", "a1": "from gpt", "a2": "from claude",
                           "a3": "from qwen", "q2": "And now?", "a4": "first",
                           "a5": "second"}[m["id"]]} for m in messages]
    zipped = v5_zip(tmp_path, [], assistants={"defaultAssistant": {
        "id": "default", "topics": [{"id": "t1", "name": "Models compared"}]}},
        indexed={"topics": [{"id": "t1", "messages": messages}], "message_blocks": blocks})
    (topic,) = read_backup(zipped).topics
    assert [m.content for m in topic.messages] == ["Compare", "from claude", "And now?",
                                                   "second"]
    assert topic.other_answers == 3
    proc = run("import", "cherry-studio", str(zipped), "--conversations", "--dry-run")
    assert "3 further answer(s) to questions asked of several models would be left out" \
        in proc.stdout


def test_version_7_sqlite_providers_models_keys_and_active_branch(tmp_path):
    backup = read_backup(v7_zip(tmp_path))
    assert backup.version == 7
    deepseek, gateway = backup.providers
    assert deepseek.keys == ("sk-v7-deepseek-1234567890",)
    assert "encrypted" in deepseek.notes[0]
    assert deepseek.models == ("deepseek-chat", "deepseek-reasoner")
    assert (gateway.type, gateway.address) == ("anthropic", "https://gw.example.com/anthropic")
    items = cherry_import.incoming(backup).items
    assert [(i.id, i.type) for i in items] == [("deepseek", "openai"),
                                              ("my-gateway", "anthropic")]
    (topic,) = backup.topics
    assert (topic.title, topic.system_prompt) == ("Tides on Mars", "Be brief.")
    assert [m.content for m in topic.messages] == ["Why tides?", "Mars has weak solid-body tides."]
    assert topic.messages[1].reasoning == "Phobos is close."
    assert (topic.messages[1].provider, topic.messages[1].model) == ("deepseek", "deepseek-reasoner")


# ------------------------------------------------------------------ bad input
def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, a phrase the one-line message must hold)."""
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a backup\n")
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(SAMPLE.read_bytes()[: SAMPLE.stat().st_size // 2])
    slip = tmp_path / "slip.zip"
    write_zip(slip, {"data.json": data_json([]), "../../evil.sh": b"rm -rf ~"})
    absolute = tmp_path / "absolute.zip"
    write_zip(absolute, {"data.json": data_json([]), "/etc/cron.d/x": b"x"})
    shape = tmp_path / "shape.zip"
    write_zip(shape, {"data.json": json.dumps({"version": 5, "localStorage": {}}).encode()})
    not_list = tmp_path / "notlist.zip"
    persist = json.dumps({"llm": json.dumps({"providers": {"a": 1}})})
    write_zip(not_list, {"data.json": json.dumps({"version": 5, "localStorage": {
        "persist:cherry-studio": persist}}).encode()})
    version = tmp_path / "v9.zip"
    write_zip(version, {"data.json": data_json([], version=9)})
    meta8 = tmp_path / "meta8.zip"
    write_zip(meta8, {"metadata.json": json.dumps({"version": 8}).encode()})
    v6 = tmp_path / "cherry-studio.20260528100000.host.windows.zip"
    write_zip(v6, {"metadata.json": json.dumps({"version": 6, "appName": "Cherry Studio",
                                                "appVersion": "1.9.12"}).encode(),
                   "Local Storage/leveldb/000003.log": b"\x00" * 64,
                   "IndexedDB/file__0.indexeddb.leveldb/CURRENT": b"MANIFEST-000001\n"})
    bad_json = tmp_path / "badjson.zip"
    write_zip(bad_json, {"data.json": b'{"version": 5, "localStorage": '})
    return {
        "not a backup": (text, "is not a Cherry Studio backup"),
        "truncated": (truncated, "damaged or incomplete"),
        "dot-dot entry": (slip, "'../../evil.sh'"),
        "absolute entry": (absolute, "'/etc/cron.d/x'"),
        "wrong shape": (shape, "has no persist:cherry-studio"),
        "providers not a list": (not_list, "llm.providers is not a list"),
        "unknown version": (version, "unknown backup version 9"),
        "unknown direct version": (meta8, "unknown backup version 8"),
        "version 6": (v6, "Export to phone, Export as file"),
        "invalid json": (bad_json, "data.json is not valid JSON"),
    }


def test_every_bad_file_gets_one_line_exit_1_and_nothing_written(tmp_path, config_file):
    for name, (path, phrase) in _bad_files(tmp_path).items():
        proc = run("import", "cherry-studio", str(path), "--keys", "file")
        assert proc.returncode == 1, (name, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and phrase in lines[0], (name, proc.stderr)
        assert str(path) in lines[0] and "Traceback" not in proc.stderr
        assert not config_file.exists(), name
        assert not (config_file.parent / "secrets.toml").exists()


def test_a_zip_bomb_stops_at_the_cap(tmp_path):
    bomb = write_zip(tmp_path / "bomb.zip", {"data.json": b" " * (8 * 1024 * 1024)})
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ImportProblem, match="unpacks to more than 1 MiB"):
        read_backup(bomb, limit=1024 * 1024)
    # A zip whose header understates the size: the cap holds while unpacking.
    raw = bytearray(bomb.read_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(raw))).getinfo("data.json")
    size = info.file_size.to_bytes(4, "little")
    raw = raw.replace(size, (1000).to_bytes(4, "little"))
    liar = tmp_path / "liar.zip"
    liar.write_bytes(bytes(raw))
    with pytest.raises(ImportProblem, match="damaged or incomplete"):
        read_backup(liar, limit=1024 * 1024)
    gz = tmp_path / "bomb.bak"
    gz.write_bytes(gzip.compress(b" " * (4 * 1024 * 1024)))
    with pytest.raises(ImportProblem, match="unpacks to more than 1 MiB"):
        read_backup(gz, limit=1024 * 1024)


def test_a_provider_with_a_bad_address_alone_fails(tmp_path, config_file):
    zipped = v5_zip(tmp_path, [provider("u1", "Broken", "", "sk-broken-12345678")])
    proc = run("import", "cherry-studio", str(zipped), "--keys", "file")
    assert proc.returncode == 1
    assert f"{zipped}: cannot import Broken: the address is empty" in proc.stderr
    assert "no provider can be imported" in proc.stderr
    assert not config_file.exists()


def test_half_readable_backup_needs_yes_and_imports_only_the_valid(tmp_path, config_file):
    zipped = v5_zip(tmp_path, [
        provider("u1", "Good", "https://good.example.com", "sk-good-123456789"),
        provider("u2", "Ftp", "ftp://files.example.com", "sk-ftp-1234567890"),
        "not an object"])
    proc = run("import", "cherry-studio", str(zipped), "--keys", "file")
    assert proc.returncode == 1
    assert "cannot import Ftp: invalid address: ftp:// addresses are not supported" in proc.stderr
    assert "cannot import provider 3: the entry is not an object" in proc.stderr
    assert "run again with --yes to import the 1 others" in proc.stderr
    assert not config_file.exists()
    proc = run("import", "cherry-studio", str(zipped), "--keys", "file", "--yes")
    assert proc.returncode == 0, proc.stderr
    cfg = Config.load(config_file)
    assert cfg.provider("good").address == "https://good.example.com"
    assert "ftp" not in cfg.section("providers")


def test_on_a_terminal_a_half_readable_backup_asks_first(tmp_path, config_file):
    import pty
    import select

    zipped = v5_zip(tmp_path, [
        provider("u1", "Good", "https://good.example.com", "sk-good-123456789"),
        provider("u2", "Ftp", "ftp://files.example.com", "sk-ftp-1234567890")])
    for answer, imported in ((b"n\n", False), (b"y\n", True)):
        main, child = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "cherry_tui", "import", "cherry-studio",
                                 str(zipped), "--keys", "file"],
                                stdin=child, stdout=child, stderr=subprocess.PIPE)
        os.close(child)
        seen = b""
        while b"Import the 1 others? [y/N]" not in seen:
            ready, _, _ = select.select([main], [], [], 30)
            assert ready, seen  # the question never came
            seen += os.read(main, 1024)
        os.write(main, answer)
        assert proc.wait(timeout=60) == (0 if imported else 1)
        os.close(main)
        proc.stderr.close()
        assert config_file.exists() == imported


def test_usage_errors_exit_2(tmp_path):
    proc = run("import", "cherry-studio", str(SAMPLE), "--only", "nope", "--dry-run")
    assert proc.returncode == 2 and "no provider 'nope'" in proc.stderr
    proc = run("import", "cherry-studio", str(SAMPLE), "--keys", "paper")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


# ------------------------------------------------------------------ the commands
def test_dry_run_of_the_sample_prints_the_table_masked_and_writes_nothing(config_file):
    proc = run("import", "cherry-studio", str(SAMPLE), "--dry-run", "--keys", "file",
               "--conversations")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "volcengine  doubao  openai  https://ark.cn-beijing.volces.com/api/v3/  " \
           "https://ark.cn-beijing.volces.com/api/v3/chat/completions" in out
    assert "http://127.0.0.1:3000/v1/chat/completions" in out
    assert "sk-t****1111, sk-t****2222 (to secrets file)" in out
    assert "conversations: 1 would be imported" in out
    assert "dry run: nothing was written" in out
    for key in SAMPLE_KEYS:
        assert key not in out and key not in proc.stderr
    assert not config_file.exists()
    assert not (config_file.parent.parent / "data").exists()


def test_without_keyring_the_default_refuses_with_the_choices(config_file):
    proc = run("import", "cherry-studio", str(SAMPLE))
    assert proc.returncode == 1
    assert "--keys file" in proc.stderr and "--keys skip" in proc.stderr
    assert not config_file.exists()


def test_import_keeps_comments_stores_keys_and_a_second_run_changes_nothing(config_file,
                                                                           tmp_path):
    config_file.parent.mkdir(parents=True)
    config_file.write_text('# my settings, keep this line\ntheme = "cherry-dark"\n\n'
                           '[providers.deepseek]  # mine\nenabled = true\n')
    proc = run("import", "cherry-studio", str(SAMPLE), "--keys", "file", "--conversations")
    assert proc.returncode == 0, proc.stderr
    assert "2 add" in proc.stdout and "conversations: 1 imported" in proc.stdout
    for key in SAMPLE_KEYS:
        assert key not in proc.stdout and key not in proc.stderr
    text = config_file.read_text()
    assert "# my settings, keep this line" in text and "[providers.deepseek]  # mine" in text
    cfg = Config.load(config_file)
    volc, oneapi = cfg.provider("volcengine"), cfg.provider("oneapi")
    assert (volc.enabled, volc.key, volc.models[0]) == (True, "file", "doubao-seed-1-8-251228")
    assert (oneapi.address, oneapi.key, oneapi.ok) == ("http://127.0.0.1:3000", "file", True)
    secrets_text = (config_file.parent / "secrets.toml").read_text()
    assert f'oneapi = "{SAMPLE_KEYS[1]},{SAMPLE_KEYS[2]}"' in secrets_text

    history_path = config_file.parent.parent / "data" / "history.sqlite3"
    history = History(history_path)
    (conv,) = history.search("UTF-8 string")
    assert conv.title == "Reverse a string in Go"
    assert conv.system_prompt.startswith("You are a concise senior engineer")
    user, answer = history.messages(conv.id)
    assert answer.reasoning.startswith("The user wants rune-aware reversal")
    assert answer.model == "oneapi/deepseek-reasoner"
    assert user.created == pytest.approx(1779962280.0)
    history.close()

    before = (config_file.read_bytes(), (config_file.parent / "secrets.toml").read_bytes())
    again = run("import", "cherry-studio", str(SAMPLE), "--keys", "file", "--conversations")
    assert again.returncode == 0, again.stderr
    assert "2 unchanged" in again.stdout
    assert "conversations: 0 imported, 1 imported before" in again.stdout
    assert (config_file.read_bytes(), (config_file.parent / "secrets.toml").read_bytes()) == before
    history = History(history_path)
    assert history.count() == 1
    history.close()


def test_an_existing_different_provider_is_skipped_unless_replace(config_file):
    config_file.parent.mkdir(parents=True)
    config_file.write_text('[providers.volcengine]\nmodels = ["my-endpoint"]\nenabled = false\n')
    proc = run("import", "cherry-studio", str(SAMPLE), "--keys", "skip")
    assert proc.returncode == 0, proc.stderr
    assert "skip: you have volcengine already (its models, enabled differ): --replace " \
           "overwrites it" in proc.stdout
    assert "store them with: cherry-tui key set oneapi\n" in proc.stdout
    assert Config.load(config_file).provider("volcengine").models == ("my-endpoint",)
    proc = run("import", "cherry-studio", str(SAMPLE), "--keys", "skip", "--replace")
    assert proc.returncode == 0, proc.stderr
    assert "update: replaces your models, enabled" in proc.stdout
    assert "keys not stored (--keys skip); store them with: cherry-tui key set volcengine\n" \
        in proc.stdout  # oneapi was added by the first run, unchanged now
    volc = Config.load(config_file).provider("volcengine")
    assert volc.models[0] == "doubao-seed-1-8-251228" and volc.enabled
    assert not (config_file.parent / "secrets.toml").exists()  # --keys skip


def test_version_7_import_through_the_cli(tmp_path, config_file):
    proc = run("import", "cherry-studio", str(v7_zip(tmp_path)), "--keys", "file",
               "--conversations")
    assert proc.returncode == 0, proc.stderr
    assert "encrypted for the machine that made the backup" in proc.stdout
    cfg = Config.load(config_file)
    assert cfg.provider("deepseek").models == ("deepseek-chat", "deepseek-reasoner")
    gateway = cfg.provider("my-gateway")
    assert (gateway.type, gateway.address) == ("anthropic", "https://gw.example.com/anthropic")
    history = History(config_file.parent.parent / "data" / "history.sqlite3")
    (conv,) = history.search("solid-body")
    assert conv.title == "Tides on Mars"
    assert [m.model for m in history.messages(conv.id)] == [None, "deepseek/deepseek-reasoner"]
    history.close()


@pytest.mark.keyring
def test_default_key_store_is_the_real_keyring(real_keyring, config_file):
    import keyring

    proc = run("import", "cherry-studio", str(SAMPLE), "--only", "OneAPI")
    assert proc.returncode == 0, proc.stderr
    assert "keys stored (keyring) for: oneapi" in proc.stdout
    try:
        assert keyring.get_password("cherry-tui", "oneapi") == ",".join(SAMPLE_KEYS[1:])
        assert Config.load(config_file).provider("oneapi").key == "keyring"
    finally:
        keyring.delete_password("cherry-tui", "oneapi")


def test_an_imported_oneapi_provider_chats_at_once(tmp_path, config_file, llmock):
    """The issue's "done when": copy a backup, import it, ask the imported provider."""
    zipped = v5_zip(tmp_path, [provider(
        "9a43fcb2-6254-4185-b420-0d1916bd0cad", "OneAPI", llmock.url,
        "sk-test-oneapi-aaaa1111aaaa1111,sk-test-oneapi-bbbb2222bbbb2222",
        models=["gpt-4o-mini"])])
    assert run("import", "cherry-studio", str(zipped), "--keys", "file").returncode == 0
    llmock.reply("Imported and working.")
    proc = run("ask", "-m", "oneapi/gpt-4o-mini", "Hello?")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Imported and working.\n"
    rec = llmock.last_request
    assert (rec.path, rec.model) == ("/v1/chat/completions", "gpt-4o-mini")
