"""Broken files and odd environments through the real command line (a subprocess):
one line naming the file, what is wrong and what to do, the documented exit status, no
traceback, and nothing written over a file that did not load."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

# One case per way a config file can fail to load: (text, line the message names).
BROKEN_CONFIGS = {
    "key twice in a provider table": (
        '[providers.gw]\naddress = "http://127.0.0.1:3000"\nname = "A"\nname = "B"\n', 4),
    "table twice": (('[providers.gw]\naddress = "http://127.0.0.1:3000"\n\n'
                     '[providers.gw]\nenabled = true\n'), 4),
    "not TOML": ("[providers.gw\nname = 1\n", 1),
    "not UTF-8": ('theme = "caf\xe9"\n', 1),
}


def run(*args, stdin: str | None = None, env: dict | None = None, prefix: list | None = None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([*(prefix or []), sys.executable, "-m", "cherry_tui", *args],
                          check=False, input=stdin, capture_output=True, text=True, env=full_env, timeout=60)


def one_line(r) -> str:
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def write(path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("latin-1") if isinstance(data, str) else data)


@pytest.mark.parametrize("case", BROKEN_CONFIGS, ids=list(BROKEN_CONFIGS))
def test_broken_config_one_line_exit_1_and_untouched(config_file, case):
    text, line = BROKEN_CONFIGS[case]
    write(config_file, text)
    before = config_file.read_bytes()
    for args in (["providers"], ["providers", "--json"], ["config", "check"],
                 ["key", "set", "deepseek", "--file"], ["key", "env", "deepseek", "X"]):
        r = run(*args, stdin="sk-new-0123456789\n")
        assert r.returncode == 1, (args, r.stderr)
        msg = one_line(r)
        assert str(config_file) in msg and f"line {line}" in msg, msg
        assert "fix it" in msg
        assert r.stdout == ""
    assert config_file.read_bytes() == before
    assert not (config_file.parent / "secrets.toml").exists()
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["config.toml"]


BAD_SECRETS = {
    "not UTF-8": b'[keys]\ndeepseek = "sk-caf\xe9"\n',
    "not TOML": b'[keys\ndeepseek = "sk-x"\n',
    "a number": b"[keys]\ndeepseek = 5\n",
    "a table": b'[keys.deepseek]\nkey = "sk-x"\n',
}


@pytest.mark.parametrize("case", BAD_SECRETS, ids=list(BAD_SECRETS))
def test_bad_secrets_file_one_line_and_status(config_file, case):
    write(config_file, '[providers.deepseek]\nkey = "file"\n')
    secrets_file = config_file.parent / "secrets.toml"
    write(secrets_file, BAD_SECRETS[case])
    os.chmod(secrets_file, 0o600)
    r = run("key", "show", "deepseek")
    assert r.returncode == 1 and str(secrets_file) in r.stdout and "Traceback" not in r.stderr
    r = run("providers", "--json")
    assert r.returncode == 0
    assert str(secrets_file) in one_line(r)
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert rows["deepseek"]["key"] == "missing"
    r = run("config", "check")
    assert r.returncode == 1 and str(secrets_file) in r.stdout
    if case in ("not UTF-8", "not TOML"):  # never written over
        r = run("key", "set", "deepseek", "--file", stdin="sk-new-0123456789\n")
        assert r.returncode == 1 and "Nothing was stored" in one_line(r)
        assert secrets_file.read_bytes() == BAD_SECRETS[case]


def test_secrets_file_readable_by_others_warns_with_the_chmod(config_file):
    r = run("key", "set", "oneapi", "--file", stdin="sk-one-7777777777\n")
    assert r.returncode == 0, r.stderr
    secrets_file = config_file.parent / "secrets.toml"
    os.chmod(secrets_file, 0o644)
    r = run("key", "show", "oneapi")
    assert r.returncode == 0 and "sk-o****7777" in r.stdout  # still used
    assert one_line(r) == (f"cherry-tui: warning: {secrets_file} can be read by other users "
                           f"(mode 0644); run: chmod 600 {secrets_file}")
    r = run("config", "check")
    assert f"chmod 600 {secrets_file}" in r.stdout and r.returncode == 0  # a warning only
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o644


def test_key_with_a_zero_width_space_is_refused_at_set_and_reported_at_use(config_file):
    r = run("key", "set", "oneapi", "--file", stdin="sk-one-7777\u200b777777\n")
    assert r.returncode == 2
    msg = one_line(r)
    assert "character 12 of the key is an invisible character (U+200B ZERO WIDTH SPACE)" in msg
    assert "sk-one" not in msg and "Nothing was stored" in msg
    assert not (config_file.parent / "secrets.toml").exists()
    r = run("key", "set", "oneapi", "--file", stdin="sk-good-0000000000, sk-\u00e9\n")
    assert r.returncode == 2 and "key 2: character 4" in one_line(r)
    r = run("key", "show", "deepseek", env={"DEEPSEEK_API_KEY": "sk-deep\u200bseek-000000"})
    assert r.returncode == 1 and "(bad key)" in r.stdout
    assert "the key from $DEEPSEEK_API_KEY: character 8" in one_line(r)


def test_keyring_refusal_reads_well(config_file):
    r = run("key", "set", "volcengine", stdin="sk-volc-6666666666\n")
    assert r.returncode == 1
    msg = one_line(r)
    assert "Nothing was stored. Instead, use an environment variable (" in msg
    assert msg.lower().count("instead") == 1


def test_config_check_reports_every_problem_with_its_line(config_file):
    write(config_file, """\
theme = 5
default_model = "nope/some-model"
colour = "red"

[providers.deepseek]
enabled = "yes"
adress = "https://api.deepseek.com"

[providers.gw]
address = "api.example.com"

[keymap]
"providers.ad" = "n"
"chat.send" = 5
"providers.add" = "insert"
""")
    r = run("config", "check")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    out = r.stdout.splitlines()
    expect = [
        (1, "theme must be a theme name in quotes"),
        (2, "default_model names provider 'nope', which does not exist"),
        (3, "note: colour is not a setting this version uses"),
        (6, "[providers.deepseek] enabled must be true or false"),
        (7, ("note: [providers.deepseek] adress is not a provider field this version uses "
             "(did you mean address?)")),
        (10, "[providers.gw] address: 'api.example.com' has no scheme"),
        (13, "[keymap] 'providers.ad' is not a key binding id (did you mean providers.add?)"),
        (14, '[keymap] chat.send must be keys in quotes'),
    ]
    assert len(out) == len(expect), out
    for line, (n, words) in zip(out, expect):
        assert line.startswith(f"{config_file}, line {n}: {words}"), line


@pytest.mark.parametrize("text, words", [
    ('theme = "no-such-theme"\n', "theme 'no-such-theme' is not a known theme: use one of"),
    ('default_model = "deepseek"\n', "is not a model reference: write PROVIDER/MODEL"),
    ("keymap = 3\n", "keymap must be a table"),
    ("providers = 3\n", "providers must be tables"),
])
def test_config_check_top_level_values(config_file, text, words):
    write(config_file, text)
    r = run("config", "check")
    assert r.returncode == 1 and words in r.stdout and "line 1" in r.stdout


def test_config_check_knows_user_themes_and_every_binding_id(config_file):
    themes = config_file.parent / "themes"
    write(themes / "plum.toml", 'primary = "#8E4585"\n')
    write(config_file, 'theme = "plum"\ndefault_model = "deepseek/deepseek-chat"\n'
                       '[keymap]\n"editor.check" = "f5"\n"chat.send" = "ctrl+j"\n')
    r = run("config", "check")
    assert r.returncode == 0 and r.stdout.strip() == f"{config_file}: ok", r.stdout


def _unshare() -> list[str] | None:
    """A private mount namespace (root, or an unprivileged user namespace), or None."""
    exe = shutil.which("unshare")
    if not exe:
        return None
    for prefix in ([exe, "-m"], [exe, "-rm"]):
        ok = subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0
        if ok:
            return prefix
    return None


@pytest.mark.parametrize("mount, words", [
    ("ro,size=64k", "Read-only file system: make"),
    ("size=16k", "No space left on device: free some disk space"),
])
def test_key_set_file_on_a_read_only_or_full_disk(config_file, mount, words):
    """A tiny tmpfs mounted in a private mount namespace: nothing leaks to the machine."""
    prefix = _unshare()
    if prefix is None:
        pytest.skip("needs unshare with mount namespaces")
    folder = config_file.parent
    folder.mkdir(parents=True)
    script = (f"mount -t tmpfs -o {mount} tmpfs {folder} || exit 99; "
              f"{{ head -c 1000000 /dev/zero > {folder}/fill; }} 2>/dev/null; "
              f"printf 'sk-one-7777777777' | \"$0\" -m cherry_tui key set oneapi --file; rc=$?; "
              f"ls -A {folder} >&2; exit $rc")
    r = subprocess.run([*prefix, "sh", "-c", script, sys.executable], check=False,
                       capture_output=True,
                       text=True, timeout=60, env=dict(os.environ))
    if r.returncode == 99:
        pytest.skip("cannot mount a tmpfs here")
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert "Traceback" not in r.stderr
    assert lines[0].startswith(f"cherry-tui: cannot write {folder}/secrets.toml: ")
    assert words in lines[0] and lines[0].endswith("Nothing was stored.")
    assert [n for n in lines[1:] if n != "fill"] == []  # no temp file, no secrets file
