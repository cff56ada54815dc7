"""Context you can see, for the chat screen: the "new context" marker and the bar.

* ctrl+g (``chat.new_context``) puts a marker after the last message: a line in the log,
  a message of role CONTEXT in the history; the messages before it are not sent
  (core.context.outgoing decides). ctrl+g again right after a marker takes it back.
* The bar above the input says what the next request sends: how many messages, about
  how many tokens, and the model's window when known. It follows the typing after a
  short pause (the conversation's messages are counted once, cached in core.context),
  and every state change of the chat (answers, versions, model, opening a chat).
* enter on a request that would not fit the window does not send: the bar says so,
  the text stays in the input, and enter again (same text) sends anyway.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.css.query import NoMatches
from textual.timer import Timer

from ...core.config import split_model_ref
from ...core.context import Outlook, context_window, next_request, short
from ...core.history import CONTEXT, History, Message
from ...core.history_export import MARKER_LINE
from ...core.history_writer import Skipped
from ...core.text import inert_line
from ..access import cherry_app
from ..widgets.chatlog import NoticeEntry
from ..widgets.context_bar import ContextBar

if TYPE_CHECKING:
    from .chat import ChatScreen

BAR_DEBOUNCE = 0.3  # s of no typing before the bar counts the input again


class MarkerEntry(NoticeEntry):
    """The log's line for a "new context" marker."""

    def __init__(self, message: Message):
        super().__init__(f"{MARKER_LINE}  the messages above are not sent")
        self.message = message


class ContextView:
    """The chat screen's marker key and context bar (one per chat screen)."""

    def __init__(self, screen: ChatScreen):
        self.screen = screen
        self._timer: Timer | None = None
        self._due = False  # a count is scheduled (refresh)
        self._warned: str | None = None  # the text enter was warned about (again: sends)

    # ------------------------------------------------------------------ the marker
    def toggle_marker(self) -> None:
        s = self.screen
        if s.streaming is not None:
            s.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return
        if s.editing is not None:
            s.notify("Send or cancel the edit first (esc): a new context goes after the "
                     "last message.", severity="warning")
            return
        if s.messages and s.messages[-1].role == CONTEXT:
            self._take_back(s.messages[-1])
            return
        if not s.messages:
            s.notify("Nothing to leave out yet: a new context starts after a message.")
            return
        s.several.settle()  # several answers shown: the marker follows the kept one
        marker = s.turns.add(Message(CONTEXT), s.messages[-1])
        s.add_message(marker)
        s.messages.append(marker)
        s.log_view.add(MarkerEntry(marker))
        s.notify("New context: the messages above are not sent. ctrl+g again takes it back.",
                 timeout=3)
        self.refresh()

    def _take_back(self, marker: Message) -> None:
        s = self.screen
        s.messages.pop()
        s.turns.siblings(marker).remove(marker)

        def remove(db: History) -> None:
            if marker.id is None:
                raise Skipped("the marker was not saved")
            db.remove_marker(marker.id)

        s.write(remove)
        log = s.log_view
        index = next((j for j, e in enumerate(log.entries)
                      if getattr(e, "message", None) is marker), None)
        if index is not None:
            log.remove_from(index)
        s.notify("New context taken back: the earlier messages are sent again.", timeout=3)
        self.refresh()

    # ------------------------------------------------------------------ the bar
    def _base(self) -> list[Message]:
        """The messages the next request goes on from (before the one being edited)."""
        s = self.screen
        if s.editing is not None and s.editing in s.messages:
            return s.messages[:s.messages.index(s.editing)]
        return s.messages

    def window(self) -> tuple[int, str] | None:
        """The chat model's context window and where it came from, or None (unknown)."""
        s = self.screen
        if not s.model_ref:
            return None
        try:
            pid, model = split_model_ref(s.model_ref)
            provider = cherry_app(s).config.provider(pid)
        except (ValueError, KeyError):
            return None
        listed = cherry_app(s).client.windows.get(pid)
        return context_window(model, dict(provider.context_windows), listed)

    def outlook(self, draft: str) -> Outlook:
        s = self.screen
        return next_request(self._base(), draft, s.system_prompt, s.context,
                            user=partial(s.user_message, quiet=True))

    def typed(self) -> None:
        """The input changed: count it again after a pause in typing."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.screen.set_timer(BAR_DEBOUNCE, self.refresh)

    def refresh(self) -> None:
        """Count again once the current change is done: several state changes of one
        action (opening a chat sets the model, the prompt, the messages...) count once."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not self._due:
            self._due = True
            self.screen.call_after_refresh(self._show)

    def _show(self) -> None:
        """Show what the next request sends (a warning given for this text stays)."""
        self._due = False
        try:
            bar = self.screen.query_one(ContextBar)
        except NoMatches:  # not composed yet, or being torn down
            return
        text = self.screen._typed
        found = self.outlook(text)
        window = self.window()
        over = window is not None and found.tokens > window[0]
        if over and self._warned == text:
            return  # the warning stays until the text or what it would send changes
        self._warned = None
        n = found.messages
        line = f"context: {n} message{'s' if n != 1 else ''} · ~{short(found.tokens)} tokens"
        if window is not None:
            line += f" / {short(window[0])}"
        if self.screen.messages and self.screen.messages[-1].role == CONTEXT:
            line += " · new context"
        if over:
            line += " · over the window"
        bar.show(line, over=over)

    def holds_back(self, text: str) -> bool:
        """True when sending ``text`` now would exceed the model's window and the user
        was not told yet: the bar says so and the text stays; enter again sends."""
        window = self.window()
        if window is None or self._warned == text:
            self._warned = None
            return False
        found = self.outlook(text)
        if found.tokens <= window[0]:
            return False
        s = self.screen
        model = inert_line((s.model_ref or "").partition("/")[2])
        self._warned = text
        try:
            bar = s.query_one(ContextBar)
        except NoMatches:  # not composed: send as asked
            return False
        bar.show(f"~{short(found.tokens)} tokens would be sent, over {model}'s "
                 f"{short(window[0])} window: ctrl+g starts a new context; enter again "
                 "sends anyway", over=True)
        return True
