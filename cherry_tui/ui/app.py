"""The Textual application: owns the one Config, the one HTTP client and the screens.

Screens ask ``cherry_tui.core`` and render what comes back; they never parse TOML
or speak HTTP themselves.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from ..core.config import Config
from ..core.paths import config_path


class CherryApp(App):
    TITLE = "cherry-tui"

    BINDINGS = [
        Binding("ctrl+n", "new_chat", "New chat", id="app.new_chat"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", show=False),
    ]

    def __init__(self, config_file: Path | None = None, theme: str | None = None):
        super().__init__()
        self.config_file = config_file or config_path()
        self.config = Config.load(self.config_file)
        self.theme_override = theme

    def on_mount(self) -> None:
        from .screens.providers import ProvidersScreen

        self.push_screen(ProvidersScreen())
        if self.config.error:
            self.notify(f"{self.config.error}\nRunning without saving until it is fixed.",
                        title="Config file not loaded", severity="error", timeout=30)

    def action_new_chat(self) -> None:
        from .screens.chat import ChatScreen

        self.push_screen(ChatScreen())


def run_app(args) -> int:
    app = CherryApp(config_path(getattr(args, "config", None)), getattr(args, "theme", None))
    app.run()
    return app.return_code or 0
