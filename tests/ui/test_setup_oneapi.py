"""Setup 3: OneAPI / NewAPI: a custom OpenAI-type provider at a root address.

A real llmock server plays the gateway at http://127.0.0.1:PORT; the token comes
from an environment variable (no keyring); the models come from the gateway's list.
"""

from __future__ import annotations

import tomllib

from _provider_helpers import paste, settle, text_of, type_text

from cherry_tui.core.config import Config
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.dialogs import AddProviderDialog
from cherry_tui.ui.screens.editor import EditorScreen
from cherry_tui.ui.screens.models import ModelsScreen
from cherry_tui.ui.screens.models_fetch import FetchModelsScreen
from cherry_tui.ui.screens.providers import ProvidersScreen

TOKEN = "sk-oneapi-0123456789abcdef"


async def test_oneapi_setup(llmock, config_file, monkeypatch):
    monkeypatch.setenv("ONEAPI_TOKEN", TOKEN)
    root = llmock.url  # http://127.0.0.1:PORT
    assert root.startswith("http://127.0.0.1:")
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        assert isinstance(app.screen, AddProviderDialog)
        await type_text(pilot, "My OneAPI")
        await pilot.press("enter")               # name -> type
        assert app.focused.id == "add-type"
        await pilot.press("tab")                 # openai is right: on to the address
        await paste(pilot, root)
        preview = text_of(app, "#add-preview")
        assert f"chat {root}/v1/chat/completions" in preview
        assert f"models {root}/v1/models" in preview
        assert "no version given - /v1/ appended" in preview
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        pid = editor.pid
        assert pid == "my-oneapi"
        p = Config.load(config_file).provider(pid)
        assert (p.name, p.type, p.address, p.enabled) == ("My OneAPI", "openai", root, True)
        assert llmock.requests == []              # nothing sent yet

        # The token: an environment variable reference (no keyring here).
        assert "No keyring here" in text_of(app, "#key-note")
        assert editor.query_one("#source").value == "file"   # what works here
        await pilot.press("shift+tab", "left")    # Key from: plain-text file -> env variable
        assert editor.query_one("#source").value == "env"
        await pilot.press("tab", "ctrl+u", *"ONEAPI_TOKEN", "enter")
        await settle(pilot)
        assert Config.load(config_file).provider(pid).key == "env:ONEAPI_TOKEN"
        assert "$ONEAPI_TOKEN is set: sk-o****cdef" in text_of(app, "#key-note")
        assert TOKEN not in text_of(app, "#key-note")

        # Models from the gateway's list: fetch, filter, mark two, add.
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, ModelsScreen)
        assert app.focused.id == "model-id"       # no models yet
        await pilot.press("ctrl+f")                # fetch (f on the list)
        await settle(pilot)
        fetch = app.screen
        assert isinstance(fetch, FetchModelsScreen)
        assert "gpt-4o-mini" in fetch.all_ids and "gpt-4o" in fetch.all_ids
        assert f"GET {root}/v1/models" in text_of(app, "#fetch-status")
        await type_text(pilot, "embed")
        shown = fetch.query_one("#fetch-list")
        assert shown.option_count == 2             # text-embedding-3-large / -small
        await pilot.press("ctrl+u")
        await type_text(pilot, "gpt-4o-mini")
        assert fetch.shown[0] == "gpt-4o-mini"
        assert str(shown.get_option_at_index(0).prompt) == "› [ ] gpt-4o-mini  vision"
        await pilot.press("space")                 # mark
        assert str(shown.get_option_at_index(0).prompt) == "› [x] gpt-4o-mini  vision"
        await pilot.press("ctrl+u")
        ids = fetch.all_ids
        for _ in range(ids.index("gpt-4o")):
            await pilot.press("down")
        await pilot.press("space", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ModelsScreen)
        assert Config.load(config_file).provider(pid).models == ("gpt-4o", "gpt-4o-mini")
        await pilot.press("escape")
        assert app.screen is editor

        # The real check.
        await pilot.press("ctrl+g")
        await settle(pilot)
        check = text_of(app, "#check")
        assert check.startswith("✓ OK"), check
        assert [(r.method, r.path) for r in llmock.requests] == [
            ("GET", "/v1/models"), ("POST", "/v1/chat/completions")]
        assert llmock.last_request.model == "gpt-4o"

        await pilot.press("escape")
        assert isinstance(app.screen, ProvidersScreen)
        await settle(pilot)
        row = app.screen.query_one("#providers").get_option_at_index(0).prompt
        assert "My OneAPI" in str(row) and "env:ONEAPI_TOKEN" in str(row)

    saved = tomllib.loads(config_file.read_text())["providers"]["my-oneapi"]
    assert saved == {"name": "My OneAPI", "type": "openai", "address": root,
                     "models": ["gpt-4o", "gpt-4o-mini"], "enabled": True,
                     "key": "env:ONEAPI_TOKEN"}


async def test_oneapi_wrong_token_shows_the_error(llmock, config_file, monkeypatch):
    monkeypatch.setenv("ONEAPI_TOKEN", TOKEN)
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[providers.gw]\nname = "Gateway"\ntype = "openai"\naddress = "{llmock.url}"\n'
        'key = "env:ONEAPI_TOKEN"\nmodels = ["gpt-4o"]\nenabled = true\n')
    llmock.fail(401, message="invalid token")
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.open_editor("gw")
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        check = text_of(app, "#check")
        assert check.startswith("✗"), check
        assert "401" in check or "key" in check.lower()
        assert TOKEN not in check
