"""The built-in providers, read from ``cherry_tui/data/providers.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    type: str
    address: str
    env: str | None = None
    key_url: str | None = None
    needs_key: bool = True
    models: tuple[str, ...] = field(default_factory=tuple)


@lru_cache(maxsize=1)
def catalog() -> dict[str, CatalogEntry]:
    """Built-in providers by id, in file order."""
    text = resources.files("cherry_tui.data").joinpath("providers.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return {
        pid: CatalogEntry(
            id=pid,
            name=entry["name"],
            type=entry["type"],
            address=entry["address"],
            env=entry.get("env"),
            key_url=entry.get("key_url"),
            needs_key=entry.get("needs_key", True),
            models=tuple(entry.get("models", ())),
        )
        for pid, entry in data.items()
    }
