"""Nothing is replaced: versions of a turn, drafts that survive, history writes that
never block the UI (a real SQLite file, Pilot against a real llmock server)."""

from __future__ import annotations

import sqlite3
import threading

from cherry_tui.core import history as h
from cherry_tui.core import history_export as export
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.chat import ChatScreen, chat_help_sections
from cherry_tui.ui.screens.history import HistoryScreen
from cherry_tui.ui.widgets.chatlog import UserEntry

from _chat_helpers import (
    ask, history_file, last_answer, log_text, mock_app, open_chat, type_text, wait_answer,
    wait_for,
)

FULL = " ".join(f"word{i}" for i in range(401))
LOCK_HELD = 8.0  # seconds another process holds the history's write lock


async def test_regenerate_keeps_the_old_answer_as_a_version(config_file, llmock, monkeypatch,
                                                            tmp_path):
    llmock.reply("One.")
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await ask(pilot, "Q")
        llmock.reply("Two.")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: last_answer(screen).content == "Two." and
                       screen.streaming is None, what="regenerated")
        text = log_text(screen)
        assert "One." not in text and "‹ 2/2 ›" in text
        # browse: tab to the log (the last answer is selected), [ shows the older one
        await pilot.press("tab")
        ids = {b.binding.id for b in screen.active_bindings.values()}
        assert {"chatlog.version_prev", "chatlog.version_next"} <= ids  # in the footer
        helped = {b.id for _, bindings, _ in chat_help_sections() for b in bindings}
        assert {"chatlog.version_prev", "chatlog.version_next"} <= helped  # and in help
        await pilot.press("left_square_bracket")
        text = log_text(screen)
        assert "One." in text and "Two." not in text and "‹ 1/2 ›" in text
        await pilot.press("right_square_bracket")
        assert "Two." in log_text(screen)
        await pilot.press("left_square_bracket", "escape")
        # the version shown is the one that continues the conversation
        llmock.reply("Three.")
        await ask(pilot, "And?")
        sent = llmock.last_request.body["messages"]
        assert sent == [{"role": "user", "content": "Q"},
                        {"role": "assistant", "content": "One."},
                        {"role": "user", "content": "And?"}]
    db = history_file(tmp_path)
    [conv] = db.list()
    assert [m.content for m in db.messages(conv.id)] == ["Q", "One.", "And?", "Three."]
    tree = db.tree(conv.id)
    assert [m.content for m in tree.siblings(db.messages(conv.id)[1])] == ["One.", "Two."]
    md = export.to_markdown(db.get(conv.id))
    assert "version 1 of 2" in md and "Two." in md.partition("Versions not kept")[2]
    db.close()
    # reopened: the kept versions
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ChatScreen(conv.id))
        await pilot.pause()
        text = log_text(app.screen)
        assert "One." in text and "Three." in text and "Two." not in text


async def test_stopping_a_regenerate_keeps_the_full_old_answer(config_file, llmock,
                                                               monkeypatch, tmp_path):
    llmock.reply(FULL)
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        first = await ask(pilot, "Talk")
        assert first.content == FULL
        llmock.pace(30).reply(FULL)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: last_answer(screen) is not first and
                       "word5 " in last_answer(screen).content, what="retry streaming")
        await pilot.press("escape")
        await wait_answer(pilot)
        partial = last_answer(screen).content
        assert "word400" not in partial
    db = history_file(tmp_path)
    [conv] = db.list()
    answers = db.tree(conv.id).siblings(db.messages(conv.id)[1])
    assert [(a.content, a.status) for a in answers] == [(FULL, h.DONE),
                                                        (partial, h.STOPPED)]
    db.close()


async def test_editing_a_question_branches_and_keeps_the_old_one(config_file, llmock,
                                                                 monkeypatch, tmp_path):
    llmock.reply("First.")
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await ask(pilot, "Wrong question")
        await pilot.press("up")
        screen.chat_input.text = "Right question"
        llmock.reply("Second.")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.streaming is None and
                       last_answer(screen).content == "Second.", what="answer")
        text = log_text(screen)
        assert "You  ‹ 2/2 ›" in text and "Wrong question" not in text
        # to the question in the log, back to its older version: the old answer with it
        await pilot.press("tab", "up")
        assert isinstance(screen.log_view.selected_entry, UserEntry)
        await pilot.press("left_square_bracket")
        text = log_text(screen)
        assert "Wrong question" in text and "First." in text and "Second." not in text
    db = history_file(tmp_path)
    [conv] = db.list()
    assert [m.content for m in db.messages(conv.id)] == ["Wrong question", "First."]
    tree = db.tree(conv.id)
    assert [[m.content for m in tree.path(r)] for r in tree.roots] == [
        ["Wrong question", "First."], ["Right question", "Second."]]
    db.close()


async def test_drafts_survive_leaving_switching_and_quitting(config_file, llmock, monkeypatch,
                                                             tmp_path):
    llmock.reply("A.")
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await ask(pilot, "first chat")
        first_id = screen.conv.id
        await type_text(pilot, "half a follow-up")
        await pilot.press("ctrl+n")  # switch to a new chat: the draft stays with the first
        assert screen.chat_input.text == ""
        await type_text(pilot, "a new chat's draft")
        app.pop_screen()  # leave the chat
        await pilot.pause()
        screen = await open_chat(pilot)  # a new chat again: its draft is back
        assert screen.chat_input.text == "a new chat's draft"
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), what="history")
        await pilot.press("enter")  # the only conversation: the first chat
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen), what="chat")
        assert screen.conv.id == first_id
        assert screen.chat_input.text == "half a follow-up"
        await type_text(pilot, " and more")  # typed just before quitting (no pause)
        await pilot.press("ctrl+q")
    db = history_file(tmp_path)
    assert db.draft(first_id) == "half a follow-up and more"
    assert db.draft(None) == "a new chat's draft"
    db.close()
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ChatScreen(first_id))
        await pilot.pause()
        assert app.screen.chat_input.text == "half a follow-up and more"
        # sending it clears it
        app.screen.chat_input.text = ""
        await pilot.pause(0.8)
    db = history_file(tmp_path)
    assert db.draft(first_id) == ""
    db.close()


async def test_a_locked_database_never_blocks_the_ui_nor_loses_the_answer(
        config_file, llmock, monkeypatch, tmp_path):
    words = [f"w{i}" for i in range(40)]
    llmock.pace(20).reply(" ".join(words))
    # SQLite's busy timeout longer than the lock: a UI thread that touched the file would
    # wait for the release (and then succeed), so only a UI that never waits passes
    monkeypatch.setattr(h, "BUSY_TIMEOUT_MS", 60_000)
    app = mock_app(config_file, llmock, monkeypatch)
    path = tmp_path / "data" / "history.sqlite3"
    released = threading.Event()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        _ = app.history_writer  # the database exists; now another process locks it
        holder = sqlite3.connect(path, isolation_level=None, timeout=0,
                                 check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")

        def release() -> None:
            holder.execute("COMMIT")
            released.set()

        timer = threading.Timer(LOCK_HELD, release)
        timer.start()
        try:
            entry = await ask(pilot, "Count", wait=False)
            await wait_for(pilot, lambda: "w5" in entry.content, what="the answer streaming")
            await pilot.press("o", "k")
            still_locked, waiting = not released.is_set(), app.history_writer.pending
            assert screen.chat_input.text == "ok"
            assert still_locked, "the keys were handled only after the lock was released"
            assert waiting > 0  # the writes wait in memory
            await wait_for(pilot, released.is_set, timeout=30, what="the release")
            await wait_answer(pilot, timeout=30)
            await wait_for(pilot, lambda: app.history_writer.pending == 0, timeout=30,
                           what="the writes")
        finally:
            timer.join()
    holder.close()
    db = history_file(tmp_path)
    [conv] = db.list()
    answer = db.messages(conv.id)[1]
    assert answer.status == h.DONE
    assert answer.content.split() == words
    db.close()


async def test_a_write_that_finally_fails_names_the_file_with_the_text(
        config_file, llmock, monkeypatch, tmp_path):
    words = [f"w{i}" for i in range(40)]
    llmock.reply(" ".join(words))
    app = mock_app(config_file, llmock, monkeypatch)
    path = tmp_path / "data" / "history.sqlite3"
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chat(pilot)
        writer = app.history_writer
        writer.give_up_after = 0.3  # the lock outlasts the writer's patience
        holder = sqlite3.connect(path, isolation_level=None, timeout=0)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            await ask(pilot, "Count to forty")
            await wait_for(pilot, lambda: writer.pending == 0, timeout=30, what="writes")
            await wait_for(pilot, lambda: any(
                str(writer.recovery_file) in n.message for n in app._notifications),
                timeout=10, what="the message naming the file")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        notes = [n.message for n in app._notifications]
        assert len(notes) == 2, "\n".join(notes)  # the lock, and where the text is
    text = writer.recovery_file.read_text()
    assert "Count to forty" in text
    assert " ".join(words) in text
    assert writer.recovery_file.parent == tmp_path / "data"


async def test_export_goes_to_downloads_and_never_overwrites(config_file, llmock, monkeypatch,
                                                             tmp_path):
    home = tmp_path / "home"
    (home / "Downloads").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    llmock.reply("Exported.", times=2)
    app = mock_app(config_file, llmock, monkeypatch)
    notes: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        monkeypatch.setattr(app, "notify", lambda text, **kw: notes.append(str(text)))
        await open_chat(pilot)
        await ask(pilot, "Export me")
        for _ in range(2):
            seen = len(notes)
            await pilot.press("ctrl+o")
            await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), what="hist")
            await pilot.press("down", "x")
            await pilot.pause()
            field = app.focused
            assert field.value.startswith(str(home / "Downloads") + "/")
            field.value = str(home / "Downloads" / "chat.md")  # the same name twice
            await pilot.press("enter")
            await wait_for(pilot, lambda seen=seen: any("Exported to" in n
                                                        for n in notes[seen:]),
                           what="export")
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen), what="chat")
    first, second = home / "Downloads" / "chat.md", home / "Downloads" / "chat-2.md"
    assert "Export me" in first.read_text() and "Export me" in second.read_text()
    assert any(f"Exported to {first}" in n for n in notes)
    assert any(f"Exported to {second}" in n and "chat.md exists" in n for n in notes)
    assert not list(tmp_path.glob("*.md"))  # nothing in the current directory


async def test_editing_an_earlier_question_branches_there(config_file, llmock, monkeypatch,
                                                          tmp_path):
    llmock.reply("A1.")
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await ask(pilot, "Q1")
        llmock.reply("A2.")
        await ask(pilot, "Q2")
        await type_text(pilot, "unsent")
        await pilot.press("tab", "up", "up", "up", "e")  # Q1: the input is not empty
        assert screen.editing is None and screen.chat_input.text == "unsent"
        screen.chat_input.text = ""
        await pilot.press("tab", "up", "up", "up", "e")
        assert screen.editing is not None and screen.chat_input.text == "Q1"
        screen.chat_input.text = "Q1 again"
        llmock.reply("A1 again.")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.streaming is None and
                       last_answer(screen).content == "A1 again.", what="answer")
        assert [m.content for m in screen.messages] == ["Q1 again", "A1 again."]
        assert llmock.last_request.body["messages"] == [
            {"role": "user", "content": "Q1 again"}]
    db = history_file(tmp_path)
    [conv] = db.list()
    tree = db.tree(conv.id)
    assert [[m.content for m in tree.path(r)] for r in tree.roots] == [
        ["Q1", "A1.", "Q2", "A2."], ["Q1 again", "A1 again."]]
    db.close()


async def test_deleting_the_conversation_keeps_the_typed_text(config_file, llmock, monkeypatch,
                                                              tmp_path):
    llmock.reply("A.")
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await ask(pilot, "to be deleted")
        await type_text(pilot, "still wanted")
        screen.action_delete()
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.conv is None, what="deleted")
        await pilot.pause()
        assert screen.chat_input.text == "still wanted"
        await wait_for(pilot, lambda: app.history_writer.pending == 0, what="writes")
    db = history_file(tmp_path)
    assert db.list() == [] and db.draft(None) == "still wanted"
    db.close()


async def test_the_version_keys_follow_the_keymap(config_file, llmock, monkeypatch):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('[keymap]\n"chatlog.version_prev" = "comma"\n')
    llmock.reply("One.")
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await ask(pilot, "Q")
        llmock.reply("Two.")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: last_answer(screen).content == "Two." and
                       screen.streaming is None, what="regenerated")
        await pilot.press("tab", "left_square_bracket")  # moved away: [ does nothing now
        assert "Two." in log_text(screen)
        await pilot.press("comma")
        assert "One." in log_text(screen) and "Two." not in log_text(screen)
