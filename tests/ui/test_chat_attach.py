"""Files and images in the chat, through Pilot, against real local servers (llmock for
OpenAI and Anthropic, tests/servers/wire.py for Gemini): ``@path`` with tab completion, the
ctrl+f picker, what the servers received, every refusal (the input keeps the text), the
attachment lines in the log, the history, ctrl+r and editing sending the files again."""

from __future__ import annotations

import base64
import sqlite3

import pytest
from _chat_helpers import (
    history_file, log_text, mock_app, open_chat, settle, type_text, wait_answer, wait_for,
)
from servers.wire import KEY as WIRE_KEY
from servers.wire import MODEL, Serving

from cherry_tui.core.attachments import TextFile
from cherry_tui.core.history import Message
from cherry_tui.core.history_export import to_markdown
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.attach_dialog import AttachDialog
from cherry_tui.ui.screens.chat import ChatScreen
from cherry_tui.ui.widgets.chatlog import ChatLog

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(40))
B64 = base64.b64encode(PNG).decode()
BLOCK = "File: notes.txt\n```\nremember the milk\n```"


@pytest.fixture
def files(tmp_path, monkeypatch):
    """A working folder (the app's current directory) with files to attach."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("remember the milk\n")
    (work / "notes-old.txt").write_text("old\n")
    (work / "shot.png").write_bytes(PNG)
    (work / "my file.txt").write_text("spaced\n")
    (work / "logs").mkdir()
    (work / "logs" / "app.log").write_text("GET / 200\n")
    monkeypatch.chdir(work)
    return work


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def send(pilot, text: str) -> ChatScreen:
    screen: ChatScreen = pilot.app.screen
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)
    return screen


# ------------------------------------------------------------------ completion, picker
async def test_tab_completes_an_at_path_and_moves_focus_elsewhere(
        config_file, llmock, monkeypatch, files):
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        box = screen.chat_input
        await type_text(pilot, "look at @no")
        await pilot.press("tab")
        await settle(pilot)
        assert box.text == "look at @notes" and box.has_focus
        hint = screen.query_one("#mention-hint")
        assert hint.display and "notes-old.txt  notes.txt" in str(hint.render())
        await type_text(pilot, ".")
        await pilot.press("tab")
        await settle(pilot)
        assert box.text == "look at @notes.txt "  # one file: done, a space after it
        assert not hint.display  # the text changed: the candidates went
        await type_text(pilot, "and @lo")
        await pilot.press("tab")
        assert box.text.endswith("and @logs/")  # a folder: go on inside it
        await pilot.press("a", "tab")
        assert box.text.endswith("and @logs/app.log ")
        await type_text(pilot, "@my")
        await pilot.press("tab")
        assert box.text.endswith('@"my file.txt" ')  # quoted: it has a space
        await type_text(pilot, "@zz")
        await pilot.press("tab")
        await settle(pilot)
        assert box.has_focus and "no file or folder matches 'zz'" in str(hint.render())
        (files / "evil\x1b]0;pwned\x07.txt").write_text("x")  # a hostile name
        await type_text(pilot, " @ev")
        await pilot.press("tab")
        await settle(pilot)
        assert box.text.endswith(" @ev")  # never put into the input raw
        assert "evil^[]0;pwned^G.txt: its name has control characters" in str(hint.render())
        await type_text(pilot, " plain")
        await pilot.press("tab")  # not in a mention: tab moves on, to the log
        await settle(pilot)
        assert screen.query_one(ChatLog).has_focus


async def test_ctrl_f_picks_a_file_and_puts_its_mention_at_the_cursor(
        config_file, llmock, monkeypatch, files):
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await type_text(pilot, "summarize")
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert isinstance(app.screen, AttachDialog)
        await pilot.press("l", "o", "tab")
        await settle(pilot)
        assert app.screen.field.value == "logs/"
        await pilot.press("enter")  # the highlighted entry, app.log
        await settle(pilot)
        assert app.screen is screen
        assert screen.chat_input.text == "summarize @logs/app.log "
        assert screen.chat_input.has_focus

        await pilot.press("ctrl+f")
        await settle(pilot)
        await pilot.press("m", "y", "down", "enter")  # the list: my file.txt (only match)
        await settle(pilot)
        assert screen.chat_input.text == 'summarize @logs/app.log @"my file.txt" '

        await pilot.press("ctrl+f")
        await settle(pilot)
        await type_text(pilot, "gone.txt")
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AttachDialog)
        assert "gone.txt: no such file" in str(dialog.query_one("#attach-problem").render())
        await pilot.press("escape")
        await settle(pilot)
        assert screen.chat_input.text == 'summarize @logs/app.log @"my file.txt" '

    assert ("Chat: attach a file", "ctrl+f; or @path in the input (tab completes)",
            "attach") in screen.palette_commands()


# ------------------------------------------------------------------ what the servers got
async def test_text_and_image_go_to_openai_and_show_in_the_log(
        config_file, llmock, monkeypatch, files, tmp_path):
    app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o",))
    llmock.reply("A cat and milk.")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "@notes.txt @shot.png what is this?")
        await wait_answer(pilot)
        assert llmock.last_request.body["messages"] == [{"role": "user", "content": [
            {"type": "text", "text": f"{BLOCK}\n\n@notes.txt @shot.png what is this?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{B64}"}}]}]
        text = log_text(screen)
        assert "@notes.txt @shot.png what is this?\n📎 notes.txt · 18 B\n📎 shot.png · image " \
               f"· {len(PNG)} B" in text

        # the next turn carries the files of the earlier one again
        (files / "notes.txt").write_text("changed on disk\n")  # read once: what was sent
        llmock.reply("Yes.")
        await send(pilot, "sure?")
        await wait_answer(pilot)
        sent = llmock.last_request.body["messages"]
        assert sent[0]["content"][0]["text"].startswith(BLOCK)
        assert sent[2] == {"role": "user", "content": "sure?"}
        app.history_writer.flush(10)

    db = history_file(tmp_path)
    [conv] = db.list()
    first = db.get(conv.id).messages[0]
    assert first.content == "@notes.txt @shot.png what is this?"  # as typed
    assert [(a.kind, a.name) for a in first.attachments] == [("text", "notes.txt"),
                                                             ("image", "shot.png")]
    assert db.attachments(first.id)[0].text == "remember the milk\n"
    md = to_markdown(db.get(conv.id))
    assert ("- Attached text: notes.txt (18 B)\n- Attached image: shot.png "
            f"({len(PNG)} B)\n\n@notes.txt @shot.png what is this?") in md


async def test_anthropic_gets_a_base64_block_and_gemini_inline_data(
        config_file, llmock, monkeypatch, files):
    app = mock_app(config_file, llmock, monkeypatch)
    anth = app.config.add_provider("Claude", "anthropic", llmock.base_url("anthropic"))
    app.config.set_provider_field(anth, "key", "env:MOCK_KEY")
    app.config.set_models(anth, ["claude-sonnet-4-5"])
    with Serving("gemini") as w:
        monkeypatch.setenv("WIRE_KEY", WIRE_KEY)
        gem = app.config.add_provider("Gem", "gemini", w.root)
        app.config.set_provider_field(gem, "key", "env:WIRE_KEY")
        app.config.set_models(gem, [MODEL])
        app.config.set_model_kind(gem, MODEL, "vision")
        app.config.save()
        llmock.reply("A picture.")
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_chat(pilot)
            screen.set_model(f"{anth}/claude-sonnet-4-5")
            await send(pilot, "@shot.png @notes.txt describe")
            await wait_answer(pilot)
            assert llmock.last_request.body["messages"] == [{"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                             "data": B64}},
                {"type": "text", "text": f"{BLOCK}\n\n@shot.png @notes.txt describe"}]}]

            await pilot.press("ctrl+n")
            await settle(pilot)
            screen.set_model(f"{gem}/{MODEL}")
            await send(pilot, "@shot.png what?")
            await wait_answer(pilot)
            assert w.seen[-1].body["contents"] == [{"role": "user", "parts": [
                {"text": "@shot.png what?"},
                {"inlineData": {"mimeType": "image/png", "data": B64}}]}]


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize("typed,said", [
    ("@gone.txt what is in it?",
     "Not sent: gone.txt: no such file (check the path; a relative path starts in {work})"),
    ("@big.log why?", "Not sent: big.log is 300 KB, over the 256 KB limit for a text file: "
                      "attach a part of it (e.g. what tail gives)"),
    ("@a.out run it", "Not sent: a.out looks like a binary file, not text"),
    ("@logs explain", "Not sent: logs is a folder: attach the files in it one by one"),
    ("@shot.png what is it?",
     "Not sent: shot.png is an image and mock/deepseek-chat does not take images: ctrl+l "
     "chooses a vision model, or set its kind to vision (k on the models screen, or "
     'model_kinds = { "deepseek-chat" = "vision" } in [providers.mock])'),
])
async def test_a_file_that_cannot_go_is_said_and_the_input_keeps_the_text(
        config_file, llmock, monkeypatch, files, typed, said):
    (files / "big.log").write_text("x" * 300 * 1024)
    (files / "a.out").write_bytes(b"\x7fELF\x00\x00\x01")
    app = mock_app(config_file, llmock, monkeypatch, models=("deepseek-chat",))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, typed)
        assert screen.chat_input.text == typed
        assert screen.messages == [] and screen.streaming is None
        assert any(n.startswith(said.replace("{work}", str(files))) for n in notes(app)), notes(app)
    assert llmock.requests == []


async def test_model_mentions_and_plain_words_are_not_files(
        config_file, llmock, monkeypatch, files):
    app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o", "deepseek-chat"))
    llmock.reply("ok")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_chat(pilot)
        await send(pilot, "@mock/deepseek-chat @alice ask bob@example.com")
        await wait_answer(pilot)
    # the model mention chose the model (and is not sent); the other @words stay text
    assert llmock.last_request.body["model"] == "deepseek-chat"
    assert llmock.last_request.body["messages"] == [
        {"role": "user", "content": "@alice ask bob@example.com"}]


# ------------------------------------------------------------------ history, ctrl+r, edit
async def test_reopened_chat_shows_the_files_and_ctrl_r_sends_them_again(
        config_file, llmock, monkeypatch, files, tmp_path):
    app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o",))
    llmock.reply("First.")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chat(pilot)
        await send(pilot, "@notes.txt @shot.png look")
        await wait_answer(pilot)
    conv_id = history_file(tmp_path).list()[0].id

    (files / "notes.txt").write_text("something else now\n")  # the history kept the text
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_chat(pilot)
        screen.open_conversation(conv_id)
        await settle(pilot)
        assert "look\n📎 notes.txt · 18 B\n📎 shot.png · image" in log_text(screen)
        llmock.reply("Second.")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen.streaming is None and len(llmock.requests) == 2,
                       what="the regenerated answer")
        assert llmock.last_request.body["messages"] == [{"role": "user", "content": [
            {"type": "text", "text": f"{BLOCK}\n\n@notes.txt @shot.png look"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{B64}"}}]}]

    (files / "shot.png").write_bytes(PNG + b"more")  # the image changed: not sent as it was
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_chat(pilot)
        screen.open_conversation(conv_id)
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert any("shot.png changed since it was attached" in n and
                   n.startswith("Not sent: an earlier message's file:") for n in notes(app))
        assert len(llmock.requests) == 2 and len(screen.messages) == 2


async def test_editing_a_message_sends_its_files_again(config_file, llmock, monkeypatch,
                                                       files):
    app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o",))
    llmock.reply("One.")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "@notes.txt short")
        await wait_answer(pilot)
        (files / "notes.txt").unlink()  # gone: the edited message keeps what was sent
        await pilot.press("up")
        await settle(pilot)
        assert screen.chat_input.text == "@notes.txt short"
        await pilot.press("end")
        await type_text(pilot, "er")
        llmock.reply("Two.")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(llmock.requests) == 2, what="the second request")
        await wait_answer(pilot)
        assert llmock.last_request.body["messages"] == [
            {"role": "user", "content": f"{BLOCK}\n\n@notes.txt shorter"}]
        assert "shorter\n📎 notes.txt · 18 B" in log_text(screen)



async def test_a_hostile_file_name_shows_inert_in_the_log(config_file, llmock, monkeypatch,
                                                          tmp_path):
    db = history_file(tmp_path)
    conv = db.create(model="mock/gpt-4o")
    msg = db.add(conv.id, Message("user", "see"))
    db.add_attachments(msg.id, [TextFile("x\x1b]0;pwned\x07\u202e.txt", "/x", "t", 1)])
    db.close()
    app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o",))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        screen.open_conversation(conv.id)
        await settle(pilot)
        text = log_text(screen)
        assert "📎 x^[]0;pwned^G<U+202E>.txt · 1 B" in text and "\x1b" not in text


async def test_a_history_that_cannot_be_written_keeps_the_files_text(
        config_file, llmock, monkeypatch, files, tmp_path):
    app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o",))
    llmock.reply("ok")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_chat(pilot)
        writer = app.history_writer
        writer.give_up_after = 0.3  # the lock outlasts the writer's patience
        holder = sqlite3.connect(tmp_path / "data" / "history.sqlite3", isolation_level=None,
                                 timeout=0)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            await send(pilot, "@notes.txt @shot.png keep these")
            await wait_answer(pilot)
            await wait_for(pilot, lambda: writer.pending == 0, timeout=30, what="writes")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    text = writer.recovery_file.read_text()
    assert "@notes.txt @shot.png keep these" in text
    assert BLOCK in text and f"Image: {files / 'shot.png'} (SHA-256 " in text


async def test_completion_follows_the_keymap_and_tab_then_moves_on(
        config_file, llmock, monkeypatch, files):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('[keymap]\n"chat.complete" = "f4"\n')
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await type_text(pilot, "@notes.")
        await pilot.press("f4")
        assert screen.chat_input.text == "@notes.txt "
        await type_text(pilot, "@lo")
        await pilot.press("tab")  # tab is the focus key again, even in a mention
        await settle(pilot)
        assert screen.chat_input.text == "@notes.txt @lo"
        assert screen.query_one(ChatLog).has_focus
