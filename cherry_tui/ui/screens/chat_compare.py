"""Several models at once, for the chat screen: which models answer, the answers of the
last question shown together, the one kept.

* A message's ``@provider/model`` mentions choose who answers it; else the conversation's
  model and those ctrl+a in the picker added (``ChatScreen.compare``).
* Their answers stream at the same time, one after another in the log; each is a version
  of the turn (the history keeps all). The first is kept until enter in the log keeps
  another: the conversation goes on from the kept one.
* When the conversation goes on (a new question, a retry, browsing versions) the others
  leave the log; ``[`` ``]`` still show them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.mentions import MAX_MODELS, model_mentions
from ...core.text import inert_line
from ..access import cherry_app
from ..widgets.chatlog import AnswerEntry, Entry, NoticeEntry
from .chat_dialogs import model_refs

if TYPE_CHECKING:
    from .chat import ChatScreen


class SeveralAnswers:
    """The chat screen's several models (one per chat screen)."""

    def __init__(self, screen: ChatScreen):
        self.screen = screen
        self.group: list[AnswerEntry] = []  # the last question's answers, when several
        self._hint: Entry | None = None  # how to keep one of them

    # ------------------------------------------------------------------ who answers
    def all_refs(self) -> list[str]:
        """Every model a message can mention (``@provider/model``)."""
        return model_refs(cherry_app(self.screen).config)

    def models(self) -> tuple[str, ...]:
        """The models that answer each question of the conversation."""
        s = self.screen
        return (s.model_ref, *s.compare) if s.model_ref else ()

    def for_text(self, text: str) -> list[str]:
        """The models that answer ``text``: those it mentions, else :meth:`models`."""
        named = model_mentions(text, self.all_refs())
        return named[:MAX_MODELS] if named else list(self.models())

    def toggle(self, ref: str) -> None:
        """ctrl+a in the picker: ``ref`` answers each question too, or no longer."""
        s = self.screen
        models = list(self.models())
        if ref in models:
            if len(models) == 1:
                s.notify("This model is the one answering: enter in the picker chooses "
                         "another.")
                return
            models.remove(ref)
            said = f"{inert_line(ref)} no longer answers."
        else:
            models.append(ref)
            said = f"{inert_line(ref)} answers too: {len(models)} models answer each question."
        if models[0] != s.model_ref:
            s.set_model(models[0])
        s.compare = tuple(models[1:])
        s.notify(said, markup=False)

    # ------------------------------------------------------------------ the answers
    def shown(self, entries: list[AnswerEntry]) -> None:
        """``entries`` (the first kept) were added to the log for one question."""
        if len(entries) < 2:
            return
        self.group = entries
        for entry in entries:
            entry.kept = entry is entries[0]
        self._hint = self.screen.log_view.add(NoticeEntry(
            f"{len(entries)} answers: the first is kept until you keep another (tab, ↑↓ "
            "to it, enter) · x stops the selected one, esc all"))

    def keep(self) -> None:
        """enter in the log on one of the answers: the conversation goes on from it."""
        s = self.screen
        entry = s.log_view.selected_entry
        if not isinstance(entry, AnswerEntry) or entry not in self.group:
            s.notify("Select one of the answers to the last question first (tab, ↑↓).")
            return
        chosen = entry.message
        if not s.messages or s.messages[-1] not in [e.message for e in self.group]:
            s.notify("The conversation went on from another answer: [ and ] show the "
                     "versions of that turn.")
            return
        s.keep_version(chosen)
        for other in self.group:
            other.kept = other is entry
            s.log_view.update_entry(other)
        model = inert_line((chosen.model or "this model").split("/", 1)[-1])
        s.notify(f"Kept the answer of {model}: the conversation goes on from it.",
                 markup=False)

    def settle(self) -> None:
        """The answers leave the log but the kept one (the history keeps them all)."""
        group, self.group = self.group, []
        if len(group) < 2:
            return
        s = self.screen
        log = s.log_view
        present = [j for j, e in enumerate(log.entries) if e in group]
        if not present:
            return
        tail = [e for e in log.entries[present[0]:] if e not in group and e is not self._hint]
        self._hint = None
        log.remove_from(present[0])
        kept = s.messages[-1] if s.messages else None
        for entry in group:
            entry.kept = False
            if entry.message is kept:
                log.add(entry)
        for other in tail:
            log.add(other)

    def forget(self) -> None:
        """Another conversation is shown: nothing to settle."""
        self.group, self._hint = [], None
