"""The chat input: a multi-line TextArea where enter sends.

* enter sends; ctrl+j, alt+enter, shift+enter (and ctrl+enter where the terminal sends
  it) insert a newline. Over SSH and tmux ctrl+enter usually arrives as plain enter, so
  ctrl+j (a real newline byte, sent by every terminal) is the documented key.
* Pasting many lines inserts them (bracketed paste), nothing is sent.
* up in an empty input asks to edit the last message.
* tab in an ``@path`` mention completes the path (:mod:`cherry_tui.core.mentions`); the
  candidates show in a one-line hint above the input. Elsewhere tab moves the focus, as
  everywhere. The input takes tab itself (the chat screen's ``wants_tab``), so a burst
  such as ``@no<tab>`` is read in order: the letters are in before tab looks at them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static, TextArea

from ...core import mentions
from ...core.text import inert_line
from ..access import cherry_app

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
        Binding("tab", "complete", "Complete @path", id="chat.complete", show=False),
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
        self._hint_text: str | None = None  # the text a completion hint was shown for
        self._tabbed_away = False  # tab moved the focus on (keys read behind it follow it)
        # the models an @mention completes to (``provider/model``); the chat sets it
        self.model_refs: Callable[[], Sequence[str]] = lambda: ()

    async def _on_key(self, event: events.Key) -> None:
        if self._tabbed_away and self.screen.focused is not self:
            # Typed after a tab that moved the focus on, before it moved: for the widget
            # that has the focus now (``tab [`` in one read: [ is the log's key).
            event.stop()
            event.prevent_default()
            cherry_app(self).keys.hand_back(event, self)
            return
        if not event.is_printable and self.completes_with(event.key):
            # Run now, not when the key has bubbled up to the app: a burst such as
            # "@no<tab>x" or "<tab>[" is then read in the order typed.
            event.stop()
            event.prevent_default()
            self.action_complete()
            return
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

    # ------------------------------------------------------------------ @path completion
    def completes_with(self, key: str) -> bool:
        """Is ``key`` this input's completion key (tab, unless a [keymap] moved it)?
        (Textual applies the keymap to copies of ``_bindings`` as it resolves a key.)"""
        bindings = self._bindings.copy()
        if self.app._keymap:
            bindings.apply_keymap(self.app._keymap)
        return any(b.action == "complete" for b in bindings.key_to_bindings.get(key, ()))

    def action_complete(self) -> None:
        """tab: complete the ``@path`` at the cursor; elsewhere move the focus on."""
        row, col = self.cursor_location
        line = self.document.get_line(row)
        found = mentions.complete(line[:col], self.model_refs())
        if found is None:
            self._tabbed_away = True
            self.app.action_focus_next()
            return
        text = found.text
        if found.done and not line[col:col + 1].isspace():
            text += " "
        if text != line[found.start:col]:
            result = self.replace(text, (row, found.start), (row, col))
            self.move_cursor(result.end_location)
        typed = mentions.partial(line[:col])
        if not found.names:
            self.show_hint(f"no file or folder matches {typed[1] if typed else ''!r}: "
                           "check the path (relative to the folder the app started in)")
        elif len(found.names) == 1 and not mentions.plain(found.names[0]):
            self.show_hint(f"{found.names[0]}: its name has control characters: rename it "
                           "to attach it")
        elif len(found.names) > 1:
            self.show_hint("  ".join(inert_line(n) for n in found.names[:60]))
        else:
            self.show_hint("")

    def _on_focus(self, event: events.Focus) -> None:  # (Textual runs Widget's too)
        self._tabbed_away = False

    async def _on_paste(self, event: events.Paste) -> None:  # (then TextArea's, unless)
        if self._tabbed_away and self.screen.focused is not self:  # as keys (see _on_key)
            event.stop()
            event.prevent_default()
            cherry_app(self).keys.hand_back(event, self)

    def show_hint(self, text: str) -> None:
        """One line above the input (the candidates of a completion); "" hides it. It
        goes when the text changes."""
        try:
            hint = self.screen.query_one("#mention-hint", Static)
        except NoMatches:
            parent = self.parent
            if not text or not isinstance(parent, Widget):
                return
            hint = Static(id="mention-hint", markup=False)
            hint.styles.height = 1
            hint.styles.padding = (0, 1)
            parent.mount(hint, before=self)
        self._hint_text = self.text if text else None
        hint.update(Text(inert_line(text), no_wrap=True, overflow="ellipsis",
                         style="dim"))
        hint.display = bool(text)

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        if self._hint_text not in (None, self.text):
            self.show_hint("")

    def insert_mention(self, path: str | None) -> None:
        """Put ``@path`` (quoted when needed) at the cursor, a word of its own (the file
        picker's choice); None: nothing chosen."""
        if path:
            row, col = self.cursor_location
            line = self.document.get_line(row)
            text = mentions.quote(path)
            if col > 0 and not line[col - 1].isspace():
                text = " " + text
            if not line[col:col + 1].isspace():
                text += " "
            result = self.replace(text, self.selection.start, self.selection.end)
            self.move_cursor(result.end_location)
        self.focus()
