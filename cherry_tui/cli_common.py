"""What every ``cherry-tui`` subcommand module shares: the two exits and the config.

``cli.py`` (url, providers, key, config, themes) and ``cli_client.py`` (models, check,
ask) both import from here, so neither imports the other back.
Exit status: 0 success, 1 a :class:`Failure`, 2 a :class:`UsageError`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .core.text import inert

if TYPE_CHECKING:
    from .core.config import Config, Provider


class UsageError(Exception):
    """Exit 2 with this message."""


class Failure(Exception):
    """Exit 1 with this message."""


def err(msg: str) -> None:
    """One line on stderr, prefixed with the program name, through the outside-text gate
    (messages carry server text, names and paths)."""
    print(f"cherry-tui: {inert(msg)}", file=sys.stderr)


def load_config(args: argparse.Namespace, strict: bool = False,
                warn_secrets: bool = True) -> Config:
    """The config file from ``--config`` (else the default), and a warning when
    secrets.toml can be read by other users.

    A config that does not load: with ``strict``, exit 1 with the one-line reason; else a
    one-line warning and a read-only config on the defaults.
    """
    from .core.config import Config
    from .core.paths import config_path
    from .core.secrets import SecretsFile

    cfg = Config.load(config_path(getattr(args, "config", None)))
    if cfg.error:
        if strict:
            raise Failure(str(cfg.error))
        err(f"{cfg.error}; running on the defaults, nothing is saved")
    if warn_secrets and (warning := SecretsFile.beside(cfg.path).permission_warning()):
        err(f"warning: {warning}")
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
