"""Focus you can see: in every provider form and dialog the highlighted row is the one
that typing goes to, after every tab / shift+tab / enter / arrow move."""

from __future__ import annotations

from _provider_helpers import settle, type_text
from textual.containers import Horizontal
from textual.widgets import Label

from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.dialogs import AddProviderDialog, PromptDialog
from cherry_tui.ui.screens.editor import EditorScreen


def marked(screen) -> list[str]:
    """Labels of the rows drawn as focused: label in reverse video and a bar at the left."""
    shown = []
    for row in screen.query(Horizontal).filter(".row, .chat-row"):
        labels = list(row.query(Label))
        if not labels:
            continue
        reverse = bool(labels[0].styles.text_style.reverse)
        bar = row.styles.border_left[0] == "outer"
        assert reverse == bar, f"{labels[0].render()}: label and bar disagree"
        if reverse:
            shown.append(str(labels[0].render()))
    return shown


def focused_row(app) -> list[str]:
    """The label of the row that holds the focused widget (where typing goes)."""
    node = app.focused
    while node is not None and not (isinstance(node, Horizontal)
                                    and (node.has_class("row") or node.has_class("chat-row"))):
        node = node.parent
    return [] if node is None else [str(node.query(Label).first().render())]


async def check_moves(pilot, keys: list[str]) -> list[list[str]]:
    seen = []
    for key in keys:
        await pilot.press(key)
        await pilot.pause()
        assert pilot.app.focused is not None, f"after {key}: nothing focused"
        assert marked(pilot.app.screen) == focused_row(pilot.app), f"after {key}"
        seen.append(focused_row(pilot.app))
    return seen


async def test_editor_highlight_follows_focus(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.open_editor("oneapi")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        assert marked(app.screen) == focused_row(app) == ["API key"]
        seen = await check_moves(pilot, ["tab", "tab", "shift+tab", "shift+tab", "down",
                                         "up", "up", "shift+tab", "tab", "enter"])
        assert ["Address"] in seen and ["Name"] in seen and ["On/off"] in seen
        # The finding: the highlight stayed on "API key" while typing replaced the address.
        app.screen.query_one("#key").focus()
        await pilot.press("tab")
        await pilot.pause()
        assert marked(app.screen) == ["Address"] == focused_row(app)
        await type_text(pilot, "x")
        assert app.screen.query_one("#address").value.endswith("x")


async def test_add_dialog_highlight_follows_focus(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AddProviderDialog)
        assert marked(app.screen) == ["Name"] == focused_row(app)
        await type_text(pilot, "My GW")
        seen = await check_moves(pilot, ["enter", "tab", "shift+tab", "down", "down", "up",
                                         "tab", "tab"])
        assert seen[0] == ["Type"] and ["Address"] in seen


async def test_prompt_dialog_highlight(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        assert marked(app.screen) == ["Name"] == focused_row(app)
        await check_moves(pilot, ["tab", "shift+tab"])


async def test_chat_settings_dialog_highlight_follows_focus(config_file):
    """The global focus style covers the chat dialogs' rows too (a typed title once went
    into the system prompt while Title was highlighted)."""
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert marked(app.screen) == focused_row(app) != []
        seen = await check_moves(pilot, ["tab", "tab", "shift+tab", "shift+tab", "tab"])
        assert len({tuple(s) for s in seen}) >= 2
