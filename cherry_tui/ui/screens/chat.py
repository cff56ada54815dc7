"""The chat screen: pick a model, ask, watch the answer stream in, stop, retry, keep it.

Keys (ids in parentheses, for ``[keymap]``):

    enter              send                            (chat.send)
    ctrl+j             new line; also alt+enter,       (chat.newline)
                       shift+enter, ctrl+enter
    ↑ in empty input   edit and resend the last message
    escape             stop the answer; else cancel editing; else back   (chat.stop)
    ctrl+l             choose the model (fuzzy filter)  (chat.model)
    ctrl+r             retry / regenerate the last answer  (chat.retry)
    ctrl+o             history: open, rename, delete, search, export  (chat.history)
    ctrl+s             settings: title, system prompt, temperature  (chat.settings)
    ctrl+n             new conversation                (chat.new)
    ctrl+y             copy the selected (else the last) answer  (chat.copy)
    tab                to the log: ↑↓ select a message, c copy, t reasoning, e edit
    ctrl+p             every action by name (export, rename, delete, ...)

The conversation is saved as it happens (see cherry_tui.core.history); the answer's
text is saved at every re-render of the stream, so a crash loses at most what arrived
in the last frame.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from functools import partial
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker

from ...core import history as hist
from ...core.client import (
    ContentDelta, Finish, ProviderError, ReasoningDelta, Usage, neutralize_controls,
)
from ...core.config import ConfigError, ConfigReadOnly, split_model_ref
from ...core.history import Conversation, History, Message
from ...core.text import inert, inert_line
from ..widgets.chat_input import ChatInput
from ..widgets.chatlog import AnswerEntry, ChatLog, Entry, NoticeEntry, UserEntry
from .chat_dialogs import ChatSettings, ModelPicker, SettingsDialog, model_refs


def get_history(app) -> History:
    """The app's one history database (made on first use; in memory if the file fails)."""
    db = getattr(app, "_chat_history", None)
    if db is None:
        try:
            db = History()
            db.recover()
        except (sqlite3.Error, OSError) as exc:
            db = History(Path(":memory:"))
            app.notify(f"Chat history cannot be saved ({exc}); this session's chats are "
                       "kept in memory only.", title="History", severity="error",
                       timeout=15, markup=False)
        app._chat_history = db
    return db


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
    ChatScreen #chat-bar {
        height: 1; width: 100%; background: $panel; color: $text; padding: 0 1;
    }
    ChatScreen ChatLog { height: 1fr; }
    ChatScreen ChatInput { margin: 0 0; }
    """
    COMMANDS = {ChatCommands}  # noqa: RUF012
    BINDINGS = [
        Binding("escape", "stop_or_back", "Stop", id="chat.stop",
                tooltip="Stop the answer; else cancel editing; else go back"),
        Binding("ctrl+l", "pick_model", "Model", id="chat.model"),
        Binding("ctrl+r", "regenerate", "Retry", id="chat.retry"),
        Binding("ctrl+o", "history", "History", id="chat.history"),
        Binding("ctrl+s", "settings", "Settings", id="chat.settings"),
        Binding("ctrl+n", "new_conversation", "New chat", id="chat.new", show=False),
        Binding("ctrl+y", "copy", "Copy", id="chat.copy", show=False, priority=True),
    ]

    def __init__(self, conversation_id: int | None = None):
        super().__init__()
        self.open_id = conversation_id
        self.conv: Conversation | None = None
        self.messages: list[Message] = []
        self.model_ref: str | None = None
        self.system_prompt = ""
        self.temperature: float | None = None
        self.title_text = ""
        self.editing: Message | None = None
        self.worker: Worker | None = None
        self.streaming: AnswerEntry | None = None
        self._unsaved: tuple[list[str], list[str]] = ([], [])
        self._pending_text: str | None = None
        self._intro_entry: Entry | None = None

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static(id="chat-bar")
        yield ChatLog(id="chat-log")
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
        return get_history(self.app)

    def on_mount(self) -> None:
        self.log_view.flush_hook = self._save_partial
        self.model_ref = self._initial_model()
        if self.open_id is not None:
            self.open_conversation(self.open_id)
        else:
            self._intro()
        self.chat_input.focus()
        self._update_bar()

    def _initial_model(self) -> str | None:
        refs = model_refs(self.app.config)
        last = self.app.config.default_model
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

    def _update_bar(self) -> None:
        model = self.model_ref or "no model: ctrl+l"
        title = self.title_text or (self.conv.display_title if self.conv else "New conversation")
        if self.streaming is not None:
            state = "answering… esc stops"
        elif self.editing is not None:
            state = "editing your last message · esc cancels"
        else:
            state = ""
        extra = []
        if self.temperature is not None:
            extra.append(f"t={self.temperature:g}")
        if self.system_prompt:
            extra.append("system prompt")
        left = Text.assemble((inert_line(model), "bold"), "  ·  ", inert_line(title))
        if extra:
            left.append("  ·  " + ", ".join(extra), style="dim")
        bar = self.query_one("#chat-bar", Static)
        width = max(10, bar.size.width - 2 if bar.size.width else 78)
        if state:
            room = width - len(state) - 2
            if left.cell_len > room:
                left.truncate(max(5, room), overflow="ellipsis")
            left.append(" " * max(2, width - left.cell_len - len(state)))
            left.append(state, style="bold")
        else:
            left.truncate(width, overflow="ellipsis")
        left.no_wrap = True
        bar.update(left)

    def on_resize(self) -> None:
        self._update_bar()

    # ------------------------------------------------------------------ db helpers
    def _db(self, fn, *args, **kwargs):
        """Run one history call; a failure is shown, the chat goes on."""
        try:
            return fn(*args, **kwargs)
        except sqlite3.Error as exc:
            self.notify(f"Chat history could not be saved: {exc}", title="History",
                        severity="error", markup=False)
            return None

    def _ensure_conversation(self) -> Conversation:
        if self.conv is None:
            conv = self._db(self.db.create, title=self.title_text, model=self.model_ref,
                            system_prompt=self.system_prompt, temperature=self.temperature)
            self.conv = conv or Conversation(id=-1, title=self.title_text, model=self.model_ref)
        return self.conv

    def _save_partial(self) -> None:
        """Called after each re-render of the stream: save what arrived since."""
        content, reasoning = self._unsaved
        if (content or reasoning) and self.streaming is not None \
                and self.streaming.message.id is not None:
            self._db(self.db.append_partial, self.streaming.message.id,
                     "".join(content), "".join(reasoning))
            content.clear()
            reasoning.clear()

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
        if self.editing is not None:
            self._drop_from(self.editing)
            self.editing = None
        self.chat_input.clear()
        conv = self._ensure_conversation()
        msg = Message("user", text)
        if conv.id >= 0:
            self._db(self.db.add, conv.id, msg)
        if not conv.title:
            conv.title = hist.title_from(text)
        self.messages.append(msg)
        self.log_view.add(UserEntry(msg))
        self._answer()

    def api_messages(self) -> list[dict]:
        out: list[dict] = []
        if self.system_prompt.strip():
            out.append({"role": "system", "content": self.system_prompt})
        for m in self.messages:
            if m.role == "user":
                out.append({"role": "user", "content": m.content})
            elif m.role == "assistant" and m.content.strip():
                out.append({"role": "assistant", "content": m.content})
        return out

    def _answer(self) -> None:
        """Ask the model for an answer to the conversation so far."""
        ref = self.model_ref
        conv = self._ensure_conversation()
        api_messages = self.api_messages()
        ans = Message("assistant", model=ref, status=hist.STREAMING)
        if conv.id >= 0:
            self._db(self.db.add, conv.id, ans)
        self.messages.append(ans)
        entry = AnswerEntry(ans, streaming=True)
        self._clear_hints()
        self.log_view.add(entry)
        self.streaming = entry
        self._unsaved = ([], [])
        self._update_bar()
        self.worker = self.run_worker(self._stream(entry, ref, api_messages), group="chat",
                                      exclusive=True, exit_on_error=False)

    async def _stream(self, entry: AnswerEntry, ref: str, api_messages: list[dict]) -> None:
        from ...core.secrets import key_info

        msg = entry.message
        started = time.monotonic()
        entry.started = started
        status, error, finish = hist.DONE, None, None
        log = self.log_view
        unsaved_content, unsaved_reasoning = self._unsaved
        try:
            try:
                pid, model = split_model_ref(ref)
                provider = self.app.config.provider(pid)
            except (ValueError, KeyError):
                raise ProviderError("config", f"the model {ref!r} belongs to no configured "
                                    "provider: ctrl+l chooses another") from None
            info = await asyncio.to_thread(key_info, provider, self.app.config.path)
            n = 0
            async for event in self.app.client.stream_chat(
                    provider, info.keys, model, api_messages, temperature=self.temperature):
                n += 1
                if not n % 32:
                    await asyncio.sleep(0)  # a fast server: let keys and frames in
                if isinstance(event, ContentDelta):
                    entry.append(content=event.text)
                    unsaved_content.append(event.text)
                    log.touch(entry)
                elif isinstance(event, ReasoningDelta):
                    entry.append(reasoning=event.text)
                    unsaved_reasoning.append(event.text)
                    log.touch(entry)
                elif isinstance(event, Usage):
                    msg.prompt_tokens = event.prompt_tokens
                    msg.completion_tokens = event.completion_tokens
                elif isinstance(event, Finish):
                    finish = event.reason
        except ProviderError as exc:
            status, error = hist.ERROR, exc.message
        except asyncio.CancelledError:
            self._finish_answer(entry, hist.STOPPED, None, None)
            raise
        except Exception as exc:  # noqa: BLE001 - shown, never a crash of the app
            status, error = hist.ERROR, f"{type(exc).__name__}: {exc}"
        if finish == "length" and status == hist.DONE:
            error = "the answer was cut at the length limit"
        self._finish_answer(entry, status, error, finish)

    def _finish_answer(self, entry: AnswerEntry, status: str, error: str | None,
                       finish: str | None) -> None:
        msg = entry.message
        now = time.monotonic()
        msg.elapsed = now - entry.started
        if entry.first_token is not None and msg.completion_tokens:
            gen = now - entry.first_token
            if gen > 0.05:
                entry.rate = msg.completion_tokens / gen
        entry.finish(status, error if status == hist.ERROR else None)
        if error and status != hist.ERROR:
            entry.note = error
        if status == hist.ERROR:
            entry.note = "ctrl+r retries · ctrl+l chooses another model"
        self._unsaved = ([], [])
        if msg.id is not None:  # first the history: this also runs when the app quits
            self._db(self.db.finish, msg)
        self.streaming = None
        self.worker = None
        if not self.is_attached or not self.is_mounted:
            return
        try:
            self.log_view.update_entry(entry)
            self._update_bar()
        except NoMatches:  # the screen is being torn down
            pass

    def _clear_hints(self) -> None:
        for entry in self.log_view.entries[-3:]:
            if isinstance(entry, AnswerEntry) and entry.note and \
                    entry.message.status == hist.ERROR:
                entry.note = None
                self.log_view.update_entry(entry)

    # ------------------------------------------------------------------ actions
    def action_stop_or_back(self) -> None:
        if self.worker is not None and self.streaming is not None:
            self.worker.cancel()
            return
        if self.editing is not None:
            self.editing = None
            self.chat_input.clear()
            self._update_bar()
            return
        if self.focused is not self.chat_input and self.log_view.has_focus:
            self.log_view.select(None)
            self.chat_input.focus()
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_pick_model(self) -> None:
        refs = model_refs(self.app.config)

        def chosen(ref: str | None) -> None:
            if not ref:
                self._pending_text = None
                return
            self.set_model(ref)
            if self._pending_text:
                text, self._pending_text = self._pending_text, None
                self.send(text)

        self.app.push_screen(ModelPicker(refs, self.model_ref), chosen)

    def set_model(self, ref: str) -> None:
        self.model_ref = ref
        if self.conv is not None and self.conv.id >= 0:
            self.conv.model = ref
            self._db(self.db.update, self.conv.id, model=ref)
        config = self.app.config
        if config.default_model != ref:
            try:
                config.set_value("default_model", ref)
                config.save()
            except ConfigReadOnly:
                pass  # the app already said the config file is not loaded
            except (ConfigError, OSError) as exc:
                self.notify(f"The model choice is not remembered: {exc}", severity="warning",
                            markup=False)
        log = self.log_view
        if not self.messages and log.entries and log.entries == [self._intro_entry]:
            log.clear()  # the greeting names the model: say the new one
            self._intro()
        self._update_bar()

    def action_regenerate(self) -> None:
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return
        if not self.messages:
            self.notify("Nothing to retry yet: type a question and press enter.")
            return
        last = self.messages[-1]
        if last.role == "assistant":
            self._drop_from(last)
        if self.messages and self.messages[-1].role == "user":
            if not self.model_ref:
                self.action_pick_model()
                return
            self._answer()

    def _drop_from(self, msg: Message) -> None:
        """Remove ``msg`` and everything after it (screen, log, history)."""
        if msg not in self.messages:
            return
        i = self.messages.index(msg)
        if self.conv is not None and self.conv.id >= 0 and msg.id is not None:
            self._db(self.db.delete_messages_from, self.conv.id, msg.id)
        del self.messages[i:]
        for j, entry in enumerate(self.log_view.entries):
            if getattr(entry, "message", None) is msg:
                self.log_view.remove_from(j)
                break

    @on(ChatInput.EditLast)
    def action_edit_last(self) -> None:
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return
        last_user = next((m for m in reversed(self.messages) if m.role == "user"), None)
        if last_user is None:
            return
        self.editing = last_user
        self.chat_input.text = inert(last_user.content)  # from the history file: shown inert
        self.chat_input.move_cursor(self.chat_input.document.end)
        self.chat_input.focus()
        self._update_bar()

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
        text = neutralize_controls(text)
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
        if isinstance(entry, UserEntry):
            last_user = next((m for m in reversed(self.messages) if m.role == "user"), None)
            if entry.message is not last_user:
                self.notify("Only the last message can be edited (then it is sent again).")
                return
        self.log_view.select(None)
        self.action_edit_last()

    def action_new_conversation(self) -> None:
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return
        self.conv = None
        self.messages = []
        self.editing = None
        self.title_text = ""
        self.system_prompt, self.temperature = "", None
        self.log_view.clear()
        self._intro()
        self.chat_input.clear()
        self.chat_input.focus()
        self._update_bar()

    def action_settings(self) -> None:
        current = ChatSettings(inert_line(self.conv.title if self.conv else self.title_text),
                               inert(self.system_prompt), self.temperature)

        def done(result: ChatSettings | None) -> None:
            if result is None:
                return
            self.system_prompt, self.temperature = result.system_prompt, result.temperature
            if self.conv is not None and self.conv.id >= 0:
                title = result.title or self.conv.title
                self.conv.title = title
                self.conv.system_prompt = result.system_prompt
                self.conv.temperature = result.temperature
                self._db(self.db.update, self.conv.id, title=title,
                         system_prompt=result.system_prompt, temperature=result.temperature)
            else:
                self.title_text = result.title
            self._update_bar()
            self.notify("Settings saved for this conversation.")

        self.app.push_screen(SettingsDialog(current), done)

    def action_history(self) -> None:
        if self.streaming is not None:
            self.notify("An answer is still arriving: esc stops it first.", severity="warning")
            return
        from .history import NEW, HistoryScreen

        def done(result) -> None:
            if self.conv is not None and self.conv.id >= 0 and \
                    self.db.get(self.conv.id, messages=False) is None:
                self.action_new_conversation()  # it was deleted there
            elif self.conv is not None and self.conv.id >= 0:
                fresh = self.db.get(self.conv.id, messages=False)
                if fresh:
                    self.conv.title = fresh.title
                    self._update_bar()
            if isinstance(result, int):
                self.open_conversation(result)
            elif result == NEW:
                self.action_new_conversation()

        self.app.push_screen(HistoryScreen(self.conv.id if self.conv else None), done)

    def open_conversation(self, conversation_id: int) -> None:
        conv = self._db(self.db.get, conversation_id)
        if conv is None:
            self.notify("That conversation no longer exists.", severity="warning")
            self._intro()
            return
        self.conv = conv
        self.messages = conv.messages
        self.system_prompt, self.temperature = conv.system_prompt, conv.temperature
        self.title_text = ""
        self.editing = None
        if conv.model:
            self.model_ref = conv.model
        entries: list[Entry] = []
        for m in conv.messages:
            if m.role == "user":
                entries.append(UserEntry(m))
            elif m.role == "assistant":
                entries.append(AnswerEntry(m))
        self.log_view.load(entries)
        self._update_bar()
        self.chat_input.focus()

    def action_export(self) -> None:
        if self.conv is None or self.conv.id < 0 or not self.messages:
            self.notify("Nothing to export yet.")
            return
        export_conversation(self, self.conv.id)

    def action_rename(self) -> None:
        from .dialogs import PromptDialog

        if self.conv is None or self.conv.id < 0:
            self.action_settings()
            return

        def done(title: str | None) -> None:
            if title and self.conv is not None:
                self._db(self.db.rename, self.conv.id, title)
                self.conv.title = title.strip()
                self._update_bar()

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
                self._db(self.db.delete, self.conv.id)
                self.notify("Conversation deleted.")
                self.action_new_conversation()

        self.app.push_screen(ConfirmDialog(
            "Delete this conversation?",
            f"{self.conv.display_title!r} and its {len(self.messages)} messages are removed "
            "from the history for good.", yes="Delete"), done)

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
            ("Chat: choose model", "ctrl+l", "pick_model"),
            ("Chat: history", "ctrl+o: open, search, rename, delete", "history"),
            ("Chat: settings (system prompt, temperature)", "ctrl+s", "settings"),
            ("Chat: new conversation", "ctrl+n", "new_conversation"),
            ("Chat: select messages in the log", "tab; ↑↓, c copy, t reasoning", "focus_log"),
        ]


def export_conversation(screen: Screen, conversation_id: int) -> None:
    """Ask where, then write the conversation as Markdown (asks before overwriting)."""
    from ...core.config import atomic_write_text
    from .dialogs import ConfirmDialog, PromptDialog

    db = get_history(screen.app)
    conv = db.get(conversation_id)
    if conv is None:
        return
    default = str(Path.cwd() / hist.export_filename(conv))

    def write(path_text: str | None) -> None:
        if not path_text:
            return
        path = Path(path_text).expanduser()
        if path.is_dir():
            path = path / hist.export_filename(conv)

        def really(yes: bool | None = True) -> None:
            if not yes:
                return
            try:
                atomic_write_text(path, hist.to_markdown(conv))
            except OSError as exc:
                screen.notify(f"Cannot write {path}: {exc.strerror or exc}", severity="error",
                              markup=False)
                return
            screen.notify(f"Exported to {path}", markup=False)

        if path.exists():
            screen.app.push_screen(ConfirmDialog("Overwrite?", f"{path} exists.",
                                                 yes="Overwrite"), really)
        else:
            really()

    screen.app.push_screen(PromptDialog("Export to Markdown", "File", default,
                                        "enter: write    esc: cancel"), write)


def chat_help_sections() -> list[tuple[str, list, str]]:
    """The chat's keys for the help screen (? / F1)."""
    from .chat_dialogs import ModelPicker, SettingsDialog
    from .history import HistoryScreen

    return [
        ("Chat", [*ChatInput.BINDINGS, *ChatScreen.BINDINGS],
         "enter sends; ctrl+j (or alt+enter, shift+enter) starts a new line - ctrl+enter "
         "rarely reaches a program over SSH or tmux. Pasting many lines never sends. "
         "↑ in the empty input edits the last message and sends it again. esc stops an "
         "answer (what arrived is kept, marked stopped), else cancels editing, else goes "
         "back. ctrl+p lists every chat action: export, rename, delete, copy, reasoning."),
        ("Chat log (tab)", ChatLog.BINDINGS, "↑↓ select a message; esc goes back to the input."),
        ("Model picker", ModelPicker.BINDINGS, "Type to filter (fuzzy); enter chooses."),
        ("Chat settings", SettingsDialog.BINDINGS,
         "Title, system prompt and temperature of this conversation."),
        ("Chat history", HistoryScreen.BINDINGS,
         "Type to search every message; ↓ reaches the list, where r, d and x act."),
    ]
