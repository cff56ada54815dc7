"""The chat's file picker (ctrl+f): type a path (tab completes), or move down the list of
what matches; enter on a file chooses it, on a folder opens it. The chat then puts
``@path`` into its input at the cursor: what is attached is what the input says.

Paths are on the machine the app runs on; a relative path starts in the folder the app
was started in, ``~`` is the home folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...core.attachments import IMAGE_LIMIT, TEXT_LIMIT, human_size
from ...core.mentions import complete_path, plain
from ...core.text import inert_line
from ..widgets.typeahead import TypeAheadInput
from .chat_dialogs import PICKER_CSS, list_keys

SHOWN = 200  # entries listed at most (the filter narrows a big folder)


class AttachField(TypeAheadInput):
    """The path: tab completes, enter chooses, read in the order typed."""

    BINDINGS = [
        Binding("tab", "screen.complete", "Complete", id="attach.complete", show=False),
        Binding("enter", "screen.choose", "Attach", id="attach.choose"),
    ]


class AttachDialog(ModalScreen[str | None]):
    """Returns the path chosen (as typed: relative, ``~`` or absolute), or None."""

    DEFAULT_CSS = PICKER_CSS.format(name="AttachDialog") + """
    AttachDialog OptionList { height: auto; max-height: 12; border: none; padding: 0; }
    AttachDialog Input { margin: 0 0 1 0; }
    """
    BINDINGS = list_keys("attach")

    def __init__(self, start: str = "") -> None:
        super().__init__()
        self.start = start
        self.names: list[str] = []
        self.listed = ""  # the path the list shows the matches of

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Attach a file", classes="title")
            yield AttachField(self.start, placeholder="path: notes.txt, ~/logs/app.log, /etc/…",
                              id="attach-path", compact=True)
            yield OptionList(id="attach-list")
            yield Static(classes="hint -error", id="attach-problem")
            yield Static(Text(
                f"tab completes · ↑↓ move · enter attaches (a folder opens) · esc cancels\n"
                f"text files up to {human_size(TEXT_LIMIT)}, PNG/JPEG/WebP/GIF images up to "
                f"{human_size(IMAGE_LIMIT)}; relative paths start in "
                f"{inert_line(str(Path.cwd()))}"), classes="hint", id="attach-hint")

    def on_mount(self) -> None:
        self._list(self.start)
        self.set_focus(self.query_one(AttachField))

    async def on_key(self, event: events.Key) -> None:
        """Keys read before the field had focus go to it, in order (see ModelPicker)."""
        await self.query_one(AttachField).read_key(event)

    def wants_tab(self) -> bool:
        """Tab completes in the field (the app's tab, focus next, stays out)."""
        return isinstance(self.focused, AttachField)

    @property
    def field(self) -> AttachField:
        return self.query_one(AttachField)

    def _list(self, value: str) -> None:
        self.listed = value
        _, self.names = complete_path(value)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(Text(inert_line(n)), id=str(i))
                             for i, n in enumerate(self.names[:SHOWN])])
        if self.names:
            options.highlighted = 0
        self._problem("")

    def _problem(self, text: str) -> None:
        problem = self.query_one("#attach-problem", Static)
        problem.update(Text(inert_line(text)))
        problem.display = bool(text)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._list(event.value)

    def _set(self, value: str) -> None:
        field = self.field
        field.value = value
        field.cursor_position = len(value)
        self._list(value)

    def action_complete(self) -> None:
        completed, names = complete_path(self.field.value)
        if plain(completed):
            self._set(completed)
        if not names:
            self._problem(f"nothing matches {self.field.value!r}")

    def action_choose(self) -> None:
        value = self.field.value
        if value != self.listed:  # typed ahead: its Changed message is still queued
            self._list(value)
        full = os.path.expanduser(value)
        if value and os.path.isfile(full):
            self.dismiss(value)
            return
        options = self.query_one(OptionList)
        if options.highlighted is not None and self.names:
            folder, sep, _ = value.rpartition("/")
            picked = folder + sep + self.names[options.highlighted]
            if not plain(picked):
                self._problem(f"{picked} has control characters in its name: rename it "
                              "to attach it")
            elif picked.endswith("/"):
                self._set(picked)  # a folder: look inside
            else:
                self.dismiss(picked)
        elif value and os.path.isdir(full):
            self._set(value.rstrip("/") + "/")
        elif value:
            self._problem(f"{value}: no such file (check the path; a relative path starts "
                          f"in {Path.cwd()})")
        else:
            self._problem("Type a path (tab completes), or esc to cancel.")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        options = self.query_one(OptionList)
        options.highlighted = event.option_index
        self.action_choose()

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self.names:
            current = options.highlighted or 0
            options.highlighted = max(0, min(min(len(self.names), SHOWN) - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
