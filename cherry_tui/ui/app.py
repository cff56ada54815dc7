"""The Textual application: owns the one Config, the one HTTP client, the chat history,
the themes and the screens; screens reach them through ``access.cherry_app``.

Screens ask ``cherry_tui.core`` and render what comes back; they never parse TOML
or speak HTTP themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.notifications import SeverityLevel

from ..core.config import Config
from ..core.paths import config_path
from ..core.secrets import SecretsFile
from ..core.text import inert, inert_line
from .themes import (ThemeCommands, apply_start_theme, install_themes, open_theme_picker,
                     preset_start_theme)
from .import_commands import ImportCommands
from .key_queue import KeyQueue
from .assistant_commands import AssistantCommands

if TYPE_CHECKING:
    import argparse

    from ..core.client import Client
    from ..core.history import History
    from ..core.history_writer import HistoryWriter


class CherryApp(App[None]):
    TITLE = "cherry-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    COMMANDS = App.COMMANDS | {ThemeCommands, ImportCommands, AssistantCommands}

    BINDINGS = [
        Binding("ctrl+n", "new_chat", "New chat", id="app.new_chat"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", show=False),
        Binding("ctrl+t", "change_theme", "Theme", id="app.theme"),
        # Priority: focus moves when tab is read, so what is typed or pasted right after
        # it (one burst over a laggy SSH link) reaches the next field, not the last one.
        Binding("tab", "focus_next", "Next field", show=False, priority=True, id="app.focus_next"),
        Binding("shift+tab", "focus_previous", "Previous field", show=False, priority=True,
                id="app.focus_previous"),
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        # Priority: the list opens when F2 is read, so a burst typed right after it
        # ("f2 rev enter hello enter" over a laggy SSH link) reaches its filter.
        Binding("f2", "assistants", "Assistants: start a chat with one, edit, new",
                id="app.assistants", show=False, priority=True),
    ]

    def __init__(self, config_file: Path | None = None, theme: str | None = None,
                 discover: bool = False):
        super().__init__()
        self.config_file = config_file or config_path()
        self.discover = discover  # first start: offer what is set up on this machine
        self.config = Config.load(self.config_file)
        self.theme_override = theme
        self.themes = install_themes(self)  # shipped + user theme files; problems: on_mount
        preset_start_theme(self)  # before Textual parses the CSS (once, with its colours)
        self._client: Client | None = None  # the one HTTP client, made on first use
        self._history: History | None = None  # the chat history, opened on first use
        self._history_writer: HistoryWriter | None = None  # its writer thread, likewise
        # Keys and pastes typed ahead of the screen they are meant for (right after
        # launch, or in a burst over a laggy link): held and replayed in order, never
        # dropped (see key_queue).
        self.keys = KeyQueue(self, self._dispatch_input)
        self._first_frame_drawn = False
        self._after_first_frame: list[Callable[[], object]] = []

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Paste) and not event.is_forwarded:
            # A paste (a file, another program's output) may hold terminal controls: every
            # field gets them in visible form, through the gate, never live on the screen.
            # A lone CR stays a line end, as the text area would take it.
            event.text = inert(event.text.replace("\r\n", "\n").replace("\r", "\n"))
        if (isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded
                and self.keys.hold(event)):
            return
        await super().on_event(event)

    async def _dispatch_input(self, event: events.Key | events.Paste) -> None:
        await super().on_event(event)

    def pop_screen(self) -> AwaitComplete:
        # Keys typed after the one that closed the screen may still wait in its widgets:
        # input waits until it is removed and they are handed back (see key_queue).
        return self.keys.closing(super().pop_screen())

    async def on_mount(self) -> None:
        from .screens.providers import ProvidersScreen

        apply_start_theme(self)  # notes about the start theme (set in __init__)
        self.apply_keymap()
        if self.config.error:
            self.notify(inert(f"{self.config.error}\nRunning without saving until it is fixed."),
                        title="Config file not loaded", severity="error", timeout=30,
                        markup=False)
        store = SecretsFile.beside(self.config_file)
        if problem := store.problem():
            self.notify(inert(problem), title="Secrets file not used", severity="error",
                        timeout=30, markup=False)
        if warning := store.permission_warning():
            self.notify(inert(warning), title="Secrets file", severity="warning", timeout=30,
                        markup=False)
        await self.push_screen(ProvidersScreen())
        self.keys.started = True
        self.keys.schedule()  # keys typed during the start

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast (screens' and widgets' too) through the gate: a message that quotes
        a server, a file or a name never reaches the terminal live. Outside text still
        needs markup=False: the gate keeps markup as it is."""
        super().notify(inert(message), title=inert_line(title), severity=severity,
                       timeout=timeout, markup=markup)

    def apply_keymap(self) -> None:
        """[keymap] in config.toml: binding id = "key[,key...]" overrides that binding."""
        keymap = {str(k): v.strip() for k, v in self.config.section("keymap").items()
                  if isinstance(v, str) and v.strip()}
        bad = sorted(set(self.config.section("keymap")) - set(keymap))
        if bad:
            self.notify(f"[keymap] values must be key strings such as \"ctrl+g\"; ignored: "
                        f"{', '.join(bad)}", title="Keymap", severity="warning", markup=False)
        self.set_keymap(keymap)

    @property
    def client(self) -> Client:
        """The one HTTP client (cherry_tui.core.client.Client), made on first use."""
        if self._client is None:
            from ..core.client import Client, answer_limit

            limit, problem = answer_limit(self.config.get("max_answer_bytes"))
            if problem:
                self.notify(problem, title="Config", severity="warning", markup=False)
            self._client = Client(max_answer_bytes=limit)
        return self._client

    @property
    def history(self) -> History:
        """The one chat history database, opened on first use (in memory if the file
        fails). Screens read through it; every write goes through :attr:`history_writer`."""
        if self._history is None:
            import sqlite3

            from ..core.history import History

            try:
                self._history = History()
            except (sqlite3.Error, OSError) as exc:
                self._history = History(Path(":memory:"))
                self.notify(f"Chat history cannot be saved ({exc}); this session's chats are "
                            "kept in memory only.", title="History", severity="error",
                            timeout=15, markup=False)
        return self._history

    @property
    def history_writer(self) -> HistoryWriter:
        """The one history writer: another thread, retried while the file is locked (see
        cherry_tui.core.history_writer), so the UI never waits on a write."""
        if self._history_writer is None:
            import asyncio

            from ..core.history_writer import HistoryWriter

            loop = asyncio.get_running_loop()

            def failed(text: str) -> None:  # in the writer's thread: never wait for the UI
                try:
                    loop.call_soon_threadsafe(partial(
                        self.notify, inert(text), title="History", severity="error",
                        timeout=30, markup=False))
                except RuntimeError:  # the app has ended; the recovery file holds the text
                    pass

            writer = HistoryWriter(self.history, on_error=failed)
            writer.submit(lambda db: db.recover())  # answers a crash left "streaming"
            self._history_writer = writer
        return self._history_writer

    def write_then(self, write: Callable[[History], object], then: Callable[[], None]) -> None:
        """Queue a history write; ``then`` runs on the UI's loop once it is written."""
        import asyncio

        loop = asyncio.get_running_loop()

        def done() -> None:
            try:
                loop.call_soon_threadsafe(then)
            except RuntimeError:  # the app has ended
                pass

        self.history_writer.submit(write, done=done)

    def _fatal_error(self) -> None:
        """Textual prints a crash's traceback with every frame's local variables, which can
        hold an API key. Print it without locals: secrets never reach a traceback."""
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None)
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    async def on_unmount(self) -> None:
        if self._history_writer is not None:  # chat writes still queued reach the file
            import asyncio

            await asyncio.to_thread(self._history_writer.close)
        if self._client is not None:
            await self._client.aclose()

    async def action_quit(self) -> None:
        """q / ctrl+q: quit at once, unless something would be lost; then ask first.

        A screen says what quitting would lose with ``quit_blockers() -> list[str]``
        (the editor: fields typed but not saved); a chat whose answer is still arriving
        (``streaming``) counts too. y / enter quits, n / esc stays.
        """
        lost: list[str] = []
        for screen in self.screen_stack:
            blockers = getattr(screen, "quit_blockers", None)
            if callable(blockers):
                lost += blockers()
            elif getattr(screen, "streaming", None) is not None:
                lost.append("an answer that is still arriving")
        if not lost:
            self.exit()
            return
        from .screens.dialogs import ConfirmDialog

        def done(ok: bool | None) -> None:
            if ok:
                self.exit()

        await self.push_screen(ConfirmDialog(
            "Quit cherry-tui?", "Quitting now loses:\n" + "\n".join(f"- {w}" for w in lost),
            "quit"), done)

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_change_theme(self) -> None:  # ctrl+t and the palette's "Theme" command
        open_theme_picker(self)

    def action_assistants(self) -> None:  # F2 and the palette's "Assistants"
        from .screens.assistants import open_assistants

        open_assistants(self)

    def action_new_chat(self) -> None:
        from .screens.chat import ChatScreen

        self.push_screen(ChatScreen())

    def after_first_frame(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the first screen is on the terminal (at once if it is):
        start-up work the first frame need not wait for."""
        if self._first_frame_drawn:
            callback()
        else:
            self._after_first_frame.append(callback)

    def on_ready(self) -> None:
        # Ready comes with the first screen's layout; the refresh after it is the first
        # frame written. (call_after_refresh from on_mount runs before that frame: the
        # start-up is one batched update.)
        self.call_after_refresh(self._first_frame)
        if self.discover and self.config.raw_text == "" and not self.config.error:
            # First start (no config file yet): offer what is set up on this machine.
            self.after_first_frame(self._offer_discovery)

    def _offer_discovery(self) -> None:
        from .screens.discover_screen import offer_discovery

        offer_discovery(self)

    def _first_frame(self) -> None:
        self._first_frame_drawn = True
        waiting, self._after_first_frame = self._after_first_frame, []
        for callback in waiting:
            callback()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A screen whose field completes with tab (the import path) takes tab for that.
        wants_tab = getattr(self.screen, "wants_tab", None)
        if action == "assistants":  # not over a dialog, nor where f2 is the screen's own
            screen = self.screen  # (the history's rename)
            return not (isinstance(screen, ModalScreen)
                        or "f2" in screen._bindings.key_to_bindings)
        return not (action == "focus_next" and callable(wants_tab) and wants_tab())


def run_app(args: argparse.Namespace) -> int:
    app = CherryApp(config_path(getattr(args, "config", None)), getattr(args, "theme", None),
                    discover=True)
    from . import collector
    from .themes import unknown_theme_message

    if problem := unknown_theme_message(app, app.theme_override):
        print(f"cherry-tui: {problem}", file=sys.stderr)
        return 2
    app.after_first_frame(collector.settle)  # the collector is off until then: cmd_tui
    app.run()
    return app.return_code or 0
