"""Helpers for the provider-screen UI tests (not a test module)."""

from __future__ import annotations

from textual import events
from textual.widgets import Static

from cherry_tui.ui.app import CherryApp


async def settle(pilot, rounds: int = 3) -> None:
    """Let messages, workers (key status, checks, fetches) and refreshes finish."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def paste(pilot, text: str) -> None:
    """What a terminal sends for a paste (bracketed paste) into the focused widget."""
    pilot.app.focused.post_message(events.Paste(text))
    await pilot.pause()


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


def text_of(app: CherryApp, selector: str) -> str:
    """The text a Static shows, as one line with single spaces."""
    from rich.console import Console

    widget = app.screen.query_one(selector, Static)
    content = widget.content
    if isinstance(content, str):
        return " ".join(content.split())
    console = Console(width=400, record=True, color_system=None, legacy_windows=False,
                      file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(content)
    return " ".join(console.export_text().split())
