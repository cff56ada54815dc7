"""Start-up work in its place: the CSS parsed once, with the start theme's colours; work
the first frame need not wait for runs after it (the tmux run: test_start_tmux.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from textual.color import Color
from textual.css.stylesheet import Stylesheet

from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.providers import ProvidersScreen

from _chat_helpers import wait_for


async def test_start_theme_is_in_the_first_css_parse(config_file, monkeypatch):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('theme = "cherry-light"\n')
    reparsed: list[int] = []
    real = Stylesheet.reparse

    def reparse(self: Stylesheet) -> None:
        reparsed.append(1)
        real(self)

    monkeypatch.setattr(Stylesheet, "reparse", reparse)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ProvidersScreen), what="the list")
        await pilot.pause()
        assert app.theme == "cherry-light"
        assert reparsed == []  # parsed once, not again for the theme
        assert {"-theme-cherry-light", "-light-mode"} <= app.classes
        assert "-dark-mode" not in app.classes
        theme = app.current_theme
        assert theme.background is not None
        assert app.screen.styles.background == Color.parse(theme.background)
        app.theme = "cherry-dark"  # a change while running: Textual parses again
        await pilot.pause()
        assert reparsed and "-dark-mode" in app.classes
        assert app.screen.styles.background == Color.parse(app.current_theme.background or "")


async def test_key_status_loads_after_the_first_frame(config_file, monkeypatch):
    order: list[str] = []
    real = ProvidersScreen.load_key_status

    def load(self: ProvidersScreen):
        order.append("key status")
        return real(self)

    monkeypatch.setattr(ProvidersScreen, "load_key_status", load)
    app = CherryApp(config_file)
    app.after_first_frame(lambda: order.append("first frame"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(order) == 2, what="both")
        assert order == ["first frame", "key status"]
        screen = app.screen
        assert isinstance(screen, ProvidersScreen)
        await wait_for(pilot, lambda: len(screen.key_infos) == len(app.config.providers()),
                       what="every key status")
        app.after_first_frame(lambda: order.append("later"))  # drawn already: at once
        assert order[-1] == "later"


def test_screen_updates_default_to_120_a_second_unless_set(tmp_path):
    """A key typed just after a streamed frame waited up to two frame periods to show
    (see cherry_tui/ui/__init__.py): the UI package sets Textual's rate before it loads."""
    code = "import cherry_tui.ui, textual.constants as c; print(c.MAX_FPS)"
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    for extra, expected in (({}, "120"), ({"TEXTUAL_FPS": "30"}, "30")):
        out = subprocess.run([sys.executable, "-c", code], env={**env, **extra},
                             capture_output=True, text=True, timeout=60, check=True)
        assert out.stdout.strip() == expected
