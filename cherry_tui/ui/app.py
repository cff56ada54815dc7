"""The Textual application: owns the one Config, the one HTTP client and the screens.

Screens ask ``cherry_tui.core`` and render what comes back; they never parse TOML
or speak HTTP themselves.
"""

from __future__ import annotations

import sys
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel

from ..core.config import Config
from ..core.paths import config_path
from .themes import ThemeCommands, apply_start_theme, install_themes, open_theme_picker


class CherryApp(App):
    TITLE = "cherry-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    COMMANDS = App.COMMANDS | {ThemeCommands}

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

    def __init__(self, config_file: Path | None = None, theme: str | None = None):
        super().__init__()
        self.config_file = config_file or config_path()
        self.config = Config.load(self.config_file)
        self.theme_override = theme
        install_themes(self)  # shipped + user theme files; problems shown in on_mount
        self._client = None  # the one HTTP client, made on first use (see .client)

    def on_mount(self) -> None:
        from .screens.providers import ProvidersScreen

        apply_start_theme(self)  # --theme, else config.toml's theme, else cherry-dark
        self.apply_keymap()
        self.push_screen(ProvidersScreen())
        if self.config.error:
            self.notify(f"{self.config.error}\nRunning without saving until it is fixed.",
                        title="Config file not loaded", severity="error", timeout=30,
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
    def client(self):
        """The one HTTP client (cherry_tui.core.client.Client), made on first use."""
        if self._client is None:
            from ..core.client import Client

            self._client = Client()
        return self._client

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

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Paste) and not event.is_forwarded:
            # A paste (a file, another program's output) may hold terminal controls: every
            # field gets them in visible form, through the gate, never live on the screen.
            # A lone CR stays a line end, as the text area would take it.
            from ..core.text import inert

            event.text = inert(event.text.replace("\r\n", "\n").replace("\r", "\n"))
        await super().on_event(event)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast (screens' and widgets' too) through the gate: a message that quotes
        a server, a file or a name never reaches the terminal live. Outside text still
        needs markup=False: the gate keeps markup as it is."""
        from ..core.text import inert, inert_line

        super().notify(inert(message), title=inert_line(title), severity=severity,
                       timeout=timeout, markup=markup)

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_change_theme(self) -> None:  # ctrl+t and the palette's "Theme" command
        open_theme_picker(self)

    def action_new_chat(self) -> None:
        from .screens.chat import ChatScreen

        self.push_screen(ChatScreen())


def run_app(args) -> int:
    app = CherryApp(config_path(getattr(args, "config", None)), getattr(args, "theme", None))
    from .themes import unknown_theme_message

    if problem := unknown_theme_message(app, app.theme_override):
        print(f"cherry-tui: {problem}", file=sys.stderr)
        return 2
    app.run()
    return app.return_code or 0
