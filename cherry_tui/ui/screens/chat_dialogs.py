"""Chat dialogs: the model picker (fuzzy filter) and the conversation settings."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ...core.config import Config
from ...core.model_kinds import CHAT_KINDS
from ...core.mentions import MAX_MODELS
from ...core.text import inert_line
from ..widgets.typeahead import TypeAheadInput
from ..highlight import inert_highlight

PICKER_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; max-width: 100%; height: auto; max-height: 100%;
    border: round $primary; background: $surface; padding: 0 1;
}}
{name} .title {{ text-style: bold; }}
{name} .hint {{ color: $text-muted; }}
{name} .hint.-error {{ color: $text-error; text-style: bold; }}
"""


def list_keys(prefix: str) -> list[BindingType]:
    """A picker's keys while its filter has the focus: esc cancels, ↑↓ and page keys
    move in the list (ids ``PREFIX.cancel``, ``PREFIX.down``...)."""
    return [
        Binding("escape", "cancel", "Cancel", id=f"{prefix}.cancel"),
        Binding("down", "move(1)", "Down", show=False, id=f"{prefix}.down"),
        Binding("up", "move(-1)", "Up", show=False, id=f"{prefix}.up"),
        Binding("pagedown", "move(10)", show=False, id=f"{prefix}.page_down"),
        Binding("pageup", "move(-10)", show=False, id=f"{prefix}.page_up"),
    ]


def model_refs(config: Config) -> list[str]:
    """``provider/model`` for every chat, reasoning and vision model of every enabled
    provider, in config order (an embedding, rerank, image or audio model cannot chat)."""
    refs = []
    for p in config.providers():
        if p.enabled:
            refs += [f"{p.id}/{m}" for m in p.models if p.kind_of(m) in CHAT_KINDS]
    return refs


@dataclass(frozen=True)
class ModelChoice:
    """What the picker returns: the model, and whether to make it the default too."""

    ref: str
    make_default: bool = False
    toggle: bool = False  # ctrl+a: add ``ref`` to the models answering, or take it out


class PickerFilter(TypeAheadInput):
    """The picker's filter: enter chooses, ctrl+d chooses and makes it the default, both
    read in the order typed (see TypeAheadInput)."""

    BINDINGS = [
        Binding("enter", "screen.choose", "Choose", id="picker.choose"),
        Binding("ctrl+d", "screen.choose(True)", "Choose, make default", id="picker.default"),
        Binding("ctrl+a", "screen.add_model", "Add / remove (compare)", id="picker.compare"),
    ]


class ModelPicker(ModalScreen[ModelChoice | None]):
    """Type to filter (fuzzy); ↑↓ move; enter chooses; ctrl+d also makes it the default;
    ctrl+a adds the model to those answering (several models answer each question side by
    side), or takes it out; esc cancels. ✓ marks the models answering now.

    Keys typed ahead (``ctrl+l seed enter hello`` in one burst) go where they were meant:
    those read before the filter had focus reach the screen, which hands them to the
    filter in order; enter chooses what the filter shows at that point; keys read after
    the picker closed go back to the app, for the chat input.
    """

    DEFAULT_CSS = PICKER_CSS.format(name="ModelPicker") + """
    ModelPicker OptionList { height: auto; max-height: 14; border: none; padding: 0; }
    ModelPicker Input { margin: 0 0 1 0; }
    """
    BINDINGS = list_keys("picker")

    def __init__(self, refs: list[str], current: str | None = None,
                 default: str | None = None, answering: tuple[str, ...] = ()):
        super().__init__()
        self.refs = refs
        self.current = current
        self.default = default
        self.answering = answering or ((current,) if current else ())
        self.shown: list[str] = []
        self.filled = ""  # the filter text the list shows

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Choose a model for this conversation", classes="title")
            yield PickerFilter(placeholder="type to filter…", id="picker-filter", compact=True)
            yield OptionList(id="picker-list")
            yield Static(classes="hint -error", id="picker-problem")
            yield Static(Text(self._hint()), classes="hint", id="picker-hint")

    def _hint(self) -> str:
        if not self.refs:
            return ("No models yet: switch a provider on and add model ids on the provider "
                    "list (esc, then enter on a provider).")
        default = f"default for new chats: {inert_line(self.default)}" if self.default \
            else "no default model yet"
        return ("↑↓ move · enter choose · ctrl+d choose and make default · esc cancel\n"
                f"ctrl+a: it answers too (compare) · {default}")

    def _label(self, ref: str, matcher: Matcher | None) -> Content:
        label = inert_highlight(matcher, ref) if matcher else Content(inert_line(ref))
        if len(self.answering) < 2:  # one model answers: nothing to mark
            return label
        return Content("✓ " if ref in self.answering else "  ") + label

    def _problem(self, text: str) -> None:
        """Said in the dialog, not in a toast that may cover it."""
        problem = self.query_one("#picker-problem", Static)
        problem.update(Text(text))
        problem.display = bool(text)

    def on_mount(self) -> None:
        self._fill("")
        # Focus now, not on the next idle (Widget.focus): keys the app reads from here on
        # go straight to the filter; those it read before wait in this screen's queue.
        self.set_focus(self.query_one(PickerFilter))

    async def on_key(self, event: events.Key) -> None:
        """A key the app gave the screen itself (read before the filter had focus) is
        read by the filter, in order; one read after the picker closed goes back to the
        app. (A key the filter declined comes by here too: declined again.)"""
        await self.query_one(PickerFilter).read_key(event)

    def _fill(self, query: str) -> None:
        self.filled = query
        options = self.query_one(OptionList)
        options.clear_options()
        if query.strip():
            matcher = Matcher(query.strip())
            scored = [(matcher.match(ref), i, ref) for i, ref in enumerate(self.refs)]
            scored = [s for s in scored if s[0] > 0]
            scored.sort(key=lambda s: (-s[0], s[1]))
            self.shown = [ref for _, _, ref in scored]
            options.add_options([Option(self._label(ref, matcher), id=ref)
                                 for ref in self.shown])
        else:
            self.shown = list(self.refs)
            options.add_options([Option(self._label(ref, None), id=ref) for ref in self.shown])
        if self.shown:
            index = self.shown.index(self.current) if (
                self.current in self.shown and not query.strip()) else 0
            options.highlighted = index
        self._problem("")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_choose(self, make_default: bool = False) -> None:
        query = self.query_one(PickerFilter).value
        if query != self.filled:  # typed ahead: its Changed message is still queued
            self._fill(query)
        options = self.query_one(OptionList)
        if options.highlighted is not None and self.shown:
            self.dismiss(ModelChoice(self.shown[options.highlighted], make_default))
        elif not self.refs:
            self.dismiss(None)
        else:
            self._problem("No model matches: change the filter (esc cancels).")

    def action_add_model(self) -> None:
        """ctrl+a: the highlighted model answers too from now on (or no longer)."""
        query = self.query_one(PickerFilter).value
        if query != self.filled:
            self._fill(query)
        options = self.query_one(OptionList)
        if options.highlighted is None or not self.shown:
            self._problem("No model matches: change the filter (esc cancels).")
            return
        ref = self.shown[options.highlighted]
        if ref not in self.answering and len(self.answering) >= MAX_MODELS:
            self._problem(f"{MAX_MODELS} models answer already: ctrl+a on one of them "
                          "takes it out.")
            return
        self.dismiss(ModelChoice(ref, toggle=True))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(ModelChoice(event.option.id))

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if not self.shown:
            return
        current = options.highlighted or 0
        options.highlighted = max(0, min(len(self.shown) - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class ChatSettings:
    title: str
    system_prompt: str
    temperature: float | None


def parse_temperature(text: str) -> float | None:
    """'' -> None (the provider's default); else a number from 0 to 2."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    value = float(text)  # ValueError for junk
    if not 0 <= value <= 2:
        raise ValueError("temperature must be between 0 and 2")
    return value


SETTINGS_HINT = "tab moves · ctrl+s or enter saves · esc cancels"


class SettingsDialog(ModalScreen[ChatSettings | None]):
    """Title, system prompt and temperature of this conversation. ctrl+s saves."""

    DEFAULT_CSS = PICKER_CSS.format(name="SettingsDialog") + """
    SettingsDialog Horizontal.chat-row { height: auto; }
    SettingsDialog Horizontal.chat-row > Label { width: 13; min-width: 13; padding: 0 0; }
    SettingsDialog Input { width: 1fr; }
    SettingsDialog TextArea { height: 7; width: 1fr; }
    /* The row's own :focus-within rule is what makes Textual restyle the row (and its
       label) when focus moves; a rule on the label alone is applied once, at mount. */
    SettingsDialog Horizontal.chat-row:focus-within { background: $boost; }
    SettingsDialog Horizontal.chat-row:focus-within > Label { text-style: bold reverse; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="settings.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="settings.cancel"),
    ]

    def __init__(self, current: ChatSettings):
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        c = self.current
        with Vertical():
            yield Static("Conversation settings", classes="title")
            with Horizontal(classes="chat-row"):
                yield Label("Title")
                yield Input(c.title, id="settings-title", compact=True,
                            placeholder="(from the first message)")
            with Horizontal(classes="chat-row"):
                yield Label("System prompt")
                yield TextArea(c.system_prompt, id="settings-system", soft_wrap=True,
                               tab_behavior="focus", compact=True)
            with Horizontal(classes="chat-row"):
                yield Label("Temperature")
                yield Input("" if c.temperature is None else f"{c.temperature:g}",
                            id="settings-temperature", compact=True,
                            placeholder="0-2, empty: the provider's default")
            yield Static(Text(SETTINGS_HINT), classes="hint", id="settings-hint")

    def on_mount(self) -> None:
        # The first field, at once (not on the next idle): what is typed goes where the
        # highlight is, even when it arrives in the same burst as ctrl+s.
        self.set_focus(self.query_one("#settings-title", Input))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        try:
            temperature = parse_temperature(self.query_one("#settings-temperature", Input).value)
        except ValueError:
            # said in the dialog, under the field, not in a toast that may cover it
            hint = self.query_one("#settings-hint", Static)
            hint.update(Text("Temperature: a number from 0 to 2, or empty for the provider's "
                             "default."))
            hint.add_class("-error")
            self.query_one("#settings-temperature", Input).focus()
            return
        self.dismiss(ChatSettings(
            title=self.query_one("#settings-title", Input).value.strip(),
            system_prompt=self.query_one("#settings-system", TextArea).text.strip(),
            temperature=temperature))

    def action_cancel(self) -> None:
        self.dismiss(None)
