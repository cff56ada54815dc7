"""What every ``cherry-tui`` subcommand module shares: the two exits and the config.

``cli.py`` (url, providers, key, config, themes) and ``cli_client.py`` (models, check,
ask) both import from here, so neither imports the other back.
Exit status: 0 success, 1 a :class:`Failure`, 2 a :class:`UsageError`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .core.config import Config, Provider


class UsageError(Exception):
    """Exit 2 with this message."""


class Failure(Exception):
    """Exit 1 with this message."""


def err(msg: str) -> None:
    """One line on stderr, prefixed with the program name."""
    print(f"cherry-tui: {msg}", file=sys.stderr)


def load_config(args: argparse.Namespace) -> Config:
    """The config file from ``--config`` (else the default); says so when it does not parse."""
    from .core.config import Config
    from .core.paths import config_path

    cfg = Config.load(config_path(getattr(args, "config", None)))
    if cfg.error:
        err(f"config file does not parse: {cfg.error}")
    return cfg


def get_provider(cfg: Config, pid: str) -> Provider:
    try:
        return cfg.provider(pid)
    except KeyError:
        ids = ", ".join(p.id for p in cfg.providers())
        raise UsageError(f"unknown provider {pid!r}; known: {ids}") from None


def save_config(cfg: Config) -> None:
    from .core.config import ConfigError, ConfigReadOnly

    try:
        cfg.save()
    except (ConfigReadOnly, ConfigError) as exc:
        raise Failure(str(exc)) from None
    except OSError as exc:
        raise Failure(f"cannot write {cfg.path}: {exc.strerror}") from None
