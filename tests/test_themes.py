"""Theme files (cherry_tui.core.themes): the shipped themes, the format, user themes, the wheel."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cherry_tui.core import themes
from cherry_tui.core.themes import (
    ThemeFileError,
    load_theme_file,
    load_themes,
    parse_theme,
    shipped_themes_dir,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "themes").glob("*.toml"))
REQUIRED = {"cherry-dark", "cherry-light", "cherry-high-contrast", "cherry-ansi"}


def textual_check(value: str):
    from cherry_tui.ui.themes import textual_color_check

    return textual_color_check(value)


def test_the_checkout_finds_the_top_level_themes_folder():
    assert shipped_themes_dir() == ROOT / "themes"
    assert {p.stem for p in SHIPPED} >= REQUIRED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
@pytest.mark.parametrize("check", ["pure", "textual"])
def test_every_shipped_theme_is_valid(path, check):
    checker = themes.pure_color_check if check == "pure" else textual_check
    theme = load_theme_file(path, check_color=checker)
    assert theme.name == path.stem  # one file per theme, named after it
    assert theme.description
    assert not theme.user


def test_the_default_is_a_dark_cherry_theme():
    themes_ = load_themes(None).themes
    assert themes.DEFAULT_THEME == "cherry-dark"
    dark = themes_["cherry-dark"]
    assert dark.dark
    r, g, b = (int(dark.accent[i:i + 2], 16) for i in (1, 3, 5))
    assert r > 200 and r > 2 * g and r > b  # a red accent
    assert not themes_["cherry-light"].dark
    assert load_themes(None).names()[0] == "cherry-dark"


def test_the_ansi_theme_uses_only_the_terminals_16_colours():
    theme = load_themes(None).themes["cherry-ansi"]
    assert theme.ansi is True
    values = [getattr(theme, f) for f in themes.COLOR_FIELDS if getattr(theme, f)]
    values += [v for k, v in theme.variables.items() if not k.endswith("-style")]
    assert values
    for value in values:
        assert value == "ansi_default" or value.removeprefix("ansi_") in themes.ANSI_NAMES, value
    assert theme.background == theme.foreground == "ansi_default"  # the terminal's own


def test_theme_kwargs_map_onto_textuals_theme():
    from textual.theme import Theme

    for data in load_themes(None).themes.values():
        theme = Theme(**data.theme_kwargs())
        assert theme.name == data.name and theme.primary == data.primary
        assert theme.ansi == data.ansi and theme.dark == data.dark


def test_core_does_not_import_textual():
    code = ("import sys, cherry_tui.core.themes as t; t.load_themes(None); "
            "sys.exit('textual' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


# ----------------------------------------------------------------------------- format errors
P = Path("/u/themes/x.toml")


@pytest.mark.parametrize("text, reason", [
    ('name = "x"\nprimary = "#fff', "not valid TOML"),
    ('primary = "#ffffff"\nprimery = "#000"', "unknown field 'primery'"),
    ('primary = "#ffffff"\nbackround = "#000"', "did you mean 'background'?"),
    ('primary = "#12345"', "primary: '#12345' is not a colour"),
    ('primary = "#ffffff"\naccent = "ansi_pink"',
     "accent: 'ansi_pink' is not one of the terminal's"),
    ('primary = "#ffffff"\nerror = 3', "error must be a colour string"),
    ('background = "#000000"', "no primary colour"),
    ('primary = "#ffffff"\ndark = "yes"', "dark must be true or false"),
    ('name = "my theme"\nprimary = "#ffffff"', "name 'my theme' must be"),
    ('primary = "#ffffff"\ntext_alpha = 2', "text_alpha must be a number from 0.0 to 1.0"),
    ('primary = "#ffffff"\nvariables = 3', "variables must be a table"),
    ('primary = "#ffffff"\n[variables]\nborder = "#12"', "[variables] border:"),
    ('primary = "#ffffff"\n[variables]\nborder = "#123 140%"', "opacity above 100%"),
    ('primary = "#ffffff"\n[variables]\nlink-style = "blinking"', "text styles are"),
    ('primary = "#ffffff"\n[variables]\nBorder = "#123"', "is not a variable name"),
])
def test_a_bad_theme_file_says_where_and_why(text, reason):
    with pytest.raises(ThemeFileError) as exc:
        parse_theme(P, text)
    assert exc.value.path == P
    assert reason in exc.value.reason, exc.value.reason
    assert str(exc.value).startswith(f"{P}: ")


def test_textual_check_rejects_what_the_pure_one_cannot_know():
    assert themes.pure_color_check("cherryred") is None  # a word: maybe a CSS colour name
    assert "did you mean" in textual_check("cherryred") or "failed" in textual_check("cherryred")
    assert textual_check("crimson") is None
    assert textual_check("ansi_bright_black") is None
    for good in ("#fff", "#ffff", "#ffffff", "#ffffff80", "rgb(1,2,3)", "rgba(1,2,3,0.5)",
                 "hsl(340,80%,50%)", "hsla(340,80%,50%,0.5)", "ansi_default", "ansi_red"):
        assert themes.pure_color_check(good) is None, good
        assert textual_check(good) is None, good


def test_unknown_variables_are_reported_when_the_known_set_is_given():
    text = 'primary = "#ffffff"\n[variables]\nfooter-key-forground = "#ff0000"'
    assert parse_theme(P, text).variables  # without the known set: kept
    with pytest.raises(ThemeFileError, match="did you mean 'footer-key-foreground'"):
        parse_theme(P, text, known_variables={"footer-key-foreground"})


def test_name_defaults_to_the_file_name():
    assert parse_theme(Path("/t/sunset.toml"), 'primary = "#ff8800"').name == "sunset"


def test_a_file_that_is_not_utf8_is_reported(tmp_path):
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b'primary = "\xff"')
    with pytest.raises(ThemeFileError, match="not UTF-8"):
        load_theme_file(bad)


# ----------------------------------------------------------------------------- user themes
def test_user_themes_add_override_and_bad_ones_are_skipped(tmp_path):
    user = tmp_path / "themes"
    user.mkdir()
    # a copy of a shipped theme with two colours changed overrides it
    text = (ROOT / "themes" / "cherry-dark.toml").read_text()
    text = text.replace('primary = "#C8213F"', 'primary = "#2266DD"')
    text = text.replace('background = "#17121A"', 'background = "#101820"')
    (user / "cherry-dark.toml").write_text(text)
    (user / "mine.toml").write_text('name = "mine"\nprimary = "#00AA88"\ndark = false\n')
    (user / "broken.toml").write_text('name = "broken"\nprimary = "#00AA88\n')
    (user / "typo.toml").write_text('primary = "#00AA88"\nforeground = "#GGGGGG"\n')
    (user / "twin.toml").write_text('name = "mine"\nprimary = "#111111"\n')
    (user / "notes.txt").write_text("not a theme")
    result = load_themes(user)
    assert {"cherry-dark", "cherry-light", "cherry-ansi", "mine"} <= set(result.themes)
    dark = result.themes["cherry-dark"]
    assert dark.user and dark.primary == "#2266DD" and dark.background == "#101820"
    assert dark.accent == "#FF7A93"  # the rest as shipped
    assert result.themes["mine"].primary == "#00AA88"  # the first file wins, the twin is reported
    problems = {p.path.name: p.reason for p in result.problems}
    assert set(problems) == {"broken.toml", "typo.toml", "twin.toml"}
    assert "not valid TOML" in problems["broken.toml"]
    assert "foreground" in problems["typo.toml"]
    assert "already defined in" in problems["twin.toml"]
    assert all(str(p).startswith(str(user)) for p in result.problems)


def test_a_missing_user_folder_is_fine(tmp_path):
    result = load_themes(tmp_path / "nope")
    assert set(result.themes) >= REQUIRED and not result.problems


def test_shipped_theme_files_are_plain_toml_with_known_fields():
    for path in SHIPPED:
        data = tomllib.loads(path.read_text())
        assert set(data) <= set(themes.KNOWN_FIELDS), path


def test_the_readme_example_theme_is_valid(tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Themes\n", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    from cherry_tui.ui.themes import known_variables

    theme = parse_theme(tmp_path / "plum.toml", example, check_color=textual_check,
                        known_variables=known_variables())
    assert theme.name == "plum" and theme.variables
    assert set(tomllib.loads(example)) == set(themes.KNOWN_FIELDS) - {"ansi"}  # all shown
