"""The provider screens when the world changes under them: a config file broken by a
hand edit while the TUI runs, hostile names and model ids (the text gate)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from _provider_helpers import settle
from rich.console import Console

from cherry_tui.core.config import Config
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.providers import ProvidersScreen

HOME = """\
[providers.home-oneapi]
name = "Home OneAPI"
type = "openai"
address = "http://127.0.0.1:3000"
enabled = true
"""


def _row_of(app, pid: str) -> str:
    option_list = app.screen.query_one("#providers")
    for i in range(option_list.option_count):
        if option_list.get_option_at_index(i).id == pid:
            return str(option_list.get_option_at_index(i).prompt)
    raise AssertionError(f"{pid} is not listed")


@pytest.mark.parametrize(("hand_edit", "what"), [
    ("\n[providers.home-oneapi]\nenabled = false\n", "line 7"),   # a duplicate table
    ("enabled = false\n", 'Key "enabled" already exists'),         # a duplicate key
])
async def test_config_broken_while_running_no_crash_nothing_written(config_file, hand_edit,
                                                                    what):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(HOME)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProvidersScreen)
        screen.refresh_rows(keep="home-oneapi")
        assert screen.current_id() == "home-oneapi"
        assert " on " in _row_of(app, "home-oneapi")
        # A hand edit while the TUI runs: a duplicate table, so the file stops parsing.
        broken = HOME + hand_edit
        config_file.write_text(broken)
        messages: list[str] = []
        app.notify = lambda message, **kw: messages.append(  # type: ignore[method-assign]
            f"{kw.get('title', '')}: {message}")
        for _ in range(3):                       # space, space again, and once more
            await pilot.press("space")
            await settle(pilot)
            assert app.is_running
            assert config_file.read_text() == broken          # nothing was written
            assert screen.current_id() == "home-oneapi"        # still listed
            assert " on " in _row_of(app, "home-oneapi")       # shown as on disk before
        assert len(messages) == 3
        for message in messages:
            assert what in message and "already exists" in message
            assert "nothing was written" in message.lower()
        # The file is fixed by hand: the next switch saves again.
        config_file.write_text(HOME)
        await pilot.press("space")
        await settle(pilot)
        assert "enabled = false" in config_file.read_text()
        assert " off " in _row_of(app, "home-oneapi")


# ---------------------------------------------------------------------------- the gate
# A provider name and model ids with every kind of terminal control: ESC sequences
# (CSI, OSC 0 title, OSC 52 clipboard), a C1 CSI, CR, a BiDi override and Rich markup.
HOSTILE = "Evil\x1b]0;PWNED\x07\x1b]52;c;SGVsbG8=\x07\x9b31m\r\u202e[bold red]X[/]"
HOSTILE_SHOWN = "Evil^[]0;PWNED^G^[]52;c;SGVsbG8=^G<0x9b>31m^M<U+202E>[bold red]X[/]"
HOSTILE_MODEL = "m\x1b]52;c;QUJD\x07[b]id[/b]"
HOSTILE_MODEL_SHOWN = "m^[]52;c;QUJD^G[b]id[/b]"
CONTROLS = set(map(chr, range(0x20))) | set(map(chr, range(0x7f, 0xa0))) | {"\u202e"}


def toml_escape(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" if c in CONTROLS or c in '"\\' else c for c in text)


class ModelsHandler(BaseHTTPRequestHandler):
    """A server whose model list is hostile: ids with controls and markup."""

    def do_GET(self) -> None:  # http.server's name for it
        body = json.dumps({"object": "list", "data": [
            {"id": HOSTILE_MODEL, "object": "model"},
            {"id": "plain-model", "object": "model"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def hostile_models_server() -> Iterator[str]:
    """A real local server (its root URL) that serves the hostile model list."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), ModelsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hostile_server() -> Iterator[str]:
    with hostile_models_server() as root:
        yield root


def hostile_config(config_file, root: str) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'default_model = "evil/{toml_escape(HOSTILE_MODEL)}"\n\n'
        '[providers.evil]\n'
        f'name = "{toml_escape(HOSTILE)}"\n'
        'type = "openai"\n'
        f'address = "{root}"\n'
        'key = "env:EVIL_KEY"\n'
        f'models = ["{toml_escape(HOSTILE_MODEL)}"]\n'
        'enabled = true\n')


def screen_text(app) -> str:
    """What the terminal would be sent for the whole screen, as text."""
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(),
                      record=True, legacy_windows=False, color_system=None)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text()


def assert_inert(app, *expected: str) -> str:
    text = screen_text(app)
    raw = sorted({f"U+{ord(c):04X}" for c in text if c in CONTROLS - {"\n"}})
    assert not raw, f"raw controls on screen: {raw}"
    flat = "".join(text.split())
    for want in expected:
        assert "".join(want.split()) in flat, f"{want!r} not on screen:\n{text}"
    return text


def assert_toast(app, expected: str) -> None:
    """The toasts as handed to the screen (gated in App.notify), shown without markup."""
    toasts = [n for n in app._notifications if expected in n.message]
    assert toasts, [n.message for n in app._notifications]
    for toast in toasts:
        assert not (set(toast.message + toast.title) & (CONTROLS - {"\n"}))
        assert not toast.markup


async def test_hostile_names_and_model_ids_are_shown_inert(config_file, hostile_server,
                                                          monkeypatch):
    monkeypatch.setenv("EVIL_KEY", "sk-evil-0123456789")
    hostile_config(config_file, hostile_server)
    app = CherryApp(config_file)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        app.screen.refresh_rows(keep="evil")
        await settle(pilot)
        assert_inert(app, HOSTILE_SHOWN[:20])                  # list (cut to its column)
        row = _row_of(app, "evil")
        assert "^[]0;PWNED" in row and "\x1b" not in row
        await pilot.press("ctrl+p", *"Edit Evil")              # the command palette
        await settle(pilot)
        assert_inert(app, "Edit: Evil^[]0;PWNED^G")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("r")                                 # a dialog with the name
        await settle(pilot)
        assert_inert(app, "Rename Evil^[]0;PWNED^G^[]52;c;", "<U+202E>[bold red]X[/]")
        await pilot.press("escape", "enter")                   # the editor
        await settle(pilot)
        assert_inert(app, f"Edit provider · {HOSTILE_SHOWN}", HOSTILE_MODEL_SHOWN)
        await pilot.press("ctrl+l")                            # the models screen
        await settle(pilot)
        assert_inert(app, f"Models · {HOSTILE_SHOWN}", f"★ {HOSTILE_MODEL_SHOWN}",
                     f"default model: evil/{HOSTILE_MODEL_SHOWN}")
        await pilot.press("down", "d")                         # toast names the id
        await settle(pilot)
        assert_toast(app, f"Removed {HOSTILE_MODEL_SHOWN}")
        await pilot.press("f")                                 # the server's list
        await settle(pilot)
        assert_inert(app, f"[ ] {HOSTILE_MODEL_SHOWN}", "[ ] plain-model")
        await pilot.press("enter")                             # add it back: a toast
        await settle(pilot)
        assert_toast(app, f"Added {HOSTILE_MODEL_SHOWN}")
        assert HOSTILE_MODEL in Config.load(config_file).provider("evil").models  # kept exact
