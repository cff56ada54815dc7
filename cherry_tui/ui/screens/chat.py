"""The chat screen: pick a model, ask, watch the answer stream in, stop, retry, keep it.

Keys (ids in parentheses, for ``[keymap]``):

    enter              send                            (chat.send)
    ctrl+j             new line; also alt+enter,       (chat.newline)
                       shift+enter, ctrl+enter
    ↑ in empty input   edit and resend the last message (a new version of it)
    escape             stop the answer; else cancel editing; else back   (chat.stop)
                       (never within a second of an answer's end: that esc was
                       meant as stop; with unsent text in the input it asks first)
    ctrl+c             while an answer arrives: stop it (chat.interrupt); else copy
    ctrl+l             choose this conversation's model (fuzzy filter; ctrl+d in the
                       picker also makes it the default for new chats; ctrl+a adds it
                       to the models answering: several answer side by side)  (chat.model)
    @provider/model    in a message: that model answers it (several: each of them)
    ctrl+r             retry / regenerate the last answer  (chat.retry)
    ctrl+o             history: open, rename, delete, search, export  (chat.history)
    ctrl+s             settings: title, system prompt, temperature  (chat.settings)
    ctrl+n             new conversation                (chat.new)
    ctrl+y             copy the selected (else the last) answer  (chat.copy)
    ctrl+g             new context: earlier messages are not sent; again takes it back
                       (chat.new_context; the bar above the input: what is sent)
    ctrl+f             attach a file: a picker puts @path in the input  (chat.attach)
    @path + tab        complete the path; on send each @path file is attached
                       (cherry_tui.ui.screens.chat_attach)
    F2                 assistants: start a chat with one, edit, new  (app.assistants)
    tab                to the log: ↑↓ select a message, c copy, t reasoning, e edit,
                       [ ] (or ← →) older / newer version of the selected turn,
                       enter keeps one of several answers, x stops the selected one
    ctrl+p             every action by name (export, rename, delete, ...)

The conversation is saved as it happens (see cherry_tui.core.history); the answer's
text is saved at every re-render of the stream, so a crash loses at most what arrived
in the last frame. Every write goes through the history writer (another thread, retried
while the file is locked: cherry_tui.core.history_writer), so the UI never waits on it.
Regenerating or editing adds a version of the turn; nothing is replaced. The unsent text
of the input is saved as the conversation's draft (after a pause in typing, and when
the chat is left or switched).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer
from textual.worker import Worker

from ...core import assistants
from ...core import history as hist
from ...core.assistants import Assistant
from ...core.context import outgoing
from ...core.history import CONTEXT, Conversation, History, Message, Tree
from ...core.history_writer import HistoryWriter, Skipped
from ...core.mentions import MAX_MODELS, model_mentions, without_model_mentions
from ...core.text import inert, inert_line
from ..access import cherry_app
from ..widgets.chat_bar import ChatBar
from ..widgets.chat_input import ChatInput
from ..widgets.chatlog import AnswerEntry, ChatLog, Entry, NoticeEntry, UserEntry
from ..widgets.context_bar import ContextBar
from .chat_compare import SeveralAnswers
from .chat_context import ContextView, MarkerEntry
from .chat_stream import Answering, AnswerStreams, recovery_text, row_id
from .chat_attach import ChatAttachments
from .chat_dialogs import ChatSettings, ModelChoice, ModelPicker, SettingsDialog, model_refs
from .common import commit
from .export import export_conversation

STOP_GRACE = 1.0  # s after an answer ends in which esc still means "stop", never "back"


DRAFT_DEBOUNCE = 0.5  # seconds of no typing before the draft is saved


class ChatCommands(Provider):
    """Chat actions in the command palette (ctrl+p)."""

    def _commands(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        if not isinstance(screen, ChatScreen):
            return []
        return screen.palette_commands()

    async def discover(self) -> Hits:
        for name, help_text, action in self._commands():
            yield DiscoveryHit(name, partial(self.screen.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, action in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.screen.run_action, action),
                          help=help_text)


class ChatScreen(Screen):
    DEFAULT_CSS = """
    ChatScreen { layout: vertical; }
    ChatScreen ChatLog { height: 1fr; }
    ChatScreen ChatInput { margin: 0 0; }
    """
    COMMANDS = {ChatCommands}
    BINDINGS = [
        Binding("escape", "stop_or_back", "Stop", id="chat.stop",
                tooltip="Stop the answer; else cancel editing; else go back"),
        # Priority: the picker opens when ctrl+l is read, so a burst typed right after it
        # ("ctrl+l seed enter" over a laggy SSH link) reaches the picker, not the input.
        Binding("ctrl+l", "pick_model", "Model", id="chat.model", priority=True),
        # Priority over the input's copy, only while an answer arrives (else skipped).
        Binding("ctrl+c", "interrupt", "Stop", id="chat.interrupt", show=False,
                priority=True),
        Binding("ctrl+r", "regenerate", "Retry", id="chat.retry"),
        Binding("ctrl+o", "history", "History", id="chat.history"),
        Binding("ctrl+s", "settings", "Settings", id="chat.settings"),
        Binding("ctrl+n", "new_conversation", "New chat", id="chat.new", show=False),
        Binding("ctrl+y", "copy", "Copy", id="chat.copy", show=False, priority=True),
        Binding("ctrl+g", "new_context", "New context", id="chat.new_context"),
        Binding("ctrl+f", "attach", "Attach", id="chat.attach", show=False, priority=True),
    ]

    # The chat's state; the top bar (ChatBar) is bound to it and follows it.
    model_ref: var[str | None] = var(None)  # the model answering (the first, with several)
    compare: var[tuple[str, ...]] = var(())  # other models answering each question too
    answering: var[int] = var(0)  # answers arriving now
    editing: var[Message | None] = var(None, always_update=True)  # the message edited
    shown_title: var[str] = var("New conversation")
    assistant_name: var[str | None] = var(None)  # the conversation's assistant, if any
    system_prompt: var[str] = var("")
    temperature: var[float | None] = var(None)
    bar_details: var[str] = var("")
    bar_state: var[str] = var("")

    def __init__(self, conversation_id: int | None = None,
                 assistant: Assistant | None = None):
        super().__init__()
        self.open_id = conversation_id
        self._start_assistant = assistant  # applied at mount (a new chat with it)
        self.context: int | None = None  # earlier messages sent (the assistant's); None: all
        self.conv: Conversation | None = None
        self.turns = Tree()  # every version of every turn
        self.messages: list[Message] = []  # the kept versions: what is shown and sent
        self.top_p: float | None = None  # from the assistant, if any
        self.max_tokens: int | None = None
        self.title_text = ""  # the title set for a conversation not yet saved
        self.answers = AnswerStreams(self)  # the answers arriving
        self.several = SeveralAnswers(self)  # several models answering at once
        self._pending_text: str | None = None
        self._intro_entry: Entry | None = None
        self._draft_timer: Timer | None = None
        self._draft_saved = ""  # the input's text as last saved for this conversation
        self._typed = ""  # the input's text (kept here: the input is gone at unmount)
        self._told_ended = 0.0  # the answers.ended_at that esc said "already ended" for
        self.context_view = ContextView(self)  # the new-context marker and the bar
        self.attached = ChatAttachments(self)  # the files of the messages (@path)

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield ChatBar(id="chat-bar").data_bind(
            ChatScreen.model_ref, ChatScreen.compare, title=ChatScreen.shown_title,
            details=ChatScreen.bar_details, state=ChatScreen.bar_state)
        yield ChatLog(id="chat-log")
        yield ContextBar(id="context-bar")
        yield ChatInput(id="chat-input")
        yield Footer()

    @property
    def log_view(self) -> ChatLog:
        return self.query_one(ChatLog)

    @property
    def chat_input(self) -> ChatInput:
        return self.query_one(ChatInput)

    @property
    def db(self) -> History:
        return cherry_app(self).history

    @property
    def writer(self) -> HistoryWriter:
        return cherry_app(self).history_writer

    def on_mount(self) -> None:
        _ = self.writer  # started now: it also marks answers a crash left streaming
        self.log_view.flush_hook = self.answers.save_partial
        self.chat_input.model_refs = self.several.all_refs  # tab completes @provider/model
        self.model_ref = self._initial_model()
        if self.open_id is not None:
            self.open_conversation(self.open_id)
        else:
            if self._start_assistant is not None:
                self._apply_assistant(self._start_assistant)
            self._intro()
            self._restore_draft()
        self.chat_input.focus()
        self.context_view.refresh()

    def on_unmount(self) -> None:
        self._save_draft()  # leaving the chat (back, or the app quits)

    def _initial_model(self) -> str | None:
        refs = model_refs(cherry_app(self).config)
        last = cherry_app(self).config.default_model
        if last in refs:
            return last
        return refs[0] if refs else None

    def _intro(self) -> None:
        if self.model_ref:
            text = (f"New conversation with {self.model_ref}. enter sends · ctrl+j new line · "
                    "esc stops an answer · ctrl+l model · ctrl+o history · ctrl+p all actions")
        else:
            text = ("No model to talk to yet: switch a provider on and add a model on the "
                    "provider list (esc goes back), then ctrl+l here chooses it.")
        self._intro_entry = self.log_view.add(NoticeEntry(text))

    @property
    def streams(self) -> dict[AnswerEntry, Answering]:
        """The answers arriving now."""
        return self.answers.live

    @property
    def streaming(self) -> AnswerEntry | None:
        """The first answer still arriving, None when none is."""
        return next(iter(self.streams), None)

    @property
    def worker(self) -> Worker | None:
        """The worker of :attr:`streaming`."""
        return self.streams[self.streaming].worker if self.streaming is not None else None

    def compute_bar_state(self) -> str:
        if self.answering > 1:
            return f"{self.answering} answering… esc stops"
        if self.answering:
            return "answering… esc stops"
        if self.editing is not None:
            return "editing your last message · esc cancels" if (
                self.messages and self.editing is self._last_user()) \
                else "editing an earlier message · esc cancels"
        return ""

    def compute_bar_details(self) -> str:
        extra = [f"assistant: {inert_line(self.assistant_name)}"] if self.assistant_name \
            else []
        if self.temperature is not None:
            extra.append(f"t={self.temperature:g}")
        if self.system_prompt:
            extra.append("system prompt")
        return ", ".join(extra)

    # What the next request sends follows the chat's state: the context bar says it.
    def watch_model_ref(self) -> None:
        self.context_view.refresh()

    def watch_answering(self) -> None:
        self.context_view.refresh()

    def watch_editing(self) -> None:
        self.context_view.refresh()

    def watch_system_prompt(self) -> None:
        self.context_view.refresh()

    def watch_compare(self, compare: tuple[str, ...]) -> None:
        """The models answering too are kept with the conversation (a reopened chat goes
        on asking them)."""
        conv = self.conv
        if conv is not None and conv.compare != compare:
            conv.compare = compare
            self.write(lambda db: db.update(_saved_id(conv), compare=compare))

    def _show_title(self) -> None:
        """The bar shows the conversation's title (after it was set or changed)."""
        self.shown_title = self.title_text or (
            self.conv.display_title if self.conv else "New conversation")

    def _last_user(self) -> Message | None:
        return next((m for m in reversed(self.messages) if m.role == "user"), None)

    # ------------------------------------------------------------------ history
    def _read(self, conversation_id: int) -> Conversation | None:
        """Read one conversation (writes go through the writer); a failure is shown."""
        try:
            return self.db.get(conversation_id)
        except sqlite3.Error as exc:
            self.notify(inert(f"Chat history could not be read: {exc}"), title="History",
                        severity="error", markup=False)
            return None

    def write(self, write: Callable[[History], object],
               recovery: Callable[[], str] | None = None) -> None:
        """Queue one history write (another thread: the UI never waits for the file)."""
        self.writer.submit(write, recovery=recovery)

    def _ensure_conversation(self) -> Conversation:
        """The conversation, made now if new; its id (-1 until written) is set by the
        writer, before any later write reads it."""
        if self.conv is None:
            conv = Conversation(id=-1, title=self.title_text, model=self.model_ref,
                                system_prompt=self.system_prompt,
                                temperature=self.temperature, tree=self.turns,
                                assistant=self.assistant_name, compare=self.compare)

            def create(db: History) -> None:
                made = db.create(title=conv.title, model=conv.model,
                                 system_prompt=conv.system_prompt,
                                 temperature=conv.temperature, assistant=conv.assistant)
                conv.id, conv.created, conv.updated = made.id, made.created, made.updated
                if conv.compare:
                    db.update(conv.id, compare=conv.compare)

            self.write(create)
            self.conv = conv
        return self.conv

    def add_message(self, msg: Message) -> None:
        """Write a new message (a new kept version of the turn after ``msg.parent``)."""
        conv = self._ensure_conversation()

        def add(db: History) -> None:
            db.add(_saved_id(conv), msg, last=False)

        # a user's text is kept if this fails; an answer's text by its finish()
        self.write(add, recovery=(lambda: recovery_text(conv, msg))
                    if msg.role == "user" else None)

    # ------------------------------------------------------------------ drafts
    def _draft_key(self) -> Callable[[], int | None]:
        conv = self.conv
        return lambda: conv.id if conv is not None else None

    @on(ChatInput.Changed, "#chat-input")
    def _input_changed(self) -> None:
        self._typed = self.chat_input.text
        self.context_view.typed()
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DEBOUNCE, self._save_draft)

    def _save_draft(self, text: str | None = None) -> None:
        """Save the input's text as this conversation's draft (if it changed)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        if text is None:
            text = self._typed
        if self.editing is not None and text == self.editing.content:
            text = ""  # the message being edited is saved already
        if text != self._draft_saved:
            self._draft_saved = text
            self.writer.save_draft(self._draft_key(), text)

    def _restore_draft(self) -> None:
        """Put this conversation's saved draft (if any) into the input."""
        conv_id = self.conv.id if self.conv is not None else None
        if conv_id is not None and conv_id < 0:
            return
        try:
            text = self.writer.draft(conv_id)
        except sqlite3.Error:
            text = ""
        self._draft_saved = self._typed = text
        self.chat_input.text = text
        self.chat_input.move_cursor(self.chat_input.document.end)

    # ------------------------------------------------------------------ sending
    @on(ChatInput.Submitted)
    def _submitted(self, event: ChatInput.Submitted) -> None:
        self.send(event.text)

    def send(self, text: str) -> None:
        if not text.strip():
            return
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it.", severity="warning")
            return
        if not self.model_ref:
            self._pending_text = text
            self.action_pick_model()
            return
        if model_mentions(text, self.several.all_refs()) and not without_model_mentions(
                text, self.several.all_refs()).strip():
            self.notify("Type the question after the models it is for.", severity="warning")
            return
        files = self.attached.prepare(text, self.editing, self.several.for_text(text))
        if files is None:  # said why; the input keeps the text
            return
        if self.context_view.holds_back(text):  # over the model's window: said; enter again
            return
        self.several.settle()
        if self.editing is not None:  # a new version of that turn: a branch
            parent = self.editing.parent
            self._drop_from(self.editing)
            self.editing = None
        else:
            parent = self.messages[-1] if self.messages else None
        self._save_draft("")  # sent: the draft is gone (also the new chat's)
        self.chat_input.clear()
        msg = self.turns.add(Message("user", text), parent)
        self.add_message(msg)
        self.attached.keep(msg, files)
        conv = self._ensure_conversation()
        if not conv.title:
            asked = without_model_mentions(text, self.several.all_refs())
            conv.title = hist.title_from(asked or text)
            self._show_title()
        self.messages.append(msg)
        self.log_view.add(self._entry_for(msg))
        self._answer()

    def _answerers(self) -> list[str]:
        """The models that answer the last question."""
        last = self._last_user()
        return self.several.for_text(last.content if last is not None else "")

    def api_messages(self) -> list[dict]:
        return outgoing(self.messages, self.system_prompt, self.context,
                        user=self.user_message)

    def user_message(self, msg: Message, *, quiet: bool = False) -> dict[str, Any]:
        """A user message as a request carries it: its text without the model mentions,
        its files (``quiet``: one that cannot be read is left out unsaid)."""
        text = msg.content
        if "@" in text:  # (most messages mention nothing: no need to list the models)
            text = without_model_mentions(text, self.several.all_refs())
        return self.attached.api_message(msg, text, quiet=quiet)

    def _answer(self) -> None:
        """Ask the model(s) for an answer to the conversation so far: with several, the
        answers arrive at once, one after another in the log, each a version of the turn
        (the first is kept until the user keeps another)."""
        refs = self._answerers()
        if not refs:  # callers choose a model first; never send without one
            self.action_pick_model()
            return
        api_messages = self.api_messages()
        parent = self.messages[-1] if self.messages else None
        self._clear_hints()
        entries = []
        for ref in refs:
            ans = self.turns.add(Message("assistant", model=ref, status=hist.STREAMING),
                                 parent)
            self.add_message(ans)
            entries.append(AnswerEntry(ans, streaming=True))
        first = entries[0].message
        if len(entries) > 1:
            self.turns.select(first)
            self.write(lambda db: db.select_version(row_id(first)))
        self.messages.append(first)
        for entry in entries:
            entry.versions = self.turns.version(entry.message)
            self.log_view.add(entry)
            self.answers.start(entry, api_messages)
        self.several.shown(entries)

    def _clear_hints(self) -> None:
        for entry in self.log_view.entries[-2 - MAX_MODELS:]:
            if isinstance(entry, AnswerEntry) and entry.note and \
                    entry.message.status == hist.ERROR:
                entry.note = None
                self.log_view.update_entry(entry)

    # ------------------------------------------------------------------ actions
    def action_stop_or_back(self) -> None:
        """esc: stop the answer; else cancel editing; else leave the log; else go back,
        asking first when the input holds text not sent."""
        if self.answers.stop_all():
            return
        if self.editing is not None:
            original, self.editing = self.editing.content, None
            if self.chat_input.text == original:
                self.chat_input.clear()
            else:  # what the user changed is theirs: it stays, to send as a new message
                self.notify("Editing cancelled: your changed text stays in the input.")
            return
        if self.focused is not self.chat_input and self.log_view.has_focus:
            self.log_view.select(None)
            # at once, not on the next idle: keys typed right behind esc are the input's
            self.set_focus(self.chat_input)
            return
        if len(self.app.screen_stack) <= 1:
            return
        if time.monotonic() - self.answers.ended_at < STOP_GRACE:
            # The answer ended as esc was pressed: it was meant as stop, not as back.
            stopped = bool(self.messages) and self.messages[-1].status == hist.STOPPED
            if not stopped and self._told_ended != self.answers.ended_at:  # once, however
                self._told_ended = self.answers.ended_at                  # often esc is hit
                self.notify("The answer had already ended.", timeout=2)
            return
        if not self.chat_input.text.strip():
            self.app.pop_screen()
            return
        from .dialogs import ConfirmDialog

        def leave(yes: bool | None) -> None:
            if yes and self.is_current:
                self.app.pop_screen()

        self.app.push_screen(ConfirmDialog(
            "Leave this chat?", "The input holds a message you have not sent.",
            yes="Leave"), leave)

    def action_interrupt(self) -> None:
        """ctrl+c: stop the answers while any arrive; otherwise ctrl+c keeps its meaning."""
        if not self.answers.stop_all():
            raise SkipAction()

    def action_stop_selected(self) -> None:
        """x in the log: stop the selected answer only (the others go on)."""
        if not self.answers.stop(self.log_view.selected_entry):
            self.notify("That answer is not arriving: esc stops all of them.")

    def action_keep(self) -> None:
        """enter in the log, on one of several answers to the same question: the
        conversation goes on from that one (the others stay, as versions of the turn)."""
        self.several.keep()

    def keep_version(self, msg: Message) -> None:
        """``msg``, a version of the last turn, is kept: the conversation goes on from it."""
        self.turns.select(msg)
        self.write(lambda db: db.select_version(row_id(msg)))
        self.messages[-1] = msg
        self.context_view.refresh()

    @on(ChatInput.Submitted)
    def _follow_new_message(self) -> None:
        """A message sent while reading back: show it and its answer (the log keeps
        following the answer until the user scrolls up again)."""
        log = self.log_view
        log.follow = True
        log.scroll_end(animate=False, immediate=True, x_axis=False)

    def action_pick_model(self) -> None:
        refs = model_refs(cherry_app(self).config)

        def chosen(choice: ModelChoice | None) -> None:
            if choice is None:
                self._pending_text = None
                return
            if choice.toggle:
                self.several.toggle(choice.ref)
                return
            self.set_model(choice.ref)
            self.compare = ()
            if choice.make_default:
                self._make_default(choice.ref)
            if self._pending_text:
                text, self._pending_text = self._pending_text, None
                self.send(text)

        self.app.push_screen(
            ModelPicker(refs, self.model_ref, cherry_app(self).config.default_model,
                        self.several.models()), chosen)

    def _make_default(self, ref: str) -> None:
        """ctrl+d in the picker: the user asked for this model in new chats too."""
        config = cherry_app(self).config
        if config.default_model == ref or commit(
                self.app, lambda: config.set_value("default_model", ref), "default model"):
            self.notify(f"{inert_line(ref)} is the default model for new chats.", markup=False)

    def set_model(self, ref: str) -> None:
        """This conversation's model (kept with it); the config's default stays."""
        self.model_ref = ref
        if self.conv is not None:
            conv = self.conv
            conv.model = ref
            self.write(lambda db: db.update(_saved_id(conv), model=ref))
        log = self.log_view
        if not self.messages and log.entries and log.entries == [self._intro_entry]:
            log.clear()  # the greeting names the model: say the new one
            self._intro()

    def action_regenerate(self) -> None:
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return
        if not self.messages:
            self.notify("Nothing to retry yet: type a question and press enter.")
            return
        if not self.model_ref:
            self.action_pick_model()
            return
        self.several.settle()
        last = self.messages[-1]
        if last.role == CONTEXT:
            self.notify("A new context follows the last answer: ask a question, or ctrl+g "
                        "takes the marker back to retry it.")
            return
        if not self.attached.ready(self.messages[:-1] if last.role == "assistant"
                                   else self.messages, self._answerers()):
            return
        if last.role == "assistant":
            self._drop_from(last)  # from the view: it stays, as an earlier version
        if self.messages and self.messages[-1].role == "user":
            self._answer()

    def _drop_from(self, msg: Message) -> None:
        """Take ``msg`` and everything after it off the screen (the history keeps them)."""
        if msg not in self.messages:
            return
        del self.messages[self.messages.index(msg):]
        for j, entry in enumerate(self.log_view.entries):
            if getattr(entry, "message", None) is msg:
                self.log_view.remove_from(j)
                break

    def _entry_for(self, msg: Message) -> Entry:
        if msg.role == CONTEXT:
            return MarkerEntry(msg)
        entry: Entry = UserEntry(msg) if msg.role == "user" else AnswerEntry(msg)
        entry.versions = self.turns.version(msg)
        return entry

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "version":  # shown (footer) and active only on a turn with versions
            msg = getattr(self._target_entry(), "message", None)
            return msg is not None and len(self.turns.siblings(msg)) > 1
        if action == "keep":  # on one of several answers to the last question
            return self.log_view.selected_entry in self.several.group
        if action == "stop_selected":
            return self.log_view.selected_entry in self.streams
        return True

    def action_version(self, step: int) -> None:
        """Show the older (-1) or newer (1) version of the selected turn (else the last
        answer); the version shown is kept: the conversation goes on from it."""
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return
        self.several.settle()  # several answers shown: the kept one stays, then browse
        entry = self._target_entry()
        msg = getattr(entry, "message", None)
        if msg is None or msg not in self.messages:
            self.notify("Select a message first: tab, then ↑↓.")
            return
        versions = self.turns.siblings(msg)
        n = versions.index(msg) + step
        if len(versions) < 2:
            self.notify("This turn has one version: ctrl+r or editing adds another.")
            return
        if not 0 <= n < len(versions):
            self.notify("No newer version." if step > 0 else "This is the first version.")
            return
        if self.editing is not None:
            self.editing = None
            self.chat_input.clear()
        chosen = versions[n]
        self.turns.select(chosen)
        self.write(lambda db: db.select_version(row_id(chosen)))
        log = self.log_view
        index = next(j for j, e in enumerate(log.entries) if getattr(e, "message", None) is msg)
        self.messages[self.messages.index(msg):] = self.turns.path(chosen)
        log.remove_from(index)
        for m in self.turns.path(chosen):
            log.add(self._entry_for(m))
        log.select(index)
        self.context_view.refresh()

    @on(ChatInput.EditLast)
    def action_edit_last(self) -> None:
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return
        last_user = next((m for m in reversed(self.messages) if m.role == "user"), None)
        if last_user is None:
            return
        self._edit(last_user)

    def _edit(self, msg: Message) -> None:
        """Put ``msg`` in the input: sending it makes a new version of that turn."""
        if self.editing is None and self.chat_input.text.strip():
            self.notify("Send or clear what is in the input first: editing would replace it.",
                        severity="warning")
            self.chat_input.focus()
            return
        self.editing = msg
        self.chat_input.text = inert(msg.content)  # from the history file: shown inert
        self.chat_input.move_cursor(self.chat_input.document.end)
        self.set_focus(self.chat_input)  # at once: the keys typed behind e edit it

    def _target_entry(self) -> Entry | None:
        log = self.log_view
        if log.selected_entry is not None:
            return log.selected_entry
        for entry in reversed(log.entries):
            if isinstance(entry, AnswerEntry):
                return entry
        return None

    def action_copy(self) -> None:
        entry = self._target_entry()
        text = entry.copy_text() if entry is not None else ""
        if not text:
            self.notify("Nothing to copy yet.")
            return
        # what the screen shows: control characters visible, never live in a paste
        text = inert(text)
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {len(text):,} characters (through the terminal: OSC 52).")

    def action_toggle_reasoning(self) -> None:
        entry = self._target_entry()
        if not isinstance(entry, AnswerEntry) or not entry.reasoning:
            self.notify("This answer has no reasoning.")
            return
        entry.show_reasoning = not entry.show_reasoning
        self.log_view.update_entry(entry)

    def action_edit_selected(self) -> None:
        entry = self.log_view.selected_entry
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return
        self.log_view.select(None)
        if isinstance(entry, UserEntry):
            self._edit(entry.message)  # any question: the new version starts a branch
        else:
            self.action_edit_last()

    def action_new_conversation(self) -> None:
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return
        self._save_draft()
        self.conv = None
        self.turns = Tree()
        self.messages = []
        self.several.forget()
        self.editing = None
        self.title_text = ""
        self.system_prompt, self.temperature = "", None
        self.top_p = self.max_tokens = None
        self.assistant_name, self.context = None, None
        self.log_view.clear()
        self._intro()
        self._restore_draft()
        self.chat_input.focus()
        self._show_title()
        self.context_view.refresh()

    def action_settings(self) -> None:
        current = ChatSettings(inert_line(self.conv.title if self.conv else self.title_text),
                               inert(self.system_prompt), self.temperature)

        def done(result: ChatSettings | None) -> None:
            if result is None:
                return
            self.system_prompt, self.temperature = result.system_prompt, result.temperature
            if self.conv is not None:
                conv = self.conv
                conv.title = result.title or conv.title
                conv.system_prompt = result.system_prompt
                conv.temperature = result.temperature
                self.write(lambda db: db.update(
                    _saved_id(conv), title=conv.title, system_prompt=conv.system_prompt,
                    temperature=conv.temperature))
            else:
                self.title_text = result.title
            self._show_title()
            self.notify("Settings saved for this conversation.")

        self.app.push_screen(SettingsDialog(current), done)

    def action_history(self) -> None:
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return
        from .history import NEW, HistoryScreen

        screen = HistoryScreen(self.db, self.conv.id if self.conv else None)

        def done(result) -> None:
            if self.conv is not None and self.conv.id in screen.deleted:
                self.conv = None
                self._draft_saved = ""  # its draft went with it; the text stays (new chat)
                self.action_new_conversation()
            elif self.conv is not None and self.conv.id in screen.renamed:
                self.conv.title = screen.renamed[self.conv.id]
                self._show_title()
            if isinstance(result, int):
                self.open_conversation(result)
            elif result == NEW:
                self.action_new_conversation()

        self.app.push_screen(screen, done)

    def open_conversation(self, conversation_id: int) -> None:
        conv = self._read(conversation_id)
        if conv is None:
            self.notify("That conversation no longer exists.", severity="warning")
            self._intro()
            return
        self._save_draft()
        self.conv = conv
        self.turns = conv.tree or Tree.line(conv.messages)
        self.messages = conv.messages
        self.several.forget()
        self.system_prompt, self.temperature = conv.system_prompt, conv.temperature
        self._reopen_assistant(conv.assistant)
        self.title_text = ""
        self.editing = None
        if conv.model:
            self.model_ref = conv.model
        known = self.several.all_refs()  # a model taken out of the config since: not asked
        self.compare = tuple(r for r in conv.compare if r in known and r != self.model_ref)
        self.log_view.load([self._entry_for(m) for m in conv.messages
                            if m.role in ("user", "assistant", CONTEXT)])
        self._restore_draft()
        self._show_title()
        self.context_view.refresh()
        self.chat_input.focus()

    # ------------------------------------------------------------------ assistants
    def use_assistant(self, assistant: Assistant) -> None:
        """Start a new conversation with the assistant's prompt, model and settings."""
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return
        self.action_new_conversation()
        self._apply_assistant(assistant)
        self.log_view.clear()
        self._intro()  # again: it names the assistant's model

    def _apply_assistant(self, assistant: Assistant) -> None:
        self.assistant_name, self.context = assistant.name, assistant.context
        self.system_prompt, self.temperature = assistant.prompt, assistant.temperature
        self.top_p, self.max_tokens = assistant.top_p, assistant.max_tokens
        if assistant.model:
            self.model_ref = assistant.model

    def _reopen_assistant(self, name: str | None) -> None:
        """A saved conversation's assistant: its name, and its context, top_p and
        max_tokens as configured now."""
        self.assistant_name, self.context = name, None
        self.top_p = self.max_tokens = None
        if name:
            try:
                found = assistants.find(cherry_app(self).config, name)
                self.context, self.top_p, self.max_tokens = (found.context, found.top_p,
                                                             found.max_tokens)
            except KeyError:  # deleted since: the name stays, every message is sent
                pass

    def action_export(self) -> None:
        if self.conv is None or not self.messages:
            self.notify("Nothing to export yet.")
            return
        export_conversation(self, self.db, self.conv.id, self.conv)

    def action_rename(self) -> None:
        from .dialogs import PromptDialog

        if self.conv is None or self.conv.id < 0:
            self.action_settings()
            return

        def done(title: str | None) -> None:
            if title and self.conv is not None:
                conv = self.conv
                conv.title = title.strip()
                self.write(lambda db: db.rename(_saved_id(conv), conv.title))
                self._show_title()

        self.app.push_screen(PromptDialog("Rename conversation", "Title",
                                          inert_line(self.conv.title)), done)

    def action_delete(self) -> None:
        from .dialogs import ConfirmDialog

        if self.conv is None or self.conv.id < 0:
            self.action_new_conversation()
            return
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return

        def done(yes: bool | None) -> None:
            if yes and self.conv is not None:
                conv = self.conv
                self.write(lambda db: db.delete(_saved_id(conv)))
                self.notify("Conversation deleted.")
                self.conv = None
                self._draft_saved = ""  # its draft goes with it; the text stays (new chat)
                self.action_new_conversation()

        self.app.push_screen(ConfirmDialog(
            "Delete this conversation?",
            f"{self.conv.display_title!r} and its {len(self.messages)} messages are removed "
            "from the history for good.", yes="Delete"), done)

    def action_new_context(self) -> None:
        self.context_view.toggle_marker()
    def action_attach(self) -> None:
        from .attach_dialog import AttachDialog

        self.app.push_screen(AttachDialog(), self.chat_input.insert_mention)

    def wants_tab(self) -> bool:
        """The input takes tab itself: it completes an @path, else moves the focus on."""
        return isinstance(self.focused, ChatInput) and self.focused.completes_with("tab")

    def action_focus_log(self) -> None:
        self.log_view.focus()
        if self.log_view.selected is None:
            self.log_view.move_selection(-1)

    def palette_commands(self) -> list[tuple[str, str, str]]:
        return [
            ("Chat: export conversation to Markdown", "write a .md file", "export"),
            ("Chat: rename conversation", "set its title", "rename"),
            ("Chat: delete conversation", "asks first", "delete"),
            ("Chat: copy answer", "the selected or last answer, to the clipboard (OSC 52)",
             "copy"),
            ("Chat: show or hide reasoning", "of the selected or last answer",
             "toggle_reasoning"),
            ("Chat: regenerate last answer", "ctrl+r", "regenerate"),
            ("Chat: edit and resend last message", "↑ in the empty input", "edit_last"),
            ("Chat: older version of the turn", "[ in the log (tab)", "version(-1)"),
            ("Chat: newer version of the turn", "] in the log (tab)", "version(1)"),
            ("Chat: choose model", "ctrl+l", "pick_model"),
            ("Chat: ask several models (compare)",
             "ctrl+l, then ctrl+a on each model to add; or @provider/model in a message",
             "pick_model"),
            ("Chat: keep the selected answer", "enter on one of several answers in the log",
             "keep"),
            ("Chat: stop the selected answer", "x in the log; esc stops all",
             "stop_selected"),
            ("Chat: attach a file", "ctrl+f; or @path in the input (tab completes)",
             "attach"),
            ("Chat: history", "ctrl+o: open, search, rename, delete", "history"),
            ("Chat: settings (system prompt, temperature)", "ctrl+s", "settings"),
            ("Chat: new conversation", "ctrl+n", "new_conversation"),
            ("Chat: new context", "ctrl+g: earlier messages are not sent; again takes it back",
             "new_context"),
            ("Chat: select messages in the log", "tab; ↑↓, c copy, t reasoning", "focus_log"),
        ]


def _saved_id(conv: Conversation) -> int:
    """The conversation's row id, for a write that runs after its creation was tried."""
    if conv.id < 0:
        raise Skipped("its conversation could not be saved")
    return conv.id


def chat_help_sections() -> list[tuple[str, list, str]]:
    """The chat's keys for the help screen (? / F1)."""
    from .attach_dialog import AttachDialog, AttachField
    from .chat_dialogs import ModelPicker, PickerFilter, SettingsDialog
    from .history import HistoryScreen

    return [
        ("Chat", [*ChatInput.BINDINGS, *ChatScreen.BINDINGS],
         "enter sends; ctrl+j (or alt+enter, shift+enter) starts a new line - ctrl+enter "
         "rarely reaches a program over SSH or tmux. Pasting many lines never sends. "
         "↑ in the empty input edits the last message and sends it again. esc (or ctrl+c) "
         "stops an answer (what arrived is kept, marked stopped); else esc cancels editing, "
         "else goes back - never in the second after an answer ends (a late stop), and "
         "with unsent text it asks first. ctrl+g starts a new context: the messages above "
         "its line are not sent (ctrl+g again takes it back); the line above the input "
         "says how many messages and about how many tokens the next request sends, and "
         "the model's window when known. ctrl+p lists every chat action: export, rename, "
         "delete, copy, reasoning. Attach a file with @path in the input (tab completes the "
         "path; quote one with spaces: @\"my file.txt\") or ctrl+f (a picker); on send each "
         "@path that names a file goes with the message: a text file in a fenced block, an "
         "image (PNG, JPEG, WebP, GIF) to a vision model. @provider/model is a model, not a "
         "file: that model answers."),
        ("Chat log (tab)", ChatLog.BINDINGS,
         "↑↓ select a message; esc goes back to the input. ctrl+r and editing add a version "
         "of the turn (nothing is replaced): [ and ] (or ← →) show the older and newer "
         "ones, marked ‹ 2/3 ›; the one shown is what the conversation goes on from."),
        ("Model picker", [*PickerFilter.BINDINGS, *ModelPicker.BINDINGS],
         "Type to filter (fuzzy); enter chooses this conversation's model; ctrl+d also "
         "makes it the default for new chats; ctrl+a adds it to the models answering "
         "(or takes it out): several answer each question side by side."),
        ("File picker (ctrl+f)", [*AttachField.BINDINGS, *AttachDialog.BINDINGS],
         "Type a path (tab completes; relative to the folder the app started in) or move "
         "down the list; enter on a file puts @path into the input, on a folder opens it."),
        ("Chat settings", SettingsDialog.BINDINGS,
         "Title, system prompt and temperature of this conversation."),
        ("Chat history", HistoryScreen.BINDINGS,
         "Type to search every message; ↓ reaches the list, where r, d and x act."),
    ]
