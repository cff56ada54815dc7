"""Where cherry-tui keeps its files.

config:  ``--config PATH`` > ``$CHERRY_TUI_CONFIG`` > ``<user config dir>/config.toml``
data:    ``$CHERRY_TUI_DATA`` > ``<user data dir>`` (chat history)
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "cherry-tui"


def config_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP))


def config_path(override: str | os.PathLike[str] | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get("CHERRY_TUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return config_dir() / "config.toml"


def secrets_path(config_file: Path) -> Path:
    """The plain-text secrets file (only used when the user chose it): beside config.toml."""
    return config_file.parent / "secrets.toml"


def data_dir() -> Path:
    env = os.environ.get("CHERRY_TUI_DATA")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP))


def user_themes_dir(config_file: Path) -> Path:
    return config_file.parent / "themes"
