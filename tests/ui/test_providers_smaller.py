"""Smaller findings of the first-hour walk-through: the cleaned model id, the cursor after
removing a model, the Add dialog's preview before typing, q with unsaved work."""

from __future__ import annotations

from _provider_helpers import paste, settle, type_text
from textual.widgets import Input

from cherry_tui.core.config import Config
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.dialogs import AddProviderDialog, ChoiceDialog, ConfirmDialog
from cherry_tui.ui.screens.models import ModelsScreen, id_problem
from cherry_tui.ui.screens.providers import ProvidersScreen
from cherry_tui.ui.widgets.preview import AddressPreview

FOUR = """\
[providers.gw]
name = "GW"
type = "openai"
address = "http://127.0.0.1:3000"
models = ["m1", "m2", "m3", "m4"]
enabled = true
"""


def test_cleaned_id_for_an_inner_space_is_really_cleaned():
    assert id_problem("my provider") == ("a space inside it", "my-provider")
    assert id_problem(' "my  model v2" ') == (
        "spaces around it and quotes around it and a space inside it", "my-model-v2")


async def test_model_id_with_inner_space_offers_the_cleaned_id(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ModelsScreen("deepseek"))
        await settle(pilot)
        await paste(pilot, "deepseek chat")
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        assert ("c", "deepseek-chat", "save 'deepseek-chat' (cleaned)") in dialog.answers
        await pilot.press("c")
        await settle(pilot)
        assert "deepseek-chat" in Config.load(config_file).provider("deepseek").models


async def test_remove_keeps_the_cursor_on_the_next_row(config_file):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(FOUR)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ModelsScreen("gw"))
        await settle(pilot)
        screen = app.screen
        await pilot.press("down", "down")          # to the list, then to m2
        assert screen._current() == "m2"
        await pilot.press("d")
        await settle(pilot)
        assert screen._current() == "m3"           # the next row, not the one above
        await pilot.press("d")
        await settle(pilot)
        assert screen._current() == "m4"
        await pilot.press("d")                     # the last one: the new last row
        await settle(pilot)
        assert screen._current() == "m1"
        assert Config.load(config_file).provider("gw").models == ("m1",)


async def test_add_dialog_shows_no_error_before_typing(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AddProviderDialog)
        preview = dialog.query_one(AddressPreview)
        assert not preview.display                 # the empty address is not an error yet
        assert dialog.query_one("#add-preview-hint").display
        await type_text(pilot, "GW")
        await pilot.press("enter", "tab", "enter")  # name, type, then submit empty address
        await settle(pilot)
        assert preview.display and preview.error   # on submit: the error is shown
        await paste(pilot, "http://127.0.0.1:3000")
        assert preview.display and preview.error is None
        assert not dialog.query_one("#add-preview-hint").display


async def test_q_quits_at_once_when_nothing_would_be_lost(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_quit_asks_when_an_editor_field_is_not_saved(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.open_editor("oneapi")
        await settle(pilot)
        await pilot.press("tab", "ctrl+u")
        await paste(pilot, "http://10.0.0.5:3000")
        await pilot.press("escape")                # leaves the editor: nothing kept to lose
        await settle(pilot)
        assert isinstance(app.screen, ProvidersScreen)
        app.screen.open_editor("oneapi")
        await settle(pilot)
        await pilot.press("tab", "ctrl+u")
        await paste(pilot, "http://10.0.0.5:3000")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, ConfirmDialog)
        assert "address typed in the OneAPI editor" in app.screen.body
        await pilot.press("n")                     # stay: the typed address is still there
        await settle(pilot)
        assert app.screen.query_one("#address", Input).value == "http://10.0.0.5:3000"
        await pilot.press("ctrl+q", "y")
        await settle(pilot)
        assert not app.is_running
