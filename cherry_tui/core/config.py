"""The user's config file: one TOML file that holds only what the user set.

* tomlkit keeps the user's comments, key order and unknown keys across a save.
* Saves are atomic (temp file in the same folder, fsync, rename); a new file gets mode 0600.
  Temp files left by a killed writer are removed at the next load or save (core.files).
* A file that does not parse (any tomlkit or tomllib error, a key or table written twice,
  not UTF-8) is reported in one line (path, line, column, what to do) and never written to.
* A save holds a lock on the folder, re-reads the file and, if it changed on disk (another
  instance, an editor), replays this session's edits on top, so no update is lost.
* If the file stops parsing while the app runs, a save raises ConfigError and keeps the
  edits pending; :meth:`Config.reload` keeps the loaded state, so the app goes on working
  and the first save after the user's fix writes everything.
* A bad value in one provider is reported for that provider; the rest loads.

Example::

    theme = "cherry-dark"
    default_model = "volcengine/doubao-seed-1-6-250615"

    [providers.volcengine]          # a built-in: only what differs from the default
    enabled = true
    models = ["doubao-seed-1-6-250615"]

    [providers.my-oneapi]           # a custom provider
    name = "My OneAPI"
    type = "openai"
    address = "http://127.0.0.1:3000"
    key = "env:ONEAPI_TOKEN"        # keyring (default) | env:VAR | file
    models = ["gpt-4o-mini"]
    enabled = true
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.toml_document import TOMLDocument

from . import addresses, files, model_kinds, provider_options
from .catalog import CatalogEntry, catalog
from .paths import secrets_path

KEY_SOURCES_HELP = "keyring, env:VARIABLE, cmd:COMMAND or file"
LOAD_HINT = "fix it, or move it away to start afresh"
SAVE_HINT = ("it was changed on disk: fix it, and this change is saved with the next one "
             "(it is kept until then)")


class ConfigError(Exception):
    """The config file cannot be read, or cannot be written now. It is left untouched."""

    def __init__(self, path: Path, message: str, line: int | None = None, col: int | None = None):
        self.path, self.line, self.col, self.reason = path, line, col, message
        where = f"{path}"
        if line is not None:
            where += f", line {line}" + (f", column {col}" if col is not None else "")
        super().__init__(f"{where}: {message}")


class ConfigReadOnly(Exception):
    """The config file did not parse at start: nothing is written to it."""


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    type: str
    address: str
    enabled: bool = False
    models: tuple[str, ...] = ()
    key: str | None = None  # key source: None (default), "keyring", "env:VAR", "file"
    builtin: bool = False
    env: str | None = None  # the built-in's usual environment variable
    key_url: str | None = None
    needs_key: bool = True
    default_address: str | None = None
    problems: tuple[str, ...] = ()
    api_version: str | None = None  # azure-openai: the api-version query ("v1": the v1 API)
    headers: tuple[tuple[str, str], ...] = ()  # sent with every request (no key in them)
    proxy: str | None = None  # this provider's proxy; None: the environment's variables
    model_kinds: tuple[tuple[str, str], ...] = ()  # the user's (model id, kind) overrides
    context_windows: tuple[tuple[str, int], ...] = ()  # the user's (model id, tokens)

    @property
    def ok(self) -> bool:
        return not self.problems

    def resolved(self, model: str | None = None) -> addresses.Resolved:
        """The URLs, with ``model`` (else the first listed) where the URL holds one."""
        return addresses.resolve(self.address, self.type, api_version=self.api_version,
                                 model=model or (self.models[0] if self.models else None))

    def kind_of(self, model: str) -> str:
        """The model's kind: the user's ``model_kinds`` entry, else guessed from its id."""
        return model_kinds.kind_of(model, dict(self.model_kinds), self.type)


def split_model_ref(ref: str) -> tuple[str, str]:
    """``provider/model`` split at the first ``/`` (model ids contain ``/``)."""
    provider, sep, model = ref.partition("/")
    if not sep or not provider or not model:
        raise ValueError(
            f"{ref!r} is not a model reference: write PROVIDER/MODEL, e.g. deepseek/deepseek-chat"
        )
    return provider, model


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "provider"


def atomic_write_text(path: Path, text: str) -> None:
    files.atomic_write(path, text.encode("utf-8"))


def key_command_problem(source: str) -> str | None:
    """Why ``key = "cmd:..."`` cannot be run, or None (the command is not run here)."""
    command = source[4:].strip()
    if not command:
        return 'key = "cmd:" needs a command after it, e.g. key = "cmd:pass show api/deepseek"'
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return f"key command {command!r} does not split into words ({exc}): check its quotes"
    return None if argv else f"key command {command!r} is empty"


def _apply_options(table: dict[str, Any], values: dict[str, Any], problems: list[str]) -> None:
    """The optional provider fields ``headers``, ``proxy``, ``model_kinds`` and
    ``context_windows``: checked values go into ``values``, what is wrong into
    ``problems`` (the rest still loads)."""
    if "headers" in table:
        headers, found = provider_options.parse_headers(table["headers"])
        values["headers"] = headers
        problems.extend(found)
    if "proxy" in table:
        if problem := provider_options.proxy_problem(table["proxy"]):
            problems.append(problem)
        else:
            values["proxy"] = str(table["proxy"]).strip()
    if "model_kinds" in table:
        kinds, found = model_kinds.parse_overrides(table["model_kinds"])
        values["model_kinds"] = tuple(kinds.items())
        problems.extend(found)
    if "context_windows" in table:
        windows, found = provider_options.parse_context_windows(table["context_windows"])
        values["context_windows"] = tuple(windows.items())
        problems.extend(found)


class Config:
    """The loaded config. Mutators edit the TOML document; :meth:`save` writes it."""

    def __init__(self, path: Path, doc: TOMLDocument, raw: bytes | None,
                 error: ConfigError | None = None):
        self.path = path
        self.doc = doc
        self._raw = raw  # bytes as last read or written; None = no file
        self.error = error  # set when the file did not parse: read-only mode
        self._ops: list[Callable[[TOMLDocument], None]] = []

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: Path) -> Config:
        """Load ``path``. A file that does not parse gives a read-only config with ``error``."""
        with files.locked(path, blocking=False) as have_lock:
            if have_lock:  # nobody is saving: what a killed writer left can go
                files.clean_stale_temps(path)
                files.clean_stale_temps(secrets_path(path))
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(path, tomlkit.document(), None)
        except OSError as exc:
            return cls(path, tomlkit.document(), None,
                       ConfigError(path, f"cannot be read: {exc.strerror}; check the path and "
                                   "its permissions"))
        try:
            doc = cls._parse(path, raw, LOAD_HINT)
        except ConfigError as exc:
            return cls(path, tomlkit.document(), raw, exc)
        return cls(path, doc, raw)

    @staticmethod
    def _parse(path: Path, raw: bytes, hint: str) -> TOMLDocument:
        try:
            return files.parse_toml(raw)
        except files.TomlProblem as exc:
            raise ConfigError(path, f"does not parse: {exc.reason}; {hint}", exc.line,
                              exc.col) from None

    @property
    def raw_text(self) -> str:
        """The file's text as last read or written ("" when there is none)."""
        return (self._raw or b"").decode("utf-8", "replace")

    @property
    def read_only(self) -> bool:
        return self.error is not None

    # ------------------------------------------------------------------ reading
    def _user_providers(self) -> dict[str, Any]:
        table = self.doc.get("providers")
        return table if isinstance(table, dict) else {}

    def providers(self) -> list[Provider]:
        """All providers: built-ins (overridden by the user's values), then the user's own."""
        user = self._user_providers()
        result = [self._merge(pid, entry, user.get(pid)) for pid, entry in catalog().items()]
        for pid, table in user.items():
            if pid not in catalog():
                result.append(self._custom(pid, table))
        return result

    def provider(self, pid: str) -> Provider:
        user = self._user_providers()
        if pid in catalog():
            return self._merge(pid, catalog()[pid], user.get(pid))
        if pid in user:
            return self._custom(pid, user[pid])
        raise KeyError(pid)

    def has_provider(self, pid: str) -> bool:
        return pid in catalog() or pid in self._user_providers()

    def _merge(self, pid: str, entry: CatalogEntry, table: Any) -> Provider:
        base = Provider(
            id=pid, name=entry.name, type=entry.type, address=entry.address,
            models=entry.models, builtin=True, env=entry.env, key_url=entry.key_url,
            needs_key=entry.needs_key, default_address=entry.address,
        )
        return self._apply(base, table)

    def _custom(self, pid: str, table: Any) -> Provider:
        problems: list[str] = []
        if not isinstance(table, dict):
            return Provider(id=pid, name=pid, type="openai", address="",
                            problems=(f"[providers.{pid}] must be a table",))
        if "address" not in table:
            problems.append("no address: set address = \"https://...\"")
        base = Provider(id=pid, name=pid, type="openai", address="", problems=tuple(problems))
        return self._apply(base, table)

    @staticmethod
    def _apply(base: Provider, table: Any) -> Provider:
        if table is None:
            return base
        if not isinstance(table, dict):
            return replace(base, problems=(f"[providers.{base.id}] must be a table",))
        problems = list(base.problems)
        values: dict[str, Any] = {}

        def text(key: str) -> None:
            if key in table:
                val = table[key]
                if isinstance(val, str):
                    values[key] = str(val)
                else:
                    problems.append(f"{key} must be a string in quotes, not {files.kind(val)}")

        text("name")
        text("type")
        text("address")
        text("api_version")
        if "enabled" in table:
            if isinstance(table["enabled"], bool):
                values["enabled"] = bool(table["enabled"])
            else:
                problems.append("enabled must be true or false")
        if "models" in table:
            models = table["models"]
            if isinstance(models, list) and all(isinstance(m, str) for m in models):
                values["models"] = tuple(str(m) for m in models)
            else:
                problems.append('models must be a list of model ids, e.g. ["gpt-4o-mini"]')
        if "key" in table:
            key = table["key"]
            if isinstance(key, str) and (key in ("keyring", "file") or
                                         (key.startswith("env:") and len(key) > 4)):
                values["key"] = str(key)
            elif isinstance(key, str) and key.startswith("cmd:"):
                if problem := key_command_problem(key):
                    problems.append(problem)
                else:
                    values["key"] = str(key)
            else:
                problems.append(f"key must be one of {KEY_SOURCES_HELP}, not {key!r}")
        _apply_options(table, values, problems)
        merged = replace(base, **values)
        if merged.type not in addresses.PROVIDER_TYPES:
            problems.append(
                f"unknown type {merged.type!r}: use one of {', '.join(addresses.PROVIDER_TYPES)}"
            )
        elif merged.address:
            err = addresses.check(merged.address, merged.type)
            if err:
                problems.append(f"address: {err}")
        if merged.api_version is not None:
            problems.extend(addresses.api_version_problems(merged.api_version, merged.type))
        return replace(merged, problems=tuple(problems))

    def get(self, key: str, default: Any = None) -> Any:
        val = self.doc.get(key, default)
        return val.unwrap() if hasattr(val, "unwrap") else val

    @property
    def default_model(self) -> str | None:
        val = self.get("default_model")
        return val if isinstance(val, str) and val else None

    @property
    def theme(self) -> str | None:
        val = self.get("theme")
        return val if isinstance(val, str) and val else None

    def section(self, name: str) -> dict[str, Any]:
        """A top-level table (e.g. ``keymap``) as plain values, or {}."""
        val = self.get(name)
        return val if isinstance(val, dict) else {}

    # ------------------------------------------------------------------ editing
    def _read_only_error(self) -> ConfigReadOnly:
        return ConfigReadOnly(f"{self.error}. Nothing is saved until the file is fixed.")

    def _edit(self, op: Callable[[TOMLDocument], None]) -> None:
        if self.read_only:
            raise self._read_only_error()
        op(self.doc)  # raises before changing anything when the file's shape is wrong
        self._ops.append(op)

    @staticmethod
    def _table(doc: TOMLDocument, pid: str, create: bool = True) -> Any:
        """``[providers.pid]`` in ``doc`` (made when ``create``), or None."""
        return Config._named(doc, "providers", pid, create)

    def set_value(self, key: str, value: Any) -> None:
        """Set (or with None remove) a top-level value such as theme or default_model."""
        def op(doc: TOMLDocument) -> None:
            if value is None:
                doc.pop(key, None)
            else:
                doc[key] = value
        self._edit(op)

    def set_provider_field(self, pid: str, key: str, value: Any) -> None:
        """Set one field of a provider; None removes it (back to the built-in default)."""
        if not self.has_provider(pid):
            raise KeyError(pid)
        builtin = catalog().get(pid)

        def op(doc: TOMLDocument) -> None:
            table = self._table(doc, pid, create=value is not None)
            if table is None:
                return
            default = getattr(builtin, key, None) if builtin else None
            if builtin and key == "models":
                default = list(builtin.models)
            if value is None or (builtin and key != "enabled" and value == default):
                table.pop(key, None)
            elif key == "models":
                arr = tomlkit.array()
                arr.extend(list(value))
                if len(value) > 3:
                    arr.multiline(True)
                table[key] = arr
            else:
                table[key] = value
            if builtin and len(table) == 0:
                doc["providers"].pop(pid, None)
        self._edit(op)

    def set_enabled(self, pid: str, enabled: bool) -> None:
        self.set_provider_field(pid, "enabled", bool(enabled))

    def set_models(self, pid: str, models: list[str]) -> None:
        seen: list[str] = []
        for m in models:
            if m not in seen:
                seen.append(m)
        self.set_provider_field(pid, "models", seen)

    def add_model(self, pid: str, model: str) -> None:
        self.set_models(pid, [*self.provider(pid).models, model])

    def remove_model(self, pid: str, model: str) -> None:
        self.set_models(pid, [m for m in self.provider(pid).models if m != model])

    def set_model_kind(self, pid: str, model: str, kind: str | None) -> None:
        """Save the user's kind for one model (``model_kinds``); None forgets it."""
        if kind is not None and kind not in model_kinds.KINDS:
            raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(model_kinds.KINDS)}")
        self._set_model_entry(pid, "model_kinds", model, kind, "a model's kind")

    def set_context_window(self, pid: str, model: str, tokens: int | None) -> None:
        """Save the user's context window for one model (``context_windows``, in
        tokens); None forgets it (the server's or the built-in figure applies again)."""
        if tokens is not None and tokens < 1:
            raise ValueError(f"a context window of {tokens} tokens: use a number above 0")
        self._set_model_entry(pid, "context_windows", model, tokens, "a model's window")

    def _set_model_entry(self, pid: str, field: str, model: str, value: str | int | None,
                         what: str) -> None:
        """One entry of a provider's per-model table ``field`` (an inline table of model
        id = value); None removes it, and the table with its last entry."""
        if not self.has_provider(pid):
            raise KeyError(pid)

        def op(doc: TOMLDocument) -> None:
            table = self._table(doc, pid, create=value is not None)
            if table is None:
                return
            entries = table.get(field)
            if entries is not None and not isinstance(entries, dict):
                raise ValueError(f"providers.{pid}.{field} is {files.kind(entries)}, not a "
                                 f"table: fix it before changing {what}")
            if value is None:
                if entries is not None:
                    entries.pop(model, None)
                    if not entries:
                        table.pop(field, None)
                return
            if entries is None:
                entries = tomlkit.inline_table()
                table[field] = entries
            entries[model] = value
        self._edit(op)

    def new_id(self, name: str) -> str:
        base = slugify(name)
        pid, n = base, 2
        while self.has_provider(pid):
            pid, n = f"{base}-{n}", n + 1
        return pid

    def add_provider(self, name: str, type: str = "openai", address: str = "",
                     models: list[str] | None = None, enabled: bool = True) -> str:
        """Add a custom provider; returns its id (a slug of the name, made unique)."""
        name = name.strip()
        if not name:
            raise ValueError("a provider needs a name")
        if type not in addresses.PROVIDER_TYPES:
            known = ", ".join(addresses.PROVIDER_TYPES)
            raise ValueError(f"unknown type {type!r}: use one of {known}")
        pid = self.new_id(name)

        def op(doc: TOMLDocument) -> None:
            table = self._table(doc, pid)
            table["name"] = name
            table["type"] = type
            table["address"] = address
            arr = tomlkit.array()
            arr.extend(models or [])
            table["models"] = arr
            table["enabled"] = enabled
        self._edit(op)
        return pid

    def clone_provider(self, pid: str, name: str | None = None) -> str:
        """Copy a provider (built-in or custom) into a new custom provider."""
        src = self.provider(pid)
        new = self.add_provider(name or f"{src.name} copy", src.type, src.address,
                                list(src.models), enabled=src.enabled)
        if src.key and src.key.startswith("env:"):
            self.set_provider_field(new, "key", src.key)
        elif src.env:
            self.set_provider_field(new, "key", f"env:{src.env}")
        return new

    def add_provider_as(self, pid: str, name: str, type: str, address: str,
                        models: list[str], enabled: bool) -> None:
        """Add a custom provider under the given id (an import keeps the source's id)."""
        if self.has_provider(pid):
            raise ValueError(f"a provider with the id {pid!r} exists already")
        if type not in addresses.PROVIDER_TYPES:
            raise ValueError(f"unknown type {type!r}: use one of "
                             f"{', '.join(addresses.PROVIDER_TYPES)}")

        def op(doc: TOMLDocument) -> None:
            table = self._table(doc, pid)
            table["name"] = name.strip() or pid
            table["type"] = type
            table["address"] = address
            arr = tomlkit.array()
            arr.extend(models)
            table["models"] = arr
            table["enabled"] = enabled
        self._edit(op)

    def rename_provider(self, pid: str, name: str) -> None:
        name = name.strip()
        if not name:
            raise ValueError("a provider needs a name")
        self.set_provider_field(pid, "name", name)

    def delete_provider(self, pid: str) -> None:
        """Delete a custom provider; a built-in is reset to its defaults instead."""
        if not self.has_provider(pid):
            raise KeyError(pid)

        def op(doc: TOMLDocument) -> None:
            providers = doc.get("providers")
            if providers is not None:
                providers.pop(pid, None)
        self._edit(op)
        default = self.default_model
        if default and default.partition("/")[0] == pid and pid not in catalog():
            self.set_value("default_model", None)

    # ------------------------------------------------------------------ named tables
    @staticmethod
    def _named(doc: TOMLDocument, section: str, name: str, create: bool) -> Any:
        """``[section.name]`` in ``doc`` (made when ``create``), or None."""
        outer = doc.get(section)
        if outer is None:
            if not create:
                return None
            outer = tomlkit.table(is_super_table=True)
            doc[section] = outer
        if not isinstance(outer, dict):
            raise ValueError(f"{section} in the config file is {files.kind(outer)}, not a "
                             f"table: fix it ([{section}.NAME] sections) first")
        if name not in outer:
            if not create:
                return None
            outer[name] = tomlkit.table()
        table = outer[name]
        if not isinstance(table, dict):
            raise ValueError(f"{section}.{name} in the config file is {files.kind(table)}, "
                             f"not a table: fix it ([{section}.{name}]) first")
        return table

    def set_named_fields(self, section: str, name: str, values: dict[str, Any]) -> None:
        """Set fields of ``[section.name]`` (e.g. an assistant); a value None removes its
        field and a table left empty goes. The table's comments and other keys stay."""
        def op(doc: TOMLDocument) -> None:
            create = any(v is not None for v in values.values())
            table = self._named(doc, section, name, create)
            if table is None:
                return
            for key, value in values.items():
                if value is None:
                    table.pop(key, None)
                elif isinstance(value, str) and "\n" in value:
                    table[key] = tomlkit.string(value, multiline=True)
                else:
                    table[key] = value
            if len(table) == 0:
                doc[section].pop(name, None)
        self._edit(op)

    def remove_named_table(self, section: str, name: str) -> None:
        """Remove ``[section.name]`` (nothing happens when it is not there)."""
        def op(doc: TOMLDocument) -> None:
            if self._named(doc, section, name, create=False) is not None:
                doc[section].pop(name, None)
        self._edit(op)

    # ------------------------------------------------------------------ saving
    @property
    def dirty(self) -> bool:
        return bool(self._ops)

    def save(self) -> None:
        """Write the file atomically. Edits made on disk meanwhile are kept.

        Under an exclusive lock (see :func:`files.locked`) the file is re-read; if it
        changed, this session's edits are replayed on what is there now. If it no longer
        parses, :class:`ConfigError` is raised, nothing is written and the edits stay
        pending: the next save after the user fixes the file writes them.
        """
        if self.read_only:
            raise self._read_only_error()
        if not self._ops:
            return
        with files.locked(self.path):
            files.clean_stale_temps(self.path)
            try:
                disk: bytes | None = self.path.read_bytes()
            except FileNotFoundError:
                disk = None
            doc = self.doc
            if disk != self._raw:
                doc = self._parse(self.path, disk, SAVE_HINT) if disk is not None \
                    else tomlkit.document()
                try:
                    for op in self._ops:
                        op(doc)
                except (ValueError, KeyError, TypeError) as exc:
                    raise ConfigError(self.path, f"this change does not fit the file as it is "
                                      f"now ({exc}); fix the file, then make the change "
                                      "again") from None
            data = tomlkit.dumps(doc).encode("utf-8")
            files.atomic_write(self.path, data)
        self.doc, self._raw = doc, data
        self._ops.clear()

    def reload(self) -> None:
        """Re-read the file, dropping unsaved edits.

        If the file stopped parsing while the app runs (a hand edit), nothing changes here:
        the providers stay as they were and pending edits wait for the fix. Only a config
        that never loaded takes the new state (it has nothing to keep).
        """
        fresh = Config.load(self.path)
        if fresh.error and not self.read_only:
            return
        self.doc, self._raw, self.error, self._ops = fresh.doc, fresh._raw, fresh.error, []


__all__ = [
    "Config",
    "ConfigError",
    "ConfigReadOnly",
    "Provider",
    "atomic_write_text",
    "slugify",
    "split_model_ref",
]
