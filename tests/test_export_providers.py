"""``cherry-tui export providers`` and ``import providers``: a setup carried to another
machine without a key changing hands; the same dry run, skip/replace and idempotence."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from cherry_tui.core.config import Config

KEY = "sk-live-secret-0123456789abcdef"


def run(*args: str, config: Path | None = None, env: dict | None = None
        ) -> subprocess.CompletedProcess:
    full = dict(os.environ)
    full.update(env or {})
    if config is not None:
        full["CHERRY_TUI_CONFIG"] = str(config)
    return subprocess.run([sys.executable, "-m", "cherry_tui", *args], capture_output=True,
                          text=True, env=full, timeout=60)


def _source_machine(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(
        '# the old laptop\n'
        '[providers.volcengine]\nenabled = true\nmodels = ["doubao-seed-1-6-250615"]\n'
        'key = "env:ARK_API_KEY"\n\n'
        '[providers.my-oneapi]\nname = "My OneAPI"\ntype = "openai"\n'
        'address = "http://10.0.0.5:3000"\nmodels = ["gpt-4o-mini"]\nenabled = true\n'
        'key = "file"\n\n'
        '[providers.deepseek]\nenabled = true\n')
    (config_file.parent / "secrets.toml").write_text(f'[keys]\nmy-oneapi = "{KEY}"\n')
    os.chmod(config_file.parent / "secrets.toml", 0o600)


def test_export_has_key_sources_and_never_a_key(config_file, tmp_path):
    _source_machine(config_file)
    proc = run("export", "providers", env={"DEEPSEEK_API_KEY": "sk-env-deepseek-98765432"})
    assert proc.returncode == 0, proc.stderr
    assert KEY not in proc.stdout and "sk-env-deepseek" not in proc.stdout
    data = tomllib.loads(proc.stdout)["providers"]
    assert data["volcengine"] == {"enabled": True, "models": ["doubao-seed-1-6-250615"],
                                  "key": "env:ARK_API_KEY"}
    assert data["my-oneapi"] == {"name": "My OneAPI", "type": "openai",
                                 "address": "http://10.0.0.5:3000", "models": ["gpt-4o-mini"],
                                 "enabled": True, "key": "file"}
    # No key source in the config: where the key was found (its variable) is written.
    assert data["deepseek"] == {"enabled": True, "key": "env:DEEPSEEK_API_KEY"}
    assert "No API key is in this file" in proc.stdout

    out = tmp_path / "providers.toml"
    proc = run("export", "providers", "-o", str(out))
    assert proc.returncode == 0 and "wrote 3 provider(s)" in proc.stdout
    assert KEY not in out.read_text()
    again = run("export", "providers", "-o", str(out))
    assert again.returncode == 1 and "exists" in again.stderr


def test_round_trip_to_a_new_machine_dry_run_import_and_idempotence(config_file, tmp_path):
    _source_machine(config_file)
    exported = tmp_path / "providers.toml"
    assert run("export", "providers", "-o", str(exported)).returncode == 0

    target = tmp_path / "server" / "config.toml"
    dry = run("import", "providers", str(exported), "--dry-run", config=target)
    assert dry.returncode == 0, dry.stderr
    assert "my-oneapi" in dry.stdout and "http://10.0.0.5:3000/v1/chat/completions" in dry.stdout
    assert "dry run: nothing was written" in dry.stdout
    assert not target.exists()

    proc = run("import", "providers", str(exported), config=target)
    assert proc.returncode == 0, proc.stderr
    assert "3 add" in proc.stdout
    assert "cherry-tui key set my-oneapi --file" in proc.stdout
    src, dst = Config.load(config_file), Config.load(target)
    for pid in ("volcengine", "my-oneapi", "deepseek"):
        a, b = src.provider(pid), dst.provider(pid)
        assert (a.name, a.type, a.address, a.models, a.enabled) == \
               (b.name, b.type, b.address, b.models, b.enabled), pid
    assert dst.provider("volcengine").key == "env:ARK_API_KEY"
    assert KEY not in target.read_text()
    assert not (target.parent / "secrets.toml").exists()

    before = target.read_bytes()
    again = run("import", "providers", str(exported), config=target)
    assert again.returncode == 0 and "3 unchanged" in again.stdout
    assert target.read_bytes() == before


def test_import_providers_skips_a_different_one_unless_replace(config_file, tmp_path):
    _source_machine(config_file)
    exported = tmp_path / "providers.toml"
    assert run("export", "providers", "-o", str(exported)).returncode == 0
    target = tmp_path / "server" / "config.toml"
    target.parent.mkdir()
    target.write_text('# server notes\n[providers.my-oneapi]\nname = "My OneAPI"\n'
                      'type = "openai"\naddress = "http://127.0.0.1:3000"\nenabled = true\n')
    proc = run("import", "providers", str(exported), "--only", "my-oneapi", config=target)
    assert proc.returncode == 0
    assert "skip: you have my-oneapi already (its address, models, key differ)" in proc.stdout
    assert Config.load(target).provider("my-oneapi").address == "http://127.0.0.1:3000"
    proc = run("import", "providers", str(exported), "--only", "my-oneapi", "--replace",
               config=target)
    assert proc.returncode == 0 and "1 update" in proc.stdout
    assert Config.load(target).provider("my-oneapi").address == "http://10.0.0.5:3000"
    assert target.read_text().startswith("# server notes")


def test_bad_providers_files(tmp_path, config_file):
    broken = tmp_path / "broken.toml"
    broken.write_text("[providers.x\n")
    proc = run("import", "providers", str(broken))
    assert proc.returncode == 1 and "does not parse" in proc.stderr and "line 1" in proc.stderr
    empty = tmp_path / "empty.toml"
    empty.write_text('theme = "x"\n')
    proc = run("import", "providers", str(empty))
    assert proc.returncode == 1 and "no [providers.ID] tables" in proc.stderr
    missing = run("import", "providers", str(tmp_path / "nope.toml"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    half = tmp_path / "half.toml"
    half.write_text('[providers.good]\nname = "Good"\ntype = "openai"\n'
                    'address = "https://good.example.com"\n\n'
                    '[providers.bad]\nname = "Bad"\ntype = "openai"\naddress = "good.example.com"\n')
    proc = run("import", "providers", str(half))
    assert proc.returncode == 1
    assert "cannot import Bad: address: 'good.example.com' has no scheme" in proc.stderr
    assert not config_file.exists()
    proc = run("import", "providers", str(half), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert "good" in Config.load(config_file).section("providers")
    assert "bad" not in Config.load(config_file).section("providers")
    slash = tmp_path / "slash.toml"
    slash.write_text('[providers."my/gw"]\nname = "GW"\ntype = "openai"\n'
                     'address = "https://gw.example.com"\n')
    proc = run("import", "providers", str(slash))
    assert proc.returncode == 1 and "the id 'my/gw' cannot be used" in proc.stderr
    proc = run("import", "providers", str(half), "--only", "ghost")
    assert proc.returncode == 2 and "no provider ghost" in proc.stderr
