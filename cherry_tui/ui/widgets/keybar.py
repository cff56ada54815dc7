"""The key bar at the bottom of each screen: every shown binding, wrapped, never cut.

Textual's Footer scrolls sideways and cuts keys off at 80 columns; this bar wraps
onto a second line instead, keeping each "key action" pair whole. It follows the
user's ``[keymap]`` (it reads ``screen.active_bindings``). Toasts are lifted above it.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        width: 100%;
        background: $footer-background;
        color: $footer-foreground;
        padding: 0 1;
    }
    KeyBar > .keybar--key {
        color: $footer-key-foreground;
        text-style: bold;
    }
    KeyBar > .keybar--description {
        color: $footer-description-foreground;
    }
    """

    COMPONENT_CLASSES = {"keybar--key", "keybar--description"}

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen) -> None:
        if self.is_attached and screen is self.screen:
            self.refresh(layout=True)

    def on_resize(self) -> None:
        self.refresh(layout=True)
        # Toasts sit above the bar (Textual leaves room for a one-line footer only), so
        # a notification never hides the keys.
        for rack in self.screen.query("ToastRack"):
            rack.styles.margin = (0, 0, self.outer_size.height, 0)

    def items(self) -> list[tuple[str, str]]:
        app = self.app
        seen: set[str] = set()
        items: list[tuple[str, str]] = []
        palette = None
        for key, (_node, binding, enabled, _tip) in self.screen.active_bindings.items():
            if key == app.COMMAND_PALETTE_BINDING:
                palette = (app.get_key_display(binding), "palette")
                continue
            if not binding.show or not enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            items.append((app.get_key_display(binding), binding.description))
        if palette and app.ENABLE_COMMAND_PALETTE:
            items.append(palette)
        return items

    def _lines(self, width: int) -> list[Text]:
        key_style = self.get_component_rich_style("keybar--key")
        desc_style = self.get_component_rich_style("keybar--description")
        lines: list[Text] = []
        line = Text(no_wrap=True, overflow="ellipsis")
        for key, description in self.items():
            item = Text.assemble((key, key_style), " ", (description, desc_style))
            sep = 2 if line.cell_len else 0
            if line.cell_len and line.cell_len + sep + item.cell_len > width:
                lines.append(line)
                line = Text(no_wrap=True, overflow="ellipsis")
                sep = 0
            if sep:
                line.append("  ")
            line.append_text(item)
        if line.cell_len:
            lines.append(line)
        return lines or [Text("")]

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self._lines(max(width, 10)))

    def render(self) -> Text:
        return Text("\n").join(self._lines(max(self.content_size.width, 10)))
