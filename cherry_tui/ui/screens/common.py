"""Small helpers shared by the provider screens: saving, key status, text, bindings.

Screens call these rather than ``config.save()`` directly so that a read-only config
(the file did not parse at start) or a failed write is always shown, never raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.binding import Binding

from ...core import secrets
from ...core.config import ConfigError, ConfigReadOnly, Provider

if TYPE_CHECKING:
    from textual.app import App

    from ..app import CherryApp


def commit(app: App, edit: Callable[[], object], what: str = "change") -> bool:
    """Apply one edit to ``app.config`` and save it at once. False (and a message) on failure."""
    config = cast("CherryApp", app).config
    try:
        edit()
        config.save()
    except ConfigReadOnly:
        line = getattr(config.error, "line", None)
        where = f"line {line}" if line else "it"
        app.notify(f"The {what} is not saved: {config.path.name} did not load at start "
                   f"(fix {where}, then restart).",
                   title="Read-only config", severity="error", markup=False, timeout=10)
        return False
    except (ValueError, KeyError) as exc:
        app.notify(str(exc), title=f"{what.capitalize()} not saved", severity="error",
                   markup=False)
        return False
    except (ConfigError, OSError) as exc:
        config.reload()
        app.notify(f"Could not write {config.path}: {exc}", title="Not saved",
                   severity="error", markup=False, timeout=10)
        return False
    return True


def key_text(info: secrets.KeyInfo | None) -> str:
    """The short key status shown in lists (never the key itself)."""
    if info is None:
        return "…"
    return info.status


def plain(text: str, style: str = "") -> Text:
    """Text shown as typed: never parsed as markup (provider names may contain '[')."""
    return Text(text, style=style)


def fit(text: str | Text, width: int, style: str = "") -> Text:
    """Exactly ``width`` cells: padded, or cut with an ellipsis."""
    t = text.copy() if isinstance(text, Text) else Text(text, style=style)
    t.truncate(max(width, 1), overflow="ellipsis", pad=True)
    return t


async def load_key_info(provider: Provider, config_path: Path,
                        timeout: float | None = None) -> secrets.KeyInfo:
    """``secrets.key_info`` off the UI thread (keyring calls block); ``timeout`` None: the
    usual keyring timeout."""
    wait = secrets.KEYRING_TIMEOUT if timeout is None else timeout
    return await asyncio.to_thread(secrets.key_info, provider, config_path, timeout=wait)


def binding_keys(app: App, binding: Binding) -> str:
    """The keys a binding answers to, after the user's ``[keymap]``."""
    keymap = getattr(app, "_keymap", {}) or {}
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    shown = []
    for key in keys.split(","):
        key = key.strip()
        if not key:
            continue
        shown.append(app.get_key_display(Binding(key, binding.action)))
    return " / ".join(shown)


def help_rows(app: App, bindings: Iterable) -> list[tuple[str, str, str]]:
    """(keys, description, id) for every described binding."""
    rows = []
    for b in bindings:
        if isinstance(b, tuple):
            b = Binding(*b)
        if not b.description:
            continue
        rows.append((binding_keys(app, b), b.description, b.id or ""))
    return rows


def check_line(result) -> Text:
    """One line for a CheckResult: OK with the latency, or the error in words."""
    if result.ok:
        message = result.message or f"OK in {result.latency:.2f} s"
        return Text.assemble(("✓ ", "bold"), message, overflow="fold")
    return Text.assemble(("✗ ", "bold"), result.message or "failed", overflow="fold")
