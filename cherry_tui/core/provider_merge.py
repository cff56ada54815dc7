"""Merge providers from elsewhere (a Cherry Studio backup, an exported providers file)
into the user's config: one plan shown before anything is written, then one save.

Rules, the same for every source:

* a provider the config does not have yet is added;
* one it has with the same settings is left alone ("same"), so a second run of the
  same import changes nothing;
* one it has with other settings is skipped, unless ``replace`` is given ("update");
* one that cannot work here (invalid address, a type this version lacks) is skipped
  with the reason, and never half-written.

Keys are written before the config (keyring or the secrets file): if the config save
fails, a stored key is harmless; the reverse would leave a provider without its key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import addresses, secrets
from .catalog import catalog
from .config import Config

ADD, UPDATE, SAME, SKIP, INVALID = "add", "update", "same", "skip", "invalid"
ACTION_TEXT = {ADD: "add", UPDATE: "update", SAME: "unchanged", SKIP: "skip",
               INVALID: "cannot import"}  # as shown in the plan


@dataclass(frozen=True)
class Incoming:
    """A provider as it would be written, with what the source says about it."""

    id: str  # the cherry-tui id (a catalog id for a built-in)
    name: str
    type: str
    address: str
    models: tuple[str, ...] = ()
    enabled: bool = True
    keys: tuple[str, ...] = ()  # secrets to store (never printed unmasked)
    key_source: str | None = None  # from a providers file: keyring, env:VAR, file
    api_version: str | None = None  # azure-openai only
    origin: str = ""  # the id in the source, when it differs
    warnings: tuple[str, ...] = ()
    error: str | None = None  # cannot be imported (e.g. an invalid address)
    skip: str | None = None  # not imported, by rule (e.g. a type this version lacks)

    @property
    def builtin(self) -> bool:
        return self.id in catalog()

    def chat_url(self) -> str | None:
        if self.error or self.skip or self.type not in addresses.PROVIDER_TYPES:
            return None
        try:
            return addresses.resolve(self.address, self.type).chat
        except addresses.AddressError:
            return None


@dataclass(frozen=True)
class Row:
    incoming: Incoming
    action: str  # ADD, UPDATE, SAME, SKIP, INVALID
    why: str = ""
    key_field: str | None = None  # the key source written to the config, if any

    @property
    def writes(self) -> bool:
        return self.action in (ADD, UPDATE)

    @property
    def text(self) -> str:
        """The action as the plan shows it, with why ("skip: you have ... already")."""
        return ACTION_TEXT[self.action] + (f": {self.why}" if self.action != ADD else "")


@dataclass
class Outcome:
    counts: dict[str, int] = field(default_factory=dict)
    stored_keys: list[str] = field(default_factory=list)  # provider ids


def key_field(item: Incoming, store: str | None) -> str | None:
    """The ``key`` value the config gets for ``item`` with this key store."""
    if item.keys and store in ("keyring", "file"):
        return store
    return item.key_source


def _desired(item: Incoming, key: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {"type": item.type, "address": item.address.strip(),
                              "models": tuple(item.models), "enabled": item.enabled}
    if not item.builtin:
        values["name"] = item.name
    if item.api_version is not None:
        values["api_version"] = item.api_version
    if key is not None:
        values["key"] = key
    return values


def _differences(cfg: Config, item: Incoming, key: str | None) -> list[str]:
    current = cfg.provider(item.id)
    have = {"name": current.name, "type": current.type, "address": current.address.strip(),
            "models": tuple(current.models), "enabled": current.enabled, "key": current.key,
            "api_version": getattr(current, "api_version", None)}
    return [name for name, value in _desired(item, key).items() if have[name] != value]


def plan(cfg: Config, items: list[Incoming], replace: bool, store: str | None) -> list[Row]:
    """What importing ``items`` would do, one row each; nothing is written."""
    user = cfg.section("providers")
    rows = []
    for item in items:
        key = key_field(item, store)
        if item.error:
            rows.append(Row(item, INVALID, item.error))
        elif item.skip:
            rows.append(Row(item, SKIP, item.skip))
        elif item.id not in user:
            rows.append(Row(item, ADD, "new", key))
        elif not (diff := _differences(cfg, item, key)):
            rows.append(Row(item, SAME, "already there with these settings", key))
        elif replace:
            rows.append(Row(item, UPDATE, f"replaces your {', '.join(diff)}", key))
        else:
            rows.append(Row(item, SKIP, f"you have {item.id} already (its {', '.join(diff)} "
                            "differ): --replace overwrites it", key))
    return rows


def apply(cfg: Config, rows: list[Row], store: str | None) -> Outcome:
    """Store the keys, then edit and save the config once. Raises on the first failure
    (:class:`secrets.SecretsError`, or the config's own errors) before the save."""
    out = Outcome()
    for row in rows:
        out.counts[row.action] = out.counts.get(row.action, 0) + 1
    todo = [row for row in rows if row.writes]
    for row in todo:
        item = row.incoming
        if item.keys and store == "keyring":
            secrets.keyring_set(item.id, ",".join(item.keys))
            out.stored_keys.append(item.id)
        elif item.keys and store == "file":
            secrets.SecretsFile.beside(cfg.path).set(item.id, ",".join(item.keys))
            out.stored_keys.append(item.id)
    for row in todo:
        _write(cfg, row)
    if todo:
        cfg.save()
    return out


def _write(cfg: Config, row: Row) -> None:
    item = row.incoming
    if row.action == ADD and not item.builtin:
        cfg.add_provider_as(item.id, item.name, item.type, item.address.strip(),
                            list(item.models), item.enabled)
        if item.api_version is not None:
            cfg.set_provider_field(item.id, "api_version", item.api_version)
    else:
        values = _desired(item, row.key_field)
        values.pop("key", None)
        for name, value in values.items():
            cfg.set_provider_field(item.id, name, list(value) if name == "models" else value)
    if row.key_field is not None:
        cfg.set_provider_field(item.id, "key", row.key_field)
