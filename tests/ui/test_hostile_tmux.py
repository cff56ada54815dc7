"""The gate on the chat side in a real terminal (issue 10): the installed cherry-tui at
80x24 in a private tmux server set to obey escapes (set-clipboard, allow-rename,
allow-passthrough on), so an OSC 0 would retitle the pane and an OSC 52 would make a
paste buffer. A hostile conversation is opened from the history; a chat runs against a
real local server that streams hostile text and a hostile mid-stream error and answers
a hostile 403; the model picker lists hostile ids from the config. The pane's title,
window name and paste buffers never change, and the screen shows the inert forms."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from cherry_tui.core.config import Config
from cherry_tui.core.history import History

from _hostile_chat import HostileServer, seed_history, tagged
from conftest import need

pytestmark = pytest.mark.slow

KEY = "sk-test-0123456789abcdef"
HOSTILE_MODEL = tagged("MODEL")
TMUX_CONF = """\
set -g set-clipboard on
set -g allow-rename on
set -g allow-passthrough on
set -g automatic-rename off
"""


class Tmux:
    """A private tmux server (-L) that obeys escapes; one 80x24 session ``t``."""

    def __init__(self, tmp: Path) -> None:
        self.sock = f"cherry-hostile-{uuid.uuid4().hex[:8]}"
        self.conf = tmp / "tmux.conf"
        self.conf.write_text(TMUX_CONF)

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.sock, "-f", str(self.conf), *args],
                              capture_output=True, text=True, timeout=20).stdout

    def start(self, env: dict[str, str]) -> None:
        exe = str(Path(sys.executable).with_name("cherry-tui"))
        envs = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self.run("new-session", "-d", "-x", "80", "-y", "24", "-s", "t",
                 f"env {envs} {exe}; echo EXITED $?; sleep 60")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "t", "-l", text)

    def screen(self) -> str:
        return self.run("capture-pane", "-t", "t", "-p")

    def wait(self, *texts: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{texts!r} not on screen after {timeout} s:\n{screen}")

    def state(self) -> tuple[str, str, str]:
        """(the pane's title, the window's name, the paste buffers)."""
        return (self.run("display", "-p", "-t", "t", "#{pane_title}"),
                self.run("display", "-p", "-t", "t", "#{window_name}"),
                self.run("list-buffers"))

    def kill(self) -> None:
        self.run("kill-server")


def test_hostile_text_leaves_the_terminal_alone(tmp_path):
    need(shutil.which("tmux") is not None, "tmux is not installed")
    exe = Path(sys.executable).with_name("cherry-tui")
    need(exe.exists(), "the cherry-tui command is not installed")
    data = tmp_path / "data"
    cfg = tmp_path / "cfg" / "config.toml"
    with HostileServer() as server:
        config = Config.load(cfg)
        pid = config.add_provider("Evil", "openai", server.url)
        config.set_provider_field(pid, "key", "env:EVIL_KEY")
        config.set_models(pid, [HOSTILE_MODEL])
        config.save()
        db = History(data / "history.sqlite3")
        seed_history(db, f"{pid}/{HOSTILE_MODEL}")
        db.close()
        env = {"CHERRY_TUI_CONFIG": str(cfg), "CHERRY_TUI_DATA": str(data),
               "EVIL_KEY": KEY, "TERM": "xterm-256color", "HOME": str(tmp_path),
               "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
               "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        t = Tmux(tmp_path)
        try:
            t.start(env)
            t.wait("providers, ")  # the provider list is up: keys reach the app now
            before = t.state()
            assert before[2].strip() == ""

            t.keys("C-n")
            t.wait("New conversation")  # the bar names the (hostile) model
            assert t.state() == before
            t.keys("C-o")  # the history list: the hostile title and model
            t.wait("History", "TITLE:^[]0")
            t.keys("Enter")  # open it: bar, question, answer, error line, meta line
            screen = t.wait("SAID:^[]0;pwned^G", "FAILED:^[]0;pwned^G")
            assert f"{pid}/MODEL:^[]0;pwned^G" in screen  # the bar
            # markup as typed; tmux's passthrough and window-rename sequences inert
            assert "red]X[/][@click=app.quit]q[/][$accent]^[Ptmux;^[^[]2;dcs^G^[\\Z^[kwin" in screen
            assert t.state() == before

            t.keys("C-s")  # settings: the title and system prompt in fields
            t.wait("Conversation settings", "SYSTEM:^[]0;pwned^G")
            t.keys("Escape")
            t.wait("SAID:^[]0;pwned^G")

            # a chat in it: hostile content, then a hostile error mid-stream
            t.type("hello")
            t.keys("Enter")
            screen = t.wait("end of the streamed part", "in the middle of the answer")
            assert "STREAMED:^[]0;pwned^G^[]52;c;cHduZWQ=^G" in screen
            assert "MIDSTREAM:^[]0;pwned^G" in screen
            # a hostile 403 body
            t.type("forbidden now")
            t.keys("Enter")
            t.wait("HTTP 403", "DENIED:^[]0;pwned^G")

            t.keys("C-l")  # the model picker: hostile ids from the config
            t.wait("Choose a model", f"{pid}/MODEL:^[]0;pwned^G")
            t.keys("Escape")
            t.wait("HTTP 403")

            assert t.state() == before  # no title, no window name, no clipboard write
            assert "\x1b" not in t.screen()
            t.keys("C-q")
            t.wait("EXITED 0")
            assert t.state() == before
        finally:
            t.kill()
