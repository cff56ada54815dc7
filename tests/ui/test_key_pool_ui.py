"""The key pool in the TUI chat: a revoked and a rate-limited key are skipped before any
token arrives, the answer comes, and a small line under it says which keys were skipped."""

from __future__ import annotations

import sys
from pathlib import Path

from _chat_helpers import ask, open_chat

from cherry_tui.core import history as h
from cherry_tui.core.secrets import mask
from cherry_tui.ui.app import CherryApp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _keyserver import MODEL, REPLY, KeyServer

K1, K2, K3 = "sk-revoked-1111111111", "sk-limited-2222222222", "sk-working-3333333333"


def pool_app(config_file, server: KeyServer, monkeypatch, keys: str) -> CherryApp:
    monkeypatch.setenv("GW_KEYS", keys)
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'default_model = "gw/{MODEL}"\n\n[providers.gw]\nname = "GW"\ntype = "openai"\n'
        f'address = "{server.root}"\nkey = "env:GW_KEYS"\nmodels = ["{MODEL}"]\n'
        'enabled = true\n')
    return CherryApp(config_file)


async def test_chat_skips_bad_keys_and_says_so(config_file, monkeypatch):
    with KeyServer() as server:
        server.answers = {
            K1: (401, {}, {"error": {"message": "invalid api key"}}),
            K2: (429, {"Retry-After": "30"}, {"error": {"message": "slow down"}}),
        }
        app = pool_app(config_file, server, monkeypatch, f"{K1},{K2},{K3}")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_chat(pilot)
            entry = await ask(pilot, "What is the capital of France?")
            assert entry.message.status == h.DONE
            assert entry.content == REPLY
            assert entry.note == (f"skipped key {mask(K1)}: rejected (HTTP 401) · skipped key "
                                  f"{mask(K2)}: rate limited (HTTP 429), resting 30 s")
            assert server.keys_seen() == [K1, K2, K3]
            # The next question goes straight to the working key: the others are
            # marked (bad for this run / resting).
            entry = await ask(pilot, "And of Italy?")
            assert entry.message.status == h.DONE and entry.note is None
            assert server.keys_seen() == [K1, K2, K3, K3]


async def test_chat_with_every_key_failing_lists_them(config_file, monkeypatch):
    with KeyServer() as server:
        server.answers = {
            K1: (401, {}, {"error": {"message": "invalid api key"}}),
            K2: (403, {}, {"error": {"message": "forbidden"}}),
        }
        app = pool_app(config_file, server, monkeypatch, f"{K1},{K2}")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_chat(pilot)
            entry = await ask(pilot, "Hi")
            assert entry.message.status == h.ERROR
            assert entry.message.error == (
                f"every key of GW (gw) failed: {mask(K1)}: rejected (HTTP 401); "
                f"{mask(K2)}: forbidden (HTTP 403) - fix or replace them (cherry-tui check gw "
                "--all-keys checks each)")


async def test_editor_checks_each_key_and_shows_their_states(config_file, monkeypatch):
    from _provider_helpers import settle, text_of

    from cherry_tui.ui.screens.editor import EditorScreen

    with KeyServer() as server:
        server.answers = {
            K1: (401, {}, {"error": {"message": "invalid api key"}}),
            K2: (429, {"Retry-After": "30"}, {"error": {"message": "slow down"}}),
        }
        app = pool_app(config_file, server, monkeypatch, f"{K1},{K2},{K3}")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.push_screen(EditorScreen("gw"))
            await settle(pilot)
            assert "keys this run: not used yet (ctrl+g checks each)" in text_of(app, "#key-note")
            await pilot.press("ctrl+g")
            await settle(pilot)
            check = text_of(app, "#check")
            assert f"key 1 {mask(K1)}: ✗ GW (gw) rejected the API key" in check
            assert f"key 2 {mask(K2)}: ✗ GW (gw) is rate limiting requests (HTTP 429" in check
            assert f"key 3 {mask(K3)}: ✓ OK: {MODEL} answered in " in check
            assert sorted(server.keys_seen()) == sorted([K1, K2, K3])  # no 429 wait, no retry
            # A chat skips the two bad keys; back in the editor the note shows each state.
            await open_chat(pilot)
            await ask(pilot, "Hi")
            app.pop_screen()  # (esc just after an answer is a late "stop": not used here)
            await settle(pilot)
            assert isinstance(app.screen, EditorScreen)
            note = text_of(app, "#key-note")
            assert (f"keys this run: {mask(K1)}: rejected (HTTP 401) · {mask(K2)}: rate limited "
                    f"(HTTP 429), resting") in note
            assert f"{mask(K3)}: works" in note
