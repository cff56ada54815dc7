"""The provider screens when the world changes under them: a config file broken by a
hand edit while the TUI runs, hostile names and model ids (the text gate)."""

from __future__ import annotations

from _provider_helpers import settle

from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.providers import ProvidersScreen

HOME = """\
[providers.home-oneapi]
name = "Home OneAPI"
type = "openai"
address = "http://127.0.0.1:3000"
enabled = true
"""


def _row_of(app, pid: str) -> str:
    option_list = app.screen.query_one("#providers")
    for i in range(option_list.option_count):
        if option_list.get_option_at_index(i).id == pid:
            return str(option_list.get_option_at_index(i).prompt)
    raise AssertionError(f"{pid} is not listed")


async def test_config_broken_while_running_no_crash_nothing_written(config_file):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(HOME)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProvidersScreen)
        screen.refresh_rows(keep="home-oneapi")
        assert screen.current_id() == "home-oneapi"
        assert " on " in _row_of(app, "home-oneapi")
        # A hand edit while the TUI runs: a duplicate table, so the file stops parsing.
        broken = HOME + "\n[providers.home-oneapi]\nenabled = false\n"
        config_file.write_text(broken)
        messages: list[str] = []
        app.notify = lambda message, **kw: messages.append(  # type: ignore[method-assign]
            f"{kw.get('title', '')}: {message}")
        for _ in range(3):                       # space, space again, and once more
            await pilot.press("space")
            await settle(pilot)
            assert app.is_running
            assert config_file.read_text() == broken          # nothing was written
            assert screen.current_id() == "home-oneapi"        # still listed
            assert " on " in _row_of(app, "home-oneapi")       # shown as on disk before
        assert len(messages) == 3
        for message in messages:
            assert "line 8" in message and "already exists" in message
            assert "nothing was written" in message.lower()
        # The file is fixed by hand: the next switch saves again.
        config_file.write_text(HOME)
        await pilot.press("space")
        await settle(pilot)
        assert "enabled = false" in config_file.read_text()
        assert " off " in _row_of(app, "home-oneapi")
