"""Small helpers shared by the provider screens: saving, key status, text, bindings.

Screens call these rather than ``config.save()`` directly so that a read-only config
(the file did not parse at start) or a failed write is always shown, never raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

import tomlkit
from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding

from ...core import secrets
from ...core.config import ConfigReadOnly, Provider
from ...core.text import inert, inert_line

if TYPE_CHECKING:
    from textual.app import App

    from ..app import CherryApp


def commit(app: App, edit: Callable[[], object], what: str = "change") -> bool:
    """Apply one edit to ``app.config`` and save it at once. False (and a message) on failure.

    A failed save is undone in memory too, so the screens keep showing what was last
    written, never an edit that is on no disk (and never a half-loaded config whose
    providers vanished, which made the next key a KeyError).
    """
    config = cast("CherryApp", app).config
    try:
        snapshot = _snapshot(config)
        edit()
    except ConfigReadOnly:
        line = getattr(config.error, "line", None)
        where = f"line {line}" if line else "it"
        app.notify(f"The {what} is not saved: {config.path.name} did not load at start "
                   f"(fix {where}, then restart).",
                   title="Read-only config", severity="error", markup=False, timeout=10)
        return False
    except KeyError as exc:
        _rollback(config, snapshot)
        app.notify(f"The {what} is not saved: provider {inert_line(str(exc.args[0]))} is no "
                   f"longer in {config.path.name}.", title="Not saved", severity="error",
                   markup=False)
        return False
    except ValueError as exc:
        _rollback(config, snapshot)
        app.notify(inert(str(exc)), title=f"{what.capitalize()} not saved", severity="error",
                   markup=False)
        return False
    try:
        config.save()
    except Exception as exc:  # noqa: BLE001 - any failed save is a message, never a crash
        _rollback(config, snapshot)
        if isinstance(exc, OSError):
            reason = f"could not write it: {exc.strerror or exc}"
        else:  # the file no longer parses (a hand edit meanwhile), or the like
            reason = str(exc).removeprefix(f"{config.path}").removeprefix(", ")
        app.notify(inert(f"{config.path}: {reason}\nNothing was written: the {what} is not "
                         "saved; try again once the file is fixed."),
                   title="Not saved", severity="error", markup=False, timeout=15)
        return False
    return True


def _snapshot(config) -> tuple[str, int]:
    """The document as text and the number of pending edits, to undo a failed edit.

    Config keeps the edits a save replays on a file changed on disk meanwhile in
    ``_ops``; a failed edit must leave that list too, or the next save would replay it.
    """
    return tomlkit.dumps(config.doc), len(getattr(config, "_ops", ()))


def _rollback(config, snapshot: tuple[str, int]) -> None:
    """Back to ``snapshot``: the failed edit is neither shown nor replayed by a later save."""
    text, pending = snapshot
    config.doc = tomlkit.parse(text)
    ops = getattr(config, "_ops", None)
    if isinstance(ops, list):
        del ops[pending:]


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


def fit_middle(text: str, width: int, style: str = "") -> Text:
    """Exactly ``width`` cells; a long text is cut in the middle (``Huawei De…-V3.1``),
    so names that differ only at the end (clones, one provider per model) stay apart."""
    width = max(width, 1)
    if cell_len(text) <= width:
        return fit(text, width, style)
    tail = ""
    for ch in reversed(text):
        if cell_len(ch + tail) > (width - 1) * 2 // 5:
            break
        tail = ch + tail
    head = Text(text, style=style)
    head.truncate(width - 1 - cell_len(tail))
    head.append("…" + tail)
    return fit(head, width)


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
        return Text.assemble(("✓ ", "bold"), inert(message), overflow="fold")
    return Text.assemble(("✗ ", "bold"), inert(result.message or "failed"), overflow="fold")
