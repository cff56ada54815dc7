"""History writes off the UI thread: one thread, in order, retried while the file is locked.

Another process (a second instance in the middle of a long write, a backup tool, an open
``sqlite3`` shell with ``BEGIN EXCLUSIVE``) can hold the database's write lock for seconds.
Writing on the UI thread froze the app for the busy timeout and then lost the write.

* :meth:`HistoryWriter.submit` queues a write (a function of a :class:`History`) and
  returns at once. One thread runs the writes in the order they came, on its own
  connection, so the UI's reads never wait behind a write that waits for a lock.
* A write that meets a lock is tried again (short pauses) until ``give_up_after``
  seconds have passed; meanwhile it and every later write stay in memory.
* A write that finally fails saves the text it carried (``recovery``) to a file beside the
  database, and ``on_error`` gets one line naming the file.
* Jobs read the objects they write (a Message, a Conversation) when they run, so a write
  that depends on an earlier one (an answer's parts need the answer's row id) finds it set.

Pure logic: no Textual import.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .history import History
from .paths import data_dir

RETRY_PAUSE = 0.2  # seconds between tries while the database is locked
WRITER_BUSY_MS = 500  # how long one try waits for the lock inside SQLite


@dataclass
class Job:
    write: Callable[[History], object]
    recovery: Callable[[], str] | None = None  # the text to keep if the write fails
    done: Callable[[], None] | None = None  # called (in the writer thread) once written


class Skipped(Exception):
    """Raised by a write that depends on an earlier one that failed (an answer whose
    conversation was never written): its text is kept, no second message is shown."""


def is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


class HistoryWriter:
    """The one writer of a :class:`History` (see the module docstring)."""

    def __init__(self, history: History, on_error: Callable[[str], None] | None = None,
                 give_up_after: float = 300.0):
        self.history = history
        self.on_error = on_error
        self.give_up_after = give_up_after
        self.in_memory = str(history.path) == ":memory:"
        self.recovery_dir = data_dir() if self.in_memory else history.path.parent
        self.recovery_file: Path | None = None
        self._told = ""
        self.drafts: dict[int, str] = {}  # drafts written or waiting, by conversation id
        self._jobs: deque[Job] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._closed = False
        self._stopping = False
        self._db: History | None = None
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ the UI's side
    def submit(self, write: Callable[[History], object], *,
               recovery: Callable[[], str] | None = None,
               done: Callable[[], None] | None = None) -> None:
        """Queue ``write``; after :meth:`close` it runs at once, on the caller's thread."""
        job = Job(write, recovery, done)
        with self._cond:
            if not self._closed:
                self._jobs.append(job)
                self._cond.notify_all()
                return
        self._execute(job, self.history, time.monotonic() + 1.0)

    def save_draft(self, key: Callable[[], int | None], text: str) -> None:
        """Keep a chat's unsent text; ``key`` gives its conversation id when the write runs
        (None: the new chat; a conversation still being created gets its id first)."""
        known = key()
        if known is None or known >= 0:
            self.drafts[known or 0] = text

        def write(db: History) -> None:
            conv_id = key()
            if conv_id is not None and conv_id < 0:
                raise Skipped("its conversation could not be saved")
            db.save_draft(conv_id, text)

        self.submit(write, recovery=lambda: f"Unsent draft:\n\n{text}" if text else "")

    def draft(self, conversation_id: int | None) -> str:
        """The draft of a conversation (None: the new chat), written or still waiting."""
        key = conversation_id or 0
        if key in self.drafts:
            return self.drafts[key]
        return self.history.draft(conversation_id)

    @property
    def pending(self) -> int:
        """Writes not done yet (queued or running)."""
        with self._cond:
            return len(self._jobs) + self._busy

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued write is done; False when ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._jobs or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (waiting up to ``timeout`` for a lock to go), then stop.
        What could not be written goes to the recovery file."""
        self.flush(timeout)
        with self._cond:
            self._closed = True
            self._stopping = True
            self._cond.notify_all()
        self._thread.join()
        if self._db is not None and self._db is not self.history:
            self._db.close()

    # ------------------------------------------------------------------ the thread
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._jobs and not self._stopping:
                    self._cond.wait()
                if not self._jobs:
                    return
                job = self._jobs.popleft()
                self._busy = True
            try:
                try:
                    db = self._connection()
                except sqlite3.Error as exc:
                    self._fail(job, f"the history file cannot be opened: {exc}")
                else:
                    self._execute(job, db, time.monotonic() + self.give_up_after)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _connection(self) -> History:
        """The writer's own connection (the reader set the file up: this takes no lock)."""
        if self._db is None:
            if self.in_memory:
                self._db = self.history
            else:
                self._db = History(self.history.path, setup=False, busy_ms=WRITER_BUSY_MS)
                self._db.fts = self.history.fts
        return self._db

    def _execute(self, job: Job, db: History, deadline: float) -> None:
        while True:
            try:
                job.write(db)
            except sqlite3.Error as exc:
                if is_locked(exc) and time.monotonic() < deadline and not self._stopping:
                    time.sleep(RETRY_PAUSE)
                    continue
                self._fail(job, str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - a failed write never ends the writer
                self._fail(job, str(exc) or type(exc).__name__, quiet=isinstance(exc, Skipped))
                return
            self._told = ""  # written again: the next failure is news
            if job.done is not None:
                job.done()
            return

    def _fail(self, job: Job, reason: str, quiet: bool = False) -> None:
        text = job.recovery() if job.recovery is not None else ""
        if not text:
            if not quiet:
                self._tell(f"Chat history: a change could not be saved ({reason}).")
            return
        try:
            path = self._save_recovery(text)
        except OSError as exc:
            self._tell(f"Chat history could not be saved ({reason}), nor a recovery file "
                       f"({exc.strerror or exc}): copy the text from the screen.")
            return
        why = "" if quiet else f" ({reason})"
        self._tell(f"Chat history could not be saved{why}: the text is in {path}")

    def _save_recovery(self, text: str) -> Path:
        """Append ``text`` to this session's recovery file (private: 0600)."""
        if self.recovery_file is None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            self.recovery_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.recovery_file = self.recovery_dir / f"recovered-{stamp}-{os.getpid()}.md"
        fd = os.open(self.recovery_file, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(text.rstrip("\n") + "\n\n")
        return self.recovery_file

    def _tell(self, text: str) -> None:
        if self.on_error is not None and text != self._told:  # one failure, one message
            self._told = text
            self.on_error(text)
