"""Chat history: a real SQLite file, WAL, two writers, crash recovery, search, export."""

from __future__ import annotations

import stat
import subprocess
import sys
import time

import pytest

from cherry_tui.core import history as h
from cherry_tui.core import history_export as export
from cherry_tui.core.history import History, Message


@pytest.fixture
def hist(tmp_path):
    db = History(tmp_path / "history.sqlite3")
    yield db
    db.close()


def test_default_path_follows_cherry_tui_data(tmp_path, monkeypatch):
    monkeypatch.setenv("CHERRY_TUI_DATA", str(tmp_path / "d"))
    db = History()
    try:
        assert db.path == tmp_path / "d" / "history.sqlite3"
        assert db.path.exists()
        assert db.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.create(model="mock/gpt")
        # Private: the folder 0700, the database and its WAL files 0600.
        assert stat.S_IMODE(db.path.parent.stat().st_mode) == 0o700
        for f in db.path.parent.iterdir():
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f.name
    finally:
        db.close()


def test_round_trip_through_a_real_file(tmp_path):
    path = tmp_path / "h.sqlite3"
    db = History(path)
    conv = db.create(model="mock/gpt", system_prompt="Be brief.", temperature=0.3)
    db.add(conv.id, Message("user", "What is 2+2?\nShow your work."))
    ans = db.add(conv.id, Message("assistant", model="mock/gpt", status=h.STREAMING))
    db.append_partial(ans.id, content="It is ", reasoning="2+2")
    db.append_partial(ans.id, content="**4**.")
    ans.content, ans.reasoning, ans.status = "It is **4**.", "2+2", h.DONE
    ans.prompt_tokens, ans.completion_tokens, ans.elapsed = 12, 5, 0.5
    db.finish(ans)
    db.close()

    db = History(path)
    got = db.get(conv.id)
    assert got.title == "What is 2+2? Show your work."
    assert got.system_prompt == "Be brief." and got.temperature == 0.3
    assert [(m.role, m.content) for m in got.messages] == [
        ("user", "What is 2+2?\nShow your work."), ("assistant", "It is **4**.")]
    a = got.messages[1]
    assert (a.reasoning, a.prompt_tokens, a.completion_tokens, a.status) == ("2+2", 12, 5, "done")
    assert a.tokens_per_second == 10
    assert db.db.execute("SELECT count(*) FROM message_parts").fetchone()[0] == 0
    db.close()


def test_list_is_newest_first_and_rename_delete(hist):
    a = hist.create(title="first")
    time.sleep(0.01)
    b = hist.create(title="second")
    time.sleep(0.01)
    hist.add(a.id, Message("user", "bump a"))  # activity moves a to the top
    assert [c.title for c in hist.list()] == ["first", "second"]
    hist.rename(b.id, "  renamed  ")
    assert hist.get(b.id).title == "renamed"
    hist.delete(a.id)
    assert [c.id for c in hist.list()] == [b.id]
    assert hist.db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    assert hist.search("bump") == []


def test_partial_answer_survives_a_crash(tmp_path):
    path = tmp_path / "h.sqlite3"
    db = History(path)
    conv = db.create()
    db.add(conv.id, Message("user", "tell me"))
    ans = db.add(conv.id, Message("assistant", status=h.STREAMING))
    for word in ["one ", "two ", "three"]:
        db.append_partial(ans.id, content=word)
    # no finish(): the process dies here. A second instance sees everything saved.
    other = History(path)
    msgs = other.get(conv.id).messages
    assert msgs[1].content == "one two three" and msgs[1].status == h.STREAMING
    assert other.recover(older_than=0) == 1
    msgs = other.get(conv.id).messages
    assert (msgs[1].content, msgs[1].status) == ("one two three", h.INTERRUPTED)
    assert [c.id for c in other.search("two three")] == [conv.id]
    other.close()
    db.close()


def test_recover_leaves_a_live_stream_alone(hist):
    conv = hist.create()
    ans = hist.add(conv.id, Message("assistant", status=h.STREAMING))
    hist.append_partial(ans.id, content="live")
    assert hist.recover() == 0
    assert hist.get(conv.id).messages[0].status == h.STREAMING


def test_search_titles_and_text_fts_and_short_queries(hist):
    assert hist.fts in ("trigram", "unicode61")
    a = hist.create()
    hist.add(a.id, Message("user", "How do I configure nginx upstreams?"))
    b = hist.create()
    hist.add(b.id, Message("user", "火山引擎的模型列表"))
    ans = hist.add(b.id, Message("assistant", "豆包 doubao-seed-1-6 is one"))
    assert ans.id
    assert [c.id for c in hist.search("NGINX")] == [a.id]
    assert [c.id for c in hist.search("模型列")] == [b.id]
    assert [c.id for c in hist.search("豆包")] == [b.id]  # 2 chars: LIKE fallback
    assert [c.id for c in hist.search("seed-1-6")] == [b.id]
    hit = hist.search("upstream")[0]
    assert "upstream" in hit.snippet
    assert hist.search("50%") == []
    assert {c.id for c in hist.search("")} == {a.id, b.id}


def test_search_without_fts_uses_like(hist):
    hist.fts = None
    a = hist.create()
    hist.add(a.id, Message("user", "a 100% match"))
    assert [c.id for c in hist.search("100%")] == [a.id]
    assert hist.search("1000") == []


def test_regenerate_and_edit_keep_every_version(hist):
    c = hist.create()
    u1 = hist.add(c.id, Message("user", "one"))
    a1 = hist.add(c.id, Message("assistant", "ans one"))
    u2 = hist.add(c.id, Message("user", "two"))
    old = hist.add(c.id, Message("assistant", "ans two, the full one"))
    # regenerate: a new version of the answer to "two", the old one stays
    new = hist.add(c.id, Message("assistant", "ans two, again", parent=u2))
    assert [m.content for m in hist.messages(c.id)] == ["one", "ans one", "two",
                                                        "ans two, again"]
    tree = hist.tree(c.id)
    kept = tree.path()[-1]
    assert kept.id == new.id and tree.version(kept) == (2, 2)
    assert [m.content for m in tree.siblings(kept)] == ["ans two, the full one",
                                                        "ans two, again"]
    # browse back: the old answer is kept again, and the conversation goes on from it
    hist.select_version(old.id)
    assert hist.messages(c.id)[-1].content == "ans two, the full one"
    # edit "two": a new version of that user turn; its answers belong to the old version
    edited = hist.add(c.id, Message("user", "two, better", parent=a1))
    hist.add(c.id, Message("assistant", "ans better"))  # follows the last kept message
    assert [m.content for m in hist.messages(c.id)] == ["one", "ans one", "two, better",
                                                        "ans better"]
    hist.select_version(u2.id)
    assert [m.content for m in hist.messages(c.id)] == ["one", "ans one", "two",
                                                        "ans two, the full one"]
    assert edited.id and u1.id
    # nothing was deleted, and every version is searchable
    assert hist.db.execute("SELECT count(*) FROM messages").fetchone()[0] == 7
    assert [x.id for x in hist.search("full one")] == [c.id]


# The schema before versions and drafts: a database made by the previous release.
OLD_SCHEMA = """
CREATE TABLE conversations (id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '',
    model TEXT, system_prompt TEXT NOT NULL DEFAULT '', temperature REAL,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX conversations_updated ON conversations(updated DESC);
CREATE TABLE messages (id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL, content TEXT NOT NULL DEFAULT '', reasoning TEXT NOT NULL DEFAULT '',
    model TEXT, status TEXT NOT NULL DEFAULT 'done', error TEXT, prompt_tokens INTEGER,
    completion_tokens INTEGER, elapsed REAL, created REAL NOT NULL);
CREATE INDEX messages_conversation ON messages(conversation_id, id);
CREATE TABLE message_parts (message_id INTEGER NOT NULL REFERENCES messages(id)
    ON DELETE CASCADE, seq INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (message_id, seq));
"""


def test_a_database_of_the_previous_schema_opens_with_nothing_lost(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(OLD_SCHEMA)
    now = time.time()
    for cid in (1, 2):
        old.execute("INSERT INTO conversations VALUES (?, ?, 'm/x', '', NULL, ?, ?)",
                    (cid, f"conv {cid}", now, now))
    # two conversations, their messages interleaved by id as two instances write them
    for i in range(6):
        for cid in (1, 2):
            role = "user" if i % 2 == 0 else "assistant"
            old.execute("INSERT INTO messages(conversation_id, role, content, created) "
                        "VALUES (?, ?, ?, ?)", (cid, role, f"c{cid} m{i}", now))
    old.commit()
    old.close()

    db = History(path)
    for cid in (1, 2):
        assert [m.content for m in db.messages(cid)] == [f"c{cid} m{i}" for i in range(6)]
        assert all(db.tree(cid).version(m) == (1, 1) for m in db.messages(cid))
    # and the versions work on it: regenerate the last answer of conversation 1
    last_user = db.messages(1)[-2]
    db.add(1, Message("assistant", "again", parent=last_user))
    assert [m.content for m in db.messages(1)][-2:] == ["c1 m4", "again"]
    db.close()
    db = History(path)  # opening again migrates nothing twice
    assert db.messages(1)[-1].content == "again"
    assert len(db.tree(1).siblings(db.messages(1)[-1])) == 2
    db.close()


def test_drafts_per_conversation_and_for_the_new_chat(tmp_path):
    path = tmp_path / "h.sqlite3"
    db = History(path)
    c = db.create()
    db.save_draft(c.id, "half a question")
    db.save_draft(None, "a new chat's draft")
    db.close()
    db = History(path)
    assert db.draft(c.id) == "half a question"
    assert db.draft(None) == "a new chat's draft"
    db.save_draft(c.id, "")
    assert db.draft(c.id) == ""
    db.save_draft(c.id, "again")
    db.delete(c.id)
    assert db.draft(c.id) == "" and db.draft(None) == "a new chat's draft"
    db.close()


def test_export_keeps_every_version_marked(hist):
    c = hist.create(title="versions")
    u = hist.add(c.id, Message("user", "Question"))
    hist.add(c.id, Message("assistant", "The full first answer.", status=h.DONE))
    hist.add(c.id, Message("assistant", "A partial", status=h.STOPPED, parent=u))
    edited = hist.add(c.id, Message("user", "Better question"), last=False)
    hist.add(c.id, Message("assistant", "Answer to the better one"))
    md = export.to_markdown(hist.get(c.id))
    main, _, rest = md.partition("# Versions not kept")
    assert "## You · version 2 of 2\n\nBetter question" in main
    assert "Answer to the better one" in main and "Question\n" not in main
    # the old question with both of its answers, each marked
    assert "## Turn 1, version 1 of 2 (not kept)" in rest
    assert "### You\n\nQuestion" in rest
    assert "The full first answer." in rest and "A partial" in rest
    assert "## Turn 2, version 1 of 2 (not kept)" in rest or \
        "## Turn 2, version 2 of 2 (not kept)" in rest
    assert edited.id


def test_export_goes_to_downloads_or_the_data_dir_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    monkeypatch.delenv("XDG_DOCUMENTS_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("CHERRY_TUI_DATA", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert export.export_dir() == tmp_path / "data"  # no Downloads folder: the data folder
    (tmp_path / "home" / "Documents").mkdir(parents=True)
    assert export.export_dir() == tmp_path / "home" / "Documents"
    (tmp_path / "home" / "Downloads").mkdir()
    assert export.export_dir() == tmp_path / "home" / "Downloads"
    target = tmp_path / "home" / "Downloads" / "chat-1.md"
    assert export.free_path(target) == target
    target.write_text("mine")
    assert export.free_path(target) == target.with_name("chat-1-2.md")
    target.with_name("chat-1-2.md").write_text("mine too")
    assert export.free_path(target) == target.with_name("chat-1-3.md")


WRITER = r"""
import sys
from cherry_tui.core.history import History, Message
db = History(sys.argv[1])
conv = db.create(title=sys.argv[2])
for i in range(150):
    db.add(conv.id, Message("user", f"{sys.argv[2]} {i}"))
    if i % 10 == 0:
        db.rename(conv.id, f"{sys.argv[2]} title {i}")
db.close()
"""


def test_two_instances_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "shared.sqlite3"
    History(path).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name])
             for name in ("alpha", "beta")]
    # this process writes too, while the two others run
    db = History(path)
    conv = db.create(title="main")
    for i in range(100):
        db.add(conv.id, Message("user", f"main {i}"))
    for p in procs:
        assert p.wait(60) == 0
    titles = {c.title: c.id for c in db.list()}
    assert set(titles) == {"main", "alpha title 140", "beta title 140"}
    for title, n in (("main", 100), ("alpha title 140", 150), ("beta title 140", 150)):
        assert len(db.messages(titles[title])) == n
    db.close()


def test_export_markdown(hist, tmp_path):
    c = hist.create(model="mock/gpt", system_prompt="Terse.", temperature=0.5)
    hist.add(c.id, Message("user", "Write *code*"))
    hist.add(c.id, Message("assistant", "```py\nprint(1)\n```", reasoning="think",
                           model="mock/gpt", status=h.STOPPED))
    hist.add(c.id, Message("assistant", "", model="mock/gpt", status=h.ERROR,
                           error="HTTP 429 rate limited"))
    conv = hist.get(c.id)
    md = export.to_markdown(conv)
    assert md.startswith("# Write *code*\n")
    assert "- Temperature: 0.5" in md and "## System\n\nTerse." in md
    assert "## You\n\nWrite *code*" in md
    assert "```py\nprint(1)\n```" in md and "*(stopped)*" in md
    assert "<summary>Reasoning</summary>" in md
    assert "> Error: HTTP 429 rate limited" in md
    assert export.export_filename(conv) == f"write-code-{c.id}.md"


def test_export_makes_control_characters_visible(hist):
    c = hist.create()
    hist.add(c.id, Message("user", "hi"))
    hist.add(c.id, Message("assistant", "clear \x1b[2J and \x1b]52;c;aGk=\x07"))
    md = export.to_markdown(hist.get(c.id))
    assert "\x1b" not in md and "\x07" not in md
    assert "clear ^[[2J and ^[]52;c;aGk=^G" in md


def test_the_compare_models_round_trip_and_an_older_file_gets_the_column(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    db = History(path)
    conv = db.create(title="t", model="a/x")
    db.update(conv.id, compare=("b/y", "c/z"))
    assert db.get(conv.id, messages=False).compare == ("b/y", "c/z")
    db.update(conv.id, compare=())
    assert db.get(conv.id, messages=False).compare == ()
    db.close()
    # a file of the release before: no compare_models column; it is added on open
    raw = sqlite3.connect(path)
    raw.execute("ALTER TABLE conversations DROP COLUMN compare_models")
    raw.commit()
    raw.close()
    db = History(path)
    assert db.get(conv.id, messages=False).compare == ()
    db.update(conv.id, compare=("b/y",))
    assert db.get(conv.id, messages=False).compare == ("b/y",)
    db.close()
