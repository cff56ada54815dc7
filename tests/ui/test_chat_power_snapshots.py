"""A chat with an assistant, an attachment and two models answering at once, at 80x24
(pytest-textual-snapshot), against llmock (a local server). The clock-dependent figures
(seconds, tokens a second) are set to fixed values before the picture; no port shows.
Update with: .venv/bin/pytest tests/ui/test_chat_power_snapshots.py --snapshot-update
"""

from __future__ import annotations

from llmock.scenarios import Match, Reply

from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.chat import ChatScreen
from cherry_tui.ui.widgets.chatlog import AnswerEntry

from _chat_helpers import MOCK_KEY, app_with_toml, type_text, wait_for

SIZE = (80, 24)
MINE = """
[assistants.sql]
prompt = "You write PostgreSQL."
model = "mock/gpt-4o"
temperature = 0.2
"""


def app_for(config_file, llmock, monkeypatch) -> CherryApp:
    monkeypatch.setenv("MOCK_KEY", MOCK_KEY)
    return app_with_toml(config_file, llmock.url, MINE)


def test_two_answers_with_an_assistant_and_a_file(snap_compare, config_file, llmock,
                                                  monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the file is named relative to it: no tmp path on screen
    (tmp_path / "schema.sql").write_text("CREATE TABLE users (id serial primary key);\n")
    llmock.add(Reply(text="SELECT count(*) FROM users;", match=Match(model="gpt-4o")))
    llmock.add(Reply(text="Use `SELECT count(*) FROM users;` — fast with an index.",
                     match=Match(model="gpt-4o-mini")))

    async def run_before(pilot):
        pilot.app.theme = "textual-dark"
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        await type_text(pilot, "sql")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ChatScreen), what="chat")
        screen: ChatScreen = pilot.app.screen
        await type_text(pilot, "@mock/gpt-4o @mock/gpt-4o-mini @schema.sql how many users?")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.several.group and not screen.streams, what="answers")
        for entry in screen.log_view.entries:
            if isinstance(entry, AnswerEntry):  # the clock's figures, fixed
                entry.message.elapsed, entry.rate = 1.5, 40.0
                screen.log_view.update_entry(entry)
        await pilot.pause()

    assert snap_compare(app_for(config_file, llmock, monkeypatch), terminal_size=SIZE,
                        run_before=run_before)
