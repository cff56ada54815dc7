"""Snapshots of the provider screens at 80x24 (pytest-textual-snapshot).

Deterministic: a fresh temp config (no paths or ports on screen), no keyring, key
status settled before the picture, and Textual's own dark theme so a change of the
shipped cherry themes does not churn these pictures.
Update with: .venv/bin/pytest tests/ui/test_providers_snapshots.py --snapshot-update
"""

from __future__ import annotations

from _provider_helpers import paste, settle

from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.models import ModelsScreen

SIZE = (80, 24)


def app_for(config_file) -> CherryApp:
    return CherryApp(config_file)


async def ready(pilot) -> None:
    pilot.app.theme = "textual-dark"
    await settle(pilot)


def test_provider_list(snap_compare, config_file):
    assert snap_compare(app_for(config_file), terminal_size=SIZE, run_before=ready)


def test_provider_list_no_color(snap_compare, config_file, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("down", "down", "down")

    assert snap_compare(app_for(config_file), terminal_size=SIZE, run_before=run_before)


def test_provider_list_filtered(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("slash", *"cloud")
        await settle(pilot)

    assert snap_compare(app_for(config_file), terminal_size=SIZE, run_before=run_before)


def test_editor_volcengine(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        pilot.app.screen.open_editor("volcengine")
        await settle(pilot)

    assert snap_compare(app_for(config_file), terminal_size=SIZE, run_before=run_before)


def test_editor_exact_address_unsaved(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        pilot.app.screen.open_editor("huawei")
        await settle(pilot)
        await pilot.press("tab")
        await paste(pilot, "https://api.modelarts-maas.com/v1/infers/"
                           "271c9332-4aa6-4ff5-95b3-0cf8bd94c394/v1/chat/completions#")
        await settle(pilot)

    assert snap_compare(app_for(config_file), terminal_size=SIZE, run_before=run_before)


def test_editor_address_error(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        pilot.app.screen.open_editor("oneapi")
        await settle(pilot)
        await pilot.press("tab")
        await paste(pilot, "10.0.0.5:3000")
        await settle(pilot)

    assert snap_compare(app_for(config_file), terminal_size=SIZE, run_before=run_before)


def test_models_screen(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        pilot.app.push_screen(ModelsScreen("volcengine"))
        await settle(pilot)

    assert snap_compare(app_for(config_file), terminal_size=SIZE, run_before=run_before)


def test_model_id_warning(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        pilot.app.push_screen(ModelsScreen("huawei"))
        await settle(pilot)
        await paste(pilot, '"DeepSeek-V3"')
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app_for(config_file), terminal_size=SIZE, run_before=run_before)


def test_add_provider_dialog(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("a", *"My OneAPI", "enter", "tab")
        await paste(pilot, "http://127.0.0.1:3000")
        await settle(pilot)

    assert snap_compare(app_for(config_file), terminal_size=SIZE, run_before=run_before)


def test_delete_confirmation(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("d")
        await settle(pilot)

    assert snap_compare(app_for(config_file), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, config_file):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app_for(config_file), terminal_size=SIZE, run_before=run_before)
