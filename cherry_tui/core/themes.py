"""Theme files: TOML in the shipped themes/ folder and the user's themes folder."""

from __future__ import annotations

from pathlib import Path


def shipped_themes_dir() -> Path:
    """The shipped themes: cherry_tui/themes inside a wheel, the top-level themes/ in a checkout."""
    import cherry_tui

    pkg = Path(cherry_tui.__file__).resolve().parent
    inside = pkg / "themes"
    if inside.is_dir():
        return inside
    return pkg.parent / "themes"
