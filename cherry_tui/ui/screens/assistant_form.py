"""The assistant form: name, prompt, model and settings of one assistant.

What is typed is checked by the same code as the config file
(:func:`cherry_tui.core.assistants.parse_fields`), so the form and ``config check``
say the same thing; the first problem is shown under the fields and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea

from ...core import assistants
from ...core.assistants import Assistant
from ...core.config import Config
from ...core.text import inert, inert_line
from .chat_dialogs import PICKER_CSS

FORM_HINT = "tab moves · ctrl+s or enter saves · esc cancels"
# (field, label, placeholder)
_FIELDS = (
    ("model", "Model", "PROVIDER/MODEL; empty: the chat's model"),
    ("temperature", "Temperature", "0-2; empty: the provider's default"),
    ("top_p", "Top p", "0-1; empty: the provider's default"),
    ("max_tokens", "Max tokens", "the answer's length limit; empty: none"),
    ("context", "Context", "earlier messages sent; empty or all: every one"),
)


def _shown(value: float | int | str | None) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _typed(field: str, text: str) -> Any:
    """A field's text as a config value (what the config file would hold)."""
    text = text.strip()
    if field == "model" or (field == "context" and text == "all"):
        return text
    try:
        return int(text) if field in ("max_tokens", "context") else float(text.replace(",", "."))
    except ValueError:
        return text  # parse_fields says what is wrong with it


class AssistantForm(ModalScreen[Assistant | None]):
    """Edit (or make) an assistant; returns it checked, or None when cancelled."""

    DEFAULT_CSS = PICKER_CSS.format(name="AssistantForm") + """
    AssistantForm > Vertical, AssistantForm > VerticalScroll {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    AssistantForm Horizontal.form-row { height: auto; }
    AssistantForm Horizontal.form-row > Label { width: 13; min-width: 13; }
    AssistantForm Input { width: 1fr; }
    AssistantForm TextArea { height: 8; width: 1fr; }
    AssistantForm Horizontal.form-row:focus-within { background: $boost; }
    AssistantForm Horizontal.form-row:focus-within > Label { text-style: bold reverse; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="assistant_form.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="assistant_form.cancel"),
    ]

    def __init__(self, config: Config, current: Assistant | None = None):
        super().__init__()
        self.config = config
        self.current = current
        self.new = current is None

    def compose(self) -> ComposeResult:
        c = self.current or Assistant("")
        title = "New assistant" if self.new else f"Assistant {inert_line(c.name)}"
        if c.builtin:
            title += " (built in: what you change is saved in your config)"
        with VerticalScroll():
            yield Static(Text(title), classes="title")
            with Horizontal(classes="form-row"):
                yield Label("Name")
                yield Input(inert_line(c.name), id="form-name", compact=True,
                            disabled=not self.new, placeholder=assistants.NAME_HELP)
            with Horizontal(classes="form-row"):
                yield Label("Prompt")
                yield TextArea(inert(c.prompt), id="form-prompt", soft_wrap=True,
                               tab_behavior="focus", compact=True)
            for field, label, placeholder in _FIELDS:
                value = getattr(c, field)
                with Horizontal(classes="form-row"):
                    yield Label(label)
                    yield Input(inert_line(_shown(value)), id=f"form-{field}", compact=True,
                                placeholder=placeholder)
            yield Static(Text(FORM_HINT), classes="hint", id="form-hint")

    def on_mount(self) -> None:
        first = "#form-name" if self.new else "#form-prompt"
        self.set_focus(self.query_one(first))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def _problem(self, text: str) -> None:
        hint = self.query_one("#form-hint", Static)
        hint.update(Text(inert_line(text)))
        hint.add_class("-error")

    def action_save(self) -> None:
        name = self.query_one("#form-name", Input).value.strip()
        if self.new and (problem := assistants.name_problem(self.config, name)):
            self._problem(problem)
            self.query_one("#form-name").focus()
            return
        table: dict[str, Any] = {"prompt": self.query_one("#form-prompt", TextArea).text.strip()}
        for field, _label, _placeholder in _FIELDS:
            text = self.query_one(f"#form-{field}", Input).value
            if text.strip():
                table[field] = _typed(field, text)
        base = self.current or Assistant(name)
        cleared = Assistant(name, source=base.source)  # unset fields are cleared
        result = assistants.parse_fields(name, table, cleared, self.config)
        if result.problems:
            self._problem(result.problems[0])
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
