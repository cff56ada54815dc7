"""Where keys live: the real keyring, no keyring, env references and the 0600 file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cherry_tui.core import secrets
from cherry_tui.core.config import Config


def test_mask_and_split():
    assert secrets.mask("sk-1234567890abcd") == "sk-1****abcd"
    assert secrets.mask("short") == "****"
    assert secrets.split_keys(" sk-a , sk-b，sk-c\nsk-d\r\n\n") == ["sk-a", "sk-b", "sk-c", "sk-d"]
    assert secrets.scrub("bad key sk-1234567890abcd!", ["sk-1234567890abcd"]) == \
        "bad key sk-1****abcd!"


def test_no_keyring_backend_says_so_and_names_alternatives(config_file):
    # conftest selects keyring.backends.fail.Keyring: the real "no backend" path.
    cfg = Config.load(config_file)
    with pytest.raises(secrets.KeyringUnavailable) as info:
        secrets.keyring_set("volcengine", "sk-secret-0000000000")
    assert "no OS keyring" in str(info.value)
    assert "sk-secret" not in str(info.value)
    alt = secrets.alternatives(cfg.provider("volcengine"))
    assert 'key = "env:ARK_API_KEY"' in alt and "--file" in alt and "0600" in alt
    ok, detail = secrets.keyring_available()
    assert not ok and "no OS keyring" in detail
    info = secrets.key_info(cfg.provider("volcengine"), config_file)
    assert info.status == "missing" and info.problem and not info.keys


def test_keyring_hang_becomes_a_clear_error_and_later_calls_fail_at_once(monkeypatch):
    import time

    monkeypatch.setattr(secrets, "_hung", None)
    with pytest.raises(secrets.KeyringUnavailable, match=r"did not answer within 0\.2 s"):
        secrets._call(lambda: time.sleep(5), timeout=0.2)
    calls = []
    start = time.monotonic()
    with pytest.raises(secrets.KeyringUnavailable, match="did not answer"):
        secrets._call(lambda: calls.append(1), timeout=0.2)
    assert calls == [] and time.monotonic() - start < 0.1


def test_keyrings_alt_plaintext_backend_is_refused(monkeypatch):
    import keyring

    class FakeAlt:  # stands for keyrings.alt.file.PlaintextKeyring (not installed here)
        pass

    FakeAlt.__module__ = "keyrings.alt.file"
    monkeypatch.setattr(keyring, "get_keyring", lambda: FakeAlt())
    with pytest.raises(secrets.KeyringUnavailable, match="plain text"):
        secrets.keyring_get("openai")


def test_env_reference_and_builtin_variable(config_file, monkeypatch):
    cfg = Config.load(config_file)
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-deepseek-1111111111")
    info = secrets.key_info(cfg.provider("deepseek"), config_file)
    assert info.source == "env:DEEPSEEK_API_KEY" and info.keys == ("sk-deepseek-1111111111",)
    # Another provider never picks up DeepSeek's (or OpenAI's) variable.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-2222222222")
    pid = cfg.add_provider("Gateway", "openai", "http://127.0.0.1:3000")
    assert secrets.key_info(cfg.provider(pid), config_file).keys == ()
    assert secrets.key_info(cfg.provider("volcengine"), config_file).keys == ()
    cfg.set_provider_field(pid, "key", "env:GATEWAY_TOKEN")
    status = secrets.key_info(cfg.provider(pid), config_file).status
    assert status == "missing (GATEWAY_TOKEN unset)"
    monkeypatch.setenv("GATEWAY_TOKEN", "tok-aaaaaaaaaaaa, tok-bbbbbbbbbbbb")
    info = secrets.key_info(cfg.provider(pid), config_file)
    assert info.keys == ("tok-aaaaaaaaaaaa", "tok-bbbbbbbbbbbb")
    assert info.masked == "tok-****aaaa, tok-****bbbb"


def test_plain_text_file_only_when_chosen_and_0600(config_file):
    cfg = Config.load(config_file)
    store = secrets.SecretsFile.beside(config_file)
    store.set("oneapi", "sk-oneapi-3333333333")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    # Not chosen yet: the file is not read for this provider.
    assert secrets.key_info(cfg.provider("oneapi"), config_file).keys == ()
    cfg.set_provider_field("oneapi", "key", "file")
    info = secrets.key_info(cfg.provider("oneapi"), config_file)
    assert info.source == "file" and info.keys == ("sk-oneapi-3333333333",)
    assert store.delete("oneapi") and not store.delete("oneapi")
    assert "sk-oneapi" not in store.path.read_text()


def test_ollama_needs_no_key(config_file):
    cfg = Config.load(config_file)
    assert secrets.key_info(cfg.provider("ollama"), config_file).status == "not needed"


@pytest.mark.keyring
def test_real_keyring_store_read_delete(real_keyring, config_file):
    cfg = Config.load(config_file)
    pid = f"test-{uuid.uuid4().hex[:8]}"
    cfg.add_provider(pid, "openai", "http://127.0.0.1:3000")
    assert secrets.keyring_available()[0]
    assert "SecretService" in secrets.backend_name()
    secrets.keyring_set(pid, "sk-real-keyring-4444444444")
    try:
        import keyring

        # Stored under service cherry-tui, user = provider id, in the real Secret Service.
        assert keyring.get_password("cherry-tui", pid) == "sk-real-keyring-4444444444"
        info = secrets.key_info(cfg.provider(pid), config_file)
        assert info.source == "keyring" and info.keys == ("sk-real-keyring-4444444444",)
    finally:
        assert secrets.keyring_delete(pid) is True
    assert secrets.keyring_get(pid) is None
    assert secrets.keyring_delete(pid) is False


# ---------------------------------------------------------------------------- hostile files
BAD_SECRETS = {
    "not UTF-8": (b'[keys]\ndeepseek = "sk-caf\xe9"\n', "is not UTF-8", "line 2"),
    "not TOML": (b'[keys\ndeepseek = "sk-x"\n', "does not parse", "line 1"),
    "a number": (b"[keys]\ndeepseek = 5\n", "keys.deepseek is a number, not a string", ""),
    "a table": (b'[keys.deepseek]\nkey = "sk-x"\n', "keys.deepseek is a table", ""),
    "outside [keys]": (b'deepseek = "sk-x"\n', "deepseek is outside the [keys] table", ""),
    "keys not a table": (b'keys = "sk-x"\n', "keys must be a table", ""),
}


@pytest.mark.parametrize("case", BAD_SECRETS, ids=list(BAD_SECRETS))
def test_bad_secrets_file_is_one_clear_problem_and_never_written(config_file, case):
    raw, words, line = BAD_SECRETS[case]
    store = secrets.SecretsFile.beside(config_file)
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(raw)
    cfg = Config.load(config_file)
    cfg.set_provider_field("deepseek", "key", "file")
    info = secrets.key_info(cfg.provider("deepseek"), config_file)
    assert not info.keys and words in info.problem and str(store.path) in info.problem
    assert line in info.problem and "\n" not in info.problem
    assert store.problem() == info.problem
    if case in ("a number", "a table"):  # what the message advises: store the key again
        store.set("deepseek", "sk-new-0000000000")
        assert store.problem() is None and store.get("deepseek") == "sk-new-0000000000"
        return
    with pytest.raises(secrets.SecretsError, match=words.split(",")[0].replace("[", r"\[")):
        store.set("deepseek", "sk-new-0000000000")
    assert store.path.read_bytes() == raw


def test_secrets_readable_by_others_warns_with_the_chmod_and_is_still_used(config_file):
    store = secrets.SecretsFile.beside(config_file)
    store.set("oneapi", "sk-oneapi-3333333333")
    assert store.permission_warning() is None
    os.chmod(store.path, 0o644)
    warning = store.permission_warning()
    assert warning == (f"{store.path} can be read by other users (mode 0644); run: "
                       f"chmod 600 {store.path}")
    assert store.get("oneapi") == "sk-oneapi-3333333333"


def test_check_key_text_names_the_position_never_the_key():
    assert secrets.check_key_text("sk-abc123_-.XYZ") is None
    msg = secrets.check_key_text("sk-abc\u200b123")
    assert msg.startswith("character 7 of the key is an invisible character (U+200B ZERO WIDTH SPACE)")
    assert "sk-abc" not in msg and "paste" in msg
    assert "a space (U+0020" in secrets.check_key_text("sk a")
    assert "a non-ASCII character (U+00E9" in secrets.check_key_text("sk-\u00e9")
    assert "U+00A0 NO-BREAK SPACE" in secrets.check_key_text("sk-\u00a0x")
    assert "U+0007" in secrets.check_key_text("sk-\x07")


def test_a_bad_key_from_the_environment_is_reported_before_use(config_file, monkeypatch):
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-deepseek-1111\u200b111111")
    cfg = Config.load(config_file)
    info = secrets.key_info(cfg.provider("deepseek"), config_file)
    assert info.keys and info.status == "env:DEEPSEEK_API_KEY (bad key)"
    assert info.problem.startswith("the key from $DEEPSEEK_API_KEY: character 17 is an "
                                   "invisible character (U+200B ZERO WIDTH SPACE)")


def test_alternatives_read_well_after_instead():
    sentence = f"Nothing was stored. Instead, {secrets.alternatives()}"
    assert sentence.lower().count("instead") == 1
    assert sentence.startswith("Nothing was stored. Instead, use an environment variable (")


def test_storing_a_key_with_an_invisible_character_is_refused(config_file):
    store = secrets.SecretsFile.beside(config_file)
    with pytest.raises(secrets.BadKeyText, match="key 2: character 3 of the key is an invisible"):
        store.set("oneapi", "sk-good-0000000000,sk\u200b-bad")
    assert not store.path.exists()
    with pytest.raises(secrets.BadKeyText, match=r"a space \(U\+00A0 NO-BREAK SPACE\)"):
        secrets.keyring_set("oneapi", "sk-\u00a0x")  # refused before the keyring is asked


_SET_KEYS = """
import sys
from pathlib import Path
from cherry_tui.core.secrets import SecretsFile
store, tag = SecretsFile.beside(Path(sys.argv[1])), sys.argv[2]
for i in range(20):
    store.set(f"{tag}{i}", f"sk-{tag}-{i:010d}")
"""


def test_two_processes_storing_keys_lose_none_and_leave_no_temp_files(config_file):
    import subprocess
    import sys

    store = secrets.SecretsFile.beside(config_file)
    store.path.parent.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftover = store.path.parent / f".secrets.toml.{dead.pid}.k1l2m3.tmp"
    leftover.write_text("[keys]\npartial = ")
    procs = [subprocess.Popen([sys.executable, "-c", _SET_KEYS, str(config_file), tag])
             for tag in ("a", "b")]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    missing = [f"{t}{i}" for t in "ab" for i in range(20)
               if store.get(f"{t}{i}") != f"sk-{t}-{i:010d}"]
    assert missing == []
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["secrets.toml"]
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_finding_the_keyring_backend_starts_no_child_process(tmp_path: Path) -> None:
    """keyring's discovery imports its macOS backend, whose ctypes probe ran ldconfig, gcc
    and ld on Linux at every start (seen with strace). The probe is an audit event."""
    code = (
        "import sys\n"
        "spawned = []\n"
        "sys.addaudithook(lambda event, args: spawned.append((event, str(args)[:80]))"
        " if event in ('subprocess.Popen', 'os.posix_spawn', 'os.exec', 'os.fork') else None)\n"
        "from cherry_tui.core import secrets\n"
        "name = secrets.backend_name()\n"
        "print(repr(spawned), '|', name)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON_KEYRING")}
    env["XDG_CONFIG_HOME"] = str(tmp_path)  # no keyringrc.cfg choosing a backend
    env["XDG_DATA_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=True).stdout
    assert out.startswith("[] |"), out
