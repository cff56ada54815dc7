"""Snapshots of the assistant list, its form and a chat started with an assistant, at
80x24 (pytest-textual-snapshot). No server, port or clock shows on screen.
Update with: .venv/bin/pytest tests/ui/test_assistants_snapshots.py --snapshot-update
"""

from __future__ import annotations

from _chat_helpers import app_with_toml, type_text

from cherry_tui.ui.app import CherryApp

SIZE = (80, 24)
MINE = """
[assistants.sql]
prompt = "You write PostgreSQL. [bold]not markup[/]"
model = "mock/gpt-4o"
temperature = 0.2
context = 4

[assistants.shell]
hidden = true
"""


def app_with_assistants(config_file) -> CherryApp:
    return app_with_toml(config_file, "http://127.0.0.1:9", MINE)


async def ready(pilot) -> None:
    pilot.app.theme = "textual-dark"
    await pilot.pause()
    await pilot.press("f2")
    await pilot.pause()


def test_assistant_list(snap_compare, config_file):
    assert snap_compare(app_with_assistants(config_file), terminal_size=SIZE,
                        run_before=ready)


def test_assistant_form(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        await type_text(pilot, "sql")
        await pilot.press("down", "e")
        await pilot.pause()

    assert snap_compare(app_with_assistants(config_file), terminal_size=SIZE,
                        run_before=run_before)


def test_chat_with_an_assistant(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        await type_text(pilot, "sql")
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(app_with_assistants(config_file), terminal_size=SIZE,
                        run_before=run_before)
