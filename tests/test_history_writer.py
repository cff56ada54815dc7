"""The history writer: writes off the caller's thread, retried while another process
holds the database's write lock, and kept in a recovery file if they finally fail."""

from __future__ import annotations

import sqlite3
import stat
import threading

import pytest

from cherry_tui.core import history as h
from cherry_tui.core.history import History, Message
from cherry_tui.core.history_writer import HistoryWriter


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "data" / "history.sqlite3"
    History(path).close()
    return path


def lock(path) -> sqlite3.Connection:
    """A second connection (as another process would) holding the write lock."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    return other


def test_writes_wait_for_a_lock_in_memory_and_all_land(db_path):
    reader = History(db_path)
    errors: list[str] = []
    writer = HistoryWriter(reader, on_error=errors.append)
    conv = h.Conversation(id=-1)
    holder = lock(db_path)
    try:
        def create(db: History) -> None:
            conv.id = db.create(title="locked").id

        writer.submit(create)
        ans = Message("assistant", status=h.STREAMING)
        writer.submit(lambda db: db.add(conv.id, ans))
        words = [f"w{i} " for i in range(40)]
        for w in words:
            writer.submit(lambda db, w=w: db.append_partial(ans.id, content=w))
        ans.content, ans.status = "".join(words), h.DONE
        writer.submit(lambda db: db.finish(ans), recovery=lambda: ans.content)
        # the caller was never held up: everything waits in memory while the lock is held
        assert not writer.flush(timeout=1.0)
        assert writer.pending >= 40 and conv.id == -1
        # readers are not blocked by the lock (WAL)
        assert reader.list() == []
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert writer.flush(timeout=30)
    got = reader.get(conv.id)
    assert got.title == "locked" and got.messages[0].content == "".join(words)
    assert got.messages[0].status == h.DONE and errors == []
    writer.close()
    reader.close()


def test_a_write_that_finally_fails_is_kept_in_a_recovery_file(db_path):
    reader = History(db_path)
    errors: list[str] = []
    writer = HistoryWriter(reader, on_error=errors.append, give_up_after=0.5)
    holder = lock(db_path)
    done = threading.Event()
    try:
        writer.submit(lambda db: db.create(title="never"),
                      recovery=lambda: "The answer: forty-two.", done=done.set)
        assert writer.flush(timeout=30)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not done.is_set()
    [message] = errors
    path = writer.recovery_file
    assert path is not None and str(path) in message and "locked" in message
    assert path.parent == db_path.parent
    assert "The answer: forty-two." in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # the writer goes on: the next write lands
    writer.submit(lambda db: db.create(title="later"))
    assert writer.flush(timeout=30)
    assert [c.title for c in reader.list()] == ["later"]
    writer.close()
    reader.close()


def test_close_while_locked_saves_what_is_left(db_path):
    reader = History(db_path)
    errors: list[str] = []
    writer = HistoryWriter(reader, on_error=errors.append)
    holder = lock(db_path)
    try:
        for i in range(3):
            writer.submit(lambda db, i=i: db.create(title=f"c{i}"),
                          recovery=lambda i=i: f"text {i}")
        writer.close(timeout=0.5)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    text = writer.recovery_file.read_text()
    assert all(f"text {i}" in text for i in range(3))
    assert len(errors) == 1  # one failure, one message, naming the file
    assert str(writer.recovery_file) in errors[0]
    # after close, a write runs at once on the caller's thread
    writer.submit(lambda db: db.create(title="after"))
    assert [c.title for c in reader.list()] == ["after"]
    reader.close()


def test_drafts_through_the_writer_are_readable_at_once(db_path):
    reader = History(db_path)
    writer = HistoryWriter(reader)
    holder = lock(db_path)
    try:
        writer.save_draft(lambda: None, "new chat text")
        assert writer.draft(None) == "new chat text"  # still waiting for the lock
    finally:
        holder.execute("COMMIT")
        holder.close()
    writer.close()
    assert reader.draft(None) == "new chat text"
    reader.close()


def test_opening_a_locked_database_that_is_set_up_takes_no_lock(db_path):
    holder = lock(db_path)
    try:
        db = History(db_path, busy_ms=100)  # set up already: reads only
        assert db.fts in ("trigram", "unicode61") and db.list() == []
        db.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
