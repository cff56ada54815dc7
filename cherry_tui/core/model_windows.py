"""Context windows the providers' model lists reported, kept between runs.

``<data dir>/model_windows.json``: ``{"provider id": {"model id": tokens}}``. The client
writes it when a model list is fetched (the fresh list replaces what a provider reported
before); the chat reads it (core.context.context_window: after the user's own
``context_windows``). It is a cache: a missing, unreadable or broken file reads as empty,
and a failed write is dropped (the figures come back at the next fetch).

Pure logic and a small file: no Textual import.
"""

from __future__ import annotations

import json
from pathlib import Path

from .files import atomic_write
from .paths import data_dir

FILE_NAME = "model_windows.json"
Windows = dict[str, dict[str, int]]


def default_path() -> Path:
    return data_dir() / FILE_NAME


def load(path: Path | None = None) -> Windows:
    """What the file holds, only well-formed entries (a whole number above 0)."""
    try:
        raw = json.loads((path or default_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: Windows = {}
    if isinstance(raw, dict):
        for pid, models in raw.items():
            if isinstance(models, dict):
                good = {str(m): n for m, n in models.items()
                        if isinstance(n, int) and not isinstance(n, bool) and n > 0}
                if good:
                    out[str(pid)] = good
    return out


def save(windows: Windows, path: Path | None = None) -> None:
    """Write ``windows`` (atomically); a failure is dropped: this is a cache."""
    try:
        atomic_write(path or default_path(),
                     json.dumps(windows, indent=1, sort_keys=True).encode("utf-8"))
    except OSError:
        pass
