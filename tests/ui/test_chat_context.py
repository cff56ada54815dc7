"""Context you can see: the "new context" marker changes what the server receives, the
bar above the input, and the warning before a request too long for the model (Pilot,
a real llmock server, a real SQLite history file)."""

from __future__ import annotations

from textual import events

from cherry_tui.core.history import CONTEXT
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.chat import ChatScreen, chat_help_sections
from cherry_tui.ui.screens.chat_context import MarkerEntry
from cherry_tui.ui.widgets.context_bar import ContextBar

from _chat_helpers import (
    ask, history_file, log_text, mock_app, open_chat, type_text, wait_for,
)

MARKER = "──── new context ────"


def sent(llmock) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in llmock.last_request.body["messages"]]


def bar(screen: ChatScreen) -> str:
    return screen.query_one(ContextBar).text


async def flushed(pilot) -> None:
    writer = pilot.app.history_writer
    await wait_for(pilot, lambda: writer.pending == 0, what="history writes")


async def test_the_marker_cuts_what_the_server_receives_and_survives_reopening(
        config_file, llmock, monkeypatch, tmp_path):
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        llmock.reply("Paris.")
        await ask(pilot, "Capital of France?")
        assert sent(llmock) == [("user", "Capital of France?")]
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert MARKER in log_text(screen)
        assert isinstance(screen.log_view.entries[-1], MarkerEntry)
        llmock.reply("Blue.")
        await ask(pilot, "Colour of the sky?")
        # the question before the marker and its answer are not sent
        assert sent(llmock) == [("user", "Colour of the sky?")]
        conv_id = screen.conv.id
        await flushed(pilot)

    db = history_file(tmp_path)
    assert [m.role for m in db.messages(conv_id)] == ["user", "assistant", CONTEXT, "user",
                                                      "assistant"]
    db.close()

    app = CherryApp(config_file)  # the app again: the chat opened from the history
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        screen.open_conversation(conv_id)
        await pilot.pause()
        text = log_text(screen)
        assert text.index("Paris.") < text.index(MARKER) < text.index("Colour of the sky?")
        llmock.reply("Green.")
        await ask(pilot, "And grass?")
        assert sent(llmock) == [("user", "Colour of the sky?"), ("assistant", "Blue."),
                                ("user", "And grass?")]


async def test_ctrl_g_again_takes_the_marker_back(config_file, llmock, monkeypatch, tmp_path):
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await pilot.press("ctrl+g")  # nothing to leave out yet: no marker
        await pilot.pause()
        assert screen.messages == [] and MARKER not in log_text(screen)
        llmock.reply("One.")
        await ask(pilot, "first")
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert MARKER in log_text(screen) and "new context" in bar(screen)
        await pilot.press("ctrl+g")  # a mistake: undone
        await pilot.pause()
        assert MARKER not in log_text(screen) and "new context" not in bar(screen)
        assert [m.role for m in screen.messages] == ["user", "assistant"]
        llmock.reply("Two.")
        await ask(pilot, "second")
        assert sent(llmock) == [("user", "first"), ("assistant", "One."), ("user", "second")]
        await flushed(pilot)
        conv_id = screen.conv.id
        # the palette's command does the same
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "New context")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and bool(screen.messages)
                       and screen.messages[-1].role == CONTEXT, what="marker by the palette")
        await flushed(pilot)
    db = history_file(tmp_path)
    # the taken-back marker is gone from the file; the palette's one is there
    assert [m.role for m in db.tree(conv_id).path()] == ["user", "assistant", "user",
                                                         "assistant", CONTEXT]
    assert db.db.execute("SELECT count(*) FROM messages WHERE role=?",
                         (CONTEXT,)).fetchone()[0] == 1
    db.close()


async def test_the_bar_counts_messages_tokens_and_the_window(config_file, llmock,
                                                             monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch)  # gpt-4o-mini: a 128k window
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        assert bar(screen) == "context: 0 messages · ~0 tokens / 128k"
        await type_text(pilot, "abcd" * 300)  # about 300 tokens
        await wait_for(pilot, lambda: bar(screen).startswith("context: 1 message ·"),
                       what="the bar to count the input")
        assert bar(screen) == "context: 1 message · ~304 tokens / 128k"
        screen.chat_input.clear()
        await pilot.pause()
        llmock.reply("Fine.")
        await ask(pilot, "How are you?")
        # after the answer: the question and the answer are the context
        await wait_for(pilot, lambda: bar(screen).startswith("context: 2 messages"),
                       what="the bar after the answer")
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert bar(screen) == "context: 0 messages · ~0 tokens / 128k · new context"
        screen.set_model("mock/gpt-4o-mini")  # unchanged model, the bar is the same
        await pilot.pause()
        assert bar(screen).endswith("/ 128k · new context")


async def test_an_unknown_window_is_not_shown(config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch, models=("my-own-model",))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        assert bar(screen) == "context: 0 messages · ~0 tokens"


async def test_over_the_window_enter_warns_and_enter_again_sends(config_file, llmock,
                                                                 monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch)
    app.config.set_provider_field("mock", "context_windows", {"gpt-4o-mini": 100})
    app.config.save()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        assert bar(screen).endswith("/ 100")
        long_text = "word " * 200  # about 250 tokens
        await type_text(pilot, long_text)
        # said as it is typed (in words too: a 16-colour or NO_COLOR terminal)
        await wait_for(pilot, lambda: bar(screen).endswith("/ 100 · over the window"),
                       what="the bar to say over")
        await pilot.press("enter")
        await pilot.pause()
        assert llmock.requests == [] and screen.messages == []  # not sent
        assert screen.chat_input.text == long_text  # and kept
        assert bar(screen) == ("~254 tokens would be sent, over gpt-4o-mini's 100 window: "
                               "ctrl+g starts a new context; enter again sends anyway")
        assert screen.query_one(ContextBar).has_class("-over")
        llmock.reply("Long.")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.streaming is None and len(screen.messages) == 2,
                       what="sent anyway")
        assert sent(llmock) == [("user", long_text)]
        assert screen.chat_input.text == ""


async def test_a_changed_text_is_checked_again(config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch)
    app.config.set_provider_field("mock", "context_windows", {"gpt-4o-mini": 100})
    app.config.save()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await type_text(pilot, "word " * 200)
        await pilot.press("enter")
        await pilot.pause()
        assert "over gpt-4o-mini's 100 window" in bar(screen)
        await type_text(pilot, " more")  # another text: warned again, not sent
        await wait_for(pilot, lambda: "would be sent" not in bar(screen), what="bar")
        await pilot.press("enter")
        await pilot.pause()
        assert llmock.requests == [] and "would be sent" in bar(screen)
        screen.chat_input.clear()
        await type_text(pilot, "short")  # fits: sent at the first enter
        llmock.reply("ok")
        await ask(pilot, "")
        assert sent(llmock) == [("user", "short")]


async def test_help_and_palette_list_the_key(config_file, llmock, monkeypatch):
    sections = dict((title, keys) for title, keys, _ in chat_help_sections())
    assert "chat.new_context" in {b.id for b in sections["Chat"]}
    notes = " ".join(note for _, _, note in chat_help_sections())
    assert "ctrl+g starts a new context" in notes
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        assert ("new_context" in [a for _, _, a in screen.palette_commands()])


async def test_the_window_a_model_list_reported_is_used_and_config_wins(
        config_file, llmock, monkeypatch, tmp_path):
    from cherry_tui.core import model_windows

    model_windows.save({"mock": {"gpt-4o-mini": 50_000}})  # as a fetch of the list left it
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        assert bar(screen) == "context: 0 messages · ~0 tokens / 50k"
    app.config.set_provider_field("mock", "context_windows", {"gpt-4o-mini": 32_768})
    app.config.save()
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        assert bar(screen) == "context: 0 messages · ~0 tokens / 32k"


async def test_retry_edit_and_versions_with_a_marker(config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        llmock.reply("A1")
        await ask(pilot, "Q1")
        await pilot.press("ctrl+g")
        await pilot.pause()
        n = len(llmock.requests)
        await pilot.press("ctrl+r")  # right after a marker: nothing to retry, said
        await pilot.pause()
        assert len(llmock.requests) == n and screen.messages[-1].role == CONTEXT
        llmock.reply("A2")
        await ask(pilot, "Q2")
        llmock.reply("A2 again")
        await pilot.press("ctrl+r")  # the retried answer is asked with the marker kept
        await wait_for(pilot, lambda: screen.streaming is None
                       and screen.messages[-1].content == "A2 again", what="retried")
        assert sent(llmock) == [("user", "Q2")]
        assert MARKER in log_text(screen)
        # edit Q1 (in the log: the marker line is passed over): a branch without the marker
        await pilot.press("tab")
        for _ in range(3):
            await pilot.press("up")
        assert screen.log_view.selected_entry.message.content == "Q1"
        await pilot.press("e")
        await pilot.pause()
        screen.chat_input.clear()
        await type_text(pilot, "Q1 edited")
        llmock.reply("A1 edited")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.streaming is None
                       and screen.messages[-1].content == "A1 edited", what="edited")
        assert sent(llmock) == [("user", "Q1 edited")]
        assert MARKER not in log_text(screen)
        # back to the first version of Q1: its branch, marker included, is shown and sent
        await pilot.press("tab")
        await pilot.press("up")
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert [m.role for m in screen.messages] == ["user", "assistant", CONTEXT, "user",
                                                     "assistant"]
        assert MARKER in log_text(screen)
        await pilot.press("escape")
        llmock.reply("A3")
        await ask(pilot, "Q3")
        assert sent(llmock) == [("user", "Q2"), ("assistant", "A2 again"), ("user", "Q3")]


async def test_typing_counts_once_after_a_pause_not_per_key(config_file, llmock, monkeypatch):
    """A burst of keys in a long conversation: the bar counts again once the typing
    pauses (debounced), not once per key."""
    from cherry_tui.core import context as core_context
    from cherry_tui.ui.screens import chat_context

    calls = []

    def counted(*args, **kw):
        calls.append(args[1])
        return core_context.next_request(*args, **kw)

    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        llmock.reply("answer " * 200)
        await ask(pilot, "question " * 200)
        monkeypatch.setattr(chat_context, "next_request", counted)
        for ch in "twenty letters typed":  # one burst, as a laggy link delivers it
            app.post_message(events.Key(ch if ch != " " else "space", ch))
        await wait_for(pilot, lambda: calls and calls[-1] == "twenty letters typed",
                       what="the bar to count the typed text")
        assert screen.chat_input.text == "twenty letters typed"
        assert bar(screen).startswith("context: 3 messages")
        assert len(calls) <= 3, calls  # not 20
