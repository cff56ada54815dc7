"""The chat input: a multi-line TextArea where enter sends.

* enter sends; ctrl+j, alt+enter, shift+enter (and ctrl+enter where the terminal sends
  it) insert a newline. Over SSH and tmux ctrl+enter usually arrives as plain enter, so
  ctrl+j (a real newline byte, sent by every terminal) is the documented key.
* Pasting many lines inserts them (bracketed paste), nothing is sent.
* up in an empty input asks to edit the last message.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

NEWLINE_KEYS = ("ctrl+j", "alt+enter", "shift+enter", "ctrl+enter")


class ChatInput(TextArea):
    DEFAULT_CSS = """
    ChatInput {
        height: auto;
        min-height: 3;
        max-height: 10;
    }
    """

    BINDINGS = [
        Binding("enter", "submit", "Send", id="chat.send", show=False),
        Binding(",".join(NEWLINE_KEYS), "newline", "Newline", id="chat.newline",
                key_display="^j"),
    ]

    class Submitted(Message):
        def __init__(self, chat_input: ChatInput, text: str):
            super().__init__()
            self.chat_input = chat_input
            self.text = text

        @property
        def control(self) -> ChatInput:
            return self.chat_input

    class EditLast(Message):
        """up in an empty input: the user wants to edit the last message."""

    def __init__(self, text: str = "", *, id: str | None = None):
        super().__init__(text, id=id, soft_wrap=True, show_line_numbers=False,
                         tab_behavior="focus", highlight_cursor_line=False)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter" or event.key in NEWLINE_KEYS:
            # Not TextArea's own newline: let the event bubble to the bindings (chat.send,
            # chat.newline), so a [keymap] can move them.
            event.prevent_default()
            return
        if event.key == "up" and not self.text:
            event.stop()
            event.prevent_default()
            self.post_message(self.EditLast())
            return
        await super()._on_key(event)

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self, self.text))

    def action_newline(self) -> None:
        start, end = self.selection
        result = self._replace_via_keyboard("\n", start, end)
        if result:
            self.move_cursor(result.end_location)
