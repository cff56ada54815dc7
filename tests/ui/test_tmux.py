"""The installed ``cherry-tui`` in a real terminal: tmux, 80x24, keyboard only.

A private tmux server (-L) and a temp config; the screen is read with capture-pane.
"""

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

from conftest import need
from test_providers_robust import hostile_config, hostile_models_server

pytestmark = pytest.mark.slow


def _cherry_tui() -> str | None:
    beside = Path(sys.executable).parent / "cherry-tui"
    return str(beside) if beside.exists() else shutil.which("cherry-tui")


class Tmux:
    def __init__(self, tmp_path: Path):
        self.socket = f"cherry-tui-test-{uuid.uuid4().hex[:8]}"
        self.tmp = tmp_path

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              check=True, capture_output=True, text=True, timeout=20).stdout

    def start(self, command: list[str], env: dict[str, str], width=80, height=24,
              options: tuple[tuple[str, str], ...] = ()) -> None:
        """Run ``command`` in a new session; ``options`` are set (-g) in the same call."""
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        extra: list[str] = []
        for name, value in options:
            extra += [";", "set-option", "-g", name, value]
        self.run("new-session", "-d", "-x", str(width), "-y", str(height),
                 f"env {assignments} {shlex.join(command)}; sleep 30", *extra)

    def pane_title(self) -> str:
        return self.run("display-message", "-p", "#{pane_title}").strip()

    def buffers(self) -> str:
        """tmux's paste buffers: where an OSC 52 clipboard write lands (set-clipboard on)."""
        return self.run("list-buffers")

    def screen(self) -> str:
        return self.run("capture-pane", "-p")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", key)
            time.sleep(0.15)

    def literal(self, text: str) -> None:
        self.run("send-keys", "-l", text)

    def wait_for(self, *texts: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{texts!r} not on screen after {timeout} s:\n{screen}")

    def kill(self) -> None:
        path = subprocess.run(["tmux", "-L", self.socket, "display-message", "-p",
                               "#{socket_path}"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       timeout=10)
        if path:
            Path(path).unlink(missing_ok=True)


@pytest.fixture
def tmux(tmp_path):
    need(shutil.which("tmux") is not None, "tmux is not installed")
    session = Tmux(tmp_path)
    yield session
    session.kill()


def _env(tmp_path, config_file, **extra: str) -> dict[str, str]:
    return {
        "CHERRY_TUI_CONFIG": str(config_file),
        "CHERRY_TUI_DATA": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
        **extra,
    }


def test_cherry_tui_in_tmux_80x24(tmux, tmp_path, config_file):
    exe = _cherry_tui()
    need(exe is not None, "the cherry-tui command is not installed")
    tmux.start([exe], _env(tmp_path, config_file))
    screen = tmux.wait_for("cherry-tui · Providers", "Volcengine Ark", "? Help")
    lines = screen.splitlines()
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    tmux.wait_for("missing")                       # key status loaded in a worker

    # Filter, open the editor: the exact URL is shown before any request.
    tmux.keys("/")
    tmux.literal("volc")
    tmux.wait_for("› Volcengine Ark")
    tmux.keys("Enter")
    screen = tmux.wait_for("Edit provider · Volcengine Ark",
                           "https://ark.cn-beijing.volces.com/api/v3/chat/completions",
                           "ends with / - no /v1 added", "No keyring here")

    # Type a gateway address: the preview follows every keystroke.
    tmux.keys("Tab", "C-u")
    tmux.literal("http://127.0.0.1:3000")
    tmux.wait_for("http://127.0.0.1:3000/v1/chat/completions",
                  "no version given - /v1/ appended", "not saved: address")
    tmux.keys("Escape")                            # discard, back to the filter
    tmux.wait_for("cherry-tui · Providers")
    assert not config_file.exists()

    tmux.keys("Escape", "?")                       # to the list; help
    tmux.wait_for("Keys", "providers.add")
    tmux.keys("Escape", "q")
    deadline = time.monotonic() + 10
    while "cherry-tui · Providers" in tmux.screen() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "cherry-tui · Providers" not in tmux.screen()


def test_hostile_names_and_model_ids_never_reach_the_terminal(tmux, tmp_path, config_file):
    """OSC 0 (title) and OSC 52 (clipboard) in a provider name and in a server's model
    ids: the pane title and tmux's buffers (set-clipboard on) stay as they were."""
    exe = _cherry_tui()
    need(exe is not None, "the cherry-tui command is not installed")
    with hostile_models_server() as root:
        hostile_config(config_file, root)
        _hostile_walk(tmux, exe, tmp_path, config_file)


def _hostile_walk(tmux, exe: str, tmp_path, config_file) -> None:
    tmux.start([exe], _env(tmp_path, config_file, EVIL_KEY="sk-evil-0123456789"),
               width=120, height=30, options=(("set-clipboard", "on"),
                                              ("allow-rename", "on")))
    title = tmux.pane_title()
    assert "PWNED" not in title
    tmux.wait_for("cherry-tui · Providers", "Evil^[]0;PWNED")
    tmux.keys("/")
    tmux.literal("evil")
    tmux.wait_for("› Evil^[")
    tmux.keys("Enter")                               # the editor: the name in its title
    tmux.wait_for("Edit provider · Evil^[]0;PWNED^G")
    tmux.keys("C-l")                                 # models: the id from config
    tmux.wait_for("Models · Evil^[", "m^[]52;c;QUJD^G[b]id[/b]")
    tmux.keys("C-f")                                 # the server's list
    tmux.wait_for("[ ] plain-model")
    tmux.keys("Escape", "Escape")
    tmux.wait_for("Edit provider · Evil^[")
    assert tmux.pane_title() == title
    assert tmux.buffers() == ""


def test_keys_typed_right_after_launch_are_kept(tmux, tmp_path, config_file):
    """`cherry-tui` then at once `a` and a name: every key reaches the first screen, in
    order, even those that arrive before it is drawn."""
    exe = _cherry_tui()
    need(exe is not None, "the cherry-tui command is not installed")
    tmux.start([exe], _env(tmp_path, config_file))
    for key in ["a", *"My GW"]:                     # no wait for the first paint
        tmux.literal(key)
        time.sleep(0.03)
    screen = tmux.wait_for("Add a custom provider", "My GW")
    assert "My GWa" not in screen and "aMy GW" not in screen
    tmux.keys("Escape", "/")
    tmux.literal("volc")
    tmux.wait_for("› Volcengine Ark", "1 of")


def test_down_enter_in_one_burst_opens_the_row_moved_to(tmux, tmp_path, config_file):
    """A laggy link delivers "↓ enter" in one read: enter must act on the row ↓ moved to
    (a priority binding once ran enter ahead of the list's own ↓ and opened the row above)."""
    exe = _cherry_tui()
    need(exe is not None, "the cherry-tui command is not installed")
    tmux.start([exe], _env(tmp_path, config_file))
    screen = tmux.wait_for("cherry-tui · Providers", "? Help")
    rows = [line for line in screen.splitlines() if line.startswith((" › ", "   "))]
    first, second = rows[1][3:30].strip(), rows[2][3:30].strip()  # rows[0]: the header
    tmux.run("send-keys", "Down", "Enter")                # one send-keys: one burst
    tmux.wait_for(f"Edit provider · {second}")
    assert f"Edit provider · {first}" not in tmux.screen()
