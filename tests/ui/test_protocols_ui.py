"""A Gemini provider and an Azure OpenAI deployment added with the keyboard alone.

The add dialog's live preview shows each type's exact URL (query string included, the
model's place marked); once a model id (Azure: the deployment name) is added, the
editor's preview shows the URL with it filled in. Then a chat with each, over a real
socket, against a local server speaking that provider's wire format.
"""

from __future__ import annotations

from _chat_helpers import ask, log_text, open_chat, wait_for
from _provider_helpers import paste, settle, text_of, type_text
from servers.wire import KEY, MODEL, Serving

from cherry_tui.core.config import Config
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.editor import EditorScreen
from cherry_tui.ui.screens.models import ModelsScreen

GEMINI = "https://generativelanguage.googleapis.com"
AZURE = "https://myres.openai.azure.com/"  # as the portal shows it, trailing / and all


async def add_provider(pilot, name: str, rights: int, address: str) -> None:
    """a, the name, → to the type, tab to the address, paste it (enter is left to do)."""
    await pilot.press("a")
    await type_text(pilot, name)
    await pilot.press("enter", *["right"] * rights, "tab")
    await paste(pilot, address)


async def add_model(pilot, model: str) -> None:
    """From the editor: ctrl+l to the models, type the id, enter, back with esc."""
    await pilot.press("ctrl+l")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ModelsScreen)
    await type_text(pilot, model)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("escape")
    await settle(pilot)
    assert isinstance(pilot.app.screen, EditorScreen)


async def test_gemini_and_azure_added_with_the_keyboard_show_their_urls(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await add_provider(pilot, "Gemini", 3, GEMINI)
        preview = text_of(app, "#add-preview")
        assert (f"chat {GEMINI}/v1beta/models/{{model}}:streamGenerateContent?alt=sse"
                in preview)
        assert f"whole {GEMINI}/v1beta/models/{{model}}:generateContent" in preview
        assert f"models {GEMINI}/v1beta/models" in preview
        assert "/v1beta/ appended" in preview
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        await add_model(pilot, "gemini-2.5-flash")
        assert (f"chat {GEMINI}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
                in text_of(app, "#preview"))
        await pilot.press("escape")
        await settle(pilot)

        await add_provider(pilot, "My Azure", 4, AZURE)
        preview = text_of(app, "#add-preview")
        assert ("chat https://myres.openai.azure.com/openai/deployments/{model}/chat/"
                "completions?api-version=2024-10-21") in preview
        assert "models https://myres.openai.azure.com/openai/models?api-version=2024-10-21" \
            in preview
        await pilot.press("enter")
        await settle(pilot)
        await add_model(pilot, "gpt4o-prod")
        assert ("chat https://myres.openai.azure.com/openai/deployments/gpt4o-prod/chat/"
                "completions?api-version=2024-10-21") in text_of(app, "#preview")

    cfg = Config.load(config_file)
    gemini, azure = cfg.provider("gemini-2"), cfg.provider("my-azure")
    assert (gemini.type, gemini.address, gemini.models) == ("gemini", GEMINI,
                                                           ("gemini-2.5-flash",))
    assert (azure.type, azure.address, azure.models) == ("azure-openai", AZURE, ("gpt4o-prod",))


async def test_chat_with_gemini_and_azure_stand_ins(config_file, monkeypatch):
    monkeypatch.setenv("GEM_KEY", KEY)
    monkeypatch.setenv("AZ_KEY", KEY)
    with Serving("gemini") as gem, Serving("azure") as az:
        config_file.parent.mkdir(parents=True, exist_ok=True)
        config_file.write_text(
            f'default_model = "gem/{MODEL}"\n'
            f'[providers.gem]\nname = "Gem"\ntype = "gemini"\naddress = "{gem.root}"\n'
            f'key = "env:GEM_KEY"\nmodels = ["{MODEL}"]\nenabled = true\n'
            f'[providers.az]\nname = "Az"\ntype = "azure-openai"\naddress = "{az.root}/"\n'
            f'key = "env:AZ_KEY"\nmodels = ["{MODEL}"]\nenabled = true\n')
        app = CherryApp(config_file)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_chat(pilot)
            await ask(pilot, "Hello Gemini")
            assert "Hello there" in log_text(screen)
            await pilot.press("ctrl+l")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "ModelPicker",
                           what="the model picker")
            await type_text(pilot, "az/")
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.model_ref == f"az/{MODEL}", what="az chosen")
            await ask(pilot, "Hello Azure")
            assert log_text(screen).count("Hello there") == 2
        [g] = [s for s in gem.seen if s.method == "POST"]
        assert g.path == f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
        assert g.headers["x-goog-api-key"] == KEY and "Authorization" not in g.headers
        assert g.body["contents"][-1] == {"role": "user", "parts": [{"text": "Hello Gemini"}]}
        [a] = [s for s in az.seen if s.method == "POST"]
        assert a.path == f"/openai/deployments/{MODEL}/chat/completions?api-version=2024-10-21"
        assert a.headers["api-key"] == KEY and a.body["stream"] is True
