"""The line above the chat input: what the next request will send.

``context: 6 messages · ~1.2k tokens / 128k`` (the window when it is known), or a
warning line (``-over``) when the request would not fit. The chat screen decides the
text (cherry_tui.ui.screens.chat_context); this widget only shows it, as plain text.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class ContextBar(Static):
    DEFAULT_CSS = """
    ContextBar {
        height: auto; max-height: 2; width: 100%; padding: 0 1;
        color: $text-muted;
    }
    ContextBar.-over { color: $text-warning; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None):
        super().__init__("", id=id, markup=False)
        self.text = ""  # what it shows (for tests and the screen)

    def show(self, text: str, over: bool = False) -> None:
        """Show ``text`` (names in it are gated by the caller), as a warning when
        ``over``; nothing is redrawn when nothing changed."""
        if text == self.text and over == self.has_class("-over"):
            return
        self.text = text
        self.set_class(over, "-over")
        self.update(Text(text))
