"""Export one conversation to a Markdown file: ask where (the Downloads folder by
default), never replace an existing file (the name gets a number), write.

Used by the chat screen (ctrl+p, "export") and the history screen (x).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.screen import Screen

from ...core import history_export as export
from ...core.config import atomic_write_text
from ...core.history import Conversation, History
from ...core.text import inert
from .dialogs import PromptDialog


def export_conversation(screen: Screen[Any], history: History, conversation_id: int,
                        conv: Conversation | None = None) -> None:
    """Ask where (the Downloads folder by default), then write the conversation as
    Markdown, every version included. An existing file is never replaced: the name gets
    a number. ``conv``: the conversation as the chat holds it (writes may be pending)."""
    if conv is None or conv.tree is None:
        conv = history.get(conversation_id)
    if conv is None:
        return
    found = conv
    default = str(export.free_path(export.export_dir() / export.export_filename(found)))

    def write(path_text: str | None) -> None:
        if not path_text:
            return
        asked = Path(path_text).expanduser()
        if asked.is_dir():
            asked = asked / export.export_filename(found)
        path = export.free_path(asked.absolute())
        try:
            atomic_write_text(path, export.to_markdown(found))
        except OSError as exc:
            screen.notify(inert(f"Cannot write {path}: {exc.strerror or exc}"),
                          severity="error", markup=False)
            return
        note = f" ({asked.name} exists: kept)" if path != asked.absolute() else ""
        screen.notify(inert(f"Exported to {path}{note}"), markup=False, timeout=10)

    screen.app.push_screen(PromptDialog("Export to Markdown", "File", default,
                                        "enter: write (an existing file is kept)    "
                                        "esc: cancel"), write)
