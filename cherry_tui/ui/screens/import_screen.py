"""Import from Cherry Studio, in the TUI: a path field that completes with tab, the same
dry-run table as ``cherry-tui import cherry-studio --dry-run``, then ctrl+s imports.

Reading and planning come from :mod:`cherry_tui.core.cherry_import` and
:mod:`cherry_tui.core.provider_merge`; this screen only shows their rows. Nothing is
written before ctrl+s; when some providers cannot be imported, the first ctrl+s says so
and a second one imports the others (the CLI's ``--yes``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Checkbox, DataTable, Input, RadioButton, RadioSet, Static

from ...core import cherry_import, provider_merge, secrets
from ...core.provider_merge import ACTION_TEXT
from ...core.config import ConfigError, ConfigReadOnly
from ...core.history import default_path
from ...core.mentions import complete_path
from ...core.text import inert, inert_line
from ..access import cherry_app
from ..widgets.keybar import KeyBar



class PathInput(Input):
    """The path field: tab completes. The binding is the field's own (not the screen's),
    so a burst such as "/path/to/ch<tab>" over SSH is handled in order: the letters reach
    the field before the completion reads it."""

    BINDINGS = [Binding("tab", "complete", "Complete path", id="import.complete",
                        show=False)]

    def action_complete(self) -> None:
        completed, names = complete_path(self.value)
        self.value = completed
        self.cursor_position = len(completed)
        if len(names) > 1:
            hint = Text("  ".join(inert_line(n) for n in names[:40]), overflow="fold")
        else:
            hint = Text("no match" if not names else "enter reads it")
        self.screen.query_one("#hint", Static).update(hint)


class ImportScreen(Screen[None]):
    """Pick a backup, look at what would change, import."""

    DEFAULT_CSS = """
    ImportScreen #path { margin: 0 1; }
    ImportScreen #hint { color: $text-muted; margin: 0 2; height: auto; }
    ImportScreen #keys { layout: horizontal; width: 100%; margin: 1 1 0 1; }
    ImportScreen #keys > RadioButton { width: auto; margin-right: 3; }
    ImportScreen #flags { height: auto; margin: 0 1 1 1; }
    ImportScreen #flags Checkbox { width: auto; margin-right: 3; }
    ImportScreen #plan { height: 1fr; margin: 0 1; }
    ImportScreen #row-detail { height: auto; margin: 0 1; }
    ImportScreen #notes { height: auto; max-height: 10; margin: 0 1; overflow-y: auto; }
    """

    BINDINGS = [
        Binding("ctrl+s", "import", "Import", id="import.run"),
        Binding("escape", "back", "Back", id="import.back"),
    ]

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self.initial = path
        self.backup: cherry_import.Backup | None = None
        self.rows: list[provider_merge.Row] = []
        self.confirm_partial = False

    def compose(self) -> ComposeResult:
        yield Static("Import from Cherry Studio", classes="title-bar")
        yield PathInput(self.initial, placeholder="path of the backup: cherry-studio.*.zip or "
                    "*.bak (tab completes, enter reads it)", id="path")
        yield Static(Text("Nothing is written until ctrl+s."), id="hint")
        with RadioSet(id="keys", compact=True):
            yield RadioButton("keys: keyring", id="keys-keyring", compact=True)
            yield RadioButton("keys: secrets file", id="keys-file", compact=True)
            yield RadioButton("keys: skip", id="keys-skip", compact=True)
        with Horizontal(id="flags"):
            yield Checkbox("also conversations", id="conversations", compact=True)
            yield Checkbox("replace providers I have", id="replace", compact=True)
        yield DataTable(id="plan", cursor_type="row", zebra_stripes=True)
        yield Static("", id="row-detail")
        yield Static("", id="notes")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#plan", DataTable)
        table.add_columns("ID", "NAME", "TYPE", "ADDRESS", "CHAT URL", "MODELS", "KEYS",
                          "ACTION")
        self.query_one("#path", Input).focus()
        self.probe_keyring()

    # ------------------------------------------------------------------ keys
    @work(thread=True, exclusive=True, group="keyring")
    def probe_keyring(self) -> None:
        works, detail = secrets.keyring_available()
        self.app.call_from_thread(self._keyring_known, works, detail)

    def _keyring_known(self, works: bool, detail: str) -> None:
        button = self.query_one("#keys-keyring", RadioButton)
        if works:
            if self._store() is None:
                button.value = True
        else:
            button.disabled = True
            button.label = Text("keys: keyring (none here)")
            button.tooltip = detail

    def _store(self) -> str | None:
        pressed = self.query_one("#keys", RadioSet).pressed_button
        return pressed.id.removeprefix("keys-") if pressed and pressed.id else None

    # ------------------------------------------------------------------ path
    def wants_tab(self) -> bool:
        """Tab completes while the path field has focus (the app then skips focus_next)."""
        return isinstance(self.focused, PathInput)

    @on(Input.Submitted, "#path")
    def _read(self) -> None:
        value = self.query_one("#path", Input).value.strip()
        if value:
            self.query_one("#hint", Static).update(Text("reading…"))
            self.read_backup(Path(value).expanduser())

    @work(thread=True, exclusive=True, group="read")
    def read_backup(self, path: Path) -> None:
        try:
            backup = cherry_import.read_backup(path)
        except cherry_import.ImportProblem as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._loaded, backup)

    def _failed(self, message: str) -> None:
        self.backup, self.rows = None, []
        self.query_one("#plan", DataTable).clear()
        self.query_one("#notes", Static).update("")
        self.query_one("#hint", Static).update(Text(inert(message), style="bold"))

    def _loaded(self, backup: cherry_import.Backup) -> None:
        self.backup = backup
        self.confirm_partial = False
        self.query_one("#hint", Static).update(Text(
            f"Cherry Studio backup version {backup.version}: {len(backup.providers)} "
            f"provider(s), {len(backup.topics)} conversation(s). ctrl+s imports."))
        self.show_plan()

    # ------------------------------------------------------------------ plan
    @on(RadioSet.Changed, "#keys")
    @on(Checkbox.Changed, "#replace")
    def show_plan(self) -> None:
        if self.backup is None:
            return
        selection = cherry_import.incoming(self.backup)
        config = cherry_app(self).config
        store = self._store()
        self.rows = provider_merge.plan(config, selection.items,
                                        self.query_one("#replace", Checkbox).value, store)
        table = self.query_one("#plan", DataTable)
        table.clear()
        for row in self.rows:
            item = row.incoming
            keys = ", ".join(secrets.mask(k) for k in item.keys) or "-"
            action = row.text
            table.add_row(*(Text(inert_line(v)) for v in (
                item.id, item.name, item.type, item.address or "-", item.chat_url() or "-",
                ", ".join(item.models) or "-", keys, action)))
        notes: list[str] = []
        for row in self.rows:
            notes += [f"{row.incoming.id}: {w}" for w in row.incoming.warnings]
        notes += [f"cannot import {b}" for b in self.backup.broken]
        if selection.left_out:
            notes.append(f"left out {len(selection.left_out)} unused built-in(s): "
                         f"{', '.join(selection.left_out)}")
        self.query_one("#notes", Static).update(
            Text("\n".join(inert_line(n) for n in notes), overflow="fold"))

    @on(DataTable.RowHighlighted, "#plan")
    def _row_detail(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted row whole, for terminals too narrow for every column."""
        if not 0 <= event.cursor_row < len(self.rows):
            return
        row = self.rows[event.cursor_row]
        item = row.incoming
        keys = ", ".join(secrets.mask(k) for k in item.keys) or "none"
        action = row.text
        self.query_one("#row-detail", Static).update(Text.assemble(
            (inert_line(item.name), "bold"), " → ", inert_line(item.chat_url() or "-"),
            f"\nkeys: {keys}   action: ", inert_line(action), overflow="fold"))

    # ------------------------------------------------------------------ import
    def action_import(self) -> None:
        if self.backup is None:
            self.notify("Read a backup first: type its path and press enter.",
                        severity="warning", markup=False)
            return
        store = self._store()
        writes = [r for r in self.rows if r.writes]
        if store is None and any(r.incoming.keys for r in writes):
            self.notify("Choose where the keys go: the keyring, the secrets file, or skip.",
                        title="Keys", severity="warning", markup=False)
            return
        bad = [r for r in self.rows if r.action == "invalid"] + self.backup.broken
        if bad and not self.confirm_partial:
            self.confirm_partial = True
            self.notify(f"{len(bad)} provider(s) cannot be imported (see the table). "
                        f"Press ctrl+s again to import the {len(writes)} others.",
                        title="Some providers cannot be imported", severity="warning",
                        markup=False, timeout=10)
            return
        config = cherry_app(self).config
        try:
            outcome = provider_merge.apply(config, self.rows, store)
        except (secrets.SecretsError, ConfigError, ConfigReadOnly, ValueError, OSError) as exc:
            config.reload()
            self.notify(inert(str(exc)), title="Nothing imported", severity="error",
                        markup=False, timeout=15)
            return
        done = ", ".join(f"{n} {ACTION_TEXT[a]}" for a, n in outcome.counts.items())
        self.notify(inert(done or "nothing to import"), title="Providers", markup=False,
                    timeout=10)
        self.show_plan()
        if self.query_one("#conversations", Checkbox).value:
            self.import_conversations(self.backup)

    @work(thread=True, exclusive=True, group="conversations")
    def import_conversations(self, backup: cherry_import.Backup) -> None:
        """In a thread, on a connection of its own: a long history never holds up the UI,
        and the app's own history connection is left to the chats."""
        path = default_path()
        try:
            result = cherry_import.import_conversations(path, backup)
        except (sqlite3.Error, OSError) as exc:
            self.app.call_from_thread(self.notify, inert(f"{path}: {exc}"),
                                      title="Conversations not imported", severity="error",
                                      markup=False, timeout=15)
            return
        message = f"{result.added} imported, {result.before} imported before"
        if result.other_answers:
            message += (f"; {result.other_answers} further answer(s) to questions asked of "
                        "several models left out (each keeps the one Cherry Studio used)")
        self.app.call_from_thread(self.notify, message, title="Conversations", markup=False,
                                  timeout=10)

    def action_back(self) -> None:
        self.app.pop_screen()
