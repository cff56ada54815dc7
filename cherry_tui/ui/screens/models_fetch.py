"""The server's model list (f on the models screen): type to filter, ctrl+k shows one
kind at a time, space marks, enter adds the marked ones."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...core import addresses
from ...core.model_kinds import KINDS
from ...core.text import count as n_of
from ...core.text import inert, inert_line
from ..access import cherry_app
from .common import load_key_info


class FilterInput(Input):
    """The fetched list's filter: space is not typed (model ids have none); it marks."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return False if key == "space" else super().check_consume_key(key, character)

    async def _on_key(self, event) -> None:
        if event.key == "space":
            event.prevent_default()  # Input's own handler would type it; it bubbles on
            # to FetchModelsScreen's "space" binding; other keys: Input's handler


class FetchModelsScreen(ModalScreen[list[str] | None]):
    """The server's model list: type to filter, space marks, enter adds the marked ones."""

    DEFAULT_CSS = """
    FetchModelsScreen {
        align: center middle;
    }
    FetchModelsScreen > Vertical {
        width: 90;
        max-width: 100%;
        height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    FetchModelsScreen .title { text-style: bold; }
    FetchModelsScreen .hint { color: $text-muted; }
    FetchModelsScreen OptionList { height: 1fr; border: none; padding: 0; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="fetch.cancel"),
        Binding("space", "mark", "Mark", id="fetch.mark"),
        Binding("enter", "add", "Add marked", id="fetch.add", priority=True),
        Binding("ctrl+k", "cycle_kind", "Kind", id="fetch.kind", priority=True),
        Binding("down", "move(1)", "Down", show=False, id="fetch.down"),
        Binding("up", "move(-1)", "Up", show=False, id="fetch.up"),
        Binding("pagedown", "move(10)", "Page down", show=False, id="fetch.page_down"),
        Binding("pageup", "move(-10)", "Page up", show=False, id="fetch.page_up"),
    ]

    def __init__(self, pid: str) -> None:
        super().__init__()
        self.pid = pid
        self.all_ids: list[str] = []
        self.shown: list[str] = []
        self.marked: set[str] = set()
        self.kinds: dict[str, str] = {}
        self.kind_filter: str | None = None  # None: every kind
        self._cursor = 0

    def compose(self) -> ComposeResult:
        p = cherry_app(self).config.provider(self.pid)
        with Vertical():
            yield Static(Text(f"Models on the server · {inert_line(p.name)}", no_wrap=True,
                              overflow="ellipsis"), classes="title")
            yield Static(Text("…"), id="fetch-status")
            yield FilterInput(placeholder="type to filter", compact=True, id="fetch-filter")
            yield OptionList(id="fetch-list")
            yield Static(Text("type filters · ctrl+k kind · ↑↓ move · space marks · enter adds "
                              "the marked (or the highlighted) · esc cancels", overflow="fold"),
                         classes="hint")

    def on_mount(self) -> None:
        self.query_one("#fetch-list", OptionList).can_focus = False  # keys go via the filter
        self.query_one("#fetch-filter", Input).focus()
        self.fetch()

    @work(exclusive=True, group="fetch")
    async def fetch(self) -> None:
        p = cherry_app(self).config.provider(self.pid)
        status = self.query_one("#fetch-status", Static)
        try:
            url = p.resolved().models
        except addresses.AddressError as exc:
            status.update(Text(f"✗ {inert(str(exc))}", overflow="fold"))
            return
        if not url:
            status.update(Text("✗ this exact address has no model-list URL: add ids by hand",
                               overflow="fold"))
            return
        status.update(Text(f"GET {url} …", overflow="fold"))
        info = await load_key_info(p, cherry_app(self).config.path)
        if p.needs_key and not info.present:
            status.update(Text(f"✗ no API key for {inert_line(p.name)} yet "
                               f"({inert_line(info.status)}): esc, then set it in the provider "
                               "editor", overflow="fold"))
            return
        try:
            ids = await cherry_app(self).client.list_models(p, list(info.keys))
        except Exception as exc:  # noqa: BLE001 - ProviderError and the unexpected: shown
            status.update(Text(f"✗ {inert(str(exc))}", overflow="fold"))
            return
        self.all_ids = sorted(set(ids))
        self.kinds = {m: p.kind_of(m) for m in self.all_ids}
        have = set(p.models)
        status.update(Text(f"{n_of(len(self.all_ids), 'model')} from GET {inert_line(url)}"
                           f"{f' ({len(have & set(self.all_ids))} already added)' if have else ''}",
                           overflow="fold"))
        self._fill()

    def _fill(self) -> None:
        query = self.query_one("#fetch-filter", Input).value.strip()
        ids = self.all_ids
        if self.kind_filter:
            ids = [m for m in ids if self.kinds.get(m) == self.kind_filter]
        if query:
            matcher = Matcher(query)
            scored = [(matcher.match(m), m) for m in ids]
            ids = [m for s, m in sorted(scored, key=lambda t: -t[0]) if s > 0]
        self.shown = ids
        self._cursor = 0
        self._render_options()

    def _prompt(self, model: str, current: bool, have: set[str]) -> Text:
        """``› [x] id``: the cursor and the mark read the same without colour."""
        text = Text("› " if current else "  ", no_wrap=True, overflow="ellipsis")
        if model in have:
            text.append("[✓] ", style="dim")
            text.append(inert_line(model), style="dim")
            text.append("  (added)", style="dim italic")
        else:
            marked = model in self.marked
            text.append("[x] " if marked else "[ ] ", style="bold" if marked else "")
            text.append(inert_line(model), style="bold" if marked else "")
        text.append(f"  {self.kinds.get(model, '')}", style="dim")
        return text

    def _render_options(self) -> None:
        have = set(cherry_app(self).config.provider(self.pid).models)
        option_list = self.query_one("#fetch-list", OptionList)
        option_list.clear_options()
        option_list.add_options([Option(self._prompt(m, i == self._cursor, have), id=m)
                                 for i, m in enumerate(self.shown)])
        if self.shown:
            option_list.highlighted = self._cursor

    @on(Input.Changed, "#fetch-filter")
    def _filter(self) -> None:
        self._fill()

    def action_cycle_kind(self) -> None:
        """Show every kind, then only chat, reasoning, vision ... models, then all again."""
        order: list[str | None] = [None, *KINDS]
        self.kind_filter = order[(order.index(self.kind_filter) + 1) % len(order)]
        filt = self.query_one("#fetch-filter", Input)
        filt.placeholder = ("type to filter" if self.kind_filter is None else
                            f"type to filter · {self.kind_filter} models only (ctrl+k)")
        self._fill()

    def _highlighted(self) -> str | None:
        if not self.shown:
            return None
        model = self.shown[self._cursor]
        have = set(cherry_app(self).config.provider(self.pid).models)
        return None if model in have else model

    def action_move(self, step: int) -> None:
        if not self.shown:
            return
        self._cursor = max(0, min(len(self.shown) - 1, self._cursor + step))
        self._render_options()

    def action_mark(self) -> None:
        model = self._highlighted()
        if model is None:
            return
        if model in self.marked:
            self.marked.discard(model)
        else:
            self.marked.add(model)
        self._render_options()

    def action_add(self) -> None:
        ids = [m for m in self.all_ids if m in self.marked]
        if not ids:
            model = self._highlighted()
            ids = [model] if model else []
        if not ids:
            self.notify("Nothing marked: space marks a model.", severity="warning")
            return
        self.dismiss(ids)

    def action_cancel(self) -> None:
        self.dismiss(None)
