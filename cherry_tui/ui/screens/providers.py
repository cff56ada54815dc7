"""The provider list, the screen cherry-tui opens on.

Keys (ids in brackets, overridable in ``[keymap]``):
enter edit, space on/off, a add, c clone, r rename, d delete (a built-in is reset),
m models, / filter, q quit. Typing a letter that is not one of those keys starts the
filter too; in the filter, ↑↓ move, enter edits, escape clears it.

Key status loads in a thread worker, so the list appears at once with "…" in the key
column and fills in as each provider's key source answers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.text import Text
from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import Hit, Hits, Provider as CommandProvider
from textual.markup import escape
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...core import secrets
from ...core.config import Provider
from ..access import cherry_app
from ..widgets.keybar import KeyBar
from ...core.text import inert_line
from ..highlight import inert_highlight
from .common import commit, fit, fit_middle, key_text

FILTER_HELP = ("/ focuses the filter; typing a letter that is not an action key also "
               "starts it. In the filter: ↑↓ move, enter edits, tab or esc go to the "
               "filtered list (where the action keys work); esc in the list clears the filter.")


class ProviderList(OptionList):
    """The list; a printable key that is not bound to an action starts the filter."""

    async def _on_key(self, event) -> None:
        if self.screen is not self.app.screen:
            # A screen opened meanwhile (by the action key just before this one, in the
            # same burst): the key belongs there, once it is ready (see key_queue).
            event.stop()
            event.prevent_default()
            cherry_app(self).keys.hand_back(event, self)
            return
        focused = self.app.focused
        if focused is not None and focused is not self:
            # Queued for the list before focus moved (a burst of keys from a fast typist
            # or a laggy SSH link: "/volc" arrives in one read): it belongs where the user
            # now is, never to the list's action keys (c clones, d deletes); in order with
            # the keys read since (see key_queue).
            event.stop()
            event.prevent_default()
            cherry_app(self).keys.hand_back(event, self)
            return
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.node is self.screen and active.enabled \
                and not active.binding.priority:
            # The screen's action keys run now, not when the key has bubbled up to the
            # app: the keys behind it in a burst must see what it did (an opened dialog).
            event.stop()
            event.prevent_default()
            await self.screen.run_action(active.binding.action)
            return
        screen = self.screen
        if event.is_printable and event.character and event.key not in self.app.active_bindings \
                and isinstance(screen, ProvidersScreen):
            event.stop()
            event.prevent_default()
            screen.start_filter(event.character)


class ProviderCommands(CommandProvider):
    """Command palette: open, switch on/off or clone any provider; add one."""

    async def search(self, query: str) -> Hits:
        screen = self.screen
        if not isinstance(screen, ProvidersScreen):
            return
        matcher = self.matcher(query)
        commands: list[tuple[str, Callable[[], object], str]] = [
            ("Add a custom provider", screen.action_add, "name, type and address"),
            ("Help: keys", cherry_app(self).action_help, "every key on every screen"),
        ]
        for p in screen.config.providers():
            name, pid = inert_line(p.name), inert_line(p.id)
            commands.append((f"Edit: {name}", partial(screen.open_editor, p.id),
                             f"{pid} · {'on' if p.enabled else 'off'} · {inert_line(p.type)}"))
            commands.append((f"Switch {'off' if p.enabled else 'on'}: {name}",
                             partial(screen.toggle, p.id), pid))
            commands.append((f"Clone: {name}", partial(screen.clone, p.id), pid))
        for title, callback, help_text in commands:
            score = matcher.match(title)
            if score > 0:  # highlight() would parse the title as markup: names are not
                yield Hit(score, inert_highlight(matcher, title), callback,
                          help=escape(help_text))  # the palette reads help as markup


class ProvidersScreen(Screen):
    COMMANDS = {ProviderCommands}
    AUTO_FOCUS = "ProviderList"

    BINDINGS = [
        Binding("enter", "edit", "Edit", id="providers.edit", priority=True),
        Binding("space", "toggle_provider", "On/off", id="providers.toggle"),
        Binding("a", "add", "Add", id="providers.add"),
        Binding("c", "clone", "Clone", id="providers.clone"),
        Binding("r", "rename", "Rename", id="providers.rename"),
        Binding("d", "delete", "Delete", id="providers.delete"),
        Binding("m", "models", "Models", id="providers.models", show=False),
        Binding("i", "import_cherry", "Import", id="providers.import", show=False,
                tooltip="Import providers from a Cherry Studio backup"),
        Binding("slash", "filter", "Filter", id="providers.filter"),
        Binding("escape", "clear_filter", "Clear filter", id="providers.clear_filter",
                show=False),
        Binding("q", "app.quit", "Quit", id="providers.quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.key_infos: dict[str, secrets.KeyInfo] = {}
        self.keyring_note: str | None = None
        self._rows: list[Provider] = []
        self._marked: int | None = None  # the row drawn with the "›" marker
        self._built_widths: dict[str, int] | None = None  # the column widths last built at

    @property
    def config(self):
        return cherry_app(self).config

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static("", id="title", classes="title-bar")
        if self.config.error:
            yield Static(Text(f"config.toml did not load, so nothing is saved: {self.config.error}",
                              overflow="fold"), id="readonly", classes="banner")
        yield Input(placeholder="/ filter providers (or just type a name)", compact=True,
                    id="filter", select_on_focus=False)
        yield Static("", id="columns")
        yield ProviderList(id="providers")
        with Vertical(id="detail"):
            yield Static("", id="detail-url")
            yield Static("", id="detail-info")
        yield KeyBar()

    def on_mount(self) -> None:
        # The rows are built once the list has its width (on_resize): built here too they
        # were built twice more at start, at a guessed width, then at the real one.
        # Key status once the list is on the terminal: its thread imports keyring and its
        # backends (about 50 ms of Python), which held the GIL the first frame waited for.
        cherry_app(self).after_first_frame(self.load_key_status)

    def on_screen_resume(self) -> None:
        """Back from the editor: values may have changed."""
        if self.is_mounted and self._built_widths is not None:
            self.refresh_rows()
            self.load_key_status()

    def on_resize(self) -> None:
        if self._widths() != self._built_widths:
            self.refresh_rows()

    # ------------------------------------------------------------------ rows
    def _widths(self) -> dict[str, int]:
        """Column widths for the list's width; a CHAT URL column when there is room."""
        width = max(self.query_one(ProviderList).scrollable_content_region.width, 40) - 1
        key = 12 if width < 70 else (20 if width < 100 else 28)
        fixed = 2 + 3 + 9 + key + 6 + 8  # marker, on, type, key, models and four gaps
        name = max(10, min(width - fixed, 34))
        url = width - fixed - name - 2 if width >= 120 else 0
        return {"name": name, "on": 3, "type": 9, "key": key, "models": 6, "url": url}

    def _row(self, p: Provider, w: dict[str, int], current: bool = False) -> Text:
        info = self.key_infos.get(p.id)
        key = key_text(info)
        style = "" if p.enabled else "dim"
        name = ("! " if p.problems else "") + inert_line(p.name)
        parts = [
            fit_middle(name, w["name"], "bold" if p.enabled else ""),
            fit("on" if p.enabled else "off", w["on"]),
            fit(inert_line(p.type), w["type"]),
            fit(inert_line(key), w["key"]),
            fit(f"{len(p.models):>5}", w["models"]),
        ]
        if w["url"]:
            try:
                url = p.resolved().chat
            except Exception:  # noqa: BLE001 - the problem is shown instead
                url = "address problem"
            parts.append(fit(inert_line(url), w["url"]))
        # The marker keeps the cursor row visible without colour (NO_COLOR, plain text).
        row = Text("› " if current else "  ", style=style, no_wrap=True, overflow="ellipsis")
        for index, part in enumerate(parts):
            if index:
                row.append("  ")
            row.append_text(part)
        return row

    def _header(self, w: dict[str, int]) -> Text:
        cols = [fit("NAME", w["name"]), fit("ON", w["on"]), fit("TYPE", w["type"]),
                fit("KEY", w["key"]), fit("MODELS", w["models"])]
        if w["url"]:
            cols.append(fit("CHAT URL", w["url"]))
        text = Text("  ", style="bold", no_wrap=True, overflow="ellipsis")
        for index, col in enumerate(cols):
            if index:
                text.append("  ")
            text.append_text(col)
        return text

    def filtered(self) -> list[Provider]:
        providers = self.config.providers()
        ordered = sorted(providers, key=lambda p: not p.enabled)  # stable: enabled first
        query = self.query_one("#filter", Input).value.strip()
        if not query:
            return ordered
        matcher = Matcher(query)
        scored = []
        for p in ordered:
            score = max(matcher.match(p.name), matcher.match(p.id) * 0.9)
            if score > 0:
                scored.append((score, p))
        scored.sort(key=lambda t: -t[0])
        return [p for _, p in scored]

    def refresh_rows(self, keep: str | None = None) -> None:
        option_list = self.query_one(ProviderList)
        current = keep or self.current_id()
        w = self._built_widths = self._widths()
        self._rows = self.filtered()
        option_list.clear_options()
        ids = [p.id for p in self._rows]
        index = (ids.index(current) if current in ids else 0) if ids else None
        self._marked = index
        option_list.add_options([Option(self._row(p, w, i == index), id=p.id)
                                 for i, p in enumerate(self._rows)])
        self.query_one("#columns", Static).update(self._header(w))
        if index is not None:
            option_list.highlighted = index
        total = len(self.config.providers())
        on = sum(1 for p in self.config.providers() if p.enabled)
        shown = f"{len(ids)} of {total}" if len(ids) != total else f"{total}"
        self.query_one("#title", Static).update(
            Text.assemble(("cherry-tui", "bold"), " · Providers  ",
                          (f"{shown} providers, {on} on", "")))
        self._show_detail()

    def update_row(self, pid: str) -> None:
        option_list = self.query_one(ProviderList)
        try:
            index = [p.id for p in self._rows].index(pid)
        except ValueError:
            return
        p = self.config.provider(pid)
        self._rows[index] = p
        option_list.replace_option_prompt_at_index(
            index, self._row(p, self._widths(), index == option_list.highlighted))
        if pid == self.current_id():
            self._show_detail()

    def current_id(self) -> str | None:
        option_list = self.query_one(ProviderList)
        if option_list.highlighted is None or not self._rows:
            return None
        index = option_list.highlighted
        return self._rows[index].id if 0 <= index < len(self._rows) else None

    def current(self) -> Provider | None:
        pid = self.current_id()
        return self.config.provider(pid) if pid else None

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        option_list = self.query_one(ProviderList)
        new, old = option_list.highlighted, self._marked
        if new != old:
            w = self._widths()
            for index in (old, new):
                if index is not None and 0 <= index < len(self._rows):
                    option_list.replace_option_prompt_at_index(
                        index, self._row(self._rows[index], w, index == new))
            self._marked = new
        self._show_detail()

    def _show_detail(self) -> None:
        p = self.current()
        url_line = self.query_one("#detail-url", Static)
        info_line = self.query_one("#detail-info", Static)
        if p is None:
            url_line.update(Text("No provider matches the filter (esc twice clears it)."))
            info_line.update("")
            return
        if p.problems:
            url_line.update(Text(f"! {inert_line(p.problems[0])}", overflow="ellipsis",
                                 no_wrap=True))
        else:
            url_line.update(Text(f"POST {inert_line(p.resolved().chat)}", overflow="fold"))
        info = self.key_infos.get(p.id)
        kind = "built-in" if p.builtin else "custom"
        default = self.config.default_model
        bits = [f"{p.id} ({kind})", f"key: {key_text(info)}"]
        if info is not None and info.present:
            bits.append(info.masked)
        if default and default.partition("/")[0] == p.id:
            bits.append(f"default model: {default.partition('/')[2]}")
        if self.keyring_note:
            bits.append(self.keyring_note)
        info_line.update(Text(inert_line(" · ".join(bits)), no_wrap=True, overflow="ellipsis"))

    # ------------------------------------------------------------------ key status
    @work(thread=True, exclusive=True, group="key-status")
    def load_key_status(self) -> None:
        """key_info for every provider, off the UI thread; the rows fill in as answers come."""
        ok, _detail = secrets.keyring_available()
        timeout = secrets.KEYRING_TIMEOUT if ok else 0.5
        self.app.call_from_thread(self._set_keyring_note, None if ok else "no keyring")
        for p in self.config.providers():
            info = secrets.key_info(p, self.config.path, timeout=timeout)
            self.app.call_from_thread(self._set_key_info, p.id, info)

    def _set_keyring_note(self, note: str | None) -> None:
        self.keyring_note = note

    def _set_key_info(self, pid: str, info: secrets.KeyInfo) -> None:
        if self.key_infos.get(pid) == info:
            return
        self.key_infos[pid] = info
        self.update_row(pid)

    # ------------------------------------------------------------------ filter
    def start_filter(self, text: str = "") -> None:
        flt = self.query_one("#filter", Input)
        # Focus now, not on the next idle (Widget.focus): keys already queued behind this
        # one (a burst from a fast typist or a paste over SSH) must reach the filter, not
        # the list's action keys.
        self.set_focus(flt)
        if text:  # type-ahead from the list: a new filter
            flt.value = text
        flt.cursor_position = len(flt.value)

    def action_filter(self) -> None:
        self.start_filter()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self.refresh_rows()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        if self.current_id():
            self.query_one(ProviderList).focus()
            self.action_edit()

    def on_key(self, event) -> None:
        flt = self.query_one("#filter", Input)
        if self.focused is flt and event.key in ("up", "down", "pageup", "pagedown"):
            event.stop()
            option_list = self.query_one(ProviderList)
            {"up": option_list.action_cursor_up, "down": option_list.action_cursor_down,
             "pageup": option_list.action_page_up,
             "pagedown": option_list.action_page_down}[event.key]()

    def action_clear_filter(self) -> None:
        """escape: in the filter, go to the (filtered) list; in the list, clear the filter."""
        flt = self.query_one("#filter", Input)
        if self.focused is not flt and flt.value:
            flt.value = ""
        self.query_one(ProviderList).focus()

    # ------------------------------------------------------------------ actions
    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.open_editor(event.option.id)

    def action_edit(self) -> None:
        if self.focused is self.query_one(ProviderList):
            # enter is a priority binding (it edits from the filter too), so it would run
            # ahead of keys still queued for the list: "↓ enter" in one burst over a laggy
            # link opened the row above. In the list, the list's own enter (select, in
            # order after ↓) opens the editor instead: see _selected.
            raise SkipAction()
        pid = self.current_id()
        if pid:
            self.open_editor(pid)

    def open_editor(self, pid: str) -> None:
        from .editor import EditorScreen

        self.app.push_screen(EditorScreen(pid))

    def action_models(self) -> None:
        pid = self.current_id()
        if pid:
            from .models import ModelsScreen

            self.app.push_screen(ModelsScreen(pid))

    def action_toggle_provider(self) -> None:
        pid = self.current_id()
        if pid:
            self.toggle(pid)

    def toggle(self, pid: str) -> None:
        p = self.config.provider(pid)
        if commit(self.app, lambda: self.config.set_enabled(pid, not p.enabled), "switch"):
            self.refresh_rows(keep=pid)

    def action_import_cherry(self) -> None:
        """i: import from a Cherry Studio backup (the list refreshes on return)."""
        from .import_screen import ImportScreen

        self.app.push_screen(ImportScreen())

    def action_add(self) -> None:
        from .dialogs import AddProviderDialog

        def done(new) -> None:
            if new is None:
                return
            box: dict[str, str] = {}

            def edit() -> None:
                box["pid"] = self.config.add_provider(new.name, new.type, new.address)
            if commit(self.app, edit, "new provider"):
                self.refresh_rows(keep=box["pid"])
                self.open_editor(box["pid"])

        self.app.push_screen(AddProviderDialog(), done)

    def action_clone(self) -> None:
        pid = self.current_id()
        if pid:
            self.clone(pid)

    def clone(self, pid: str) -> None:
        from .dialogs import PromptDialog

        src = self.config.provider(pid)

        def done(name: str | None) -> None:
            if not name:
                return
            box: dict[str, str] = {}

            def edit() -> None:
                box["pid"] = self.config.clone_provider(pid, name)
            if commit(self.app, edit, "clone"):
                self.refresh_rows(keep=box["pid"])
                self.open_editor(box["pid"])

        self.app.push_screen(PromptDialog(
            f"Clone {src.name}", "Name", self._next_name(inert_line(src.name)),
            "A copy with the same type, address and models; then edit it. "
            "enter: clone   esc: cancel"), done)

    def _next_name(self, name: str) -> str:
        names = {p.name for p in self.config.providers()}
        base = name.rstrip("0123456789 ").rstrip() or name
        n = 2
        while f"{base} {n}" in names:
            n += 1
        return f"{base} {n}"

    def action_rename(self) -> None:
        from .dialogs import PromptDialog

        p = self.current()
        if p is None:
            return

        def done(name: str | None) -> None:
            if name and name not in (p.name, inert_line(p.name)):
                if commit(self.app, lambda: self.config.rename_provider(p.id, name), "name"):
                    self.refresh_rows(keep=p.id)

        self.app.push_screen(PromptDialog(f"Rename {p.name}", "Name", inert_line(p.name)), done)

    def action_delete(self) -> None:
        from .dialogs import ConfirmDialog

        p = self.current()
        if p is None:
            return
        if p.builtin:
            title = f"Reset {p.name} to its defaults?"
            body = ("Your changes to this built-in provider (address, models, on/off, key "
                    "source) are removed from config.toml. A key stored in the keyring stays.")
            yes = "reset"
        else:
            title = f"Delete {p.name}?"
            body = f"The provider {p.id} is removed from config.toml."
            yes = "delete"

        def done(ok: bool | None) -> None:
            if ok and commit(self.app, lambda: self.config.delete_provider(p.id), yes):
                self.notify(f"{p.name}: {'reset to defaults' if p.builtin else 'deleted'}",
                            markup=False, timeout=3)
                self.key_infos.pop(p.id, None)
                self.refresh_rows(keep=p.id)
                self.load_key_status()

        self.app.push_screen(ConfirmDialog(title, body, yes), done)
