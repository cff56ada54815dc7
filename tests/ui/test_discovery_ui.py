"""First start in the TUI: found providers offered ticked, enter switches them on; with
a config file nothing is offered. (``cherry-tui`` starts the app with discover=True;
tests that build CherryApp themselves do not, so llmock's variables offer nothing there.)"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _provider_helpers import settle

from cherry_tui.core import discovery
from cherry_tui.core.config import Config
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.discover_screen import DiscoveryScreen
from cherry_tui.ui.screens.providers import ProvidersScreen


class _Ollama(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"models": [{"name": "llama3.2:3b"}]}).encode())

    def log_message(self, *args) -> None:
        pass


async def wait_for(pilot, condition, rounds: int = 100) -> None:
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition()


async def test_first_start_offers_what_is_there_and_enter_switches_it_on(config_file,
                                                                        monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ollama)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    monkeypatch.setattr(discovery, "LOCAL_SERVERS", {"ollama": (port, "/api/tags")})
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-deepseek-0123456789")
    try:
        app = CherryApp(config_file, discover=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, DiscoveryScreen))
            reasons = [f.reason for f in app.screen.found]
            assert reasons == ["key found in $DEEPSEEK_API_KEY",
                               f"answering on 127.0.0.1:{port} (1 model)"]
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ProvidersScreen)
    finally:
        server.shutdown()
        server.server_close()
    cfg = Config.load(config_file)
    assert cfg.provider("deepseek").enabled
    ollama = cfg.provider("ollama")
    assert (ollama.enabled, ollama.models, ollama.address) == (
        True, ("llama3.2:3b",), f"http://localhost:{port}")
    assert "sk-deepseek" not in config_file.read_text()


async def test_space_unticks_and_escape_skips(config_file, monkeypatch):
    monkeypatch.setattr(discovery, "LOCAL_SERVERS", {})
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-deepseek-0123456789")
    monkeypatch.setenv("ARK_API_KEY", "ark-0123456789")
    app = CherryApp(config_file, discover=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DiscoveryScreen))
        await pilot.press("space")  # unticks the first (DeepSeek)
        await pilot.press("enter")
        await settle(pilot)
    cfg = Config.load(config_file)
    assert not cfg.provider("deepseek").enabled and cfg.provider("volcengine").enabled

    config_file.unlink()
    app = CherryApp(config_file, discover=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DiscoveryScreen))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProvidersScreen)
    assert not config_file.exists()


async def test_no_offer_once_there_is_a_config_file(config_file, monkeypatch):
    looked = []
    monkeypatch.setattr(discovery, "discover", lambda: looked.append(1) or [])
    config_file.parent.mkdir(parents=True)
    config_file.write_text('theme = "cherry-dark"\n')
    app = CherryApp(config_file, discover=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ProvidersScreen)
    assert looked == []  # no discovery at all: nothing probed
