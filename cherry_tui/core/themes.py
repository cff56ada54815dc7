"""Theme files: TOML in the shipped themes/ folder and the user's themes folder.

Pure logic (no Textual import): read and validate theme files. ``cherry_tui.ui.themes``
turns the result into ``textual.theme.Theme`` objects and passes a colour checker built
on ``textual.color.Color.parse``; without one, colours are checked by a pure parser
that knows every form Textual accepts except the CSS colour names.

A theme file (one theme per file; ``name`` defaults to the file name without ``.toml``)::

    name = "my-theme"
    description = "what it looks like"   # shown in the theme picker
    dark = true                           # a dark theme (Textual derives shades from it)
    primary = "#C9184A"                   # the only required colour
    secondary = "#8E5572"
    accent = "#FF4D6D"
    foreground = "#EDE3E8"
    background = "#17121A"
    surface = "#221A26"
    panel = "#2E2333"
    boost = "#FFFFFF0A"
    warning = "#F4A259"
    error = "#FF5A5F"
    success = "#7BC47F"
    # ansi = true                         # emit the terminal's own 16 colours (ansi_* names)
    # luminosity_spread = 0.15
    # text_alpha = 0.95

    [variables]                           # overrides of Textual's derived variables
    footer-key-foreground = "#FF4D6D"
    input-selection-background = "#C9184A 40%"
    block-cursor-text-style = "bold"

Colours: ``#RGB``, ``#RGBA``, ``#RRGGBB``, ``#RRGGBBAA``, ``rgb(r,g,b)``, ``rgba(...)``,
``hsl(h,s%,l%)``, ``hsla(...)``, a CSS colour name (``crimson``), or one of the terminal's
16 colours ``ansi_black`` ... ``ansi_bright_white`` and ``ansi_default``. A variable may
add an opacity (``"#C9184A 40%"``); a variable whose name ends in ``-style`` takes text
styles (``bold``, ``italic``, ``underline``, ``reverse``, ``strike``, ``dim``, ``none``...).

A user theme with the same name as a shipped one replaces it. A file that cannot be used
(TOML error, unknown field, bad colour) is reported with its path and reason and skipped.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_THEME = "cherry-dark"

COLOR_FIELDS = (
    "primary", "secondary", "accent", "foreground", "background", "surface", "panel",
    "boost", "warning", "error", "success",
)
FLOAT_FIELDS = {"luminosity_spread": (0.0, 1.0), "text_alpha": (0.0, 1.0)}
BOOL_FIELDS = ("dark", "ansi")
KNOWN_FIELDS = ("name", "description", *BOOL_FIELDS, *COLOR_FIELDS, *FLOAT_FIELDS, "variables")

ANSI_NAMES = (
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
    "bright_black", "bright_red", "bright_green", "bright_yellow", "bright_blue",
    "bright_magenta", "bright_cyan", "bright_white",
)
TEXT_STYLES = frozenset({
    "b", "blink", "bold", "dim", "i", "italic", "none", "not", "o", "overline",
    "reverse", "strike", "u", "underline", "uu",
})
_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_VARIABLE_OK = re.compile(r"^[a-z][a-z0-9-]*$")
_PERCENT = re.compile(r"^(?P<color>.+?)\s+(?P<pct>\d+(?:\.\d+)?)%$")
_NUM = r"\s*-?\d+(?:\.\d+)?%?\s*"
_COLOR_FORMS = re.compile(
    r"^(?:#[0-9a-fA-F]{3}|#[0-9a-fA-F]{4}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}"
    rf"|rgb\((?:{_NUM},){{2}}{_NUM}\)|rgba\((?:{_NUM},){{3}}{_NUM}\)"
    rf"|hsl\((?:{_NUM},){{2}}{_NUM}\)|hsla\((?:{_NUM},){{3}}{_NUM}\))$"
)

ColorCheck = Callable[[str], "str | None"]
"""Returns None for a usable colour, else the reason it is not one."""


def pure_color_check(value: str) -> str | None:
    """Check a colour without Textual: every form Color.parse takes (names: letters only)."""
    if value == "ansi_default":
        return None
    if value.startswith("ansi_"):
        if value[5:] in ANSI_NAMES:
            return None
        return (f"{value!r} is not one of the terminal's 16 colours "
                f"(ansi_{', ansi_'.join(ANSI_NAMES[:3])}, ... ansi_bright_white, ansi_default)")
    if _COLOR_FORMS.match(value) or re.fullmatch(r"[a-z]+", value):
        return None
    return f"{value!r} is not a colour (use #RRGGBB, rgb(...), hsl(...), a colour name or ansi_*)"


class ThemeFileError(Exception):
    """A theme file that cannot be used: ``path`` and ``reason``."""

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class ThemeData:
    """One theme, as read from its file (the fields map onto ``textual.theme.Theme``)."""

    name: str
    primary: str
    path: Path
    user: bool = False  # from the user's themes folder
    description: str = ""
    dark: bool = True
    ansi: bool = False
    secondary: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    luminosity_spread: float | None = None
    text_alpha: float | None = None
    variables: dict[str, str] = field(default_factory=dict)

    def theme_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``textual.theme.Theme``."""
        kwargs: dict[str, Any] = {"name": self.name, "dark": self.dark, "ansi": self.ansi,
                                  "variables": dict(self.variables)}
        for key in COLOR_FIELDS:
            val = getattr(self, key)
            if val is not None:
                kwargs[key] = val
        for key in FLOAT_FIELDS:
            val = getattr(self, key)
            if val is not None:
                kwargs[key] = val
        return kwargs


@dataclass(frozen=True)
class ThemeProblem:
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class ThemeSet:
    """All usable themes by name (user themes replace shipped ones) and the problems found."""

    themes: dict[str, ThemeData]
    problems: list[ThemeProblem]

    def names(self) -> list[str]:
        return sorted(self.themes, key=lambda n: (n != DEFAULT_THEME, n))


def _suggest(word: str, choices: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_variable(name: str, value: Any, check_color: ColorCheck,
                   known: Iterable[str] | None = None) -> str | None:
    """None when ``[variables] name = value`` is usable, else the reason."""
    if not isinstance(name, str) or not _VARIABLE_OK.match(name):
        return f"[variables] {name!r} is not a variable name (lower-case words joined by -)"
    if known is not None:
        known = set(known)
        if name not in known:
            return f"[variables] unknown variable {name!r}{_suggest(name, known)}"
    if not isinstance(value, str):
        return f"[variables] {name} must be a string, not {type(value).__name__}"
    if name.endswith("-style"):
        bad = [w for w in value.split() if w not in TEXT_STYLES]
        if bad or not value.split():
            return (f"[variables] {name} = {value!r}: text styles are "
                    f"{', '.join(sorted(TEXT_STYLES))}")
        return None
    text = value.strip()
    m = _PERCENT.match(text)
    if m:
        if float(m["pct"]) > 100:
            return f"[variables] {name} = {value!r}: opacity above 100%"
        text = m["color"]
    reason = check_color(text)
    return f"[variables] {name}: {reason}" if reason else None


def parse_theme(path: Path, text: str, *, user: bool = False,
                check_color: ColorCheck = pure_color_check,
                known_variables: Iterable[str] | None = None) -> ThemeData:
    """Parse and validate one theme file's text; raises ThemeFileError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(path, f"not valid TOML: {exc}") from None
    unknown = [k for k in data if k not in KNOWN_FIELDS]
    if unknown:
        k = unknown[0]
        raise ThemeFileError(path, f"unknown field {k!r}{_suggest(k, KNOWN_FIELDS)}; "
                                   f"fields are {', '.join(KNOWN_FIELDS)}")
    values: dict[str, Any] = {}
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not _NAME_OK.match(name):
        raise ThemeFileError(path, f"name {name!r} must be letters, digits, - or _ "
                                   "(e.g. \"my-theme\")")
    values["name"] = name
    if "description" in data:
        if not isinstance(data["description"], str):
            raise ThemeFileError(path, "description must be a string")
        values["description"] = data["description"]
    for key in BOOL_FIELDS:
        if key in data:
            if not isinstance(data[key], bool):
                raise ThemeFileError(path, f"{key} must be true or false, not {data[key]!r}")
            values[key] = data[key]
    for key, (low, high) in FLOAT_FIELDS.items():
        if key in data:
            val = data[key]
            if isinstance(val, bool) or not isinstance(val, (int, float)) or not low <= val <= high:
                raise ThemeFileError(path, f"{key} must be a number from {low} to {high}")
            values[key] = float(val)
    if "primary" not in data:
        raise ThemeFileError(path, "no primary colour: add e.g. primary = \"#C9184A\"")
    for key in COLOR_FIELDS:
        if key in data:
            val = data[key]
            if not isinstance(val, str):
                raise ThemeFileError(path, f"{key} must be a colour string, not {val!r}")
            reason = check_color(val.strip())
            if reason:
                raise ThemeFileError(path, f"{key}: {reason}")
            values[key] = val.strip()
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError(path, "variables must be a table: [variables]")
    for var, val in variables.items():
        reason = check_variable(var, val, check_color, known_variables)
        if reason:
            raise ThemeFileError(path, reason)
    values["variables"] = {k: v.strip() for k, v in variables.items()}
    return ThemeData(path=path, user=user, **values)


def load_theme_file(path: Path, *, user: bool = False,
                    check_color: ColorCheck = pure_color_check,
                    known_variables: Iterable[str] | None = None) -> ThemeData:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ThemeFileError(path, f"cannot be read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ThemeFileError(path, f"is not UTF-8 text (byte {exc.start})") from None
    return parse_theme(path, text, user=user, check_color=check_color,
                       known_variables=known_variables)


def shipped_themes_dir() -> Path:
    """The shipped themes: cherry_tui/themes inside a wheel, the top-level themes/ in a checkout."""
    import cherry_tui

    pkg = Path(cherry_tui.__file__).resolve().parent
    inside = pkg / "themes"
    if inside.is_dir():
        return inside
    return pkg.parent / "themes"


def _files(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))


def load_themes(user_dir: Path | None = None, *, shipped_dir: Path | None = None,
                check_color: ColorCheck = pure_color_check,
                known_variables: Iterable[str] | None = None) -> ThemeSet:
    """Shipped themes, then the user's (same name: the user's wins). Bad files are reported."""
    themes: dict[str, ThemeData] = {}
    problems: list[ThemeProblem] = []
    folders = [(shipped_dir or shipped_themes_dir(), False), (user_dir, True)]
    for folder, user in folders:
        seen: dict[str, Path] = {}
        for path in _files(folder):
            try:
                theme = load_theme_file(path, user=user, check_color=check_color,
                                        known_variables=known_variables)
            except ThemeFileError as exc:
                problems.append(ThemeProblem(exc.path, exc.reason))
                continue
            if theme.name in seen:
                problems.append(ThemeProblem(path, f"theme {theme.name!r} is already defined in "
                                                   f"{seen[theme.name]}; this file is skipped"))
                continue
            seen[theme.name] = path
            themes[theme.name] = theme
    return ThemeSet(themes, problems)
