"""The real cherry-tui in a real terminal (tmux, 80x24) against a real llmock server:
hostile model output shows literally and leaves the terminal alone, and the whole
keyboard flow works: ctrl+n, ask, esc stops, ask again, quit, start again, find it."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import need

HOSTILE = ("Markup [bold]x[/] and [DONE]\n\nClear: \x1b[2J\x1b[H gone?\n\n"
           "OSC52: \x1b]52;c;aGFja2Vk\x07 title: \x1b]0;pwned\x07 end-of-answer.\n")


_starts = itertools.count()


class Tmux:
    def __init__(self, tmp: Path, env: dict[str, str]):
        self.sock = ""
        self.env = env
        self.tmp = tmp

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True,
                              text=True, timeout=10).stdout

    def start(self) -> None:
        # A fresh tmux server for every start: a new session on a server that is still
        # shutting down (kill-server returns before it is gone) can come up blank.
        self.sock = f"cherry-chat-test-{os.getpid()}-{next(_starts)}"
        exe = str(Path(sys.executable).with_name("cherry-tui"))
        envs = " ".join(f"{k}={v}" for k, v in self.env.items())
        self.run("-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "24", "-s", "t",
                 f"env {envs} {exe}; echo EXITED $?; sleep 60")
        self.run("set", "-g", "set-clipboard", "on")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "t", *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-t", "t", "-p")

    def wait(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")

    def kill(self) -> None:
        self.run("kill-server")


def mock_tmux(tmp_path: Path, llmock, models: tuple[str, ...] = ("gpt-4o-mini",),
              top: str = "", more: str = "") -> Tmux:
    """The real cherry-tui (not started yet) with a config file of one provider "Mock"
    (id mock) at llmock with ``models``; ``top`` goes before its table (default_model
    = ...), ``more`` after it (assistants ...)."""
    need(shutil.which("tmux") is not None, "tmux is not installed")
    cfg = tmp_path / "cfg" / "config.toml"
    cfg.parent.mkdir()
    listed = ", ".join(f'"{m}"' for m in models)
    cfg.write_text(f'{top}[providers.mock]\nname = "Mock"\ntype = "openai"\n'
                   f'address = "{llmock.url}"\nkey = "env:MOCK_KEY"\n'
                   f'models = [{listed}]\nenabled = true\n{more}')
    env = {"CHERRY_TUI_CONFIG": str(cfg), "CHERRY_TUI_DATA": str(tmp_path / "data"),
           "MOCK_KEY": "sk-test-0123456789abcdef", "TERM": "xterm-256color",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return Tmux(tmp_path, env)


@pytest.fixture
def tmux_app(tmp_path, llmock):
    t = mock_tmux(tmp_path, llmock)
    yield t
    t.kill()


@pytest.mark.slow
def test_hostile_output_in_a_real_terminal(tmux_app, llmock):
    t = tmux_app
    llmock.reply(HOSTILE)
    t.start()
    t.wait("providers, ")  # the provider list is up: keys reach the app now
    title_before = t.run("display", "-p", "-t", "t", "#{pane_title}")
    t.keys("C-n")
    t.wait("New conversation")
    t.keys("please reply", "Enter")
    screen = t.wait("end-of-answer.")
    assert "please reply" in screen  # nothing cleared the screen
    assert "Markup [bold]x[/] and [DONE]" in screen
    assert "Clear: ^[[2J^[[H gone?" in screen
    assert "OSC52: ^[]52;c;aGFja2Vk^G title: ^[]0;pwned^G" in screen
    assert t.run("list-buffers").strip() == ""  # no clipboard write reached tmux
    assert t.run("display", "-p", "-t", "t", "#{pane_title}") == title_before
    # a copy the user asks for does reach the clipboard (OSC 52), harmlessly
    t.keys("C-y")
    deadline = time.monotonic() + 5
    while "buffer0" not in t.run("list-buffers") and time.monotonic() < deadline:
        time.sleep(0.1)
    copied = t.run("show-buffer")
    assert "Markup [bold]x[/]" in copied and "\x1b" not in copied


@pytest.mark.slow
def test_keyboard_flow_survives_a_restart(tmux_app, llmock):
    t = tmux_app
    llmock.pace(40).reply(" ".join(f"word{i}" for i in range(300)))
    t.start()
    t.wait("providers, ")  # the provider list is up: keys reach the app now
    t.keys("C-n")
    t.wait("New conversation")
    t.keys("Tell me a long story", "Enter")
    t.wait("word20")
    t.keys("Escape")
    t.wait("■ stopped")
    llmock.pace(0).reply("Short second answer.")
    t.keys("And a short one", "Enter")
    t.wait("Short second answer.")
    t.keys("C-q")
    t.wait("EXITED 0")
    t.kill()
    t.start()
    t.wait("providers, ")  # the provider list is up: keys reach the app now
    t.keys("C-n")
    t.wait("New conversation")
    t.keys("C-o")
    t.wait("Tell me a long story")
    t.keys("Enter")
    screen = t.wait("Short second answer.")
    assert "■ stopped" in screen and "And a short one" in screen


@pytest.mark.slow
def test_versions_and_a_draft_in_a_real_terminal(tmux_app, llmock):
    t = tmux_app
    llmock.reply("First answer.")
    t.start()
    t.wait("providers, ")  # the provider list is up: keys reach the app now
    t.keys("C-n")
    t.wait("New conversation")
    t.keys("Question", "Enter")
    t.wait("First answer.")
    llmock.reply("Second answer.")
    t.keys("C-r")
    screen = t.wait("Second answer.")
    assert "‹ 2/2 ›" in screen and "First answer." not in screen
    t.keys("half a draft")
    t.wait("half a draft")
    t.keys("Tab", "[")  # to the log, the older version: [ arrives as itself over tmux
    screen = t.wait("First answer.")
    assert "‹ 1/2 ›" in screen and "Second answer." not in screen
    t.keys("C-q")
    t.wait("EXITED 0")
    t.kill()
    t.start()
    t.wait("providers, ")
    t.keys("C-n")
    t.wait("New conversation")
    t.keys("C-o")
    t.wait("Question")
    t.keys("Enter")
    screen = t.wait("half a draft")  # the draft is back with its conversation
    assert "First answer." in screen and "Second answer." not in screen  # the kept one
