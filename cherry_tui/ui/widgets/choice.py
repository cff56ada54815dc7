"""A choice between a few values: ``● openai  ○ anthropic``.

Keyboard: left / right (or space, which goes round) change the value and post
:class:`Choice.Changed`. The chosen value carries a marker, so it reads the same
without colour (NO_COLOR, 16-colour terminals). One line when it fits; in a narrow
terminal the options wrap onto more lines (each option whole), never cut off.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Choice(Widget, can_focus=True):
    DEFAULT_CSS = """
    Choice {
        height: auto;
        width: 1fr;
    }
    """

    BINDINGS = [
        Binding("right,space", "move(1)", "Next choice", show=False, id="choice.next"),
        Binding("left", "move(-1)", "Previous choice", show=False, id="choice.previous"),
    ]

    value: reactive[str] = reactive("", init=False)

    @dataclass
    class Changed(Message):
        choice: Choice
        value: str

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(self, options: list[tuple[str, str]], value: str | None = None, *,
                 id: str | None = None, classes: str | None = None,
                 disabled_values: set[str] | None = None) -> None:
        """``options``: (value, label) pairs."""
        super().__init__(id=id, classes=classes)
        self.options = list(options)
        self.disabled_values = set(disabled_values or ())
        self.set_reactive(Choice.value, value if value is not None else options[0][0])

    def _lines(self, width: int) -> list[Text]:
        """The options packed into lines of ``width`` cells, each option whole."""
        lines: list[Text] = []
        line = Text(no_wrap=True, overflow="ellipsis")
        for value, label in self.options:
            chosen = value == self.value
            style = ""
            if chosen:
                style = "bold reverse" if self.has_focus else "bold"
            elif value in self.disabled_values:
                style = "dim"
            item = Text(f"{'●' if chosen else '○'} {label}", style=style)
            if line.cell_len and line.cell_len + 2 + item.cell_len > width:
                lines.append(line)
                line = Text(no_wrap=True, overflow="ellipsis")
            elif line.cell_len:
                line.append("  ")
            line.append_text(item)
        lines.append(line)
        return lines

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self._lines(max(width, 1)))

    def render(self) -> Text:
        return Text("\n").join(self._lines(max(self.content_size.width, 1)))

    def on_resize(self) -> None:
        self.refresh(layout=True)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def watch_value(self, value: str) -> None:
        self.refresh()
        self.post_message(self.Changed(self, value))

    def action_move(self, step: int) -> None:
        values = [v for v, _ in self.options]
        index = values.index(self.value) if self.value in values else 0
        self.value = values[(index + step) % len(values)]

    def set_value(self, value: str, notify: bool = False) -> None:
        if notify:
            self.value = value
        else:
            self.set_reactive(Choice.value, value)
            self.refresh()
