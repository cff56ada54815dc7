"""The Textual application: owns the one Config, the one HTTP client, the chat history,
the themes and the screens; screens reach them through ``access.cherry_app``.

Screens ask ``cherry_tui.core`` and render what comes back; they never parse TOML
or speak HTTP themselves.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding

from ..core.config import Config
from ..core.paths import config_path
from ..core.secrets import SecretsFile
from ..core.text import inert
from .themes import ThemeCommands, apply_start_theme, install_themes, open_theme_picker
from .import_commands import ImportCommands

if TYPE_CHECKING:
    import argparse

    from ..core.client import Client
    from ..core.history import History


class CherryApp(App[None]):
    TITLE = "cherry-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    COMMANDS = App.COMMANDS | {ThemeCommands, ImportCommands}

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
    ]

    def __init__(self, config_file: Path | None = None, theme: str | None = None,
                 discover: bool = False):
        super().__init__()
        self.config_file = config_file or config_path()
        self.discover = discover  # first start: offer what is set up on this machine
        self.config = Config.load(self.config_file)
        self.theme_override = theme
        self.themes = install_themes(self)  # shipped + user theme files; problems: on_mount
        self._client: Client | None = None  # the one HTTP client, made on first use
        self._history: History | None = None  # the chat history, opened on first use

    def on_mount(self) -> None:
        from .screens.providers import ProvidersScreen

        apply_start_theme(self)  # --theme, else config.toml's theme, else cherry-dark
        self.apply_keymap()
        self.push_screen(ProvidersScreen())
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
            from ..core.client import Client

            self._client = Client()
        return self._client

    @property
    def history(self) -> History:
        """The one chat history database, opened on first use (in memory if the file fails)."""
        if self._history is None:
            import sqlite3

            from ..core.history import History

            try:
                self._history = History()
                self._history.recover()
            except (sqlite3.Error, OSError) as exc:
                self._history = History(Path(":memory:"))
                self.notify(f"Chat history cannot be saved ({exc}); this session's chats are "
                            "kept in memory only.", title="History", severity="error",
                            timeout=15, markup=False)
        return self._history

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
        if self._client is not None:
            await self._client.aclose()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_change_theme(self) -> None:  # ctrl+t and the palette's "Theme" command
        open_theme_picker(self)

    def action_new_chat(self) -> None:
        from .screens.chat import ChatScreen

        self.push_screen(ChatScreen())

    def on_ready(self) -> None:
        """First start (no config file yet): offer what is set up on this machine."""
        if self.discover and self.config.raw_text == "" and not self.config.error:
            from .screens.discover_screen import offer_discovery

            offer_discovery(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A screen whose field completes with tab (the import path) takes tab for that.
        wants_tab = getattr(self.screen, "wants_tab", None)
        return not (action == "focus_next" and callable(wants_tab) and wants_tab())


def run_app(args: argparse.Namespace) -> int:
    app = CherryApp(config_path(getattr(args, "config", None)), getattr(args, "theme", None),
                    discover=True)
    from .themes import unknown_theme_message

    if problem := unknown_theme_message(app, app.theme_override):
        print(f"cherry-tui: {problem}", file=sys.stderr)
        return 2
    app.run()
    return app.return_code or 0
