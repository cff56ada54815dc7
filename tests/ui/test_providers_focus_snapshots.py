"""Snapshots: the focused field is marked (a bar at the row's left, the label in reverse
video) at 16 colours (the cherry-ansi theme) and under NO_COLOR, where a faint background
would not show. Update with --snapshot-update (see test_providers_snapshots.py)."""

from __future__ import annotations

import pytest
from _provider_helpers import settle

from cherry_tui.ui.app import CherryApp

SIZE = (80, 24)
MODES = ["ansi", "no_color"]


@pytest.fixture(params=MODES)
def mode(request, monkeypatch) -> str:
    if request.param == "no_color":
        monkeypatch.setenv("NO_COLOR", "1")
    return request.param


async def ready(pilot, mode: str) -> None:
    pilot.app.theme = "cherry-ansi" if mode == "ansi" else "textual-dark"
    await settle(pilot)


def test_editor_focus_on_address(snap_compare, config_file, mode):
    async def run_before(pilot):
        await ready(pilot, mode)
        pilot.app.screen.open_editor("oneapi")
        await settle(pilot)
        await pilot.press("tab")                 # API key -> Address
        await settle(pilot)

    assert snap_compare(CherryApp(config_file), terminal_size=SIZE, run_before=run_before)


def test_editor_focus_on_key_source(snap_compare, config_file, mode):
    async def run_before(pilot):
        await ready(pilot, mode)
        pilot.app.screen.open_editor("oneapi")
        await settle(pilot)
        await pilot.press("shift+tab")           # API key -> Key from
        await settle(pilot)

    assert snap_compare(CherryApp(config_file), terminal_size=SIZE, run_before=run_before)


def test_add_dialog_focus_on_type(snap_compare, config_file, mode):
    async def run_before(pilot):
        await ready(pilot, mode)
        await pilot.press("a", *"My GW", "enter")  # Name -> Type
        await settle(pilot)

    assert snap_compare(CherryApp(config_file), terminal_size=SIZE, run_before=run_before)
