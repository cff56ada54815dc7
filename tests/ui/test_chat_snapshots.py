"""Snapshots of the chat screens at 80x24 (pytest-textual-snapshot).

Deterministic: conversations come from a history file written here with fixed token
counts, times and dates (UTC); no server, port or clock shows on screen.
Update with: .venv/bin/pytest tests/ui/test_chat_snapshots.py --snapshot-update
"""

from __future__ import annotations

import time

import pytest
from _chat_helpers import history_file, type_text

from cherry_tui.core import history as h
from cherry_tui.core.history import Message
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.chat import ChatScreen

SIZE = (80, 24)
T0 = 1_700_000_000.0  # 2023-11-14, fixed dates on screen

ANSWER = """Use a **list comprehension**:

```python
squares = [n * n for n in range(10)]
```

| n | n² |
|---|----|
| 2 | 4  |
| 3 | 9  |
"""


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def app_with_models(config_file) -> CherryApp:
    app = CherryApp(config_file)
    pid = app.config.add_provider("Mock", "openai", "http://127.0.0.1:9")
    app.config.set_provider_field(pid, "key", "env:MOCK_KEY")
    app.config.set_models(pid, ["gpt-4o-mini", "gpt-4o", "o3-mini"])
    app.config.save()
    return app


def saved_conversation(tmp_path) -> int:
    db = history_file(tmp_path)
    conv = db.create(model="mock/gpt-4o-mini")
    db.add(conv.id, Message("user", "How do I square numbers in Python? [bold]no markup[/]",
                            created=T0))
    db.add(conv.id, Message("assistant", ANSWER, model="mock/gpt-4o-mini", prompt_tokens=21,
                            completion_tokens=48, elapsed=1.2, created=T0,
                            reasoning="The user wants squares.\nA comprehension is idiomatic."))
    db.add(conv.id, Message("user", "Now stream a long one", created=T0))
    db.add(conv.id, Message("assistant", "Here is the first part of a long", status=h.STOPPED,
                            model="mock/gpt-4o-mini", completion_tokens=8, elapsed=0.4,
                            created=T0))
    db.add(conv.id, Message("user", "Again", created=T0))
    db.add(conv.id, Message("assistant", "", status=h.ERROR, model="mock/gpt-4o-mini",
                            error="Mock (mock) refused the request (HTTP 429 rate limited): "
                            "wait a moment and retry", elapsed=0.1, created=T0))
    db.db.execute("UPDATE conversations SET created=?, updated=?", (T0, T0))
    db.close()
    return conv.id


async def ready(pilot) -> None:
    pilot.app.theme = "textual-dark"
    await pilot.pause()


def test_new_chat(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await type_text(pilot, "A first line\nand a second (ctrl+j)")
        await pilot.pause()

    assert snap_compare(app_with_models(config_file), terminal_size=SIZE, run_before=run_before)


def test_saved_conversation(snap_compare, config_file, tmp_path):
    conv_id = saved_conversation(tmp_path)

    async def run_before(pilot):
        await ready(pilot)
        pilot.app.push_screen(ChatScreen(conv_id))
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app_with_models(config_file), terminal_size=SIZE, run_before=run_before)


def test_saved_conversation_top_with_reasoning(snap_compare, config_file, tmp_path):
    conv_id = saved_conversation(tmp_path)

    async def run_before(pilot):
        await ready(pilot)
        pilot.app.push_screen(ChatScreen(conv_id))
        await pilot.pause()
        await pilot.press("tab", "up", "up", "up", "up", "t")  # the first answer: reasoning
        await pilot.pause()

    assert snap_compare(app_with_models(config_file), terminal_size=SIZE, run_before=run_before)


def test_model_picker_filtered(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("ctrl+l")
        await pilot.pause()
        await type_text(pilot, "4o")
        await pilot.pause()

    assert snap_compare(app_with_models(config_file), terminal_size=SIZE, run_before=run_before)


def test_history_screen(snap_compare, config_file, tmp_path):
    saved_conversation(tmp_path)

    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        await type_text(pilot, "comprehension")
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(app_with_models(config_file), terminal_size=SIZE, run_before=run_before)
