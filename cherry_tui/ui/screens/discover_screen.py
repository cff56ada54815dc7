"""First start (no config file yet): offer what :mod:`cherry_tui.core.discovery` found,
providers with a key in their usual variable and local servers that answer, each
already ticked: enter switches the ticked ones on, space unticks one, esc skips."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from ...core import discovery
from ...core.text import inert_line
from ..access import cherry_app
from .common import commit

if TYPE_CHECKING:
    from ..app import CherryApp


class DiscoveryScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    DiscoveryScreen { align: center middle; }
    DiscoveryScreen > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    DiscoveryScreen .title { text-style: bold; }
    DiscoveryScreen .hint { color: $text-muted; }
    DiscoveryScreen SelectionList { height: auto; max-height: 16; }
    """

    BINDINGS = [
        Binding("enter", "switch_on", "Switch on", id="discover.switch_on", priority=True),
        Binding("escape", "skip", "Skip", id="discover.skip"),
    ]

    def __init__(self, found: list[discovery.Found]) -> None:
        super().__init__()
        self.found = found

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Found on this machine"), classes="title")
            yield SelectionList[int](*(
                Selection(Text.assemble((inert_line(f.name), "bold"), "  ",
                                        inert_line(f.reason)), n, True)
                for n, f in enumerate(self.found)), id="found")
            yield Static(Text("enter: switch the ticked ones on    space: tick/untick    "
                              "esc: not now"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#found", SelectionList).focus()

    def action_switch_on(self) -> None:
        chosen = [self.found[n] for n in self.query_one("#found", SelectionList).selected]
        config = cherry_app(self).config

        def edit() -> None:
            for f in chosen:
                config.set_enabled(f.id, True)
                if f.models:
                    config.set_models(f.id, list(f.models))
                if f.address and f.address != config.provider(f.id).address:
                    config.set_provider_field(f.id, "address", f.address)

        if not chosen or commit(self.app, edit, "switch-on"):
            if chosen:
                names = ", ".join(inert_line(f.name) for f in chosen)
                self.app.notify(f"Switched on: {names}", markup=False)
            self.dismiss(None)

    def action_skip(self) -> None:
        self.dismiss(None)


def offer_discovery(app: CherryApp) -> None:
    """Look in a thread (local probes wait up to half a second); offer what was found."""

    def look() -> None:
        found = discovery.discover()
        if found:
            app.call_from_thread(app.push_screen, DiscoveryScreen(found))

    app.run_worker(look, thread=True, group="discovery", exit_on_error=False)
