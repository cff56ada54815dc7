"""A model's context window set in the TUI (w on the models screen): saved as
context_windows in config.toml with its comments kept, shown in the list, and what the
chat's context bar measures against."""

from __future__ import annotations

import tomllib

from _chat_helpers import mock_app, open_chat, type_text, wait_for
from _provider_helpers import settle

from cherry_tui.ui.screens.dialogs import PromptDialog
from cherry_tui.ui.screens.models import ModelsScreen
from cherry_tui.ui.widgets.context_bar import ContextBar


def prompt_of(screen: ModelsScreen, i: int) -> str:
    return str(screen.query_one("#model-list").get_option_at_index(i).prompt)


async def set_window(pilot, text: str) -> None:
    await pilot.press("w")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PromptDialog), what="dialog")
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


async def test_w_sets_forgets_and_the_chat_bar_uses_it(config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch, models=("my-model", "gpt-4o"))
    config_file.write_text("# my providers\n" + config_file.read_text())
    app.config.reload()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(ModelsScreen("mock"))
        await settle(pilot)
        screen = app.screen
        assert "window" not in prompt_of(screen, 0)  # my-model: unknown
        assert prompt_of(screen, 1).endswith("vision · 128k window")  # gpt-4o: built in

        await pilot.press("down")  # into the list, on my-model
        assert screen._current() == "my-model"
        await set_window(pilot, "32k")
        text = config_file.read_text()
        assert text.startswith("# my providers\n")  # comments kept
        saved = tomllib.loads(text)["providers"]["mock"]
        assert saved["context_windows"] == {"my-model": 32000}
        assert prompt_of(screen, 0).endswith("chat · 32k window (yours)")

        await set_window(pilot, "lots")  # not a number: said, nothing saved
        assert tomllib.loads(config_file.read_text())["providers"]["mock"][
            "context_windows"] == {"my-model": 32000}

        # the chat with this model measures against it
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_chat(pilot)
        await wait_for(pilot, lambda: "/ 32k" in str(screen.query_one(ContextBar).render()),
                       what="the bar with the window")

        await pilot.press("escape")
        await settle(pilot)
        app.push_screen(ModelsScreen("mock"))
        await settle(pilot)
        await pilot.press("down")
        await set_window(pilot, "auto")  # forget it: the table goes with its last entry
        saved = tomllib.loads(config_file.read_text())["providers"]["mock"]
        assert "context_windows" not in saved
        assert "window" not in prompt_of(app.screen, 0)
