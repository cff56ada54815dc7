"""Model kinds in the TUI: the models screen shows and changes them, the fetched list
shows and filters by them (ctrl+k), the chat's picker offers chat models only."""

from __future__ import annotations

import tomllib

from _provider_helpers import settle

from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.chat_dialogs import ModelPicker
from cherry_tui.ui.screens.models import ModelsScreen
from cherry_tui.ui.screens.models_fetch import FetchModelsScreen


def write(config_file, url: str) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[providers.gw]\nname = "GW"\ntype = "openai"\naddress = "{url}"\n'
        'key = "env:GW_KEY"\nenabled = true\n'
        'models = ["text-embedding-3-small", "gpt-4o", "my-model"]\n')


async def test_models_screen_fetch_filter_and_picker(llmock, config_file, monkeypatch):
    monkeypatch.setenv("GW_KEY", "sk-gw-0123456789abcdef")
    write(config_file, llmock.url)
    app = CherryApp(config_file)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(ModelsScreen("gw"))
        await settle(pilot)
        screen = app.screen
        listing = screen.query_one("#model-list")
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(3)]
        assert prompts[0].split()[-1] == "embedding"
        assert prompts[1].split()[-1] == "window"  # gpt-4o: a known window, after its kind
        assert "  vision · 128k window" in prompts[1]
        assert prompts[2].split()[-1] == "chat"

        # k on my-model: chat -> reasoning, saved as the user's kind
        await pilot.press("down", "down", "down")
        assert screen._current() == "my-model"
        await pilot.press("k")
        await settle(pilot)
        saved = tomllib.loads(config_file.read_text())["providers"]["gw"]
        assert saved["model_kinds"] == {"my-model": "reasoning"}
        assert str(listing.get_option_at_index(2).prompt).endswith("reasoning (yours)")
        for _ in range(6):  # round the kinds back to chat, which the id suggests
            await pilot.press("k")
        await settle(pilot)
        assert "model_kinds" not in tomllib.loads(config_file.read_text())["providers"]["gw"]

        # The fetched list shows each model's kind and ctrl+k filters by it.
        await pilot.press("f")
        await settle(pilot)
        fetch = app.screen
        assert isinstance(fetch, FetchModelsScreen)
        assert fetch.kinds["gpt-image-1"] == "image"
        options = fetch.query_one("#fetch-list")
        first = str(options.get_option_at_index(0).prompt)
        assert first == "› [ ] gpt-3.5-turbo  chat"
        await pilot.press("ctrl+k")  # chat
        assert fetch.shown == ["gpt-3.5-turbo"]
        await pilot.press("ctrl+k", "ctrl+k")  # reasoning (none), vision
        assert fetch.kind_filter == "vision"
        assert fetch.shown == ["gpt-4-turbo", "gpt-4o", "gpt-4o-mini"]
        assert "vision models only" in fetch.query_one("#fetch-filter").placeholder
        await pilot.press("ctrl+k")  # embedding
        assert fetch.shown == ["text-embedding-3-large", "text-embedding-3-small"]
        await pilot.press("ctrl+k", "ctrl+k")  # rerank, image
        assert fetch.shown == ["gpt-image-1"]
        await pilot.press("enter")  # adds the highlighted image model
        await settle(pilot)
        assert "gpt-image-1" in app.config.provider("gw").models
        await pilot.press("escape")
        await settle(pilot)

        # The chat's picker: chat, reasoning and vision models only.
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, ModelPicker)
        assert picker.refs == ["gw/gpt-4o", "gw/my-model"]


async def test_editor_checks_the_first_chat_model_or_the_one_chosen(llmock, config_file,
                                                                    monkeypatch):
    from cherry_tui.ui.screens.editor import EditorScreen

    monkeypatch.setenv("GW_KEY", "sk-gw-0123456789abcdef")
    write(config_file, llmock.url)
    app = CherryApp(config_file)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(EditorScreen("gw"))
        await settle(pilot)
        await pilot.press("ctrl+g")  # the embedding model is passed over
        await settle(pilot)
        assert llmock.last_request.model == "gpt-4o"
        await pilot.press("ctrl+o")  # from gpt-4o on to the next chat model
        await settle(pilot)
        assert "the check asks my-model (chat)" in str(app.screen.query_one("#check").content)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert llmock.last_request.model == "my-model"
        await pilot.press("ctrl+o")  # round the list: back to gpt-4o, never the embedding
        await settle(pilot)
        assert "the check asks gpt-4o (vision)" in str(app.screen.query_one("#check").content)
