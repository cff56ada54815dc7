"""The "new context" marker in the history file: saved, reopened, taken back, exported,
and harmless to search, titles and databases of earlier releases (a real SQLite file)."""

from __future__ import annotations

import sqlite3
import time

from cherry_tui.core import history_export as export
from cherry_tui.core.context import outgoing
from cherry_tui.core.history import CONTEXT, History, Message

from test_history import OLD_SCHEMA


def test_a_marker_round_trips_and_cuts_what_is_sent(tmp_path):
    path = tmp_path / "h.sqlite3"
    db = History(path)
    c = db.create(title="")
    db.add(c.id, Message("user", "first question"))
    db.add(c.id, Message("assistant", "first answer"))
    marker = db.add(c.id, Message(CONTEXT))
    db.add(c.id, Message("user", "second question"))
    db.close()

    db = History(path)
    msgs = db.messages(c.id)
    assert [(m.role, m.content) for m in msgs] == [
        ("user", "first question"), ("assistant", "first answer"), (CONTEXT, ""),
        ("user", "second question")]
    assert msgs[2].id == marker.id and msgs[3].parent_id == marker.id
    assert outgoing(msgs, "", None) == [{"role": "user", "content": "second question"}]
    conv = db.get(c.id)
    assert conv is not None and conv.title == "first question"  # titles: user text only
    # search: the marker is no message to find, the others are
    assert [x.id for x in db.search("second")] == [c.id]
    assert db.fts is None or db.db.execute(
        "SELECT count(*) FROM message_fts WHERE rowid=?", (marker.id,)).fetchone()[0] == 0
    db.close()


def test_only_a_marker_nothing_follows_is_taken_back(tmp_path):
    db = History(tmp_path / "h.sqlite3")
    c = db.create()
    q = db.add(c.id, Message("user", "q"))
    a = db.add(c.id, Message("assistant", "a"))
    used = db.add(c.id, Message(CONTEXT))
    db.add(c.id, Message("user", "after"))
    last = db.add(c.id, Message(CONTEXT))
    assert not db.remove_marker(used.id)  # a question follows it: it stays
    assert not db.remove_marker(a.id) and not db.remove_marker(q.id)  # not markers
    assert db.remove_marker(last.id)
    assert [m.role for m in db.messages(c.id)] == ["user", "assistant", CONTEXT, "user"]
    assert db.db.execute("SELECT count(*) FROM messages").fetchone()[0] == 4
    db.close()


def test_a_database_of_an_earlier_release_opens_and_takes_a_marker(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(OLD_SCHEMA)
    now = time.time()
    old.execute("INSERT INTO conversations VALUES (1, 'old chat', 'm/x', '', NULL, ?, ?)",
                (now, now))
    for i, role in enumerate(("user", "assistant")):
        old.execute("INSERT INTO messages(conversation_id, role, content, created) "
                    "VALUES (1, ?, ?, ?)", (role, f"m{i}", now))
    old.commit()
    old.close()

    db = History(path)
    assert [m.content for m in db.messages(1)] == ["m0", "m1"]
    db.add(1, Message(CONTEXT))
    db.add(1, Message("user", "fresh"))
    db.close()
    db = History(path)
    assert [m.role for m in db.messages(1)] == ["user", "assistant", CONTEXT, "user"]
    assert outgoing(db.messages(1), "", None) == [{"role": "user", "content": "fresh"}]
    db.close()


def test_the_export_shows_the_marker_as_a_line(tmp_path):
    db = History(tmp_path / "h.sqlite3")
    c = db.create(title="t")
    db.add(c.id, Message("user", "before"))
    db.add(c.id, Message("assistant", "answer"))
    db.add(c.id, Message(CONTEXT))
    db.add(c.id, Message("user", "after"))
    conv = db.get(c.id)
    assert conv is not None
    md = export.to_markdown(conv)
    lines = md.splitlines()
    marker = next(i for i, line in enumerate(lines) if "new context" in line)
    assert lines[marker] == ("*──── new context ────* (the messages above were not sent "
                             "after this point)")
    assert lines.index("answer") < marker < lines.index("after")
    assert md.count("## You") == 2 and md.count("## Assistant") == 1  # no heading of its own
    db.close()


def test_cherry_studios_clear_context_imports_as_a_marker(tmp_path):
    from cherry_tui.core.cherry_import import import_topics, read_backup

    from test_cherry_import import v5_zip

    assistants = {"defaultAssistant": {"id": "default", "prompt": "",
                                       "topics": [{"id": "t1", "name": "Cleared chat"}]}}
    clear = {"role": "user", "type": "clear", "content": ""}
    messages = [dict(clear, id="c0"),  # nothing before it: no marker
                {"id": "m1", "role": "user", "content": "Q1"},
                {"id": "m2", "role": "assistant", "content": "A1"},
                dict(clear, id="c1"), dict(clear, id="c2"),  # two in a row: one marker
                {"id": "m3", "role": "user", "content": "Q2"},
                {"id": "m4", "role": "assistant", "content": "A2"}]
    backup = read_backup(v5_zip(tmp_path, [], version=3, assistants=assistants,
                                indexed={"topics": [{"id": "t1", "messages": messages}]}))
    (topic,) = backup.topics
    assert [m.role for m in topic.messages] == ["user", "assistant", CONTEXT, "user",
                                                "assistant"]
    db = History(tmp_path / "h.sqlite3")
    assert import_topics(db, [topic], {}) == 1
    (conv,) = db.list()
    msgs = db.messages(conv.id)
    assert [m.role for m in msgs] == ["user", "assistant", CONTEXT, "user", "assistant"]
    assert outgoing([*msgs, Message("user", "Q3")], "", None) == [
        {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "A2"},
        {"role": "user", "content": "Q3"}]
    assert conv.title == "Cleared chat"
    db.close()
