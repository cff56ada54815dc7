"""The conversation records the assistant it was started with (a nullable column that a
database made before assistants gets when it is opened, nothing lost)."""

from __future__ import annotations

import re
import sqlite3

from cherry_tui.core import history as hist
from cherry_tui.core.history import History, Message


def test_the_assistant_is_saved_and_updated(tmp_path):
    db = History(tmp_path / "h.sqlite3")
    made = db.create(title="t", model="m/x", assistant="review")
    plain = db.create(title="p")
    db.close()
    db = History(tmp_path / "h.sqlite3")
    assert db.get(made.id).assistant == "review" and made.assistant == "review"
    assert db.get(plain.id).assistant is None
    db.update(plain.id, assistant="shell")
    assert [c.assistant for c in db.list()] == ["shell", "review"]
    db.close()


def test_a_database_from_before_assistants_gets_the_column(tmp_path):
    path = tmp_path / "before.sqlite3"
    # the conversations table as it was: no assistant column (nor the later ones)
    schema = re.sub(r",\n    assistant .*\n    compare_models [^\n]*", "", hist._SCHEMA)
    assert "assistant " not in schema and "compare_models" not in schema
    old = History(path)  # the file as the previous version set it up
    old.db.execute("DROP TABLE conversations")
    old.db.executescript(schema)
    old.db.execute("INSERT INTO conversations(title, model, created, updated) "
                   "VALUES ('kept', 'm/x', 1, 1)")
    old.close()
    con = sqlite3.connect(path)
    assert "assistant" not in {r[1] for r in con.execute("PRAGMA table_info(conversations)")}
    con.close()

    db = History(path)
    conv = db.list()[0]
    assert (conv.title, conv.model, conv.assistant) == ("kept", "m/x", None)
    db.add(conv.id, Message("user", "still works"))
    db.update(conv.id, assistant="logs")
    db.close()
    db = History(path)  # opening again migrates nothing twice
    assert db.get(conv.id).assistant == "logs"
    assert [m.content for m in db.messages(conv.id)] == ["still works"]
    db.close()


def test_the_export_names_the_assistant(tmp_path):
    from cherry_tui.core.history_export import to_markdown

    db = History(tmp_path / "h.sqlite3")
    conv = db.create(title="t", model="m/x", assistant="review")
    assert "- Assistant: review\n" in to_markdown(db.get(conv.id))
    db.close()
