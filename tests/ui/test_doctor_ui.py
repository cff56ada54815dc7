"""The address doctor in the editor, with the keyboard, against real stand-in servers.

OneAPI typed as https://127.0.0.1:PORT/ (the guide's two mistakes at once: https for a
plain-HTTP gateway, and the '/' that stops /v1) -> the check fails -> the dialog offers
the address that answered -> enter applies and saves it -> the check passes.
"""

from __future__ import annotations

import pytest
from _provider_helpers import paste, settle, text_of
from _standins import KEY, MODEL, Serving
from textual.widgets import Input, OptionList

from cherry_tui.core.config import Config
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.doctor import AddressFixDialog
from cherry_tui.ui.screens.editor import EditorScreen


def write_gateway(config_file, address: str) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[providers.gw]\nname = "My OneAPI"\ntype = "openai"\naddress = "{address}"\n'
        f'key = "env:GW_KEY"\nmodels = ["{MODEL}"]\nenabled = true\n')


async def open_editor(pilot, app) -> EditorScreen:
    await settle(pilot)
    app.screen.open_editor("gw")
    await settle(pilot)
    assert isinstance(app.screen, EditorScreen)
    return app.screen


@pytest.fixture
def oneapi():
    with Serving("oneapi") as s:
        yield s


async def test_a_failed_check_offers_the_fix_and_enter_applies_it(oneapi, config_file,
                                                                   monkeypatch):
    monkeypatch.setenv("GW_KEY", KEY)
    typed = f"https://127.0.0.1:{oneapi.port}/"
    write_gateway(config_file, typed)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(pilot, app)
        await pilot.press("ctrl+g")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AddressFixDialog), text_of(app, "#check")
        options = dialog.query_one("#fixes", OptionList)
        first = str(options.get_option_at_index(0).prompt)
        assert first.splitlines()[0] == oneapi.root
        assert oneapi.chat_url in first and "answered 401" in first
        assert app.focused is options
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is editor
        assert editor.query_one("#address", Input).value == oneapi.root
        assert Config.load(config_file).provider("gw").address == oneapi.root
        check = text_of(app, "#check")
        assert check.startswith(f"✓ OK: {MODEL} answered"), check
        assert oneapi.seen[-1].path == "/v1/chat/completions"
        assert oneapi.seen[-1].authorization == f"Bearer {KEY}"


async def test_esc_closes_the_dialog_and_keeps_the_address(oneapi, config_file, monkeypatch):
    monkeypatch.setenv("GW_KEY", KEY)
    typed = oneapi.root + "/"  # OneAPI's web page answers /chat/completions
    write_gateway(config_file, typed)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(pilot, app)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, AddressFixDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is editor
        assert editor.query_one("#address", Input).value == typed
        assert Config.load(config_file).provider("gw").address == typed
        check = text_of(app, "#check")
        assert check.startswith("✗") and "1 fixed address answered" in check


async def test_a_wrong_key_opens_no_dialog(oneapi, config_file, monkeypatch):
    monkeypatch.setenv("GW_KEY", "sk-wrong-key-000000000000")
    write_gateway(config_file, oneapi.root)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(pilot, app)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.screen is editor
        assert "401" in text_of(app, "#check")


async def test_outside_text_in_a_suggestion_is_inert(config_file):
    from cherry_tui.core.doctor import Suggestion

    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        evil = "http://127.0.0.1:1/[bold]x\x1b]0;pwned\x07"
        app.push_screen(AddressFixDialog(evil, [Suggestion(evil, evil + "/v1", 200)]))
        await settle(pilot)
        prompt = str(app.screen.query_one("#fixes", OptionList).get_option_at_index(0).prompt)
        assert "\x1b" not in prompt and "\x07" not in prompt
        assert "[bold]x^[]0;pwned^G" in prompt


async def test_the_preview_warns_as_you_type_when_the_endpoint_would_be_twice(config_file):
    invoke = ("https://api.modelarts-maas.com/v1/infers/"
              "271c9332-4aa6-4ff5-95b3-0cf8bd94c394/v1/chat/completions")
    write_gateway(config_file, "http://127.0.0.1:3000")
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(pilot, app)
        editor.query_one("#address", Input).focus()
        await pilot.press("ctrl+u")
        await paste(pilot, invoke)                      # pasted without the '#'
        preview = text_of(app, "#preview")
        assert "chat/completions/v1/chat/completions" in preview
        assert "warn the address already ends with /chat/completions" in preview
        assert f"use {invoke}# (ending with # uses it exactly as typed)" in preview
        assert editor.query_one("#preview").has_class("-warning")
        await pilot.press("#")
        preview = text_of(app, "#preview")
        assert "warn" not in preview and f"chat {invoke} " in preview
        assert not editor.query_one("#preview").has_class("-warning")
