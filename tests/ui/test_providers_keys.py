"""The key source without a keyring (the usual case over SSH): a new custom provider
starts on a source that works, and a typed key is never thrown away by a source switch."""

from __future__ import annotations

from _provider_helpers import paste, settle, text_of

from cherry_tui.core.config import Config
from cherry_tui.core.secrets import SecretsFile
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.dialogs import ChoiceDialog
from cherry_tui.ui.screens.editor import EditorScreen

KEY = "sk-home-0123456789abcdef"


async def add_custom(pilot) -> None:
    await pilot.press("a", *"Home", "enter", "tab")
    await paste(pilot, "http://127.0.0.1:3000")
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, EditorScreen)


async def test_new_custom_provider_defaults_to_a_source_that_works(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await add_custom(pilot)
        screen = app.screen
        assert screen.keyring_ok is False               # the test keyring backend fails
        assert screen.query_one("#source").value == "file"
        note = text_of(app, "#key-note")
        assert "No keyring here" in note and "env variable" in note
        await paste(pilot, KEY)
        await pilot.press("enter")
        await settle(pilot)
        assert SecretsFile.beside(config_file).get("home") == KEY
        assert Config.load(config_file).provider("home").key == "file"


async def test_key_typed_before_switching_source_is_kept_and_stored(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await add_custom(pilot)
        source = app.screen.query_one("#source")
        key = app.screen.query_one("#key")
        await pilot.press("shift+tab", "left", "left")  # Key from: file -> env -> keyring
        assert source.value == "keyring"
        await pilot.press("tab")
        await paste(pilot, KEY)
        await pilot.press("shift+tab", "right")         # keyring -> env: the variable name
        assert source.value == "env" and key.value == "HOME_API_KEY"
        assert "key you typed is kept" in text_of(app, "#key-note")
        await pilot.press("right")                      # env -> file: the key is back
        assert source.value == "file" and key.value == KEY
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert SecretsFile.beside(config_file).get("home") == KEY


async def test_enter_on_keyring_without_keyring_asks_where(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await add_custom(pilot)
        await pilot.press("shift+tab", "left", "left", "tab")
        await paste(pilot, KEY)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        assert app.screen.query_one("#source").value == "file"
        assert SecretsFile.beside(config_file).get("home") == KEY
