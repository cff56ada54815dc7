"""Chat history (ctrl+o in a chat): conversations newest first; search, open, rename,
delete (asks first), export.

Type to search the text of every message (FTS5, substring); ↑↓ move; enter opens.
With the list focused (↓ from the search box): r renames, d deletes, x exports.
Dismisses with the id of the conversation to open, NEW for a new one (ctrl+n), or None.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from ...core.history import Conversation, History
from ...core.text import inert_line
from ..access import cherry_app
from .export import export_conversation


def _when(ts: float) -> str:
    now = time.time()
    if now - ts < 20 * 3600:
        return time.strftime("%H:%M", time.localtime(ts))
    if now - ts < 300 * 86400:
        return time.strftime("%d %b", time.localtime(ts))
    return time.strftime("%Y-%m-%d", time.localtime(ts))


NEW = "new"


class HistoryScreen(Screen[int | str | None]):
    DEFAULT_CSS = """
    HistoryScreen #history-bar { height: 1; background: $panel; padding: 0 1; }
    HistoryScreen Input { margin: 0 0; }
    HistoryScreen OptionList { height: 1fr; }
    HistoryScreen #history-empty { color: $text-muted; padding: 1 2; }
    """
    BINDINGS = [
        Binding("escape,ctrl+o", "close", "Back", id="history.close"),
        Binding("ctrl+n", "new", "New chat", id="history.new"),
        Binding("down", "to_list", "List", show=False, id="history.to_list"),
        Binding("r,f2", "rename", "Rename", id="history.rename"),
        Binding("d,delete", "delete", "Delete", id="history.delete"),
        Binding("x", "export", "Export", id="history.export"),
        Binding("slash", "search", "Search", id="history.search"),
    ]

    def __init__(self, history: History, current: int | None = None):
        super().__init__()
        self.history = history
        self.current = current
        self.shown: list[Conversation] = []
        self._query = ""
        self.deleted: set[int] = set()  # for the chat: its conversation may be gone
        self.renamed: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text("History · type to search · ↓ to the list · enter opens"),
                      id="history-bar")
        yield Input(placeholder="search all conversations…", id="history-search",
                    compact=True)
        yield OptionList(id="history-list")
        yield Footer()

    @property
    def options(self) -> OptionList:
        return self.query_one(OptionList)

    def on_mount(self) -> None:
        self._fill()
        self.query_one(Input).focus()

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("rename", "delete", "export", "search", "to_list"):
            in_list = self.focused is self.options
            if action == "to_list":
                return not in_list
            if action == "search":
                return in_list
            return in_list and bool(self.shown)
        return True

    def _fill(self, keep: int | None = None) -> None:
        if not self.is_attached:
            return  # a write finished after the screen closed
        db = self.history
        shown = db.search(self._query) if self._query.strip() else db.list(500)
        self.shown = [c for c in shown if c.id not in self.deleted]
        options = self.options
        options.clear_options()
        # the room inside the list: its border, padding and scrollbar taken off
        width = max(30, (options.scrollable_content_region.width or self.size.width - 4) - 1)
        for conv in self.shown:
            line = Text(no_wrap=True, overflow="ellipsis")
            when = _when(conv.updated)
            model = inert_line(conv.model.split("/", 1)[-1]) if conv.model else ""
            right = f"  {model}  {when}"
            title = inert_line(conv.display_title)
            room = max(10, width - len(right))
            line.append(title[:room], style="bold" if conv.id == self.current else "")
            line.append(" " * max(1, room - len(title[:room])))
            line.append(right, style="dim")
            if conv.snippet:
                line.append("\n  " + inert_line(conv.snippet)[: width - 2], style="italic dim")
            options.add_option(Option(line, id=str(conv.id)))
        if self.shown:
            ids = [c.id for c in self.shown]
            target = keep if keep in ids else (self.current if self.current in ids else None)
            options.highlighted = ids.index(target) if target is not None else 0
        else:
            options.add_option(Option(Text("no conversation matches" if self._query else
                                           "no conversations yet", style="dim"),
                                      disabled=True))

    @on(Input.Changed)
    def _search(self, event: Input.Changed) -> None:
        self._query = event.value
        self._fill()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._open_highlighted()

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self._open_highlighted()

    def _highlighted(self) -> Conversation | None:
        i = self.options.highlighted
        if i is None or not self.shown or i >= len(self.shown):
            return None
        return self.shown[i]

    def _open_highlighted(self) -> None:
        conv = self._highlighted()
        if conv is not None:
            self.dismiss(conv.id)

    def action_to_list(self) -> None:
        if self.shown:
            self.options.focus()

    def action_search(self) -> None:
        self.query_one(Input).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_new(self) -> None:
        self.dismiss(NEW)

    def action_rename(self) -> None:
        from .dialogs import PromptDialog

        conv = self._highlighted()
        if conv is None:
            return

        def done(title: str | None) -> None:
            if title:
                self.renamed[conv.id] = title.strip()
                cherry_app(self).write_then(lambda db: db.rename(conv.id, title),
                           lambda: self._fill(keep=conv.id))

        self.app.push_screen(PromptDialog("Rename conversation", "Title",
                                          inert_line(conv.title)), done)

    def action_delete(self) -> None:
        from .dialogs import ConfirmDialog

        conv = self._highlighted()
        if conv is None:
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.deleted.add(conv.id)
                self.notify(f"Deleted {conv.display_title!r}.", markup=False)
                cherry_app(self).write_then(lambda db: db.delete(conv.id), self._fill)

        self.app.push_screen(ConfirmDialog("Delete this conversation?",
                                           f"{conv.display_title!r} is removed for good.",
                                           yes="Delete"), done)

    def action_export(self) -> None:
        conv = self._highlighted()
        if conv is not None:
            export_conversation(self, self.history, conv.id)
