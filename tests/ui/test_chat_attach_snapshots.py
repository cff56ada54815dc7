"""Snapshot of the chat with attachments at 80x24: a saved conversation whose question
carries a text file and an image (one line each under it), and an ``@path`` being
completed in the input (the candidates in the hint above it).

Deterministic: the conversation comes from a history file written here; the files are
made here with fixed sizes; no server, port, clock or temp path shows on screen.
Update with: .venv/bin/pytest tests/ui/test_chat_attach_snapshots.py --snapshot-update
"""

from __future__ import annotations

from _chat_helpers import history_file, type_text
from test_chat_snapshots import SIZE, T0, app_with_models, ready, utc  # noqa: F401

from cherry_tui.core.attachments import load
from cherry_tui.core.history import Message
from cherry_tui.ui.screens.chat import ChatScreen

PNG = b"\x89PNG\r\n\x1a\n" + bytes(2100)


def conversation_with_files(tmp_path) -> int:
    work = tmp_path / "work"
    work.mkdir()
    (work / "nginx.log").write_text("GET / 502\n" * 210)
    (work / "screenshot.png").write_bytes(PNG)
    db = history_file(tmp_path)
    conv = db.create(model="mock/gpt-4o")
    question = db.add(conv.id, Message("user", "@nginx.log @screenshot.png why the 502s?",
                                       created=T0))
    db.add_attachments(question.id, [load(work / "nginx.log"), load(work / "screenshot.png")])
    db.add(conv.id, Message("assistant", "The upstream is down: start it again.",
                            model="mock/gpt-4o", prompt_tokens=900, completion_tokens=9,
                            elapsed=0.5, created=T0))
    db.db.execute("UPDATE conversations SET created=?, updated=?", (T0, T0))
    db.close()
    return conv.id


def test_chat_with_attachments_and_a_completion(snap_compare, config_file, tmp_path,
                                                monkeypatch):
    conv_id = conversation_with_files(tmp_path)
    monkeypatch.chdir(tmp_path / "work")

    async def run_before(pilot):
        await ready(pilot)
        pilot.app.push_screen(ChatScreen(conv_id))
        await pilot.pause()
        await type_text(pilot, "and @n")
        await pilot.press("tab")  # one file: completed
        await type_text(pilot, "@")
        await pilot.press("tab")  # both: the hint lists them
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app_with_models(config_file), terminal_size=SIZE, run_before=run_before)
