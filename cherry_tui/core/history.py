"""Chat history in SQLite: conversations and their messages, saved as they happen.

* One file, ``<data dir>/history.sqlite3``, in WAL mode with a busy timeout, so two
  instances of the app can write at once and lose nothing: every write is a short
  transaction that touches only its own rows (no whole-conversation rewrites).
* A streamed answer is saved while it arrives: :meth:`History.append_partial` appends the
  new text as a small row (cost per write does not grow with the answer); finishing the
  message folds the parts into the message row. After a crash the parts are still there
  and the message opens as "interrupted".
* Search uses FTS5 (trigram tokenizer: substring matches that work for any script) when
  SQLite has it, else ``LIKE``. Titles are searched too.
* Nothing is replaced: a regenerated answer or an edited question is a new *version* of
  its turn. Each message points at the message it follows (``parent_id``); the messages
  that follow the same one are the versions of that turn, and one of them is ``active``
  (kept): the kept versions, turn by turn, are the conversation that goes on. An edited
  question starts a branch: the answers to the old question stay under the old version.
* A "new context" marker is a message of role :data:`CONTEXT` in the same tree (the
  messages before it are not sent); only a marker nothing follows yet is ever removed.
* A message's attachments (``message_attachments``, :meth:`History.add_attachments`):
  a text file with its text in full, an image by its path, SHA-256 and size (not its
  bytes). Loading a conversation loads their names and sizes, not their text.
* An unsent draft is kept per conversation (``drafts``; 0 is the new chat without one).
* The TUI writes through :mod:`.history_writer` (another thread, retried while another
  process holds the lock); Markdown export is in :mod:`.history_export`.

Pure logic: no Textual import.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .attachments import Attachment, TextFile, reload_image
from .paths import data_dir

DB_NAME = "history.sqlite3"
BUSY_TIMEOUT_MS = 5000
TITLE_LEN = 60

# Message status values.
DONE = "done"
STREAMING = "streaming"
STOPPED = "stopped"
ERROR = "error"
INTERRUPTED = "interrupted"  # the app ended (crash, kill) while it was streaming

# The role of a "new context" marker (ctrl+g in the chat): a message with no text that
# follows the turn it was set after, like any message; the messages before it are not
# sent (core.context). The role column is free text, so no schema change was needed: a
# database of any earlier release opens as it is.
CONTEXT = "context"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL DEFAULT '',
    model         TEXT,
    system_prompt TEXT NOT NULL DEFAULT '',
    temperature   REAL,
    created       REAL NOT NULL,
    updated       REAL NOT NULL,
    assistant     TEXT,               -- the assistant the chat started with (NULL: none)
    compare_models TEXT NOT NULL DEFAULT ''  -- other models answering too, one a line
);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations(updated DESC);
CREATE TABLE IF NOT EXISTS messages (
    id                INTEGER PRIMARY KEY,
    conversation_id   INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role              TEXT NOT NULL,
    content           TEXT NOT NULL DEFAULT '',
    reasoning         TEXT NOT NULL DEFAULT '',
    model             TEXT,
    status            TEXT NOT NULL DEFAULT 'done',
    error             TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    elapsed           REAL,
    created           REAL NOT NULL,
    parent_id         INTEGER,             -- the message this one follows (NULL: first turn)
    active            INTEGER NOT NULL DEFAULT 1  -- the kept version among its siblings
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages(conversation_id, id);
CREATE TABLE IF NOT EXISTS message_parts (
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       TEXT NOT NULL,          -- 'content' or 'reasoning'
    text       TEXT NOT NULL,
    PRIMARY KEY (message_id, seq)
);
CREATE TABLE IF NOT EXISTS message_attachments (
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       TEXT NOT NULL,          -- 'text' or 'image'
    name       TEXT NOT NULL,
    path       TEXT NOT NULL,
    size       INTEGER NOT NULL,       -- bytes
    mime       TEXT,                   -- images: image/png ...
    sha256     TEXT,                   -- images: of the bytes sent
    text       TEXT,                   -- text files: the text sent, in full
    PRIMARY KEY (message_id, seq)
);
CREATE TABLE IF NOT EXISTS drafts (
    conversation_id INTEGER PRIMARY KEY,   -- 0: the new chat (no conversation yet)
    text            TEXT NOT NULL,
    updated         REAL NOT NULL
);
"""

NEW_CHAT = 0  # the draft key of a chat not saved yet

# Each message follows the message before it: a database made before versions existed
# (one straight line per conversation) gets that line as parent links.
_MIGRATE_VERSIONS = """
ALTER TABLE messages ADD COLUMN parent_id INTEGER;
ALTER TABLE messages ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
UPDATE messages SET parent_id = (
    SELECT max(p.id) FROM messages p
    WHERE p.conversation_id = messages.conversation_id AND p.id < messages.id)
"""


@dataclass(frozen=True)
class StoredAttachment:
    """An attachment as the history keeps it (``text`` is None when not loaded)."""

    kind: str  # "text" or "image"
    name: str
    path: str
    size: int
    mime: str | None = None
    sha256: str | None = None
    text: str | None = None

    def attachment(self) -> Attachment:
        """What to send again: a text file from the text kept (load it with
        :meth:`History.attachments`), an image read again from its path when its SHA-256
        still matches (else :class:`~.attachments.AttachmentError`)."""
        if self.kind == "image":
            return reload_image(self.path, self.sha256 or "")
        if self.text is None:
            raise ValueError("the text is not loaded: use History.attachments(message_id)")
        return TextFile(self.name, self.path, self.text, self.size)


StoredAttachments = list[StoredAttachment]  # (inside History, ``list`` is a method's name)


@dataclass(eq=False)  # a message is itself: two equal texts are two messages
class Message:
    role: str  # "user", "assistant", "system", or CONTEXT (a "new context" marker)
    content: str = ""
    reasoning: str = ""
    model: str | None = None
    status: str = DONE
    error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    elapsed: float | None = None
    id: int | None = None
    conversation_id: int | None = None
    parent_id: int | None = None
    created: float = field(default_factory=time.time)
    active: bool = True  # the kept version of its turn
    attachments: list[StoredAttachment] = field(default_factory=list)  # text not loaded
    parent: Message | None = field(default=None, repr=False)
    children: list[Message] = field(default_factory=list, repr=False)  # next turn's versions

    @property
    def tokens_per_second(self) -> float | None:
        if self.completion_tokens and self.elapsed and self.elapsed > 0:
            return self.completion_tokens / self.elapsed
        return None


class Tree:
    """A conversation's messages with every version: ``roots`` are the versions of the
    first turn, each message's ``children`` the versions of the turn after it."""

    def __init__(self) -> None:
        self.roots: list[Message] = []

    def siblings(self, msg: Message) -> list[Message]:
        """The versions of ``msg``'s turn, oldest first (``msg`` among them)."""
        return msg.parent.children if msg.parent is not None else self.roots

    def version(self, msg: Message) -> tuple[int, int]:
        """(number of ``msg`` among its turn's versions, from 1; how many there are)."""
        sibs = self.siblings(msg)
        return (sibs.index(msg) + 1 if msg in sibs else len(sibs)), len(sibs)

    def add(self, msg: Message, parent: Message | None) -> Message:
        """``msg`` becomes the newest version of the turn after ``parent``, and the kept one."""
        msg.parent = parent
        sibs = self.siblings(msg)
        for other in sibs:
            other.active = False
        sibs.append(msg)
        msg.active = True
        return msg

    def select(self, msg: Message) -> None:
        """Keep ``msg`` as its turn's version (the others stay, not kept)."""
        for other in self.siblings(msg):
            other.active = other is msg

    def path(self, start: Message | None = None) -> list[Message]:
        """The kept versions, turn by turn (from ``start`` on when given)."""
        out: list[Message] = []
        node = start or self._kept(self.roots)
        while node is not None:
            out.append(node)
            node = self._kept(node.children)
        return out

    @staticmethod
    def _kept(level: list[Message]) -> Message | None:
        if not level:
            return None
        return next((m for m in reversed(level) if m.active), level[-1])

    @classmethod
    def build(cls, messages: list[Message]) -> Tree:
        """The tree of messages read from the database (ordered by id)."""
        tree = cls()
        by_id: dict[int, Message] = {}
        for msg in messages:
            parent = by_id.get(msg.parent_id) if msg.parent_id is not None else None
            msg.parent = parent
            tree.siblings(msg).append(msg)
            if msg.id is not None:
                by_id[msg.id] = msg
        return tree

    @classmethod
    def line(cls, messages: list[Message]) -> Tree:
        """A tree of one version per turn (for messages made by hand)."""
        tree = cls()
        parent = None
        for msg in messages:
            tree.add(msg, parent)
            parent = msg
        return tree


Messages = list[Message]  # (inside History, ``list`` is a method's name)


@dataclass
class Conversation:
    id: int
    title: str = ""
    model: str | None = None
    system_prompt: str = ""
    temperature: float | None = None
    created: float = 0.0
    updated: float = 0.0
    assistant: str | None = None  # the assistant's name (core.assistants), if any
    compare: tuple[str, ...] = ()  # other models answering each question too
    messages: list[Message] = field(default_factory=list)  # the kept versions
    snippet: str | None = None  # set by search()
    tree: Tree | None = None  # every version, set by History.get()

    @property
    def display_title(self) -> str:
        return self.title or "(untitled)"


def title_from(text: str) -> str:
    """A title from the first user message: its first line, shortened."""
    line = " ".join(text.strip().split())
    if len(line) > TITLE_LEN:
        line = line[: TITLE_LEN - 1].rstrip() + "…"
    return line


def default_path() -> Path:
    return data_dir() / DB_NAME


class History:
    """The history database. Open once per app; all methods are short transactions."""

    def __init__(self, path: Path | None = None, *, setup: bool = True,
                 busy_ms: int | None = None):
        """Open (and with ``setup``, create or migrate) the database. A second connection
        to a file already set up (the writer's) passes ``setup=False``: it takes no lock."""
        self.path = Path(path) if path else default_path()
        busy_ms = BUSY_TIMEOUT_MS if busy_ms is None else busy_ms
        if str(self.path) != ":memory:":
            # Conversations are private: the folder 0700, the file 0600 (SQLite gives its
            # -wal and -shm files the database file's mode).
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.db = sqlite3.connect(str(self.path), timeout=busy_ms / 1000,
                                  isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute(f"PRAGMA busy_timeout={busy_ms}")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.fts: str | None = None
        if not setup or self._schema_current():
            return
        self.db.execute("PRAGMA journal_mode=WAL")
        with self._tx():
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    self.db.execute(stmt)
            self._migrate()
            self.fts = self._setup_fts()

    def _schema_current(self) -> bool:
        """True when the file is set up already: then opening it takes no write lock (another
        process may hold it for seconds) and only reads."""
        rows = {r["name"]: r["sql"] for r in self.db.execute(
            "SELECT name, sql FROM sqlite_master")}
        needed = {"conversations", "messages", "message_parts", "drafts", "messages_parent",
                  "message_fts", "message_attachments"}
        if not needed <= set(rows):
            return False
        if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            return False
        if "compare_models" not in (rows["conversations"] or ""):  # made before it
            return False
        self.fts = "trigram" if "trigram" in (rows["message_fts"] or "") else "unicode61"
        return True

    def _migrate(self) -> None:
        conv_cols = {r["name"] for r in self.db.execute("PRAGMA table_info(conversations)")}
        if "assistant" not in conv_cols:
            self.db.execute("ALTER TABLE conversations ADD COLUMN assistant TEXT")
        if "compare_models" not in conv_cols:
            self.db.execute("ALTER TABLE conversations ADD COLUMN compare_models TEXT "
                            "NOT NULL DEFAULT ''")
        cols = {r["name"] for r in self.db.execute("PRAGMA table_info(messages)")}
        if "parent_id" not in cols:
            for stmt in _MIGRATE_VERSIONS.split(";"):
                self.db.execute(stmt)
        self.db.execute("CREATE INDEX IF NOT EXISTS messages_parent "
                        "ON messages(conversation_id, parent_id)")

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction (BEGIN IMMEDIATE: waits for the lock up front)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _setup_fts(self) -> str | None:
        """'trigram' or 'unicode61' when FTS5 works, None when only LIKE is left."""
        row = self.db.execute(
            "SELECT sql FROM sqlite_master WHERE name='message_fts'").fetchone()
        if row:
            return "trigram" if "trigram" in row["sql"] else "unicode61"
        for tokenizer in ("trigram", "unicode61"):
            try:
                self.db.execute(f"CREATE VIRTUAL TABLE message_fts USING fts5("
                                f"content, tokenize='{tokenizer}')")
            except sqlite3.OperationalError:
                continue
            self.db.execute("INSERT INTO message_fts(rowid, content) "
                            "SELECT id, content FROM messages WHERE status != 'streaming'")
            return tokenizer
        return None

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass

    def _index(self, message_id: int, content: str) -> None:
        if self.fts:
            self.db.execute("DELETE FROM message_fts WHERE rowid=?", (message_id,))
            self.db.execute("INSERT INTO message_fts(rowid, content) VALUES (?, ?)",
                            (message_id, content))

    def _unindex(self, where: str, args: tuple[object, ...]) -> None:
        if self.fts:
            self.db.execute(f"DELETE FROM message_fts WHERE rowid IN "
                            f"(SELECT id FROM messages WHERE {where})", args)

    @staticmethod
    def _conversation(row: sqlite3.Row) -> Conversation:
        return Conversation(id=row["id"], title=row["title"], model=row["model"],
                            system_prompt=row["system_prompt"],
                            temperature=row["temperature"], created=row["created"],
                            updated=row["updated"], assistant=row["assistant"],
                            compare=tuple(filter(None, row["compare_models"].split("\n"))))

    @staticmethod
    def _message(row: sqlite3.Row) -> Message:
        return Message(role=row["role"], content=row["content"], reasoning=row["reasoning"],
                       model=row["model"], status=row["status"], error=row["error"],
                       prompt_tokens=row["prompt_tokens"],
                       completion_tokens=row["completion_tokens"], elapsed=row["elapsed"],
                       id=row["id"], conversation_id=row["conversation_id"],
                       created=row["created"], parent_id=row["parent_id"],
                       active=bool(row["active"]))

    def _touch(self, conversation_id: int) -> None:
        self.db.execute("UPDATE conversations SET updated=? WHERE id=?",
                        (time.time(), conversation_id))

    # ------------------------------------------------------------------ conversations
    def create(self, title: str = "", model: str | None = None, system_prompt: str = "",
               temperature: float | None = None,
               assistant: str | None = None) -> Conversation:
        now = time.time()
        with self._tx():
            cur = self.db.execute(
                "INSERT INTO conversations(title, model, system_prompt, temperature, created, "
                "updated, assistant) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (title, model, system_prompt, temperature, now, now, assistant))
        return Conversation(id=_rowid(cur), title=title, model=model,
                            system_prompt=system_prompt, temperature=temperature,
                            created=now, updated=now, assistant=assistant)

    def get(self, conversation_id: int, messages: bool = True) -> Conversation | None:
        row = self.db.execute("SELECT * FROM conversations WHERE id=?",
                              (conversation_id,)).fetchone()
        if row is None:
            return None
        conv = self._conversation(row)
        if messages:
            conv.tree = self.tree(conversation_id)
            conv.messages = conv.tree.path()
        return conv

    def list(self, limit: int | None = None) -> list[Conversation]:
        """Conversations, newest (last updated) first."""
        sql = "SELECT * FROM conversations ORDER BY updated DESC, id DESC"
        args: tuple[object, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            args = (limit,)
        return [self._conversation(r) for r in self.db.execute(sql, args)]

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM conversations").fetchone()[0])

    def update(self, conversation_id: int, **fields: object) -> None:
        """Set title, model, system_prompt, temperature, assistant and/or compare (the
        other models answering too)."""
        allowed = {"title", "model", "system_prompt", "temperature", "assistant", "compare"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"unknown conversation fields: {', '.join(sorted(bad))}")
        if "compare" in fields:
            refs = fields.pop("compare")
            fields["compare_models"] = "\n".join(refs) if isinstance(refs, (list, tuple)) \
                else str(refs or "")
        if not fields:
            return
        cols = ", ".join(f"{k}=?" for k in fields)
        with self._tx():
            self.db.execute(f"UPDATE conversations SET {cols}, updated=? WHERE id=?",
                            (*fields.values(), time.time(), conversation_id))

    def rename(self, conversation_id: int, title: str) -> None:
        self.update(conversation_id, title=title.strip())

    def delete(self, conversation_id: int) -> None:
        with self._tx():
            self._unindex("conversation_id=?", (conversation_id,))
            self.db.execute("DELETE FROM conversations WHERE id=?", (conversation_id,))
            self.db.execute("DELETE FROM drafts WHERE conversation_id=?", (conversation_id,))

    # ------------------------------------------------------------------ messages
    def messages(self, conversation_id: int) -> Messages:
        """The kept version of every turn, in order."""
        return self.tree(conversation_id).path()

    def tree(self, conversation_id: int) -> Tree:
        """Every message of the conversation, every version."""
        rows = self.db.execute("SELECT * FROM messages WHERE conversation_id=? ORDER BY id",
                               (conversation_id,)).fetchall()
        result = [self._message(r) for r in rows]
        by_id = {m.id: m for m in result}
        for row in self.db.execute(
                "SELECT a.message_id, a.kind, a.name, a.path, a.size, a.mime, a.sha256 "
                "FROM message_attachments a JOIN messages m ON m.id = a.message_id "
                "WHERE m.conversation_id=? ORDER BY a.message_id, a.seq", (conversation_id,)):
            by_id[row["message_id"]].attachments.append(StoredAttachment(
                row["kind"], row["name"], row["path"], row["size"], row["mime"],
                row["sha256"]))
        for msg in result:
            if msg.status == STREAMING:
                self._fold_parts(msg)
        return Tree.build(result)

    def add_attachments(self, message_id: int,
                        attachments: Sequence[Attachment]) -> StoredAttachments:
        """Record what was attached to a message: a text file's text in full, an image by
        path, SHA-256 and size. Returns the records, in order."""
        stored = [
            StoredAttachment("text", a.name, a.path, a.size, text=a.text)
            if isinstance(a, TextFile) else
            StoredAttachment("image", a.name, a.path, a.size, a.mime, a.sha256)
            for a in attachments]
        with self._tx():
            start = self.db.execute("SELECT coalesce(max(seq), -1) + 1 FROM message_attachments "
                                    "WHERE message_id=?", (message_id,)).fetchone()[0]
            self.db.executemany(
                "INSERT INTO message_attachments(message_id, seq, kind, name, path, size, mime, "
                "sha256, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(message_id, start + n, a.kind, a.name, a.path, a.size, a.mime, a.sha256,
                  a.text) for n, a in enumerate(stored)])
        return stored

    def attachments(self, message_id: int) -> StoredAttachments:
        """A message's attachments in full (text files with their text)."""
        return [StoredAttachment(r["kind"], r["name"], r["path"], r["size"], r["mime"],
                                 r["sha256"], r["text"])
                for r in self.db.execute("SELECT * FROM message_attachments WHERE message_id=? "
                                         "ORDER BY seq", (message_id,))]

    def _last_kept(self, conversation_id: int) -> int | None:
        """The id of the last message of the kept path (what a new message follows)."""
        last = self.db.execute(
            "WITH RECURSIVE path(id) AS ("
            " SELECT id FROM messages WHERE conversation_id=? AND parent_id IS NULL"
            " AND active=1"
            " UNION ALL SELECT m.id FROM messages m JOIN path p ON m.parent_id = p.id"
            " WHERE m.active=1) SELECT max(id) FROM path", (conversation_id,)).fetchone()[0]
        return None if last is None else int(last)

    def _fold_parts(self, msg: Message) -> None:
        """Add the saved parts of a message still streaming (here or in another instance)."""
        content, reasoning = [msg.content], [msg.reasoning]
        for row in self.db.execute("SELECT kind, text FROM message_parts WHERE message_id=? "
                                   "ORDER BY seq", (msg.id,)):
            (reasoning if row["kind"] == "reasoning" else content).append(row["text"])
        msg.content, msg.reasoning = "".join(content), "".join(reasoning)

    def add(self, conversation_id: int, message: Message, *, last: bool = True) -> Message:
        """Insert a message (a user message, or an assistant message about to stream).

        It follows ``message.parent`` when that is set, else (``last``) the last kept
        message, else it is a version of the first turn. It becomes its turn's kept
        version; the turn's other versions stay.
        """
        with self._tx():
            if message.parent is not None:
                parent_id = message.parent.id
            else:
                parent_id = self._last_kept(conversation_id) if last else None
            self.db.execute("UPDATE messages SET active=0 WHERE conversation_id=? "
                            "AND parent_id IS ?", (conversation_id, parent_id))
            cur = self.db.execute(
                "INSERT INTO messages(conversation_id, role, content, reasoning, model, status, "
                "error, prompt_tokens, completion_tokens, elapsed, created, parent_id, active) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                (conversation_id, message.role, message.content, message.reasoning,
                 message.model, message.status, message.error, message.prompt_tokens,
                 message.completion_tokens, message.elapsed, message.created, parent_id))
            message.id = _rowid(cur)
            message.parent_id = parent_id
            message.active = True
            message.conversation_id = conversation_id
            if message.status != STREAMING and message.role != CONTEXT:
                self._index(message.id, message.content)
            if message.role == "user":
                self.db.execute("UPDATE conversations SET title=? WHERE id=? AND title=''",
                                (title_from(message.content), conversation_id))
            self._touch(conversation_id)
        return message

    def append_partial(self, message_id: int, content: str = "", reasoning: str = "") -> None:
        """Save text that arrived since the last call (one small row per kind)."""
        if not content and not reasoning:
            return
        with self._tx():
            seq = self.db.execute("SELECT coalesce(max(seq), 0) FROM message_parts "
                                  "WHERE message_id=?", (message_id,)).fetchone()[0]
            if reasoning:
                seq += 1
                self.db.execute("INSERT INTO message_parts VALUES (?, ?, 'reasoning', ?)",
                                (message_id, seq, reasoning))
            if content:
                seq += 1
                self.db.execute("INSERT INTO message_parts VALUES (?, ?, 'content', ?)",
                                (message_id, seq, content))

    def finish(self, message: Message) -> None:
        """Store the final state of a streamed message; its parts are folded in."""
        if message.id is None:
            raise ValueError("the message was never saved: add() it first")
        with self._tx():
            self.db.execute(
                "UPDATE messages SET content=?, reasoning=?, model=?, status=?, error=?, "
                "prompt_tokens=?, completion_tokens=?, elapsed=? WHERE id=?",
                (message.content, message.reasoning, message.model, message.status,
                 message.error, message.prompt_tokens, message.completion_tokens,
                 message.elapsed, message.id))
            self.db.execute("DELETE FROM message_parts WHERE message_id=?", (message.id,))
            self._index(message.id, message.content)
            if message.conversation_id is not None:
                self._touch(message.conversation_id)

    def remove_marker(self, message_id: int) -> bool:
        """Take back a "new context" marker nothing follows yet (ctrl+g pressed again);
        True when it was removed. Any other message is never deleted here."""
        with self._tx():
            cur = self.db.execute(
                "DELETE FROM messages WHERE id=? AND role=? AND NOT EXISTS "
                "(SELECT 1 FROM messages c WHERE c.parent_id=?)",
                (message_id, CONTEXT, message_id))
        return cur.rowcount > 0

    def select_version(self, message_id: int) -> None:
        """Keep this message as its turn's version (the conversation goes on from it)."""
        with self._tx():
            row = self.db.execute("SELECT conversation_id, parent_id FROM messages "
                                  "WHERE id=?", (message_id,)).fetchone()
            if row is None:
                return
            self.db.execute("UPDATE messages SET active=(id=?) WHERE conversation_id=? "
                            "AND parent_id IS ?",
                            (message_id, row["conversation_id"], row["parent_id"]))

    # ------------------------------------------------------------------ drafts
    def save_draft(self, conversation_id: int | None, text: str) -> None:
        """Keep the unsent text of a conversation (None: the new chat); "" removes it."""
        key = NEW_CHAT if conversation_id is None else conversation_id
        with self._tx():
            if text:
                self.db.execute("INSERT OR REPLACE INTO drafts VALUES (?, ?, ?)",
                                (key, text, time.time()))
            else:
                self.db.execute("DELETE FROM drafts WHERE conversation_id=?", (key,))

    def draft(self, conversation_id: int | None) -> str:
        key = NEW_CHAT if conversation_id is None else conversation_id
        row = self.db.execute("SELECT text FROM drafts WHERE conversation_id=?",
                              (key,)).fetchone()
        return row["text"] if row else ""

    def recover(self, older_than: float = 3600.0) -> int:
        """Mark messages left 'streaming' by a crashed run as interrupted; returns how many.

        Only messages started more than ``older_than`` seconds ago are touched, so a
        stream running in another instance right now is left alone (a younger one still
        opens with all its saved text, shown as possibly interrupted).
        """
        cutoff = time.time() - older_than
        rows = self.db.execute("SELECT * FROM messages WHERE status='streaming' "
                               "AND created < ?", (cutoff,)).fetchall()
        n = 0
        for row in rows:
            msg = self._message(row)
            self._fold_parts(msg)
            msg.status = INTERRUPTED
            with self._tx():
                self.db.execute(
                    "UPDATE messages SET content=?, reasoning=?, status=? "
                    "WHERE id=? AND status='streaming'",
                    (msg.content, msg.reasoning, msg.status, msg.id))
                self.db.execute("DELETE FROM message_parts WHERE message_id=?", (msg.id,))
                self._index(row["id"], msg.content)
            n += 1
        return n

    # ------------------------------------------------------------------ search
    def search(self, text: str, limit: int = 200) -> Conversations:
        """Conversations whose title or messages contain ``text``, newest first."""
        text = text.strip()
        if not text:
            return self.list(limit)
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found: dict[int, str | None] = {}
        use_fts = (self.fts == "trigram" and len(text) >= 3) or self.fts == "unicode61"
        if use_fts:
            phrase = '"' + text.replace('"', '""') + '"'
            try:
                rows = self.db.execute(
                    "SELECT m.conversation_id AS cid, "
                    "snippet(message_fts, 0, '', '', '…', 40) AS snip "
                    "FROM message_fts JOIN messages m ON m.id = message_fts.rowid "
                    "WHERE message_fts MATCH ? ORDER BY m.id DESC LIMIT ?",
                    (phrase, limit * 5)).fetchall()
            except sqlite3.OperationalError:
                use_fts, rows = False, []
            for r in rows:
                found.setdefault(r["cid"], r["snip"])
        if not use_fts:
            for r in self.db.execute(
                    "SELECT conversation_id AS cid, content FROM messages "
                    "WHERE content LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?",
                    (like, limit * 5)):
                found.setdefault(r["cid"], _snippet(r["content"], text))
        for r in self.db.execute("SELECT id FROM conversations WHERE title LIKE ? ESCAPE '\\'",
                                 (like,)):
            found.setdefault(r["id"], None)
        if not found:
            return []
        marks = ",".join("?" * len(found))
        convs = [self._conversation(r) for r in self.db.execute(
            f"SELECT * FROM conversations WHERE id IN ({marks}) "
            "ORDER BY updated DESC, id DESC LIMIT ?", (*found, limit))]
        for c in convs:
            snip = found[c.id]
            c.snippet = " ".join(snip.split()) if snip else None
        return convs


Conversations = list[Conversation]


def _rowid(cur: sqlite3.Cursor) -> int:
    if cur.lastrowid is None:
        raise sqlite3.DatabaseError("the row was not inserted")
    return cur.lastrowid


def _snippet(content: str, text: str, around: int = 30) -> str:
    i = content.lower().find(text.lower())
    if i < 0:
        return content[: around * 2]
    start = max(0, i - around)
    end = min(len(content), i + len(text) + around)
    return ("…" if start else "") + content[start:end] + ("…" if end < len(content) else "")
