"""Help (``?`` or F1): every key on every screen, as the user's ``[keymap]`` set them."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .common import help_rows


def _sections(app) -> list[tuple[str, list, str]]:
    from .editor import EditorScreen
    from .models import ModelsScreen
    from .models_fetch import FetchModelsScreen
    from .assistant_form import AssistantForm
    from .assistants import AssistantFilter, AssistantList, AssistantPicker
    from .chat import chat_help_sections
    from .providers import FILTER_HELP, ProvidersScreen

    return [
        ("Everywhere", [*type(app).BINDINGS,
                        Binding(app.COMMAND_PALETTE_BINDING, "command_palette",
                                "Command palette: every action by name")],
         "ctrl+q quits from any screen (q on the provider list); it asks first only when "
         "an unsaved field or an answer still arriving would be lost. The focused field is "
         "marked by a bar at its left and its label in reverse video."),
        ("Provider list", ProvidersScreen.BINDINGS, FILTER_HELP),
        ("Provider editor", EditorScreen.BINDINGS,
         "tab / shift+tab or ↑↓ move between fields; ←→ or space change a choice. "
         "Text fields save on enter; type and on/off save when changed; esc leaves and "
         "discards what was not saved. While a check runs, esc cancels it."),
        ("Models", ModelsScreen.BINDINGS,
         "Typing goes to \"Add id\" (enter adds; ctrl+f fetches from there); ↓ reaches the "
         "list, where the letter keys act; d removes and keeps the cursor on the next id. Ids "
         "are saved exactly as typed; quotes or spaces in a pasted id get a warning with "
         "the cleaned id offered."),
        ("Fetched model list", FetchModelsScreen.BINDINGS,
         "Type to filter (fuzzy); space marks [x]; enter adds the marked ones."),
        *chat_help_sections(),
        ("Assistants (F2)", [*AssistantFilter.BINDINGS, *AssistantList.BINDINGS,
                             *AssistantPicker.BINDINGS, *AssistantForm.BINDINGS],
         "Type to filter; enter starts a new chat with the assistant. ↓ reaches the list, "
         "where e, c, d and n act; d hides a built-in (e and ctrl+s show it again). The "
         "form saves to config.toml at once, comments kept."),
    ]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > Vertical {
        width: 90;
        max-width: 100%;
        height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; }
    HelpScreen #help-body { height: 1fr; }
    HelpScreen .hint { color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help.close"),
        Binding("down,j", "scroll(1)", "Scroll down", show=False, id="help.down"),
        Binding("up,k", "scroll(-1)", "Scroll up", show=False, id="help.up"),
        Binding("pagedown,space", "scroll(10)", "Page down", show=False, id="help.page_down"),
        Binding("pageup", "scroll(-10)", "Page up", show=False, id="help.page_up"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Keys", id="help-title")
            with VerticalScroll(id="help-body"):
                for title, bindings, note in _sections(self.app):
                    table = Table.grid(padding=(0, 2))
                    table.add_column(style="bold", no_wrap=True, min_width=14)
                    table.add_column(overflow="fold")
                    table.add_column(style="dim", no_wrap=True, overflow="ellipsis")
                    for keys, description, binding_id in help_rows(self.app, bindings):
                        table.add_row(Text(keys), Text(description), Text(binding_id))
                    yield Static(Text(title, style="bold underline"), classes="help-section")
                    yield Static(table)
                    if note:
                        yield Static(Text(note, overflow="fold"), classes="hint")
                yield Static(Text(
                    "Change a key in config.toml, by the id in the last column:\n"
                    "[keymap]\n\"providers.add\" = \"n\"\n\"editor.check\" = \"ctrl+g,f5\"",
                    overflow="fold"), classes="hint")
            yield Static(Text("esc / ? closes · ↑↓ scroll"), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, lines: int) -> None:
        self.query_one("#help-body", VerticalScroll).scroll_relative(y=lines, animate=False)
