"""Themes in the running app: start-up choice, user themes, the picker, the palette,
--theme, NO_COLOR, and a snapshot of every shipped theme at 80x24."""

from __future__ import annotations

import importlib.util
import io
import sys
import types
from pathlib import Path

import pytest
from rich.color import ColorType
from rich.console import Console
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label

from cherry_tui.core.paths import user_themes_dir
from cherry_tui.core.themes import load_themes
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.themes import ThemePicker

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(load_themes(None).themes)
SIZE = (80, 24)


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


class SampleScreen(Screen):
    """A fixed screen with the widgets the real screens use: for theme-only snapshots."""

    def compose(self):
        yield Header()
        yield Label("[b]Providers[/b]  a sample of every widget kind")
        table = DataTable(cursor_type="row")
        table.add_columns("ID", "ON", "KEY", "CHAT URL")
        table.add_row("deepseek", "on", "env", "https://api.deepseek.com/v1/chat/completions")
        table.add_row("volcengine", "on", "keyring", "https://ark.cn-beijing.volces.com/api/v3/")
        table.add_row("my-oneapi", "off", "file", "http://127.0.0.1:3000/v1/chat/completions")
        yield table
        yield Input(value="http://10.0.0.5:3000", id="address")
        yield Button("Check", variant="primary")
        yield Footer()


@pytest.fixture
def sample_screen(monkeypatch):
    """The app's main screen replaced by SampleScreen (stable, whatever the real one does)."""
    mod = types.ModuleType("cherry_tui.ui.screens.providers")
    mod.ProvidersScreen = SampleScreen
    monkeypatch.setitem(sys.modules, mod.__name__, mod)


@pytest.fixture
def main_screen(request):
    """The real provider list when it exists, else the sample screen."""
    if not has_module("cherry_tui.ui.screens.providers"):
        request.getfixturevalue("sample_screen")


def notes(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def rendered_segments(app, region=None):
    """The screen as the terminal gets it (after Textual's filters, e.g. for NO_COLOR);
    with ``region``, only the segments that start inside it."""
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(),
                      force_terminal=True, color_system="truecolor", record=True)
    console.print(app.screen._compositor.render_update(full=True,
                                                       screen_stack=app._background_screens))
    result, x, y = [], 0, 0
    for seg in console._record_buffer:
        if seg.text == "\n":
            x, y = 0, y + 1
            continue
        if seg.style is not None and (region is None or region.contains(x, y)):
            result.append(seg)
        x += seg.cell_length
    return result


def contrast(a, b) -> float:
    def lum(rgb):
        def c(v):
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        r, g, b_ = rgb
        return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b_)

    lo, hi = sorted((lum(a), lum(b)))
    return (hi + 0.05) / (lo + 0.05)


def worst_text_contrast(app, region=None) -> tuple[float, str]:
    """The lowest contrast of any text, as a ratio against 4.5 (WCAG AA for text).
    Text a screen dims on purpose (Textual turns dim into a blended colour and marks the
    style "not dim") is held to 3.0 instead, so it is scaled by 1.5."""
    worst = (99.0, "")
    for seg in rendered_segments(app, region):
        if not any(ch.isalnum() for ch in seg.text):
            continue  # borders, scrollbars, blank cells
        fg, bg = seg.style.color, seg.style.bgcolor
        assert fg is not None and bg is not None and fg.triplet and bg.triplet, seg
        ratio = contrast(fg.triplet, bg.triplet)
        if seg.style.dim is False:
            ratio *= 1.5
        worst = min(worst, (ratio, seg.text.strip()))
    return worst


async def open_picker(pilot):
    await pilot.press("ctrl+t")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ThemePicker)


def copy_and_change(config_file: Path, new_name: str | None) -> Path:
    """What a user does: copy a shipped theme into the themes folder, change two colours."""
    folder = user_themes_dir(config_file)
    folder.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "themes" / "cherry-dark.toml").read_text()
    text = text.replace('primary = "#C8213F"', 'primary = "#1E88E5"')
    text = text.replace('background = "#17121A"', 'background = "#0B1622"')
    if new_name:
        text = text.replace('name = "cherry-dark"', f'name = "{new_name}"')
    target = folder / f"{new_name or 'cherry-dark'}.toml"
    target.write_text(text)
    return target


# ----------------------------------------------------------------------------- start-up
async def test_default_theme_and_binding(config_file, main_screen):
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "cherry-dark"
        assert set(SHIPPED) <= set(app.available_themes)
        assert any(b.id == "app.theme" and b.key == "ctrl+t" for b in app.BINDINGS)
        assert not [n for n in notes(app) if "Theme" in n]
    assert not config_file.exists()  # nothing saved without a choice


async def test_theme_override_is_for_this_run_only(config_file, main_screen):
    config_file.parent.mkdir(parents=True)
    config_file.write_text('# mine\ntheme = "cherry-light"\n')
    app = CherryApp(config_file, theme="cherry-high-contrast")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "cherry-high-contrast"
    assert config_file.read_text() == '# mine\ntheme = "cherry-light"\n'
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "cherry-light"


def test_unknown_theme_option_lists_the_available_themes(config_file, capsys):
    from cherry_tui.cli import main

    assert main(["--config", str(config_file), "--theme", "cherry-drak"]) == 2
    err = capsys.readouterr().err
    assert "unknown theme 'cherry-drak'" in err
    for name in SHIPPED:
        assert name in err
    assert str(user_themes_dir(config_file)) in err


async def test_unknown_theme_in_app_or_config_falls_back_with_a_message(config_file, main_screen):
    config_file.parent.mkdir(parents=True)
    config_file.write_text('theme = "gone-theme"\n')
    app = CherryApp(config_file, theme="nope")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "cherry-dark"
        text = "\n".join(notes(app))
        assert "unknown theme 'nope'" in text and "gone-theme" in text
        assert "cherry-light" in text


async def test_broken_user_themes_are_reported_and_the_app_starts(config_file, main_screen):
    folder = user_themes_dir(config_file)
    folder.mkdir(parents=True)
    (folder / "broken.toml").write_text('name = "broken"\nprimary = "#ff0000\n')
    (folder / "unknown-field.toml").write_text('primary = "#ff0000"\ncolour = "red"\n')
    (folder / "bad-colour.toml").write_text('primary = "#ff0000"\nbackground = "darkish"\n')
    (folder / "bad-variable.toml").write_text(
        'primary = "#ff0000"\n[variables]\nfooter-key-forground = "#ffffff"\n')
    (folder / "good.toml").write_text('primary = "#ff8800"\ndark = false\n')
    config_file.write_text('theme = "good"\n')
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "good"
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1
        msg = errors[0].message
        for name, reason in [("broken.toml", "not valid TOML"),
                             ("unknown-field.toml", "unknown field 'colour'"),
                             ("bad-colour.toml", "background"),
                             ("bad-variable.toml", "did you mean 'footer-key-foreground'")]:
            line = next(li for li in msg.splitlines() if name in li)
            assert str(folder / name) in line and reason in line, line
        for bad in ("broken", "unknown-field", "bad-colour", "bad-variable"):
            assert bad not in app.available_themes
        await open_picker(pilot)  # and the picker still works
        await pilot.press("escape")


async def test_a_user_ansi_theme_gets_the_variables_textual_needs(config_file, main_screen):
    folder = user_themes_dir(config_file)
    folder.mkdir(parents=True)
    (folder / "mini-ansi.toml").write_text('ansi = true\nprimary = "ansi_blue"\n')
    app = CherryApp(config_file, theme="mini-ansi")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "mini-ansi" and app.native_ansi_color


# ----------------------------------------------------------------------------- the picker
async def test_picker_previews_live_and_escape_restores(config_file, main_screen):
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_picker(pilot)
        seen = []
        for _ in SHIPPED:
            await pilot.press("down")
            await pilot.pause()
            seen.append(app.theme)
        assert set(SHIPPED) - {"cherry-dark"} <= set(seen)  # each one previewed
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ThemePicker)
        assert app.theme == "cherry-dark"
    assert not config_file.exists()


async def test_picker_filters_as_you_type(config_file, main_screen):
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_picker(pilot)
        await pilot.press(*"light")
        await pilot.pause()
        assert app.theme == "cherry-light"  # the only match is highlighted (and previewed)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "cherry-light"


async def test_picked_theme_survives_a_restart(config_file, main_screen):
    config_file.parent.mkdir(parents=True)
    config_file.write_text('# my settings\ndefault_model = "deepseek/deepseek-chat"\n')
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_picker(pilot)
        await pilot.press(*"high")
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "cherry-high-contrast"
        await pilot.press("ctrl+q")
    text = config_file.read_text()
    assert text.startswith("# my settings\n") and 'theme = "cherry-high-contrast"' in text
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "cherry-high-contrast"


async def test_picker_with_an_unreadable_config_keeps_the_theme_for_now(config_file, main_screen):
    config_file.parent.mkdir(parents=True)
    config_file.write_text("theme = \n")  # does not parse: read-only
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_picker(pilot)
        await pilot.press(*"cherry-light", "enter")
        await pilot.pause()
        assert app.theme == "cherry-light"
        assert any("not saved" in n for n in notes(app))
    assert config_file.read_text() == "theme = \n"


async def test_palette_theme_command_opens_the_picker(config_file, main_screen):
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"theme")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ThemePicker)


async def test_palette_lists_each_theme(config_file, main_screen):
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.press(*"theme: cherry-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.theme == "cherry-light"
    assert 'theme = "cherry-light"' in config_file.read_text()


async def test_copied_user_theme_with_two_colours_changed(config_file, main_screen):
    """The issue's finish line: copy a shipped theme, change two colours, restart, pick it
    from the palette, and it is there next time."""
    copy_and_change(config_file, "my-cherry")
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "cherry-dark" and not notes(app)
        await pilot.press("ctrl+p")
        await pilot.press(*"theme: my-cherry")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.theme == "my-cherry"
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "my-cherry"
        theme = app.current_theme
        assert (theme.primary, theme.background) == ("#1E88E5", "#0B1622")
        assert app.screen.styles.background.hex == "#0B1622"
        assert theme.accent == "#FF7A93"  # the rest as copied


async def test_a_user_copy_with_the_same_name_replaces_the_shipped_theme(config_file, main_screen):
    copy_and_change(config_file, None)
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "cherry-dark"
        assert app.current_theme.primary == "#1E88E5"
        await open_picker(pilot)
        labels = [str(o.prompt) for o in app.screen.query_one("#theme-list").options]
        assert any(label.startswith("cherry-dark  (yours)") for label in labels)


# ----------------------------------------------------------------------------- colours
async def test_ansi_theme_sends_only_the_terminals_16_colours(config_file, main_screen):
    app = CherryApp(config_file, theme="cherry-ansi")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_picker(pilot)  # the picker is drawn with it too
        await pilot.press("escape")
        await pilot.pause()
        assert app.native_ansi_color  # no conversion to RGB: the terminal's palette
        kinds = {c.type for s in rendered_segments(app)
                 for c in (s.style.color, s.style.bgcolor) if c is not None}
        assert kinds <= {ColorType.DEFAULT, ColorType.STANDARD}, kinds


@pytest.mark.parametrize("theme", [t for t in SHIPPED if t != "cherry-ansi"])
@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
async def test_text_is_readable(theme, no_color, config_file, main_screen, monkeypatch):
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    app = CherryApp(config_file, theme=theme)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.no_color is no_color
        ratio, text = worst_text_contrast(app)
        assert ratio >= 4.5, (theme, text, ratio)
        await open_picker(pilot)
        box = app.screen.query_one("ThemePicker > Vertical").region  # not the dimmed screen
        ratio, text = worst_text_contrast(app, box)
        assert ratio >= 4.5, (theme, "picker", text, ratio)


async def test_no_color_with_the_ansi_theme_uses_the_terminals_own_colours(
        config_file, main_screen, monkeypatch):
    """Textual greys colours under NO_COLOR, which would make ansi_default black on black."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = CherryApp(config_file, theme="cherry-ansi")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_picker(pilot)
        await pilot.press("down")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.theme == "cherry-ansi"
        colours = {c for s in rendered_segments(app) for c in (s.style.color, s.style.bgcolor)
                   if c is not None}
        assert {c.type for c in colours} == {ColorType.DEFAULT}
        await pilot.press("ctrl+t", *"cherry-dark", "enter")  # and back to greys
        await pilot.pause()
        ratio, text = worst_text_contrast(app)
        assert ratio >= 4.5, (text, ratio)


# ----------------------------------------------------------------------------- snapshots
@pytest.mark.parametrize("theme", SHIPPED)
def test_snapshot_sample_screen(theme, snap_compare, config_file, sample_screen):
    assert snap_compare(CherryApp(config_file, theme=theme), terminal_size=SIZE)


@pytest.mark.parametrize("theme", SHIPPED)
def test_snapshot_picker(theme, snap_compare, config_file, sample_screen):
    assert snap_compare(CherryApp(config_file, theme=theme), terminal_size=SIZE,
                        press=["ctrl+t"])


MAIN_SCREENS = {
    "providers": ("cherry_tui.ui.screens.providers", []),
    "chat": ("cherry_tui.ui.screens.chat", ["ctrl+n"]),
}


@pytest.mark.parametrize("screen", MAIN_SCREENS)
@pytest.mark.parametrize("theme", SHIPPED)
def test_snapshot_main_screens(theme, screen, snap_compare, config_file):
    module, press = MAIN_SCREENS[screen]
    if not (has_module("cherry_tui.ui.screens.providers") and has_module(module)):
        pytest.skip(f"{module} is not written yet")
    assert snap_compare(CherryApp(config_file, theme=theme), terminal_size=SIZE,
                        press=[*press, "_"])
