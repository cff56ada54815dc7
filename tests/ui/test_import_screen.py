"""The "Import from Cherry Studio" screen: palette entry, tab completion of the path,
the dry-run table (keys masked, nothing written), ctrl+s imports, a second run changes
nothing, bad files shown in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

from _provider_helpers import settle, text_of, type_text
from textual.widgets import DataTable, Input, RadioButton

from cherry_tui.core.config import Config
from cherry_tui.core.history import History
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.import_screen import ImportScreen, complete_path

SAMPLE = Path(__file__).parent.parent / "data" / "cherry" / "cherry-studio.20260528100000.zip"


async def wait_for(pilot, condition, rounds: int = 100) -> None:
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    assert condition()


def first_command(app: CherryApp) -> str:
    """The first entry the command palette lists now ("" while it has none)."""
    found = app.screen.query("CommandList")
    if not found or not found.first().option_count:
        return ""
    return str(found.first().get_option_at_index(0).prompt)


def table_rows(app: CherryApp) -> list[list[str]]:
    table = app.screen.query_one("#plan", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def test_complete_path(tmp_path):
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "cherry-studio.1.zip").write_text("x")
    (tmp_path / "backups" / "cherry-studio.2.zip").write_text("x")
    (tmp_path / "backups" / ".hidden").write_text("x")
    assert complete_path(f"{tmp_path}/back") == (f"{tmp_path}/backups/", ["backups/"])
    done, names = complete_path(f"{tmp_path}/backups/ch")
    assert done == f"{tmp_path}/backups/cherry-studio."
    assert names == ["cherry-studio.1.zip", "cherry-studio.2.zip"]
    assert complete_path(f"{tmp_path}/backups/zz") == (f"{tmp_path}/backups/zz", [])
    assert complete_path(f"{tmp_path}/nowhere/x") == (f"{tmp_path}/nowhere/x", [])


async def test_palette_opens_the_import_screen(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Import from Cherry")
        await wait_for(pilot, lambda: "Import from Cherry Studio" in first_command(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportScreen))


async def test_i_on_the_provider_list_imports_and_the_list_shows_the_result(
        config_file, tmp_path):
    app = CherryApp(config_file)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportScreen))
        await type_text(pilot, str(SAMPLE))
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(table_rows(app)) == 2)
        app.screen.query_one("#keys-file", RadioButton).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: config_file.exists())
        await pilot.press("escape")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "ProvidersScreen"
        rows = [str(screen.query_one("#providers").get_option_at_index(i).prompt)
                for i in range(screen.query_one("#providers").option_count)]
        oneapi = next(r for r in rows if "OneAPI" in r)
        assert " on " in oneapi and "file" in oneapi  # switched on, key in the secrets file


async def test_tab_completes_the_path_then_enter_shows_the_plan_then_ctrl_s_imports(
        config_file, tmp_path):
    folder = tmp_path / "from-desktop"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    app = CherryApp(config_file)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        app.push_screen(ImportScreen())
        await settle(pilot)
        field = app.screen.query_one("#path", Input)
        assert app.screen.focused is field
        await type_text(pilot, f"{folder}/che")
        await pilot.press("tab")
        await pilot.pause()
        assert field.value == str(folder / SAMPLE.name)
        assert app.screen.focused is field  # tab completed, it did not move focus
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(table_rows(app)) == 2)
        volc, oneapi = table_rows(app)
        assert volc[:2] == ["volcengine", "doubao"]
        assert volc[4] == "https://ark.cn-beijing.volces.com/api/v3/chat/completions"
        assert oneapi[6] == "sk-t****1111, sk-t****2222" and oneapi[7] == "add"
        await pilot.press("shift+tab")  # to the table: the highlighted row, whole
        await pilot.press("down")
        await wait_for(pilot, lambda: "OneAPI → http://127.0.0.1:3000/v1/chat/completions "
                       "keys: sk-t****1111, sk-t****2222 action: add" in text_of(app, "#row-detail"))
        assert not config_file.exists()  # the plan writes nothing

        # No keyring in tests: the keyring choice is disabled, nothing is chosen.
        await wait_for(pilot, lambda: app.screen.query_one("#keys-keyring",
                                                           RadioButton).disabled)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not config_file.exists()
        app.screen.query_one("#keys-file", RadioButton).value = True
        app.screen.query_one("#conversations").value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: config_file.exists())
        await wait_for(pilot, lambda: [r[7] for r in table_rows(app)] ==
                       ["unchanged: already there with these settings"] * 2)
        cfg = Config.load(config_file)
        assert cfg.provider("oneapi").key == "file" and cfg.provider("volcengine").enabled
        before = config_file.read_bytes()
        await pilot.press("ctrl+s")  # a second import changes nothing
        await pilot.pause()
        assert config_file.read_bytes() == before
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ImportScreen)
    history = History(config_file.parent.parent / "data" / "history.sqlite3")
    assert [c.title for c in history.search("UTF-8")] == ["Reverse a string in Go"]
    assert history.count() == 1
    history.close()


async def test_a_bad_file_is_one_message(config_file, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a backup")
    app = CherryApp(config_file)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        app.push_screen(ImportScreen(str(bad)))
        await settle(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "is not a Cherry Studio backup" in text_of(app, "#hint"))
        assert table_rows(app) == []
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not config_file.exists()
