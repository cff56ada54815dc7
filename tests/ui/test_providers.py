"""The provider list and editor: keys, filter, saving, comments kept, read-only config,
keymap overrides, help and the command palette."""

from __future__ import annotations

import tomllib

from _provider_helpers import paste, settle, text_of, type_text
from textual.widgets import Input

from cherry_tui.core.config import Config
from cherry_tui.core.secrets import SecretsFile
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog, PromptDialog
from cherry_tui.ui.screens.editor import EditorScreen
from cherry_tui.ui.screens.help import HelpScreen
from cherry_tui.ui.screens.models import ModelsScreen, id_problem
from cherry_tui.ui.screens.providers import ProvidersScreen

COMMENTED = """\
# My cherry-tui settings. Keep this comment.
theme = "cherry-dark"  # the theme I like

[providers.deepseek]
# switched on for work
enabled = true

[providers.my-gw]  # the office gateway
name = "Office [GW]"
type = "openai"
address = "http://127.0.0.1:3000"
models = ["gpt-4o-mini"]
enabled = false
"""


def write(config_file, text: str) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(text)


def rows(app) -> list[str]:
    option_list = app.screen.query_one("#providers")
    return [str(option_list.get_option_at_index(i).prompt)[2:]  # after the "› " marker
            for i in range(option_list.option_count)]


async def test_list_enabled_first_with_key_status_and_model_count(config_file, monkeypatch):
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-deepseek-0123456789")
    write(config_file, COMMENTED)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ProvidersScreen)
        await settle(pilot)
        listed = rows(app)
        assert listed[0].split()[:2] == ["DeepSeek", "on"]
        assert "env:DEEPSEEK_API_KEY" in listed[0] and listed[0].rstrip().endswith("2")
        assert any(r.startswith("Office [GW]") for r in listed)  # markup-free
        office = next(r for r in listed if r.startswith("Office [GW]"))
        assert "off" in office and "openai" in office and "missing" in office
        assert "no keyring" in text_of(app, "#detail-info")
        assert "POST https://api.deepseek.com/v1/chat/completions" in text_of(app, "#detail-url")
        first = str(app.screen.query_one("#providers").get_option_at_index(0).prompt)
        assert first.startswith("› DeepSeek")       # the cursor row, visible without colour
        await pilot.press("down")
        assert rows(app)[1] and str(app.screen.query_one("#providers")
                                    .get_option_at_index(1).prompt).startswith("› ")
        assert not first.startswith("› ") or not str(
            app.screen.query_one("#providers").get_option_at_index(0).prompt).startswith("› ")
        assert "sk-deepseek-0123456789" not in " ".join(listed) + text_of(app, "#detail-info")


async def test_filter_is_fuzzy_and_action_keys_still_work(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("slash", *"vlcn")        # fuzzy
        assert screen.filtered()[0].id == "volcengine"
        assert app.focused.id == "filter"
        await pilot.press("escape")                # to the filtered list
        assert app.focused.id == "providers"
        await pilot.press("space")                 # an action key works on the match
        await settle(pilot)
        assert Config.load(config_file).provider("volcengine").enabled
        await pilot.press("escape")                # clears the filter
        assert screen.query_one("#filter", Input).value == ""
        assert len(rows(app)) == len(app.config.providers())
        await pilot.press("h", "u", "a")           # type-ahead: h is not an action key
        assert screen.query_one("#filter", Input).value == "hua"
        assert screen.current_id() == "huawei"
        await pilot.press("enter")                 # enter in the filter edits the match
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen) and app.screen.pid == "huawei"


async def test_edits_are_saved_at_once_and_comments_survive(config_file):
    write(config_file, COMMENTED)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        # switch the gateway on
        await pilot.press("slash", *"office", "escape", "space")
        await settle(pilot)
        assert Config.load(config_file).provider("my-gw").enabled
        # rename it
        await pilot.press("r")
        assert isinstance(app.screen, PromptDialog)
        await pilot.press("ctrl+u", *"Office GW", "enter")
        await settle(pilot)
        assert Config.load(config_file).provider("my-gw").name == "Office GW"
        # edit its address in the editor
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        await pilot.press("tab")
        await paste(pilot, "http://127.0.0.1:3001")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        assert app.screen is screen
    text = config_file.read_text()
    for comment in ("# My cherry-tui settings. Keep this comment.", "# the theme I like",
                    "# switched on for work", "# the office gateway"):
        assert comment in text
    saved = tomllib.loads(text)
    assert saved["providers"]["my-gw"]["address"] == "http://127.0.0.1:3001"
    assert saved["providers"]["my-gw"]["enabled"] is True
    assert saved["providers"]["deepseek"] == {"enabled": True}


async def test_escape_discards_uncommitted_edits(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.open_editor("deepseek")
        await settle(pilot)
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "shift+tab")
        assert app.focused.id == "name"
        await pilot.press("ctrl+u", *"Other")
        assert "name" in text_of(app, "#status")
        await pilot.press("down", "down", "down", "down", "down")   # to the address
        assert app.focused.id == "address"
        await pilot.press("ctrl+u", *"http://x")
        assert "not saved: name, address" in text_of(app, "#status")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProvidersScreen)
    assert not config_file.exists()           # nothing was written


async def test_delete_custom_asks_and_builtin_resets(config_file):
    write(config_file, COMMENTED + '\n[providers.volcengine]\naddress = "https://x.example/v3/"\n')
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"office", "escape", "d")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")                     # cancel
        assert Config.load(config_file).has_provider("my-gw")
        await pilot.press("d", "y")
        await settle(pilot)
        assert not Config.load(config_file).has_provider("my-gw")
        await pilot.press("escape", "slash", *"volcengine", "escape", "d")
        assert "Reset Volcengine Ark" in text_of(app, ".title")
        await pilot.press("enter")
        await settle(pilot)
        p = Config.load(config_file).provider("volcengine")
        assert p.address == p.default_address
    assert "# the theme I like" in config_file.read_text()


async def test_add_custom_provider_type_anthropic(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a", *"Claude proxy", "enter", "right", "tab")
        await paste(pilot, "https://proxy.example.com/anthropic/v1")
        assert "chat https://proxy.example.com/anthropic/v1/messages" in \
            text_of(app, "#add-preview")
        await pilot.press("enter")
        await settle(pilot)
        p = Config.load(config_file).provider("claude-proxy")
        assert (p.type, p.address) == ("anthropic", "https://proxy.example.com/anthropic/v1")


async def test_read_only_config_says_so_and_writes_nothing(config_file):
    broken = "theme = \n[providers.deepseek\nenabled = true\n"
    write(config_file, broken)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "did not load" in text_of(app, "#readonly")
        assert "line 1" in text_of(app, "#readonly")
        await pilot.press("space")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("not saved" in m and "did not load" in m for m in messages)
        assert not app.screen.current().enabled
    assert config_file.read_text() == broken


async def test_keymap_overrides_and_help_lists_ids(config_file):
    write(config_file, '[keymap]\n"providers.add" = "n"\n"editor.check" = "ctrl+k"\n')
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")                     # no longer add: starts the filter
        assert app.screen.query_one("#filter", Input).value == "a"
        await pilot.press("escape", "escape", "n")
        assert type(app.screen).__name__ == "AddProviderDialog"
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        body = " ".join(str(s.content) for s in app.screen.query("Static"))
        assert "providers.add" in body and "editor.check" in body
        await pilot.press("escape")
        assert isinstance(app.screen, ProvidersScreen)


async def test_command_palette_opens_a_provider(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Edit: Moonshot")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen) and app.screen.pid == "moonshot"


async def test_key_is_masked_reveal_and_copy_key_page(config_file, monkeypatch):
    write(config_file, '[providers.deepseek]\nkey = "file"\n')
    SecretsFile.beside(config_file).set("deepseek", "sk-secret-0123456789")
    copied = []
    app = CherryApp(config_file)
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.open_editor("deepseek")
        await settle(pilot)
        key = app.screen.query_one("#key", Input)
        assert key.password and key.value == "sk-secret-0123456789"
        assert "sk-s****6789" in text_of(app, "#key-note")
        assert "secrets.toml" in text_of(app, "#key-note")
        await pilot.press("ctrl+r")
        assert not key.password
        await pilot.press("ctrl+r")
        assert key.password
        await pilot.press("ctrl+y")
        assert copied == ["https://platform.deepseek.com/api_keys"]
        assert "https://platform.deepseek.com/api_keys" in text_of(app, "#key-url")


async def test_keyring_choice_without_keyring_asks_and_stores_nothing(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.open_editor("ollama")          # no usual variable: the secrets file
        await settle(pilot)
        assert app.screen.query_one("#source").value == "file"
        await pilot.press("shift+tab", "left", "left", "tab")   # the user picks keyring
        assert app.screen.query_one("#source").value == "keyring"
        assert "No keyring here" in text_of(app, "#key-note")
        await paste(pilot, "sk-whatever-123456")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)  # where should the key go?
        assert "No keyring here" in text_of(app, ".title")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#key", Input).value == "sk-whatever-123456"  # kept
        messages = " ".join(n.message for n in app._notifications)
        assert "sk-whatever-123456" not in messages
    assert not config_file.exists()


async def test_reset_builtin_address(config_file):
    write(config_file, '[providers.volcengine]\n'
          'address = "https://ark.cn-beijing.volces.com/api/v3/chat/completions#"\n')
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.open_editor("volcengine")
        await settle(pilot)
        # The alternative form resolves to the same chat URL.
        assert "chat https://ark.cn-beijing.volces.com/api/v3/chat/completions" in \
            text_of(app, "#preview")
        assert "default: https://ark.cn-beijing.volces.com/api/v3/" in \
            text_of(app, "#address-note")
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert app.screen.query_one("#address", Input).value == \
            "https://ark.cn-beijing.volces.com/api/v3/"
    assert "volcengine" not in tomllib.loads(config_file.read_text()).get("providers", {})


async def test_model_id_warning_keep_as_typed_and_remove(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ModelsScreen("deepseek"))
        await settle(pilot)
        await paste(pilot, "deepseek-chat-v2 ")    # "Add id" has the focus
        await pilot.press("enter")
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("k")                    # keep exactly as typed
        await settle(pilot)
        assert "deepseek-chat-v2 " in Config.load(config_file).provider("deepseek").models
        assert app.focused.id == "model-id"
        await pilot.press("down", "end", "d")     # to the list, the last one, remove
        await settle(pilot)
        assert "deepseek-chat-v2 " not in Config.load(config_file).provider("deepseek").models


def test_id_problem():
    assert id_problem("doubao-seed-1-6-250615") is None
    assert id_problem('"DeepSeek-V3"') == ("quotes around it", "DeepSeek-V3")
    assert id_problem(" qwen3-32b\t") == ("spaces around it", "qwen3-32b")
    assert id_problem("“glm-4.5”") == ("quotes around it", "glm-4.5")
    assert id_problem("a b")[0] == "a space inside it"


async def test_key_goes_to_the_real_keyring(config_file, real_keyring):
    """Under scripts/test.sh (gnome-keyring on D-Bus): the key field stores in the keyring."""
    from cherry_tui.core import secrets

    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.open_editor("moonshot")
        await settle(pilot)
        assert app.screen.query_one("#source").value == "keyring"
        await paste(pilot, "sk-moonshot-0123456789")
        await pilot.press("enter")
        await settle(pilot)
        assert "stored in the keyring" in text_of(app, "#key-note")
    try:
        assert secrets.keyring_get("moonshot") == "sk-moonshot-0123456789"
    finally:
        secrets.keyring_delete("moonshot")


async def test_a_burst_of_keys_filters_and_never_runs_actions(config_file):
    """Keys that arrive in one read (fast typing over SSH) are queued before focus moves:
    '/volc' must filter for 'volc', not clone (c) or delete (d) the provider under the
    cursor. Same for type-ahead starting with a non-action letter."""
    from textual import events

    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        for key, char in [("slash", "/"), ("v", "v"), ("o", "o"), ("l", "l"), ("c", "c")]:
            app.post_message(events.Key(key, char))  # all queued before any is handled
        await settle(pilot)
        assert app.screen is screen, f"an action ran: {app.screen}"
        assert screen.query_one("#filter", Input).value == "volc"
        assert screen.current_id() == "volcengine"
        assert not config_file.exists()  # nothing was cloned or changed
        await pilot.press("escape", "escape")
        for ch in "huad":
            app.post_message(events.Key(ch, ch))
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#filter", Input).value == "huad"
        assert not config_file.exists()


async def test_keys_typed_ahead_in_the_editor_land_in_the_field_focus_moved_to(config_file):
    """down/tab followed at once by text (one read over SSH): the text goes to the next
    field, not the one being left."""
    from textual import events

    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"oneapi", "enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        name = app.focused
        keys = [("down", None)] + [(c, c) for c in "xyz"]
        for key, char in keys:
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert "xyz" not in name.value
        after_down = app.focused
        assert after_down is not name
        app.set_focus(name)
        await pilot.pause()
        for key, char in [("tab", None)] + [(c, c) for c in "qw"]:
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert "qw" not in name.value and app.focused is not name
