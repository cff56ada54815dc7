"""Export one conversation to a Markdown file: ask where, ask before overwriting, write.

Used by the chat screen (ctrl+p, "export") and the history screen (x).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.screen import Screen

from ...core import history as hist
from ...core.config import atomic_write_text
from ...core.history import History
from .dialogs import ConfirmDialog, PromptDialog


def export_conversation(screen: Screen[Any], history: History, conversation_id: int) -> None:
    """Ask where, then write the conversation as Markdown (asks before overwriting)."""
    conv = history.get(conversation_id)
    if conv is None:
        return
    default = str(Path.cwd() / hist.export_filename(conv))

    def write(path_text: str | None) -> None:
        if not path_text:
            return
        path = Path(path_text).expanduser()
        if path.is_dir():
            path = path / hist.export_filename(conv)

        def really(yes: bool | None = True) -> None:
            if not yes:
                return
            try:
                atomic_write_text(path, hist.to_markdown(conv))
            except OSError as exc:
                screen.notify(f"Cannot write {path}: {exc.strerror or exc}", severity="error",
                              markup=False)
                return
            screen.notify(f"Exported to {path}", markup=False)

        if path.exists():
            screen.app.push_screen(ConfirmDialog("Overwrite?", f"{path} exists.",
                                                 yes="Overwrite"), really)
        else:
            really()

    screen.app.push_screen(PromptDialog("Export to Markdown", "File", default,
                                        "enter: write    esc: cancel"), write)
