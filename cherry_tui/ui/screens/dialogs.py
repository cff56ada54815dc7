"""Small modal dialogs: confirm, one-line prompt, a choice of answers, add a provider.

Every dialog answers to the keyboard alone: enter accepts, escape cancels, and the
keys for each answer are written on the dialog itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from ...core import addresses
from ...core.text import inert, inert_line
from ..widgets.choice import Choice
from ..widgets.preview import AddressPreview

DIALOG_CSS = """
{name} {{
    align: center middle;
}}
{name} > Vertical {{
    width: 76;
    max-width: 100%;
    height: auto;
    max-height: 100%;
    border: round $primary;
    background: $surface;
    padding: 0 1;
}}
{name} .title {{
    text-style: bold;
    width: 100%;
}}
{name} .hint {{
    color: $text-muted;
    width: 100%;
}}
{name} .row {{
    height: auto;
}}
{name} .row > Label {{
    width: 9;
}}
{name} .row:focus-within > Label {{
    text-style: bold reverse;
}}
{name} Input {{
    width: 1fr;
}}
"""


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question. y or enter: yes; n or escape: no."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, title: str, body: str, yes: str = "Yes") -> None:
        super().__init__()
        self.title_text, self.body, self.yes = title, body, yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(inert_line(self.title_text)), classes="title")
            yield Static(Text(inert(self.body)))
            yield Static(Text(f"y / enter: {self.yes}    n / esc: cancel"), classes="hint")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ChoiceDialog(ModalScreen[str | None]):
    """Several answers, each on its own key: [(key, value, label)]. escape cancels."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ChoiceDialog")
    BINDINGS = [Binding("escape", "pick(None)", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, body: str, answers: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.title_text, self.body, self.answers = title, body, answers

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(inert_line(self.title_text)), classes="title")
            yield Static(Text(inert(self.body)))
            for key, _value, label in self.answers:
                shown = "enter" if key == "enter" else key
                yield Static(Text.assemble((f" {shown} ", "bold reverse"),
                                           f" {inert_line(label)}"))
            yield Static(Text("esc: cancel"), classes="hint")

    def on_key(self, event) -> None:
        for key, value, _label in self.answers:
            if event.key == key:
                event.stop()
                event.prevent_default()
                self.dismiss(value)
                return

    def action_pick(self, value: str | None) -> None:
        self.dismiss(value)


class PromptDialog(ModalScreen[str | None]):
    """One line of text. enter: accept; escape: cancel."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PromptDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, label: str, value: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_text, self.label, self.value, self.hint = title, label, value, hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(inert_line(self.title_text)), classes="title")
            with Horizontal(classes="row"):
                yield Label(self.label, markup=False)
                yield Input(self.value, compact=True, id="prompt-input")
            yield Static(Text(self.hint or "enter: OK    esc: cancel"), classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.notify("Type a name first (esc cancels).", severity="warning")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class NewProvider:
    name: str
    type: str
    address: str


class AddProviderDialog(ModalScreen[NewProvider | None]):
    """Name, type and address of a custom provider, with the live URL preview."""

    DEFAULT_CSS = DIALOG_CSS.format(name="AddProviderDialog")
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("down", "app.focus_next", "Next field", show=False, id="dialog.next"),
        Binding("up", "app.focus_previous", "Previous field", show=False, id="dialog.previous"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Add a custom provider"), classes="title")
            with Horizontal(classes="row"):
                yield Label("Name")
                yield Input(placeholder="e.g. My OneAPI", compact=True, id="add-name")
            with Horizontal(classes="row"):
                yield Label("Type")
                yield Choice([(t, t) for t in addresses.PROVIDER_TYPES], "openai", id="add-type")
            with Horizontal(classes="row"):
                yield Label("Address")
                yield Input(placeholder="e.g. http://127.0.0.1:3000", compact=True,
                            id="add-address")
            yield AddressPreview("", "openai", id="add-preview")
            yield Static(Text("The chat and model-list URLs appear here as you type the "
                              "address."), id="add-preview-hint", classes="hint")
            yield Static(Text("tab / ↑↓ move   ←→ type   enter on the address: add   esc: cancel"),
                         classes="hint")

    def on_mount(self) -> None:
        self.query_one(AddressPreview).display = False  # no error before any typing
        self.query_one("#add-name", Input).focus()

    def _show_preview(self) -> None:
        self.query_one(AddressPreview).display = True
        self.query_one("#add-preview-hint").display = False

    @on(Input.Changed, "#add-address")
    def _address_changed(self, event: Input.Changed) -> None:
        self._show_preview()
        self.query_one(AddressPreview).show(event.value)

    @on(Choice.Changed, "#add-type")
    def _type_changed(self, event: Choice.Changed) -> None:
        preview = self.query_one(AddressPreview)
        preview.show(preview.address, event.value)

    @on(Input.Submitted, "#add-name")
    def _name_done(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#add-address")
    def _submit(self) -> None:
        name = self.query_one("#add-name", Input).value.strip()
        if not name:
            self.notify("Give the provider a name.", severity="warning")
            self.query_one("#add-name", Input).focus()
            return
        preview = self.query_one(AddressPreview)
        self._show_preview()
        if preview.error:
            self.notify(preview.error, title="Address", severity="error", markup=False)
            return
        self.dismiss(NewProvider(name, self.query_one(Choice).value,
                                 self.query_one("#add-address", Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)
