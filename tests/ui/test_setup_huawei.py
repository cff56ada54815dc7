"""Setup 2: Huawei Cloud MaaS: one provider per model, made by cloning.

The user pastes the full invoke URL and ends it with '#': the preview shows it used
exactly as typed. The model name is pasted exactly; quotes around it get a warning.
"""

from __future__ import annotations

import tomllib

from _provider_helpers import paste, settle, text_of

from cherry_tui.core.config import Config
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.dialogs import ChoiceDialog, PromptDialog
from cherry_tui.ui.screens.editor import EditorScreen
from cherry_tui.ui.screens.models import ModelsScreen
from cherry_tui.ui.screens.providers import ProvidersScreen

INVOKE = ("https://api.modelarts-maas.com/v1/infers/"
          "271c9332-4aa6-4ff5-95b3-0cf8bd94c394/v1/chat/completions")


async def test_huawei_clone_exact_address_and_exact_model(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"huawei")
        screen = app.screen
        assert isinstance(screen, ProvidersScreen)
        assert screen.current_id() == "huawei"
        await pilot.press("escape")             # from the filter to the filtered list
        assert app.focused.id == "providers"
        assert screen.query_one("#filter").value == "huawei"
        await pilot.press("c")                  # clone
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        await pilot.press("ctrl+u", *"DeepSeek-V3 on MaaS", "enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        pid = editor.pid
        clone = Config.load(config_file).provider(pid)
        assert clone.name == "DeepSeek-V3 on MaaS" and not clone.builtin
        assert clone.key == "env:MAAS_API_KEY"   # the clone keeps the built-in's variable

        await pilot.press("tab")                 # key -> address (all selected on focus)
        assert app.focused.id == "address"
        await paste(pilot, INVOKE + "#")
        preview = text_of(app, "#preview")
        assert f"chat {INVOKE} " in preview + " "
        assert "ends with # - used exactly as typed" in preview
        assert "models https://api.modelarts-maas.com/v1/infers/" in preview
        assert "address" in text_of(app, "#status")      # typed, not saved yet
        await pilot.press("enter")
        await settle(pilot)
        assert Config.load(config_file).provider(pid).address == INVOKE + "#"
        assert "All changes saved" in text_of(app, "#status")

        # The model name, pasted with quotes: warned, cleaned on 'c'.
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, ModelsScreen)
        assert app.focused.id == "model-id"     # typing goes to "Add id" first
        await pilot.press("down")               # the clone has the built-in's models:
        await pilot.press("d", "d", "d")        # this provider is for one model only
        await settle(pilot)
        assert Config.load(config_file).provider(pid).models == ()
        await pilot.press("a")
        await paste(pilot, ' "DeepSeek-V3" ')
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("c")
        await settle(pilot)
        models = Config.load(config_file).provider(pid).models
        assert models == ("DeepSeek-V3",)
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, ProvidersScreen)

        # The next model is one more clone away; the built-in is untouched.
        assert Config.load(config_file).provider("huawei").address == \
            "https://api.modelarts-maas.com/v1"

    saved = tomllib.loads(config_file.read_text())
    assert saved["providers"][pid]["address"] == INVOKE + "#"


async def test_address_error_is_inline_and_not_saved(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.open_editor("huawei")
        await settle(pilot)
        await pilot.press("tab")
        assert app.focused.id == "address"
        await paste(pilot, "api.modelarts-maas.com/v1")
        assert "has no scheme: did you mean https://api.modelarts-maas.com/v1?" in \
            text_of(app, "#preview")
        await pilot.press("enter")
        await settle(pilot)
        assert Config.load(config_file).provider("huawei").address == \
            "https://api.modelarts-maas.com/v1"
        await pilot.press("escape")              # discards the typed address
        await settle(pilot)
        app.screen.open_editor("huawei")
        await settle(pilot)
        assert app.screen.query_one("#address").value == "https://api.modelarts-maas.com/v1"
