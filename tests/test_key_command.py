"""``key = "cmd:COMMAND"``: the key from a real command's output, run once per process."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from cherry_tui.core import secrets
from cherry_tui.core.config import Config



def test_a_command_that_succeeds_gives_its_trimmed_stdout():
    word = uuid.uuid4().hex
    keys = secrets.run_key_command("deepseek", f"printf '  sk-{word}\\n'")
    assert keys == (f"sk-{word}",)


def test_several_keys_one_per_line(tmp_path):
    script = tmp_path / "keys.sh"
    script.write_text("#!/bin/sh\nprintf 'sk-one-11111111\\nsk-two-22222222\\n'\n")
    script.chmod(0o700)
    assert secrets.run_key_command("gw", str(script)) == ("sk-one-11111111", "sk-two-22222222")


def test_it_runs_once_per_process(tmp_path):
    count = tmp_path / "count"
    command = f"sh -c 'echo x >> {count}; echo sk-counted-0000000'"
    for _ in range(3):
        assert secrets.run_key_command("gw", command) == ("sk-counted-0000000",)
    assert count.read_text() == "x\n"


def test_no_shell_unless_written():
    # Without a shell, ; and $HOME are plain arguments to printf.
    keys = secrets.run_key_command("gw", f"printf %s sk-{uuid.uuid4().hex[:8]};$HOME")
    assert keys[0].endswith(";$HOME")


def test_a_failing_command_names_provider_command_status_and_stderr():
    command = f"sh -c 'echo first >&2; echo nope >&2; exit 3' {uuid.uuid4().hex}"
    with pytest.raises(secrets.KeyCommandError) as info:
        secrets.run_key_command("deepseek", command)
    message = str(info.value)
    assert message.startswith("deepseek: the key command `sh -c")
    assert message.endswith("failed with exit status 3: nope")  # stderr's last line
    # the failure is kept too: the second ask does not run it again
    with pytest.raises(secrets.KeyCommandError):
        secrets.run_key_command("deepseek", command)


def test_a_command_not_found_says_so():
    with pytest.raises(secrets.KeyCommandError, match="no-such-tool-x was not found"):
        secrets.run_key_command("gw", "no-such-tool-x show api/gw")


def test_a_command_that_prints_nothing_is_an_error():
    with pytest.raises(secrets.KeyCommandError, match="printed no key"):
        secrets.run_key_command("gw", f"sh -c 'true' {uuid.uuid4().hex}")


def test_a_hanging_command_times_out_and_its_children_die():
    command = f"sh -c 'sleep 30; echo sk-late' {uuid.uuid4().hex}"
    with pytest.raises(secrets.KeyCommandError, match=r"did not finish within 0\.5 s"):
        secrets.run_key_command("gw", command, timeout=0.5)
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert command.split()[-1] not in ps  # the shell and its sleep were killed


def test_key_info_reports_the_failure_without_the_output(config_file):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[providers.deepseek]\nkey = "cmd:sh -c \'exit 5\' {uuid.uuid4().hex}"\n')
    cfg = Config.load(config_file)
    info = secrets.key_info(cfg.provider("deepseek"), config_file)
    assert not info.present and "exit status 5" in (info.problem or "")
    assert info.status == "missing (key command failed)"


def test_config_refuses_a_command_that_does_not_split(config_file):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('[providers.deepseek]\nkey = "cmd:pass show \'api"\n')
    p = Config.load(config_file).provider("deepseek")
    assert p.key is None and any("check its quotes" in x for x in p.problems)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cherry_tui", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=60)


def test_cli_key_cmd_sets_runs_and_shows_the_source(config_file):
    r = cli("key", "cmd", "deepseek", "printf sk-fromcmd-12345678")
    assert r.returncode == 0, r.stderr
    assert "now reads its key from the command `printf sk-fromcmd-12345678`" in r.stdout
    assert "sk-f****5678" in r.stdout
    assert 'key = "cmd:printf sk-fromcmd-12345678"' in config_file.read_text()
    r = cli("key", "show", "deepseek")
    assert r.returncode == 0
    assert r.stdout.strip() == "deepseek: cmd:printf sk-fromcmd-12345678 sk-f****5678"
    r = cli("providers")
    row = next(ln for ln in r.stdout.splitlines() if ln.startswith("deepseek"))
    assert row.split()[3] == "cmd"


def test_cli_key_cmd_that_fails_is_saved_and_the_failure_said(config_file):
    r = cli("key", "cmd", "deepseek", "sh -c 'echo nope >&2; exit 3'")
    assert r.returncode == 1
    assert r.stderr.strip().endswith(
        "deepseek: the key command `sh -c 'echo nope >&2; exit 3'` failed with exit status 3: "
        "nope")
    r = cli("key", "show", "deepseek")
    assert r.returncode == 1 and "exit status 3: nope" in r.stdout
    r = cli("key", "cmd", "deepseek", "pass show 'api")
    assert r.returncode == 2 and "check its quotes" in r.stderr
