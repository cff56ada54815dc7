"""The TUI's start in a real terminal (tmux): what is loaded when the first screen is drawn,
the garbage collector's state, and no child process while the provider list loads.

The program starts as ``cherry-tui`` does (``cli.main``), from a small runner that records
what it sees at the first frame (the moment ``run_app`` settles the collector) and once
every provider's key status has loaded.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

import pytest

from conftest import need
from test_tmux import Tmux

pytestmark = pytest.mark.slow

RUNNER = r"""
import gc, json, os, sys

spawned = []
sys.addaudithook(lambda event, args: spawned.append([event, str(args)[:120]]) if event in (
    "subprocess.Popen", "os.posix_spawn", "os.exec", "os.fork", "os.system") else None)

from cherry_tui.ui import collector

settle = collector.settle
report = {}


def first_frame():  # run_app hands this to app.after_first_frame
    from textual._context import active_app

    report.update(loaded=sorted(sys.modules), collecting=gc.isenabled())
    settle()
    report.update(frozen=gc.get_freeze_count(), collecting_after=gc.isenabled())
    app = active_app.get()

    def loaded():
        screen = app.screen_stack[1]  # the provider list (a first start may offer more)
        if len(screen.key_infos) < len(app.config.providers()):
            return
        report.update(spawned=spawned, key_infos=len(screen.key_infos))
        with open(os.environ["START_REPORT"], "w") as f:
            json.dump(report, f)
        app.exit()

    app.set_interval(0.1, loaded)


collector.settle = first_frame
from cherry_tui.cli import main

sys.exit(main([]))
"""

# Loaded later, when a screen or a request needs them: never for the first frame.
NOT_AT_START = [
    "cherry_tui.ui.screens.chat", "cherry_tui.ui.widgets.chatlog", "cherry_tui.ui.screens.editor",
    "cherry_tui.ui.screens.dialogs", "cherry_tui.ui.screens.import_screen",
    "cherry_tui.ui.screens.models", "cherry_tui.ui.screens.help",
    "cherry_tui.core.history", "cherry_tui.core.providers.client", "sqlite3", "httpx",
    "markdown_it", "pygments", "textual.widgets._markdown",
    "keyring",  # the key status probe starts after the first frame
]


def test_first_frame_loads_only_the_provider_list_and_starts_no_process(tmp_path):
    need(shutil.which("tmux") is not None, "tmux is not installed")
    report = tmp_path / "start.json"
    env = {
        "CHERRY_TUI_CONFIG": str(tmp_path / "cfg" / "config.toml"),
        "CHERRY_TUI_DATA": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),  # no keyringrc.cfg choosing a backend
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "TERM": "xterm-256color", "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
        "START_REPORT": str(report),
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
    }
    tmux = Tmux(tmp_path)
    try:
        tmux.start([sys.executable, "-c", RUNNER], env)
        tmux.wait_for("cherry-tui · Providers")
        deadline = time.monotonic() + 60
        while not report.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert report.exists(), tmux.screen()
    finally:
        tmux.kill()
    seen = json.loads(report.read_text())
    loaded = set(seen["loaded"])
    assert "cherry_tui.ui.screens.providers" in loaded and "textual.app" in loaded
    assert [m for m in NOT_AT_START if m in loaded] == []
    # off while starting; then one collection, what is left frozen, and back on
    assert seen["collecting"] is False
    assert seen["frozen"] > 10_000 and seen["collecting_after"] is True
    # every provider's key status loaded (the keyring probed), and no child process ran
    assert seen["key_infos"] > 5
    assert seen["spawned"] == []
