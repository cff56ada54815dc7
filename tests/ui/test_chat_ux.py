"""The chat's keys as a demanding user meets them, through Pilot against a real llmock
server: esc and ctrl+c stop, esc never leaves by accident, the settings dialog's focus
is where its highlight is, a new message is followed into view, the model picker under
key bursts, picking a model leaves the default alone, a rate-limit wait is shown."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, Label, TextArea

from cherry_tui.core import history as h
from cherry_tui.ui.screens.chat_dialogs import ModelPicker, SettingsDialog
from cherry_tui.ui.screens.dialogs import ConfirmDialog
from cherry_tui.ui.screens.providers import ProvidersScreen

from _chat_helpers import (
    ask, last_answer, log_text, mock_app, open_chat, type_text, wait_answer, wait_for,
)

LONG = " ".join(f"word{i}" for i in range(400))


def burst(app, *keys: str) -> None:
    """Keys as one read from a laggy link delivers them: all queued at once, no pause."""
    for key in keys:
        if len(key) == 1:
            app.post_message(events.Key(key, key))
        else:
            app.post_message(events.Key(key, None))


def typed(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


async def settle(pilot, rounds: int = 10) -> None:
    for _ in range(rounds):
        await pilot.pause(0.02)


# ---------------------------------------------------------------------- esc and ctrl+c
async def test_ctrl_c_stops_a_streaming_answer(config_file, llmock, monkeypatch):
    llmock.pace(30).reply(LONG)
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        entry = await ask(pilot, "Talk", wait=False)
        await wait_for(pilot, lambda: "word5 " in entry.content, what="some words")
        await pilot.press("ctrl+c")
        await wait_answer(pilot, timeout=5)
        assert entry.message.status == h.STOPPED
        assert "word399" not in entry.content
        assert app.screen is screen
        # not streaming: ctrl+c keeps its meaning (the input's copy), the chat stays
        await type_text(pilot, "keep me")
        await pilot.press("ctrl+c")
        assert app.screen is screen and screen.chat_input.text == "keep me"


async def test_esc_right_after_the_answer_ends_does_not_leave(config_file, llmock,
                                                              monkeypatch):
    llmock.reply("Done quickly.")
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await ask(pilot, "Hi")
        # the user saw the answer still arriving and pressed esc to stop it: it ended first
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        screen.answers.ended_at -= 5  # a deliberate esc, later: back to the provider list
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ProvidersScreen),
                       what="the provider list")


async def test_esc_with_unsent_text_asks_before_leaving(config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await type_text(pilot, "a long question I have not sent yet")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
        await pilot.press("escape")  # no: stay, the text is still there
        await wait_for(pilot, lambda: app.screen is screen, what="back in the chat")
        assert screen.chat_input.text == "a long question I have not sent yet"
        await pilot.press("escape", "y")  # asked again; yes leaves
        await wait_for(pilot, lambda: isinstance(app.screen, ProvidersScreen),
                       what="the provider list")


async def test_esc_with_an_empty_input_leaves_at_once(config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chat(pilot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ProvidersScreen),
                       what="the provider list")


async def test_esc_cancels_editing_but_keeps_changed_text(config_file, llmock, monkeypatch):
    llmock.reply("First answer.")
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await ask(pilot, "Original question")
        screen.answers.ended_at -= 5
        await pilot.press("up")  # edit the last message, unchanged: esc clears
        assert screen.editing is not None and screen.chat_input.text == "Original question"
        await pilot.press("escape")
        assert screen.editing is None and screen.chat_input.text == ""
        await pilot.press("up")
        await type_text(pilot, " with more")
        await pilot.press("escape")  # changed: cancelled, the text stays
        assert screen.editing is None
        assert screen.chat_input.text == "Original question with more"
        assert app.screen is screen


# ---------------------------------------------------------------------- settings focus
def _row_label_reversed(dialog: SettingsDialog, field_id: str) -> bool:
    label = dialog.query_one(f"#{field_id}").parent.query_one(Label)
    return bool(label.rich_style.reverse)


async def test_settings_focus_and_highlight_agree(config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsDialog), what="settings")
        dialog = app.screen
        await pilot.pause()
        title = dialog.query_one("#settings-title", Input)
        system = dialog.query_one("#settings-system", TextArea)
        assert app.focused is title and title.has_focus
        assert _row_label_reversed(dialog, "settings-title")
        assert not _row_label_reversed(dialog, "settings-system")
        await type_text(pilot, "My title")
        assert title.value == "My title" and system.text == ""
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is system and system.has_focus
        assert _row_label_reversed(dialog, "settings-system")
        assert not _row_label_reversed(dialog, "settings-title")
        await type_text(pilot, "Be brief.")
        assert system.text == "Be brief." and title.value == "My title"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen, what="the chat")
        assert screen.title_text == "My title" and screen.system_prompt == "Be brief."


# ---------------------------------------------------------------------- scrolling
async def test_a_message_sent_while_scrolled_up_is_followed(config_file, llmock, monkeypatch):
    llmock.reply(LONG)
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await ask(pilot, "First")
        log = screen.log_view
        log.scroll_home(animate=False, immediate=True)  # reading back
        await pilot.pause()
        assert not log.follow and log.scroll_y == 0
        llmock.pace(5).reply(LONG)
        entry = await ask(pilot, "Second question", wait=False)
        await wait_for(pilot, lambda: "word40 " in entry.content, what="the answer to arrive")
        assert log.is_vertical_scroll_end, "the view must follow the new message"
        await wait_answer(pilot)
        assert log.is_vertical_scroll_end and log.scroll_y > 0
        assert "word399" in "\n".join(log_text(screen).splitlines()[-40:])


async def test_scrolling_up_while_streaming_stops_following(config_file, llmock, monkeypatch):
    llmock.pace(20).reply(LONG)
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        entry = await ask(pilot, "Talk", wait=False)
        log = screen.log_view
        await wait_for(pilot, lambda: log.max_scroll_y > 5, what="a screenful")
        log.scroll_home(animate=False, immediate=True)
        await wait_for(pilot, lambda: "word200 " in entry.content, what="more words")
        assert log.scroll_y == 0 and not log.follow  # left where the user is reading
        await pilot.press("escape")
        await wait_answer(pilot)


# ---------------------------------------------------------------------- model picker
async def test_picker_burst_chooses_and_the_rest_goes_to_the_input(config_file, llmock,
                                                                   monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o-mini", "seed-1-6"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        assert screen.model_ref == "mock/gpt-4o-mini"
        llmock.reply("Hello from seed.")
        burst(app, "ctrl+l", *typed("seed"), "enter", *typed("hello"), "enter")
        await wait_for(pilot, lambda: screen.streaming is None and screen.messages,
                       what="the message sent")
        await wait_answer(pilot)
        assert app.screen is screen
        assert screen.model_ref == "mock/seed-1-6"
        assert [m.content for m in screen.messages if m.role == "user"] == ["hello"]
        assert llmock.last_request.body["model"] == "seed-1-6"
        assert screen.chat_input.text == ""


async def test_picker_burst_with_backspace_and_no_pause(config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch,
                   models=("gpt-4o-mini", "seed-1-6", "qwen-max"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        # "qwx<backspace>en" then enter: the backspace acts where it was typed
        burst(app, "ctrl+l", "q", "w", "x", "backspace", "e", "n", "enter", "o", "k")
        await wait_for(pilot, lambda: app.screen is screen and screen.chat_input.text == "ok",
                       what="the picker closed, the rest in the input")
        assert screen.model_ref == "mock/qwen-max"
        # the same keys through Pilot's press, one after another, once the picker is up
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelPicker), what="picker")
        await pilot.press(*typed("seed"), "enter", "x")
        await wait_for(pilot, lambda: app.screen is screen, what="the picker closed")
        assert screen.model_ref == "mock/seed-1-6" and screen.chat_input.text == "okx"


async def test_picker_burst_cancelled_with_esc_keeps_the_rest(config_file, llmock,
                                                               monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o-mini", "seed-1-6"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        burst(app, "ctrl+l", "s", "e", "escape", "h", "i")
        await wait_for(pilot, lambda: app.screen is screen and screen.chat_input.text == "hi",
                       what="the picker cancelled, the rest in the input")
        assert screen.model_ref == "mock/gpt-4o-mini"


async def test_picking_a_model_keeps_the_default(config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o-mini", "seed-1-6"))
    app.config.set_value("default_model", "mock/gpt-4o-mini")
    app.config.save()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelPicker), what="picker")
        await type_text(pilot, "seed")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, what="the chat")
        assert screen.model_ref == "mock/seed-1-6"
        llmock.reply("ok")
        await ask(pilot, "hi")
        assert llmock.last_request.body["model"] == "seed-1-6"
        assert 'default_model = "mock/gpt-4o-mini"' in config_file.read_text()
        assert screen.conv is not None and screen.conv.model == "mock/seed-1-6"
        # a new chat from elsewhere starts with the default
        await pilot.press("escape")  # (esc right after an answer is ignored: a second one)
        screen.answers.ended_at -= 5
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ProvidersScreen), what="list")
        second = await open_chat(pilot)
        assert second.model_ref == "mock/gpt-4o-mini"
        # ctrl+d in the picker: choose and make it the default, asked for explicitly
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelPicker), what="picker")
        await type_text(pilot, "seed")
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: app.screen is second, what="the chat")
        assert second.model_ref == "mock/seed-1-6"
        assert 'default_model = "mock/seed-1-6"' in config_file.read_text()


# ---------------------------------------------------------------------- rate limit
async def test_rate_limit_wait_is_shown_with_a_countdown(config_file, llmock, monkeypatch):
    llmock.rate_limit(times=1, retry_after=2)
    llmock.reply("After the wait.")
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        entry = await ask(pilot, "Hi", wait=False)
        await wait_for(pilot, lambda: "rate limited by the server, retrying in 2 s (esc stops)"
                       in log_text(screen), what="the wait shown")
        await wait_for(pilot, lambda: "retrying in 1 s" in log_text(screen),
                       what="the countdown")
        await wait_answer(pilot)
        assert entry.message.status == h.DONE and entry.content == "After the wait."
        assert "retrying" not in log_text(screen)


async def test_esc_stops_a_rate_limit_wait(config_file, llmock, monkeypatch):
    llmock.rate_limit(times=1, retry_after=20)
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        entry = await ask(pilot, "Hi", wait=False)
        await wait_for(pilot, lambda: "retrying in 20 s" in log_text(screen), what="the wait")
        await pilot.press("escape")
        await wait_answer(pilot, timeout=5)
        assert entry.message.status == h.STOPPED
        await wait_for(pilot, lambda: "retrying" not in log_text(screen), what="no wait note")
        assert "■ stopped" in log_text(screen)
        assert len(llmock.requests) == 1  # the retry was never sent
        assert last_answer(screen) is entry


# ---------------------------------------------------------------------- toasts and dialogs
async def test_toasts_leave_a_dialogs_fields_visible(config_file, llmock, monkeypatch):
    from textual.containers import Vertical
    from textual.widgets._toast import Toast

    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_chat(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsDialog), what="settings")
        dialog = app.screen
        for i in range(3):  # news from elsewhere while the dialog is open
            app.notify(f"Something happened elsewhere, number {i}, worth a second line "
                       "of text.", title="Note")
        await wait_for(pilot, lambda: len(dialog.query(Toast)) == 3, what="three toasts")
        await settle(pilot)
        box = dialog.query_one(Vertical).region
        shown = [t.region for t in dialog.query(Toast) if t.region.height]
        assert shown, "the newest toast is shown"
        assert all(not r.overlaps(box) for r in shown), (box, shown)
        # an invalid temperature is said inside the dialog, under the field
        await pilot.press("tab", "tab", "9", "enter")
        hint = dialog.query_one("#settings-hint")
        assert "Temperature: a number from 0 to 2" in str(hint.render())
        assert app.screen is dialog


async def test_picker_no_match_is_said_inside_and_arrows_choose(config_file, llmock,
                                                               monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o-mini", "gpt-4o"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelPicker), what="picker")
        picker = app.screen
        await pilot.press("z", "z", "enter")
        problem = picker.query_one("#picker-problem")
        assert problem.display and "No model matches" in str(problem.render())
        await pilot.press("backspace", "backspace", *typed("4o"))
        assert not problem.display
        await pilot.press("down", "enter")  # the second match, as highlighted
        await wait_for(pilot, lambda: app.screen is screen, what="the chat")
        assert screen.model_ref == picker.shown[1]


async def test_toasts_sit_above_the_key_bar(config_file, llmock, monkeypatch):
    from textual.widgets._toast import Toast

    from cherry_tui.ui.widgets.keybar import KeyBar

    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ProvidersScreen), what="list")
        bar = app.screen.query_one(KeyBar)
        assert bar.region.height == 2  # at 80 columns the keys take two lines
        app.notify("Something happened.", title="Note")
        await wait_for(pilot, lambda: app.screen.query(Toast), what="the toast")
        await settle(pilot)
        [toast] = app.screen.query(Toast)
        assert toast.region.bottom <= bar.region.y, (toast.region, bar.region)
