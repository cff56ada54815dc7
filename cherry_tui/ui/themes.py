"""Themes in the app: theme files -> ``textual.theme.Theme``, the start-up choice, the picker.

* :func:`install_themes` (in ``App.__init__``) reads the shipped and the user's theme
  files (``cherry_tui.core.themes``), checks colours with Textual's own parser and
  registers every usable theme; the app keeps the result (bad files included) as
  ``app.themes``.
* :func:`preset_start_theme` (in ``App.__init__``, before the CSS is parsed) makes
  ``--theme`` (this run only), else ``theme`` from config.toml, else ``cherry-dark`` the
  theme; :func:`apply_start_theme` (in ``on_mount``) reports names it could not use and
  bad theme files.
* :class:`ThemePicker`: a filterable list; moving through it previews the theme live,
  enter keeps it (saved to config.toml), escape restores the previous one.
* :class:`ThemeCommands`: "Theme: NAME" entries in the command palette.
"""

from __future__ import annotations

from functools import lru_cache, partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.command import Hit, Hits, Provider
from textual.containers import Vertical
from textual.design import ColorSystem
from textual.filter import Monochrome, NoColor
from textual.screen import ModalScreen
from textual.theme import Theme
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option
from textual.markup import escape
from textual.notifications import SeverityLevel

from ..core import themes as core
from ..core.config import ConfigError, ConfigReadOnly
from ..core.paths import user_themes_dir
from ..core.text import inert_line
from .access import cherry_app
from .highlight import inert_highlight

if TYPE_CHECKING:
    from .app import CherryApp

DEFAULT_THEME = core.DEFAULT_THEME


def textual_color_check(value: str) -> str | None:
    """None when Textual can use ``value`` as a colour, else why not."""
    try:
        Color.parse(value)
    except ColorParseError as exc:
        return str(exc)
    return None


@lru_cache(1)
def _textual_variables() -> frozenset[str]:
    names: set[str] = set()
    for ansi in (False, True):
        names.update(ColorSystem("#808080", ansi=ansi).generate())
    return frozenset(names)


@lru_cache(1)
def _needed_variables() -> frozenset[str]:
    return frozenset(ColorSystem("#808080").generate())


def known_variables(app: App | None = None) -> frozenset[str]:
    """Variable names a theme may set: Textual's, plus the app's own defaults."""
    extra = set(app.get_theme_variable_defaults()) if app is not None else set()
    return _textual_variables() | extra


# Variables Textual's CSS uses that its ANSI colour system does not generate (its own
# ansi-dark theme sets them by hand). Filled in for an ``ansi = true`` theme unless set.
ANSI_THEME_DEFAULTS = {
    "ansi-background": "ansi_black",
    "ansi-foreground": "ansi_white",
    "surface-active": "ansi_default",
    "foreground-disabled": "ansi_default 50%",
}


def to_textual(data: core.ThemeData) -> Theme:
    kwargs = data.theme_kwargs()
    if data.ansi:
        kwargs["variables"] = {**ANSI_THEME_DEFAULTS, **kwargs["variables"]}
    return Theme(**kwargs)


def load_theme_set(app: CherryApp) -> core.ThemeSet:
    """Shipped and user themes, checked with Textual's colour parser."""
    theme_set = core.load_themes(
        user_themes_dir(app.config_file),
        check_color=textual_color_check,
        known_variables=known_variables(app),
    )
    for name, data in list(theme_set.themes.items()):
        try:  # the last word: Textual builds every variable its CSS needs
            generated = to_textual(data).to_color_system().generate()
            missing = sorted(_needed_variables() - set(generated))
            if missing:
                raise ValueError(f"[variables] needs {', '.join(missing)}")
        except Exception as exc:  # noqa: BLE001
            theme_set.problems.append(core.ThemeProblem(data.path, f"cannot be used: {exc}"))
            del theme_set.themes[name]
    return theme_set


def install_themes(app: CherryApp) -> core.ThemeSet:
    """Read the theme files and register every usable theme with ``app``; the app keeps
    the returned set (``app.themes``)."""
    theme_set = load_theme_set(app)
    for data in theme_set.themes.values():
        app.register_theme(to_textual(data))
    return theme_set


def theme_names(app: CherryApp) -> list[str]:
    return app.themes.names()


def unknown_theme_message(app: CherryApp, name: str | None) -> str | None:
    """The message for ``--theme NAME`` when NAME is not a theme, else None."""
    if not name or name in theme_names(app):
        return None
    return (f"unknown theme {name!r}; available themes: {', '.join(theme_names(app))} "
            f"(add your own in {user_themes_dir(app.config_file)})")


def _sync_no_color_filter(app: App) -> None:
    """Under NO_COLOR Textual greys colours (Monochrome); that turns the terminal's
    default colours of an ``ansi`` theme into black on black. Such a theme gets
    NoColor (the terminal's default colours) instead; others keep Monochrome."""
    if not getattr(app, "no_color", False):
        return
    wanted = NoColor if app.native_ansi_color else Monochrome
    filters = app._filters  # private API: Textual keeps its line filters here
    for index, flt in enumerate(filters):
        if isinstance(flt, (NoColor, Monochrome)) and not isinstance(flt, wanted):
            filters[index] = wanted()


def _start_choice(app: CherryApp) -> tuple[str, list[tuple[str, SeverityLevel, str]]]:
    """The start theme (``--theme`` for this run, else config.toml's ``theme``, else
    cherry-dark) and what to say (title, severity, text) about a name that is no theme."""
    names = theme_names(app)
    override = app.theme_override
    saved = app.config.theme
    chosen = DEFAULT_THEME if DEFAULT_THEME in names else (names[0] if names else app.theme)
    notes: list[tuple[str, SeverityLevel, str]] = []
    if override and override in names:
        return override, notes
    if override:
        notes.append(("--theme", "error", unknown_theme_message(app, override) or ""))
    if saved and saved in names:
        chosen = saved
    elif saved:
        notes.append(("Theme", "warning", f"theme {saved!r} (config.toml) is not available; "
                      f"using {chosen}. Available: {', '.join(names)}"))
    return chosen, notes


def preset_start_theme(app: CherryApp) -> None:
    """In ``App.__init__``: make the start theme current before Textual first parses CSS.

    Setting ``app.theme`` once the app runs (in on_mount, as before) made Textual parse
    every CSS rule a second time right after building the first screen: 15-30 ms of
    start-up (issue 11). Here the stylesheet is not parsed yet, so the watcher's refresh is
    not needed; its other work is done by hand: the theme and dark/light classes, the ANSI
    colour mapping, and the variables the first parse will use.
    """
    name, _notes = _start_choice(app)
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    app.set_class(True, f"-theme-{name}", update=False)
    app.set_class(theme.dark, "-dark-mode", update=False)
    app.set_class(not theme.dark, "-light-mode", update=False)
    app._refresh_truecolor_filter(app.ansi_theme)  # private API (Textual is pinned)
    app.stylesheet.set_variables(app.get_css_variables())


def apply_start_theme(app: CherryApp) -> None:
    """In on_mount: say which theme names could not be used and which theme files are
    broken; keep the NO_COLOR filter in step with the theme from now on."""
    for title, severity, text in _start_choice(app)[1]:
        app.notify(text, title=title, severity=severity, timeout=20, markup=False)
    app.watch(app, "theme", lambda _name: _sync_no_color_filter(app), init=False)
    _sync_no_color_filter(app)
    problems = app.themes.problems
    if problems:
        lines = "\n".join(f"{p.path}: {p.reason}" for p in problems)
        plural = "s" if len(problems) > 1 else ""
        app.notify(f"{lines}\n(skipped)", title=f"Theme file problem{plural}",
                   severity="error", timeout=30, markup=False)


def save_theme_choice(app: CherryApp, name: str) -> bool:
    """Save ``theme = NAME`` in config.toml; say so when it cannot be saved."""
    try:
        app.config.set_value("theme", name)
        app.config.save()
    except ConfigReadOnly:
        app.notify(f"Theme {name} is used for now; config.toml is not loaded, so it is not "
                   "saved.", title="Theme", severity="warning", markup=False)
        return False
    except (ConfigError, OSError) as exc:
        app.notify(f"Theme {name} is used for now but not saved: {exc}", title="Theme",
                   severity="error", markup=False)
        return False
    return True


def choose_theme(app: CherryApp, name: str) -> None:
    """Apply and save a theme (the picker's enter, the palette's "Theme: NAME")."""
    app.theme = name
    app.theme_override = None
    if save_theme_choice(app, name):
        app.notify(f"Theme {name} (saved)", title="Theme", timeout=3, markup=False)


def open_theme_picker(app: CherryApp) -> None:
    if isinstance(app.screen, ThemePicker):
        return

    def done(name: str | None) -> None:
        if name:
            choose_theme(app, name)

    app.push_screen(ThemePicker(), done)


class ThemePicker(ModalScreen[str | None]):
    """Pick a theme: the list previews as you move; enter keeps it, escape restores."""

    DEFAULT_CSS = """
    ThemePicker {
        align: center middle;
    }
    ThemePicker > Vertical {
        width: 64;
        max-width: 100%;
        height: auto;
        max-height: 90%;
        border: round $border;
        background: $surface;
        padding: 0 1;
    }
    ThemePicker > Vertical {
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
    }
    ThemePicker Input {
        margin: 0;
    }
    ThemePicker Input > .input--placeholder {
        color: $text-muted;
    }
    ThemePicker OptionList > .option-list--option-highlighted {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: $block-cursor-text-style;
    }
    ThemePicker OptionList {
        height: auto;
        max-height: 14;
        border: none;
        padding: 0;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="themes.cancel"),
        Binding("enter", "keep", "Keep", id="themes.keep", priority=True),
        Binding("down", "move(1)", "Next", id="themes.next", show=False),
        Binding("up", "move(-1)", "Previous", id="themes.previous", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._original: str = ""
        self._names: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Theme"
            box.border_subtitle = "↑↓ preview · enter keep · esc cancel"
            yield Input(placeholder="type to filter", id="theme-filter")
            yield OptionList(id="theme-list")

    def on_mount(self) -> None:
        self._original = self.app.theme
        self._names = theme_names(cherry_app(self))
        self._fill("")
        self.query_one(Input).focus()

    def _option(self, name: str) -> Option:
        data = cherry_app(self).themes.themes[name]
        label = Text(name, style="bold")
        if data.user:
            label.append("  (yours)", style="italic")
        if data.description:
            label.append(f"\n  {data.description}")
        return Option(label, id=name)

    def _fill(self, query: str) -> None:
        from textual.fuzzy import Matcher

        option_list = self.query_one(OptionList)
        if query:
            matcher = Matcher(query)
            scored = [(matcher.match(n), n) for n in self._names]
            names = [n for score, n in sorted(scored, key=lambda t: -t[0]) if score > 0]
        else:
            names = self._names
        option_list.clear_options()
        option_list.add_options([self._option(n) for n in names])
        if names:
            current = self.app.theme
            option_list.highlighted = names.index(current) if current in names else 0

    @on(Input.Changed, "#theme-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value.strip())

    @on(OptionList.OptionHighlighted, "#theme-list")
    def _preview(self, event: OptionList.OptionHighlighted) -> None:
        name = event.option.id
        if name and name != self.app.theme:
            self.app.theme = name

    @on(OptionList.OptionSelected, "#theme-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        option_list = self.query_one(OptionList)
        if step > 0:
            option_list.action_cursor_down()
        else:
            option_list.action_cursor_up()

    def action_keep(self) -> None:
        option_list = self.query_one(OptionList)
        index = option_list.highlighted
        if index is None:
            self.action_cancel()
            return
        self.dismiss(option_list.get_option_at_index(index).id)

    def action_cancel(self) -> None:
        if self.app.theme != self._original:
            self.app.theme = self._original
        self.dismiss(None)


class ThemeCommands(Provider):
    """Command palette entries: "Theme: NAME" applies and saves a theme."""

    def _commands(self) -> list[tuple[str, str]]:
        theme_set = cherry_app(self).themes
        return [(f"Theme: {name}", theme_set.themes[name].description or "Use this theme")
                for name in theme_set.names()]

    def _run(self, name: str) -> None:
        choose_theme(cherry_app(self), name)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                # Theme names and descriptions come from theme files: shown, never parsed.
                yield Hit(score, inert_highlight(matcher, title),
                          partial(self._run, title.removeprefix("Theme: ")),
                          help=escape(inert_line(help_text)))
