"""The assistant picker and form through Pilot, against llmock and a real config file."""

from __future__ import annotations

from textual.widgets import Input, Static, TextArea

from cherry_tui.core import assistants as A
from cherry_tui.core.config import Config
from cherry_tui.ui.screens.assistant_form import AssistantForm
from cherry_tui.ui.screens.assistants import AssistantPicker
from cherry_tui.ui.screens.chat import ChatScreen
from cherry_tui.ui.screens.dialogs import ConfirmDialog, PromptDialog
from cherry_tui.ui.widgets.chat_bar import ChatBar

from _chat_helpers import ask, history_file, mock_app, open_chat, type_text, wait_for

MINE = """
# my assistants below
[assistants.terse]   # one word answers
prompt = "Answer in one word."
model = "mock/gpt-4o"
temperature = 0.4
top_p = 0.9
max_tokens = 64
context = 0
"""


def app_with_assistants(config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o-mini", "gpt-4o"))
    config_file.write_text(config_file.read_text() + MINE)
    app.config.reload()
    return app


def bar(screen: ChatScreen) -> str:
    return str(screen.query_one("#chat-bar", ChatBar).render())


async def open_picker(pilot) -> AssistantPicker:
    await pilot.press("f2")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, AssistantPicker), what="picker")
    await pilot.pause()
    return pilot.app.screen


async def test_f2_from_the_provider_list_starts_a_chat_with_the_assistant(
        config_file, llmock, monkeypatch, tmp_path):
    app = app_with_assistants(config_file, llmock, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        picker = await open_picker(pilot)
        assert [a.name for a in picker.shown][:4] == ["translate", "shell", "review", "logs"]
        await type_text(pilot, "terse")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen), what="chat")
        screen = app.screen
        await pilot.pause()
        assert "assistant: terse" in bar(screen) and "mock/gpt-4o" in bar(screen)
        llmock.reply("Paris")
        await ask(pilot, "Capital of France?")
        body = llmock.last_request.body
        assert body["messages"] == [{"role": "system", "content": "Answer in one word."},
                                    {"role": "user", "content": "Capital of France?"}]
        assert body["model"] == "gpt-4o" and body["temperature"] == 0.4
        assert body["top_p"] == 0.9 and body["max_tokens"] == 64  # all its settings
        llmock.reply("Berlin")
        await ask(pilot, "And of Germany?")
        # context = 0: the earlier question and answer are not sent
        assert llmock.last_request.body["messages"] == [
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "And of Germany?"}]
    db = history_file(tmp_path)
    [conv] = db.list()
    assert conv.assistant == "terse" and conv.model == "mock/gpt-4o"
    db.close()


async def test_picker_in_the_chat_starts_a_new_chat_and_reopening_keeps_the_name(
        config_file, llmock, monkeypatch):
    app = app_with_assistants(config_file, llmock, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(pilot)
        llmock.reply("hi")
        await ask(pilot, "plain chat")
        first = screen.conv
        assert "assistant:" not in bar(screen)
        await open_picker(pilot)
        await type_text(pilot, "review")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, what="back in the chat")
        assert screen.conv is None and screen.messages == []  # a new conversation
        assert "assistant: review" in bar(screen)
        assert screen.system_prompt == A.find(app.config, "review").prompt
        llmock.reply("LGTM")
        await ask(pilot, "diff --git a/x b/x")
        reviewed = screen.conv
        screen.open_conversation(first.id)
        await pilot.pause()
        assert "assistant:" not in bar(screen) and screen.system_prompt == ""
        screen.open_conversation(reviewed.id)
        await pilot.pause()
        assert "assistant: review" in bar(screen)


async def test_new_edit_clone_delete_are_saved_with_comments_kept(
        config_file, llmock, monkeypatch):
    app = app_with_assistants(config_file, llmock, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        picker = await open_picker(pilot)
        await pilot.press("down")  # into the list: the letter keys act
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, AssistantForm), what="form")
        form = app.screen
        form.query_one("#form-name", Input).value = "sql"
        form.query_one("#form-prompt", TextArea).text = "You write PostgreSQL.\nOnly SQL."
        form.query_one("#form-temperature", Input).value = "9"
        await pilot.press("ctrl+s")
        await pilot.pause()
        hint = str(form.query_one("#form-hint", Static).render())
        assert "[assistants.sql] temperature must be a number from 0 to 2, not 9" in hint
        assert app.screen is form and "sql" not in config_file.read_text()
        form.query_one("#form-temperature", Input).value = "0.1"
        form.query_one("#form-context", Input).value = "4"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is picker, what="back in the picker")
        sql = A.find(Config.load(config_file), "sql")
        assert (sql.prompt, sql.temperature, sql.context) == \
            ("You write PostgreSQL.\nOnly SQL.", 0.1, 4)

        # edit: the highlighted one is the one just saved
        assert picker.shown[picker.query_one("#assistants-list").highlighted].name == "sql"
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, AssistantForm), what="form")
        app.screen.query_one("#form-context", Input).value = "all"
        app.screen.query_one("#form-model", Input).value = "mock/gpt-4o"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is picker, what="back in the picker")
        sql = A.find(Config.load(config_file), "sql")
        assert (sql.context, sql.model) == (None, "mock/gpt-4o")

        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptDialog), what="clone")
        app.screen.query_one(Input).value = "sql-short"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is picker, what="back in the picker")
        assert A.find(Config.load(config_file), "sql-short").prompt == sql.prompt

        await pilot.press("d")  # the user's own: asks, then deletes
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is picker, what="back in the picker")
        names = {a.name for a in A.load(Config.load(config_file))}
        assert "sql-short" not in names and "sql" in names

        # a built-in is hidden, not deleted, and enter on it says so
        index = [a.name for a in picker.shown].index("shell")
        picker.query_one("#assistants-list").highlighted = index
        await pilot.press("d")
        await wait_for(pilot, lambda: A.find(Config.load(config_file), "shell").hidden,
                       what="shell hidden")
        assert app.screen is picker and picker.shown[-1].name == "shell"
        text = config_file.read_text()
        assert "# my assistants below" in text and "# one word answers" in text


async def test_the_palette_opens_the_picker_everywhere(config_file, llmock, monkeypatch):
    app = app_with_assistants(config_file, llmock, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        for where in ("provider list", "chat"):
            await pilot.press("ctrl+p")
            await pilot.pause()
            await type_text(pilot, "Assistants")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, AssistantPicker),
                           what="picker")
            await pilot.pause()
            assert [a.name for a in app.screen.shown][:1] == ["translate"]
            await pilot.press("escape")
            if where == "provider list":
                await open_chat(pilot)


async def test_help_lists_the_assistant_keys(config_file, llmock, monkeypatch):
    from cherry_tui.ui.screens.common import help_rows
    from cherry_tui.ui.screens.help import _sections

    app = app_with_assistants(config_file, llmock, monkeypatch)
    async with app.run_test(size=(100, 30)):
        sections = {title: bindings for title, bindings, _note in _sections(app)}
        rows = {bid: keys for keys, _text, bid in help_rows(app, sections["Assistants (F2)"])}
        assert (rows["assistants.edit"], rows["assistants.clone"], rows["assistants.delete"],
                rows["assistants.new"]) == ("e", "c", "d", "n")
        everywhere = {bid: keys for keys, _t, bid in help_rows(app, sections["Everywhere"])}
        assert everywhere["app.assistants"] == "f2"


async def test_f2_in_the_history_is_its_rename(config_file, llmock, monkeypatch):
    from cherry_tui.ui.screens.history import HistoryScreen

    app = app_with_assistants(config_file, llmock, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_chat(pilot)
        llmock.reply("hi")
        await ask(pilot, "hello")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), what="history")
        await pilot.pause()
        assert app.check_action("assistants", ()) is False
        await pilot.press("down", "f2")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptDialog), what="rename")
        assert "Rename" in str(app.screen.query_one(".title", Static).render())
