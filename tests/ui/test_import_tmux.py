"""The installed ``cherry-tui`` in a real terminal (tmux, 80x24), keyboard only: the
first-start offer, then the palette's "Import from Cherry Studio" with tab completion."""

from __future__ import annotations

import os
import shutil
import time
import tomllib
from pathlib import Path

import pytest
from test_tmux import Tmux, _cherry_tui

from conftest import need

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).parent.parent / "data" / "cherry" / "cherry-studio.20260528100000.zip"


@pytest.fixture
def tmux(tmp_path):
    need(shutil.which("tmux") is not None, "tmux is not installed")
    session = Tmux(tmp_path)
    yield session
    session.kill()


def test_first_start_offer_then_import_from_the_palette(tmux, tmp_path, config_file):
    exe = _cherry_tui()
    need(exe is not None, "the cherry-tui command is not installed")
    backups = tmp_path / "backups"
    backups.mkdir()
    shutil.copy(SAMPLE, backups / SAMPLE.name)
    env = {"CHERRY_TUI_CONFIG": str(config_file), "CHERRY_TUI_DATA": str(tmp_path / "data"),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "TERM": "xterm-256color", "PATH": os.environ.get("PATH", ""),
           "HOME": str(tmp_path), "DEEPSEEK_API_KEY": "sk-deepseek-0123456789"}
    tmux.start([exe], env)
    tmux.wait_for("Found on this machine", "DeepSeek", "key found in $DEEPSEEK_API_KEY")
    tmux.keys("Enter")
    tmux.wait_for("Switched on: DeepSeek")
    assert tomllib.loads(config_file.read_text())["providers"]["deepseek"]["enabled"] is True

    tmux.keys("C-p")
    tmux.literal("Import from Cherry")
    tmux.wait_for("Import from Cherry Studio")
    tmux.keys("Enter")
    tmux.wait_for("path of the backup")
    tmux.literal(f"{backups}/che")
    tmux.keys("Tab")
    tmux.wait_for(SAMPLE.name)
    tmux.keys("Enter")
    screen = tmux.wait_for("volcengine", "oneapi", "https://ark.cn-beijing.volces.com/api/v3/")
    assert "sk-test-oneapi" not in screen
    tmux.keys("Escape", "q")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "volcengine" in tmux.screen():
        time.sleep(0.2)
    assert "oneapi" not in tomllib.loads(config_file.read_text()).get("providers", {})
