"""The address doctor in the editor: when a check fails on the address, offer the fixes
that answered (:mod:`cherry_tui.core.doctor` finds and tries them).

:func:`offer_address_fixes` is the editor's one hook: it runs the doctor inside the
check's worker (esc cancels it like the check) and opens :class:`AddressFixDialog`.
Picking a fix puts it in the Address field, saves it (as enter there does) and checks
again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...core import doctor
from ...core.client import CheckResult
from ...core.config import Provider
from ...core.text import inert_line

if TYPE_CHECKING:
    from .editor import EditorScreen


class AddressFixDialog(ModalScreen[doctor.Suggestion | None]):
    """The addresses that answered, best first. enter applies one, esc closes."""

    DEFAULT_CSS = """
    AddressFixDialog {
        align: center middle;
    }
    AddressFixDialog > Vertical {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    AddressFixDialog .title {
        text-style: bold;
    }
    AddressFixDialog .hint {
        color: $text-muted;
    }
    AddressFixDialog OptionList {
        height: auto;
        max-height: 14;
    }
    """

    BINDINGS = [Binding("escape", "close", "Close", id="doctor.close")]

    def __init__(self, address: str, suggestions: Sequence[doctor.Suggestion]) -> None:
        super().__init__()
        self.address = address
        self.suggestions = list(suggestions)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("The address did not work. These answered:"), classes="title")
            yield Static(Text.assemble("typed:  ", inert_line(self.address), overflow="fold"))
            yield OptionList(*(Option(self._prompt(s)) for s in self.suggestions),
                             id="fixes")
            yield Static(Text("enter: use this address, save and check again    esc: close"),
                         classes="hint")

    @staticmethod
    def _prompt(s: doctor.Suggestion) -> Text:
        return Text.assemble((inert_line(s.address), "bold"), "\n  → ",
                             inert_line(s.chat_url), f"  (answered {s.status})",
                             overflow="fold")

    def on_mount(self) -> None:
        fixes = self.query_one("#fixes", OptionList)
        fixes.highlighted = 0
        fixes.focus()

    @on(OptionList.OptionSelected, "#fixes")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.suggestions[event.option_index])

    def action_close(self) -> None:
        self.dismiss(None)


async def offer_address_fixes(editor: EditorScreen, provider: Provider, keys: Sequence[str],
                              result: CheckResult) -> None:
    """After a failed check in ``editor``: when the address may be at fault, find the
    fixes that answer and offer them."""
    if result.ok or not doctor.is_address_failure(result.kind):
        return
    line = editor.query_one("#check", Static)
    failed = Text.assemble(("✗ ", "bold"), inert_line(result.message), overflow="fold")
    line.update(Text.assemble(failed, "\n  trying the likely fixes of the address… "
                              "(esc cancels)"))
    try:
        found = await doctor.diagnose(provider, keys, result.model)
    except Exception as exc:  # noqa: BLE001 - a hint that failed must not end the app
        line.update(Text.assemble(failed, "\n  could not try other addresses: ",
                                  inert_line(str(exc) or type(exc).__name__)))
        return
    if not found:
        line.update(Text.assemble(failed, "\n  no other form of this address answered"))
        return
    many = "es" if len(found) > 1 else ""
    line.update(Text.assemble(failed, f"\n  {len(found)} fixed address{many} answered"))

    def apply(fix: doctor.Suggestion | None) -> None:
        if fix is None:
            return
        field = editor.query_one("#address", Input)
        field.value = fix.address
        field.post_message(Input.Submitted(field, fix.address))  # saves, as enter does
        editor.action_check()

    editor.app.push_screen(AddressFixDialog(provider.address, found), apply)
