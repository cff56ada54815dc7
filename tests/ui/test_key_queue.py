"""Keys typed ahead of a screen change keep their order (cherry_tui.ui.key_queue), even
when the closing screen's widgets read their last keys late, as on a loaded machine."""

from __future__ import annotations

import asyncio

from textual import events

from cherry_tui.ui.screens.chat_dialogs import ModelPicker, PickerFilter

from _chat_helpers import mock_app, open_chat, wait_answer, wait_for


def burst(app, *keys: str) -> None:
    """Keys as one read from a laggy link delivers them: all queued at once."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_keys_read_while_the_picker_closes_stay_in_order(config_file, llmock,
                                                               monkeypatch):
    """``ctrl+l seed enter he`` in one read, ``llo enter`` in the next one, which comes in
    while the picker closes and its filter is still slow to hand back ``he``."""
    app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o-mini", "seed-1-6"))
    real_read = PickerFilter.read_key

    async def slow_read(self: PickerFilter, event: events.Key) -> bool:
        if not self._screen_is_current():
            await asyncio.sleep(0.05)  # a loaded machine: this filter gets little CPU
        return await real_read(self, event)

    real_dismiss = ModelPicker.dismiss

    def dismiss(self: ModelPicker, result=None):
        closing = real_dismiss(self, result)
        burst(app, "l", "l", "o", "enter")  # the next read from the terminal
        return closing

    monkeypatch.setattr(PickerFilter, "read_key", slow_read)
    monkeypatch.setattr(ModelPicker, "dismiss", dismiss)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        llmock.reply("Hello from seed.")
        burst(app, "ctrl+l", "s", "e", "e", "d", "enter", "h", "e")
        await wait_for(pilot, lambda: screen.streaming is None and screen.messages,
                       what="the message sent")
        await wait_answer(pilot)
        assert app.screen is screen and screen.model_ref == "mock/seed-1-6"
        assert [m.content for m in screen.messages if m.role == "user"] == ["hello"]
        assert screen.chat_input.text == ""


async def test_a_handed_back_key_goes_before_keys_held_after_it(config_file, llmock,
                                                                monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        queue = app.keys
        # a widget hands back "a" while "b" (read after it) is held: "a" comes first
        queue.hand_back(events.Key("a", "a"), screen.chat_input)
        assert queue.hold(events.Key("b", "b"))
        await wait_for(pilot, lambda: screen.chat_input.text == "ab", what="a then b")
        assert not queue.hold(events.Key("c", "c"))  # nothing waits: not held
