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
