"""The assistant picker (F2, or "Assistants" in the command palette).

Type to filter (fuzzy, on the name and the prompt's start); enter starts a new chat with
the highlighted assistant. ↓ reaches the list, where the letter keys act: ``e`` edits,
``c`` clones, ``d`` deletes (a built-in is hidden instead: it comes back with ``e``),
``n`` makes a new one. Every edit is saved at once through the comment-keeping config
path (:func:`.common.commit`).
"""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...core import assistants
from ...core.assistants import Assistant
from ...core.text import inert_line
from ..access import cherry_app
from ..widgets.typeahead import TypeAheadInput
from .assistant_form import AssistantForm
from .chat_dialogs import PICKER_CSS
from .common import commit
from .dialogs import ConfirmDialog, PromptDialog

PROMPT_WIDTH = 64  # the prompt's start, one line under the name (the list is 70 wide)
HINT = ("enter starts a chat · ↓ to the list, then e edit · c clone · d delete · n new · "
        "esc cancel")


class AssistantFilter(TypeAheadInput):
    """The filter: enter starts the chat, read in the order typed (F2 ``rev`` enter
    ``hello`` enter in one burst lands in the filter, then in the chat's input)."""

    BINDINGS = [Binding("enter", "screen.choose", "Start a chat", id="assistants.choose")]

    async def read_key(self, event: events.Key) -> bool:
        if self._screen_is_current() and isinstance(self.screen.focused, AssistantList):
            # ↓ earlier in the same burst moved on to the list: the key is the list's (in
            # order with the keys read since: see key_queue)
            cherry_app(self).keys.hand_back(event, self)
            event.stop()
            event.prevent_default()
            return True
        return await super().read_key(event)


class AssistantList(OptionList):
    """The list: its letter keys act on the highlighted assistant."""

    BINDINGS = [
        Binding("e", "screen.edit", "Edit", id="assistants.edit"),
        Binding("c", "screen.clone", "Clone", id="assistants.clone"),
        Binding("d", "screen.delete", "Delete", id="assistants.delete"),
        Binding("n", "screen.new", "New", id="assistants.new"),
        Binding("slash", "screen.filter", "Filter", show=False, id="assistants.filter"),
    ]


class AssistantPicker(ModalScreen[Assistant | None]):
    """Returns the assistant to start a chat with, or None."""

    DEFAULT_CSS = PICKER_CSS.format(name="AssistantPicker") + """
    AssistantPicker OptionList { height: auto; max-height: 14; border: none; padding: 0; }
    AssistantPicker Input { margin: 0 0 1 0; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="assistants.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="assistants.down"),
        Binding("up", "move(-1)", "Up", show=False, id="assistants.up"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[Assistant] = []
        self.filled = ""  # the filter text the list shows

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Start a chat with an assistant", classes="title")
            yield AssistantFilter(placeholder="type to filter…", id="assistants-filter",
                                  compact=True)
            yield AssistantList(id="assistants-list")
            yield Static(classes="hint -error", id="assistants-problem")
            yield Static(Text(HINT), classes="hint")

    def on_mount(self) -> None:
        self._fill()
        # Focus now, not on the next idle: keys read from here on go to the filter.
        self.set_focus(self.query_one(AssistantFilter))

    async def on_key(self, event: events.Key) -> None:
        """A key the app gave the screen itself (read before the filter had focus) is
        read by the filter, in order (see TypeAheadInput); the list's keys stay its own."""
        if not isinstance(self.focused, AssistantList):
            await self.query_one(AssistantFilter).read_key(event)

    # ------------------------------------------------------------------ the list
    @property
    def _options(self) -> OptionList:
        return self.query_one(OptionList)

    def _fill(self, keep: str | None = None) -> None:
        """Show what matches the filter (hidden ones last, marked); ``keep`` stays
        highlighted when it is still shown."""
        self.filled = self.query_one(AssistantFilter).value
        query = self.filled.strip()
        found = assistants.load(cherry_app(self).config)
        found.sort(key=lambda a: a.hidden)
        options = self._options
        options.clear_options()
        if query:
            matcher = Matcher(query)
            scored = [(matcher.match(f"{a.name} {a.prompt[:60]}"), i, a)
                      for i, a in enumerate(found)]
            self.shown = [a for score, _, a in sorted(
                (s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))]
        else:
            self.shown = found
        options.add_options([self._row(a) for a in self.shown])
        names = [a.name for a in self.shown]
        if names:
            options.highlighted = names.index(keep) if keep in names else 0
        self._problem("")

    @staticmethod
    def _row(a: Assistant) -> Option:
        name = Text(inert_line(a.name), style="bold")
        tags = [a.source] + (["hidden"] if a.hidden else []) + (
            ["problem: " + a.problems[0]] if a.problems else [])
        line = Text.assemble(name, "  ", (inert_line(a.model or "the chat's model"), "italic"),
                             "  ", (" · ".join(tags), "dim"))
        line.truncate(PROMPT_WIDTH + 2, overflow="ellipsis")
        first = Text("  " + inert_line(a.prompt.strip()), style="dim")
        first.truncate(PROMPT_WIDTH + 2, overflow="ellipsis")
        return Option(Text("\n").join([line, first]) if a.prompt.strip() else line, id=a.name)

    def _current(self) -> Assistant | None:
        index = self._options.highlighted
        if index is None or not self.shown:
            return None
        return self.shown[index]

    def _problem(self, text: str) -> None:
        """Said in the dialog, not in a toast that may cover it."""
        problem = self.query_one("#assistants-problem", Static)
        problem.update(Text(inert_line(text)))
        problem.display = bool(text)

    @on(Input.Changed)
    def _changed(self) -> None:
        self._fill()

    def action_choose(self) -> None:
        if self.query_one(AssistantFilter).value != self.filled:  # typed ahead: its
            self._fill()  # Changed message is still queued
        self._choose(self._current())

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(self._current())

    def _choose(self, a: Assistant | None) -> None:
        if a is None:
            self._problem("No assistant matches: change the filter, or n makes a new one.")
        elif a.problems:
            self._problem(f"{a.problems[0]}: e fixes it")
        elif a.hidden:
            self._problem(f"{a.name} is hidden: e and ctrl+s show it again")
        else:
            self.dismiss(a)

    def action_move(self, step: int) -> None:
        options = self._options
        if not self.shown:
            return
        if not options.has_focus:  # ↓ from the filter: into the list, where letters act
            self.set_focus(options)  # now: the next key of a burst is the list's
            return
        options.highlighted = max(0, min(len(self.shown) - 1, (options.highlighted or 0) + step))

    def action_filter(self) -> None:
        self.query_one(AssistantFilter).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    # ------------------------------------------------------------------ editing
    def _save(self, edit, what: str, keep: str | None) -> None:
        if commit(self.app, edit, what):
            self._fill(keep)

    def action_new(self) -> None:
        self._form(None)

    def action_edit(self) -> None:
        if (a := self._current()) is not None:
            self._form(a)

    def _form(self, current: Assistant | None) -> None:
        config = cherry_app(self).config

        def done(result: Assistant | None) -> None:
            if result is not None:
                self._save(lambda: assistants.save(config, result), "assistant", result.name)

        self.app.push_screen(AssistantForm(config, current), done)

    def action_clone(self) -> None:
        a = self._current()
        if a is None:
            return
        config = cherry_app(self).config

        def done(name: str | None) -> None:
            if not name:
                return
            name = name.strip()
            if problem := assistants.name_problem(config, name):
                self._problem(problem)
                return
            self._save(lambda: assistants.clone(config, a.name, name), "copy", name)

        self.app.push_screen(PromptDialog(f"Clone {inert_line(a.name)}", "New name",
                                          f"{inert_line(a.name)}-copy",
                                          hint=assistants.NAME_HELP), done)

    def action_delete(self) -> None:
        a = self._current()
        if a is None:
            return
        config = cherry_app(self).config
        said: list[str] = []

        def delete() -> None:
            said.append(assistants.delete(config, a.name))

        if a.builtin:  # hiding is undone with e: no question
            self._save(delete, "change", a.name)
            if said:
                self.notify(inert_line(said[0]), markup=False)
            return

        def done(yes: bool | None) -> None:
            if yes:
                self._save(delete, "deletion", None)

        self.app.push_screen(ConfirmDialog(
            f"Delete assistant {inert_line(a.name)}?",
            f"[assistants.{inert_line(a.name)}] is removed from {config.path.name}.",
            yes="Delete"), done)


def open_assistants(app) -> None:
    """Open the picker; the assistant chosen starts a new chat (in the chat shown, if any)."""
    from .chat import ChatScreen

    def done(chosen: Assistant | None) -> None:
        if chosen is None:
            return
        if isinstance(app.screen, ChatScreen):
            app.screen.use_assistant(chosen)
        else:
            app.push_screen(ChatScreen(assistant=chosen))

    app.push_screen(AssistantPicker(), done)

