"""Setup 1: Volcengine Ark (built in), keyboard only, against a real local server.

No keyring (the test keyring is the 'fail' backend, as over SSH): the key goes to the
plain-text secrets file, chosen explicitly. llmock stands in for Ark at
``{llmock.url}/v1/``.
"""

from __future__ import annotations

import tomllib

from _provider_helpers import paste, settle, text_of, type_text

from cherry_tui.core.config import Config
from cherry_tui.core.secrets import SecretsFile
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.editor import EditorScreen
from cherry_tui.ui.screens.models import ModelsScreen
from cherry_tui.ui.screens.providers import ProvidersScreen

KEY = "ark-0123456789abcdef0123"
MODEL = "doubao-seed-1-6-250615"


async def test_volcengine_setup(llmock, config_file):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        "# my settings\n"
        "[providers.volcengine]\n"
        f'address = "{llmock.url}/v1/"  # llmock stands in for Ark\n'
        'models = []\n')
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ProvidersScreen)
        await pilot.press("slash", *"volc", "enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen) and editor.pid == "volcengine"

        # The exact URL is on screen before anything is sent.
        preview = text_of(app, "#preview")
        assert f"chat {llmock.url}/v1/chat/completions" in preview
        assert "ends with / - no /v1 added" in preview
        assert llmock.requests == []

        # No keyring: the editor says so and offers env and file.
        assert "No keyring here" in text_of(app, "#key-note")
        assert app.focused.id == "key"
        await pilot.press("shift+tab")            # to "Key from"
        assert app.focused.id == "source"
        await pilot.press("right")                # env variable -> plain-text file
        assert editor.query_one("#source").value == "file"
        await pilot.press("tab")                  # back to the key field (masked)
        assert app.focused.id == "key" and app.focused.password
        await paste(pilot, KEY)
        assert "API key" in text_of(app, "#status")  # not saved yet
        await pilot.press("enter")
        await settle(pilot)
        assert SecretsFile.beside(config_file).get("volcengine") == KEY
        assert Config.load(config_file).provider("volcengine").key == "file"
        note = text_of(app, "#key-note")
        assert "ark-****0123" in note and KEY not in note
        assert "All changes saved" in text_of(app, "#status")

        # Switch it on (the On/off choice, two fields up).
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused.id == "enabled"
        await pilot.press("space")
        await settle(pilot)
        assert Config.load(config_file).provider("volcengine").enabled is True

        # Add a model id by hand.
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, ModelsScreen)
        assert app.focused.id == "model-id"       # no models yet: straight to "Add id"
        await type_text(pilot, MODEL)
        await pilot.press("enter")
        await settle(pilot)
        assert Config.load(config_file).provider("volcengine").models == (MODEL,)
        assert app.focused.id == "model-id"       # ready for the next id
        await pilot.press("down", "enter")        # on the list: make it the default
        await settle(pilot)
        assert Config.load(config_file).default_model == f"volcengine/{MODEL}"
        await pilot.press("escape")
        assert app.screen is editor
        assert MODEL in text_of(app, "#models")

        # The real check.
        await pilot.press("ctrl+g")
        await settle(pilot)
        check = text_of(app, "#check")
        assert check.startswith("✓ OK"), check
        request = llmock.last_request
        assert request.path == "/v1/chat/completions"
        assert request.model == MODEL and request.status == 200

        await pilot.press("escape")
        assert isinstance(app.screen, ProvidersScreen)
        await settle(pilot)
        # Enabled ones first, with key status and model count.
        assert app.screen.filtered()[0].id == "volcengine" or \
            app.screen.query_one("#filter").value

    text = config_file.read_text()
    assert text.startswith("# my settings\n")
    assert "# llmock stands in for Ark" in text
    saved = tomllib.loads(text)
    assert saved["providers"]["volcengine"]["enabled"] is True
    assert KEY not in text


async def test_check_can_be_cancelled_with_escape(llmock, config_file, monkeypatch):
    """A slow server: the screen stays responsive and escape cancels the check."""
    monkeypatch.setenv("ARK_API_KEY", KEY)
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[providers.volcengine]\naddress = "{llmock.url}/v1/"\n')
    llmock.delay(30)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.open_editor("volcengine")
        await settle(pilot)
        editor = app.screen
        assert "$ARK_API_KEY is set" in text_of(app, "#key-note")
        await pilot.press("ctrl+g")
        await pilot.pause(0.3)
        assert editor.checking
        assert "checking" in text_of(app, "#check")
        await pilot.press("tab")                   # still responsive
        assert app.focused.id == "address"
        await pilot.press("escape")                # cancels the check, stays
        await pilot.pause()
        assert not editor.checking
        assert app.screen is editor
        assert "cancelled" in text_of(app, "#check")
        await pilot.press("escape")                # now leaves
        assert isinstance(app.screen, ProvidersScreen)
