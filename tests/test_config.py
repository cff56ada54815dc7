"""The config file: round trips that keep the user's file, atomic saves, broken files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time

import pytest

from cherry_tui.core.config import Config, ConfigError, ConfigReadOnly, split_model_ref

HAND_WRITTEN = """\
# My cherry-tui settings -- written by hand, please keep my notes!
theme = "cherry-dark"   # the dark one

# the model I use most
default_model = "deepseek/deepseek-chat"

future_option = { nested = [1, 2, 3] }  # a key this version does not know

[providers.deepseek]
# work account
enabled = true
mystery = "kept"        # unknown key inside a provider

[providers.my-gateway]
name = "My Gateway"     # OneAPI at home
type = "openai"
address = "http://10.0.0.5:3000"
models = [
  "gpt-4o-mini",   # cheap
  "qwen-max",
]
enabled = false

[keymap]
"chat.send" = "ctrl+j"
"""


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_missing_file_loads_empty_and_first_save_is_0600(config_file):
    cfg = Config.load(config_file)
    assert not config_file.exists()
    assert cfg.error is None
    assert len(cfg.providers()) >= 21
    cfg.set_enabled("volcengine", True)
    cfg.save()
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    text = config_file.read_text()
    assert "[providers.volcengine]" in text and "enabled = true" in text
    # Only what the user set: no catalog values copied in.
    assert "ark.cn-beijing" not in text


def test_save_keeps_comments_order_and_unknown_keys(config_file):
    write(config_file, HAND_WRITTEN)
    cfg = Config.load(config_file)
    cfg.set_enabled("my-gateway", True)
    cfg.add_model("my-gateway", "glm-4")
    cfg.set_value("theme", "cherry-light")
    cfg.save()
    text = config_file.read_text()
    for keep in ["# My cherry-tui settings -- written by hand, please keep my notes!",
                 "# the model I use most", "future_option = { nested = [1, 2, 3] }",
                 "# a key this version does not know", "# work account",
                 'mystery = "kept"', "# OneAPI at home", '"chat.send" = "ctrl+j"']:
        assert keep in text, keep
    assert 'theme = "cherry-light"   # the dark one' in text
    assert text.index("[providers.deepseek]") < text.index("[providers.my-gateway]") \
        < text.index("[keymap]")
    again = Config.load(config_file)
    gw = again.provider("my-gateway")
    assert gw.enabled and gw.models == ("gpt-4o-mini", "qwen-max", "glm-4")


def test_unchanged_save_is_byte_identical(config_file):
    write(config_file, HAND_WRITTEN)
    cfg = Config.load(config_file)
    cfg.set_enabled("deepseek", False)
    cfg.set_enabled("deepseek", True)
    cfg.save()
    assert config_file.read_text() == HAND_WRITTEN


def test_broken_file_is_reported_and_never_written(config_file):
    broken = HAND_WRITTEN.replace('theme = "cherry-dark"', 'theme = "cherry-dark')
    write(config_file, broken)
    before = config_file.read_bytes()
    mtime = config_file.stat().st_mtime_ns
    cfg = Config.load(config_file)
    assert cfg.read_only
    assert str(config_file) in str(cfg.error)
    assert cfg.error.line == 2 and cfg.error.col is not None
    assert "line 2, column" in str(cfg.error)
    with pytest.raises(ConfigReadOnly):
        cfg.set_enabled("openai", True)
    with pytest.raises(ConfigReadOnly):
        cfg.save()
    assert config_file.read_bytes() == before
    assert config_file.stat().st_mtime_ns == mtime
    assert len(cfg.providers()) >= 21  # runs on the defaults


def test_bad_value_in_one_provider_does_not_stop_the_rest(config_file):
    write(config_file, """
[providers.deepseek]
enabled = "yes"

[providers.weird]
type = "cohere"
address = "https://x.example.com"

[providers.noscheme]
address = "api.example.com"

[providers.fine]
address = "http://127.0.0.1:3000"
enabled = true
""")
    cfg = Config.load(config_file)
    assert cfg.error is None
    assert "enabled must be true or false" in cfg.provider("deepseek").problems[0]
    assert "unknown type 'cohere'" in cfg.provider("weird").problems[0]
    assert "did you mean https://api.example.com" in cfg.provider("noscheme").problems[0]
    fine = cfg.provider("fine")
    assert fine.ok and fine.enabled and fine.name == "fine"
    assert cfg.provider("openai").ok


def test_atomic_save_leaves_no_temp_files_and_keeps_mode(config_file):
    write(config_file, HAND_WRITTEN)
    os.chmod(config_file, 0o640)
    cfg = Config.load(config_file)
    cfg.set_enabled("openai", True)
    cfg.save()
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o640
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["config.toml"]


def test_save_through_a_symlink_keeps_the_link(config_file, tmp_path):
    real = tmp_path / "dotfiles" / "cherry.toml"
    write(real, HAND_WRITTEN)
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.symlink_to(real)
    cfg = Config.load(config_file)
    cfg.set_enabled("openai", True)
    cfg.save()
    assert config_file.is_symlink()
    assert "[providers.openai]" in real.read_text()


def test_edits_made_on_disk_meanwhile_are_not_lost(config_file):
    write(config_file, HAND_WRITTEN)
    ours = Config.load(config_file)
    theirs = Config.load(config_file)
    theirs.set_enabled("openai", True)
    theirs.save()
    ours.add_model("deepseek", "deepseek-v4")
    ours.save()
    final = Config.load(config_file)
    assert final.provider("openai").enabled
    assert "deepseek-v4" in final.provider("deepseek").models
    assert "# work account" in config_file.read_text()


def test_save_refuses_when_the_file_was_broken_on_disk_meanwhile(config_file):
    write(config_file, HAND_WRITTEN)
    cfg = Config.load(config_file)
    cfg.set_enabled("openai", True)
    write(config_file, "this is = = not toml")
    with pytest.raises(Exception) as info:
        cfg.save()
    assert "line 1" in str(info.value)
    assert config_file.read_text() == "this is = = not toml"


def test_concurrent_saves_from_threads_never_tear_the_file(config_file):
    write(config_file, HAND_WRITTEN)
    errors = []

    def worker(n):
        try:
            for i in range(10):
                cfg = Config.load(config_file)
                cfg.set_value(f"k{n}", i)
                cfg.save()
                Config.load(config_file)  # always parses
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Config.load(config_file).error is None


def test_builtin_override_reset_and_delete(config_file):
    cfg = Config.load(config_file)
    cfg.set_provider_field("volcengine", "address",
                           "https://ark.cn-beijing.volces.com/api/v3/chat/completions#")
    cfg.set_enabled("volcengine", True)
    cfg.save()
    assert cfg.provider("volcengine").resolved().rule == "exact"
    # Setting the default value back removes the override.
    cfg.set_provider_field("volcengine", "address", cfg.provider("volcengine").default_address)
    cfg.save()
    assert "address" not in config_file.read_text()
    cfg.delete_provider("volcengine")  # a built-in is reset, not removed
    cfg.save()
    assert cfg.provider("volcengine").builtin and not cfg.provider("volcengine").enabled
    assert "volcengine" not in config_file.read_text()


def test_add_clone_rename_delete_custom(config_file):
    cfg = Config.load(config_file)
    pid = cfg.add_provider("Huawei DeepSeek V3", "openai",
                           "https://maas-cn-southwest-2.modelarts-maas.com/v1/infers/x/v1/chat/completions#",
                           ["DeepSeek-V3"])
    assert pid == "huawei-deepseek-v3"
    clone = cfg.clone_provider(pid, "Huawei DeepSeek R1")
    assert clone == "huawei-deepseek-r1"
    assert cfg.provider(clone).address == cfg.provider(pid).address
    again = cfg.clone_provider(pid)
    assert again == "huawei-deepseek-v3-copy"
    cfg.rename_provider(clone, "R1 (southwest)")
    cfg.set_value("default_model", f"{again}/DeepSeek-V3")
    cfg.delete_provider(again)
    cfg.save()
    loaded = Config.load(config_file)
    assert loaded.provider(clone).name == "R1 (southwest)"
    assert not loaded.has_provider(again)
    assert loaded.default_model is None
    with pytest.raises(ValueError, match="needs a name"):
        cfg.rename_provider(clone, "  ")
    with pytest.raises(ValueError, match="unknown type"):
        cfg.add_provider("x", "cohere")


def test_clone_of_builtin_keeps_its_key_variable(config_file):
    cfg = Config.load(config_file)
    new = cfg.clone_provider("huawei", "Huawei Qwen")
    p = cfg.provider(new)
    assert p.key == "env:MAAS_API_KEY" and not p.builtin and p.type == "openai"


def test_split_model_ref_at_first_slash():
    assert split_model_ref("siliconflow/deepseek-ai/DeepSeek-V3") == \
        ("siliconflow", "deepseek-ai/DeepSeek-V3")
    with pytest.raises(ValueError, match="PROVIDER/MODEL"):
        split_model_ref("gpt-4o")


# ------------------------------------------------------------------ hostile files
DUPLICATES = {
    "key twice in a provider table": (('[providers.gw]\naddress = "http://127.0.0.1:3000"\n'
                                       'name = "A"\nname = "B"\n'), 4),
    "table twice": (('[providers.gw]\naddress = "http://127.0.0.1:3000"\n\n'
                     '[providers.gw]\nname = "B"\n'), 4),
    "key twice in an inline table": ('x = {a = 1, a = 2}\n', 1),
    "not UTF-8": ('theme = "caf\xe9"\n', 1),
    "unterminated string": ('theme = "cherry\n', 1),
}


@pytest.mark.parametrize("case", DUPLICATES, ids=list(DUPLICATES))
def test_every_toml_error_shape_is_a_config_error_with_a_line(config_file, case):
    text, line = DUPLICATES[case]
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_bytes(text.encode("latin-1"))
    cfg = Config.load(config_file)  # KeyAlreadyPresent escaped this before
    assert cfg.read_only and cfg.error.line == line, cfg.error
    assert str(config_file) in str(cfg.error) and "\n" not in str(cfg.error)
    if "twice" in case:
        assert "written twice: keep one of them" in str(cfg.error)
    assert len(cfg.providers()) >= 21


GOOD_WITH_CUSTOM = """\
# mine
[providers.home-oneapi]
name = "Home OneAPI"
address = "http://127.0.0.1:3000"
enabled = true
"""


def test_file_broken_while_running_keeps_edits_until_it_is_fixed(config_file):
    write(config_file, GOOD_WITH_CUSTOM)
    cfg = Config.load(config_file)
    broken = GOOD_WITH_CUSTOM + '\n[providers.home-oneapi]\nmodels = ["x"]\n'  # hand edit
    write(config_file, broken)
    cfg.set_enabled("home-oneapi", False)
    with pytest.raises(ConfigError) as info:
        cfg.save()
    assert info.value.line == 7 and "kept" in str(info.value) and "\n" not in str(info.value)
    assert config_file.read_text() == broken
    cfg.reload()  # what the provider list does after a failed save: must not lose the provider
    assert not cfg.read_only and cfg.provider("home-oneapi").enabled is False
    cfg.set_enabled("home-oneapi", True)
    cfg.set_enabled("home-oneapi", False)
    with pytest.raises(ConfigError):
        cfg.save()
    assert config_file.read_text() == broken
    # The user fixes the file (and adds a comment); the next save merges the pending edits.
    write(config_file, GOOD_WITH_CUSTOM.replace("# mine", "# mine, fixed") +
          'models = ["x"]\n')
    cfg.save()
    text = config_file.read_text()
    assert "# mine, fixed" in text and 'models = ["x"]' in text
    assert Config.load(config_file).provider("home-oneapi").enabled is False


def test_wrong_shapes_refuse_edits_with_a_message_not_a_type_error(config_file):
    write(config_file, 'providers = "none"\n')
    cfg = Config.load(config_file)
    with pytest.raises(ValueError, match="providers in the config file is a string"):
        cfg.set_enabled("deepseek", True)
    write(config_file, "[providers]\ndeepseek = 5\n")
    cfg = Config.load(config_file)
    with pytest.raises(ValueError, match=r"providers.deepseek .* is a number"):
        cfg.set_enabled("deepseek", True)
    assert not cfg.dirty


def test_a_change_that_no_longer_fits_the_file_is_refused_and_kept(config_file):
    write(config_file, GOOD_WITH_CUSTOM)
    cfg = Config.load(config_file)
    cfg.set_enabled("deepseek", True)
    write(config_file, 'providers = "none"\n')
    with pytest.raises(ConfigError, match="does not fit the file"):
        cfg.save()
    assert config_file.read_text() == 'providers = "none"\n' and cfg.dirty


_WORKER = """
import sys
from pathlib import Path
from cherry_tui.core.config import Config
path, tag, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(n):
    cfg = Config.load(path)
    cfg.set_value(f"{tag}{i}", i)
    cfg.save()
"""


def test_two_processes_saving_at_once_lose_no_update(config_file):
    write(config_file, HAND_WRITTEN)
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(config_file), tag, "30"])
             for tag in ("a", "b")]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    cfg = Config.load(config_file)
    missing = [f"{t}{i}" for t in "ab" for i in range(30) if cfg.get(f"{t}{i}") != i]
    assert missing == []
    assert "# My cherry-tui settings" in config_file.read_text()
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["config.toml"]


def test_temp_files_of_a_killed_writer_are_cleaned_and_others_kept(config_file):
    write(config_file, HAND_WRITTEN)
    folder = config_file.parent
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    by_dead_pid = folder / f".config.toml.{dead.pid}.x1y2z3.tmp"
    old_style = folder / ".config.toml.ab12cd34.tmp"
    fresh_live = folder / f".config.toml.{os.getpid()}.q9w8e7.tmp"
    other = folder / "notes.tmp"
    for p in (by_dead_pid, old_style, fresh_live, other):
        p.write_text("partial")
    long_ago = time.time() - 3600
    os.utime(old_style, (long_ago, long_ago))
    Config.load(config_file)  # cleans at load when nobody is saving
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["config.toml", fresh_live.name, other.name])
    os.utime(fresh_live, (long_ago, long_ago))
    cfg = Config.load(config_file)
    cfg.set_enabled("openai", True)
    cfg.save()
    assert sorted(p.name for p in folder.iterdir()) == ["config.toml", "notes.tmp"]


def test_kill_during_save_leaves_nothing_behind_after_next_load(config_file):
    """A writer killed with SIGKILL between its temp file and the rename."""
    write(config_file, HAND_WRITTEN)
    code = ("import os, sys, time\nfrom pathlib import Path\nfrom cherry_tui.core import files\n"
            "real = os.replace\n"
            "def stuck(*a):\n    print('written', flush=True)\n    time.sleep(60)\n"
            "os.replace = stuck\n"
            "files.atomic_write(Path(sys.argv[1]), b'x = 1')\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(config_file)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "written"
    assert any(p.name.endswith(".tmp") for p in config_file.parent.iterdir())
    proc.kill()
    proc.wait()
    proc.stdout.close()
    Config.load(config_file)
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["config.toml"]
    assert config_file.read_text() == HAND_WRITTEN


def test_a_failed_write_removes_its_temp_file(config_file, monkeypatch):
    write(config_file, HAND_WRITTEN)
    cfg = Config.load(config_file)
    cfg.set_enabled("openai", True)

    def full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        cfg.save()
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["config.toml"]
    assert config_file.read_text() == HAND_WRITTEN
