"""The chat's top bar: the model(s), the title, the assistant and settings, and what the
chat is doing (answering, editing). It draws itself from reactives that the chat screen
binds to its own state (``data_bind``): the screen changes its state, the bar follows."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ...core.text import inert_line


class ChatBar(Widget):
    DEFAULT_CSS = """
    ChatBar {
        height: 1; width: 100%; background: $panel; color: $text; padding: 0 1;
    }
    """

    model_ref: reactive[str | None] = reactive(None)
    compare: reactive[tuple[str, ...]] = reactive(())  # other models answering too
    title: reactive[str] = reactive("")
    details: reactive[str] = reactive("")  # assistant, temperature, system prompt
    state: reactive[str] = reactive("")  # "answering… esc stops", "editing…"

    def models_text(self) -> str:
        if not self.model_ref:
            return "no model: ctrl+l"
        if not self.compare:
            return inert_line(self.model_ref)
        # several answer: the model ids are what tells them apart
        return " + ".join(inert_line(ref.split("/", 1)[-1])
                          for ref in (self.model_ref, *self.compare))

    def render(self) -> Text:
        left = Text.assemble((self.models_text(), "bold"), "  ·  ", inert_line(self.title))
        if self.details:
            left.append("  ·  " + self.details, style="dim")
        width = max(10, self.content_size.width or 78)
        state = self.state
        if state:
            room = width - len(state) - 2
            if left.cell_len > room:
                left.truncate(max(5, room), overflow="ellipsis")
            left.append(" " * max(2, width - left.cell_len - len(state)))
            left.append(state, style="bold")
        else:
            left.truncate(width, overflow="ellipsis")
        left.no_wrap = True
        return left
