"""Cherry Studio's providers and conversations, mapped to cherry-tui's.

:func:`read_backup` reads any backup format (see ``core/importers``); :func:`incoming`
maps its providers to :class:`provider_merge.Incoming` rows with one table of types and
one of built-in ids; :func:`import_topics` copies conversations into the history.

Addresses are kept as the user typed them. Cherry Studio (1.7 and later) and cherry-tui
read some of them differently (``formatApiHost`` and ``routeToEndpoint`` in Cherry):

* Cherry removes one trailing ``/`` and then appends ``/v1`` unless the path holds a
  version anywhere (``/v1``, ``/v2beta``); cherry-tui takes a trailing ``/`` as "add no
  version" and looks for the version only at the end;
* a trailing ``#`` in Cherry only stops ``/v1``: ``/chat/completions`` is still added
  unless the address ends with it; in cherry-tui ``#`` means "exactly as typed".

Where the two give different chat URLs, the row says so and names an address that gives
Cherry's URL here.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from . import addresses, secrets
from .catalog import catalog
from .config import slugify
from .history import History, Message
from .importers import archive
from .importers.model import Backup, CherryMessage, CherryProvider, CherryTopic, ImportProblem
from .provider_merge import Incoming

__all__ = ["Backup", "ImportProblem", "Selection", "cherry_chat_url", "import_topics",
           "incoming", "model_id_map", "read_backup", "topics_to_import"]

# Cherry's provider type -> cherry-tui's (None: nothing like it here). The names on the
# right are cherry-tui's; a type this version does not accept yet (addresses.PROVIDER_TYPES)
# is skipped with "type X is not supported by this version".
TYPES: dict[str, str | None] = {
    "openai": "openai",
    "new-api": "openai",
    "gateway": "openai",
    "mistral": "openai",
    "ollama": "openai",  # Ollama's OpenAI-compatible /v1 API
    "anthropic": "anthropic",
    "openai-response": "openai-responses",
    "gemini": "gemini",
    "azure-openai": "azure-openai",
    "vertexai": None,
    "vertex-anthropic": None,
    "aws-bedrock": None,
}

# Cherry's built-in ids that have another id here (the rest keep theirs when the catalog
# has them, e.g. openai, deepseek, ollama).
BUILTIN_IDS = {"doubao": "volcengine", "silicon": "siliconflow", "grok": "xai",
               "new-api": "newapi"}

_CHERRY_VERSION = re.compile(r"/v\d+(?:alpha|beta)?(?=/|$)", re.IGNORECASE)
_CHERRY_EXACT_ENDPOINTS = ("chat/completions", "responses", "messages")


def read_backup(path: Path, limit: int = archive.MAX_UNPACKED) -> Backup:
    """Read a Cherry Studio backup of any known format; :class:`ImportProblem` if not."""
    return archive.read(path, limit)


def cherry_chat_url(address: str, provider_type: str, no_version: bool = False) -> str | None:
    """The chat URL Cherry Studio 1.7+ builds from ``address`` for the OpenAI and Anthropic
    types (None for the others: Cherry builds those with rules of their own)."""
    if provider_type not in ("openai", "anthropic"):
        return None
    chat = addresses.ENDPOINTS[provider_type][0]
    host = address.strip()
    if host.endswith("#"):
        body = host[:-1]
        if body.endswith(_CHERRY_EXACT_ENDPOINTS):
            return body
        return f"{body.rstrip('/')}/{chat}"
    if host.endswith("/"):
        host = host[:-1]
    if not no_version and not _CHERRY_VERSION.search(urlsplit(host).path):
        host += "/v1"
    return f"{host}/{chat}"


def _same_url_address(cherry_url: str, provider_type: str) -> str:
    """An address that gives ``cherry_url`` under cherry-tui's rules."""
    chat = addresses.ENDPOINTS[provider_type][0]
    base = cherry_url[: -len(chat) - 1] if cherry_url.endswith("/" + chat) else None
    for candidate in ([base, base + "/"] if base else []) + [cherry_url + "#"]:
        try:
            if addresses.resolve(candidate, provider_type).chat == cherry_url:
                return candidate
        except addresses.AddressError:
            continue
    return cherry_url + "#"


def _url_warning(cp: CherryProvider, address: str, provider_type: str) -> str | None:
    if cp.type == "ollama":
        return ("Cherry Studio used Ollama's own API (/api/chat); cherry-tui uses its "
                "OpenAI-compatible API under /v1")
    cherry = cherry_chat_url(address, provider_type, cp.no_api_version)
    try:
        ours = addresses.resolve(address, provider_type).chat
    except addresses.AddressError:
        return None
    if cherry is None or cherry == ours:
        return None
    return (f"Cherry Studio called {cherry}, cherry-tui calls {ours}: to keep Cherry's, "
            f"set the address to {_same_url_address(cherry, provider_type)}")


@dataclass(frozen=True)
class Selection:
    items: list[Incoming]
    left_out: list[str]  # Cherry built-ins not imported: unused (their ids)


def _used(cp: CherryProvider) -> bool:
    """A built-in worth importing: it has a key, is switched on or has another address."""
    if cp.keys or cp.enabled:
        return True
    ours = catalog().get(BUILTIN_IDS.get(cp.id, cp.id))
    return bool(ours and cp.address and cp.address.rstrip("/") != ours.address.rstrip("/"))


def _matches(cp: CherryProvider, our_id: str, wanted: str) -> bool:
    return wanted.lower() in (cp.id.lower(), our_id.lower(), cp.name.lower())


def incoming(backup: Backup, only: Iterable[str] = ()) -> Selection:
    """The backup's providers as rows to import. ``only`` names providers (Cherry id,
    cherry-tui id or name) to take even when unused; an unknown name raises ValueError."""
    wanted = [w.strip() for w in only if w.strip()]
    items, left_out = [], []
    ids = _assign_ids(backup.providers)
    for cp, our_id in zip(backup.providers, ids):
        if wanted:
            if not any(_matches(cp, our_id, w) for w in wanted):
                continue
        elif cp.system and not _used(cp):
            left_out.append(cp.id)
            continue
        items.append(_map(cp, our_id))
    for w in wanted:
        if not any(_matches(cp, our_id, w) for cp, our_id in zip(backup.providers, ids)):
            known = ", ".join(sorted({cp.id if cp.system else cp.name for cp in backup.providers}))
            raise ValueError(f"--only: the backup has no provider {w!r}; it has: {known}")
    return Selection(items, left_out)


def _assign_ids(providers: list[CherryProvider]) -> list[str]:
    """cherry-tui ids, stable from run to run: a built-in's catalog id; for a custom
    provider the slug of its name (a built-in of that name here, e.g. OneAPI -> oneapi,
    when no Cherry built-in claims it), numbered when two share it."""
    claimed = {BUILTIN_IDS.get(cp.id, cp.id) for cp in providers if cp.system}
    result: list[str] = []
    for cp in providers:
        mapped = BUILTIN_IDS.get(cp.id, cp.id)
        if cp.system and mapped in catalog():
            result.append(mapped)
            continue
        base = slugify(cp.id if cp.system else cp.name)
        pid, n = base, 2
        while pid in result or (not cp.system and (pid in claimed or _other_type(pid, cp))):
            pid, n = f"{base}-{n}", n + 1
        result.append(pid)
    return result


def _other_type(pid: str, cp: CherryProvider) -> bool:
    """A built-in here with this id but another protocol than the Cherry provider's."""
    entry = catalog().get(pid)
    return entry is not None and entry.type != TYPES.get(cp.type)


def _map(cp: CherryProvider, our_id: str) -> Incoming:
    builtin = catalog().get(our_id)
    warnings = list(cp.notes)
    keys = []
    for n, key in enumerate(cp.keys, 1):
        if "," in key:
            warnings.append(f"key {n} holds a comma, which cherry-tui reads as a separator "
                            "between keys: left out")
        elif problem := secrets.check_key_text(key):
            warnings.append(f"key {n} left out: {problem}")
        else:
            keys.append(key)
    if cp.headers:
        warnings.append(f"extra headers not imported ({', '.join(cp.headers)}): cherry-tui "
                        "has no per-provider headers yet")
    if builtin:
        ptype = builtin.type
        # Cherry's default address with or without the trailing "/" is our default: ours
        # carries the "/" where the version must not be added (github, perplexity).
        same = not cp.address or cp.address.rstrip("/") == builtin.address.rstrip("/")
        address = builtin.address if same else cp.address
        models = cp.models or builtin.models
    else:
        mapped = TYPES.get(cp.type, "")
        address, models = cp.address, cp.models
        base = Incoming(id=our_id, name=cp.name, type=mapped or cp.type, address=address,
                        models=models, enabled=cp.enabled, keys=tuple(keys), origin=cp.id,
                        warnings=tuple(warnings))
        if mapped is None:
            return replace(base, skip=f"type {cp.type} has no equivalent in cherry-tui")
        if mapped == "":
            return replace(base, skip=f"type {cp.type} is unknown to cherry-tui")
        if mapped not in addresses.PROVIDER_TYPES:
            return replace(base, skip=f"type {mapped} is not supported by this version")
        ptype = mapped
        if cp.anthropic_address and ptype != "anthropic":
            warnings.append(f"Cherry's second address for Claude models "
                            f"({cp.anthropic_address}) is not imported: add it as a provider "
                            "of type anthropic")
    item = Incoming(id=our_id, name=cp.name, type=ptype, address=address, models=models,
                    enabled=cp.enabled, keys=tuple(keys), origin=cp.id,
                    warnings=tuple(warnings),
                    api_version=(cp.api_version or None) if ptype == "azure-openai" else None)
    if not address:
        return replace(item, error="the address is empty: set it in Cherry Studio and make "
                       "the backup again, or add this provider here by hand")
    if problem := addresses.check(address, ptype):
        return replace(item, error=f"invalid address: {problem}")
    is_default = builtin is not None and address.rstrip("/") == builtin.address.rstrip("/")
    if not is_default and (warning := _url_warning(cp, address, ptype)):
        item = replace(item, warnings=(*item.warnings, warning))
    return item


# ------------------------------------------------------------------ conversations
_MARKS = """CREATE TABLE IF NOT EXISTS cherry_imports (
    topic_id        TEXT PRIMARY KEY,
    conversation_id INTEGER NOT NULL,
    imported        REAL NOT NULL
)"""


def _marks(path: Path, write: bool) -> dict[str, int]:
    """Cherry topic id -> conversation id of earlier imports (own table, same file)."""
    if not write and not path.exists():
        return {}
    db = sqlite3.connect(str(path), timeout=5.0)
    try:
        if write:
            db.execute(_MARKS)
        try:
            return {r[0]: r[1] for r in db.execute(
                "SELECT topic_id, conversation_id FROM cherry_imports")}
        except sqlite3.OperationalError:  # never imported: no table yet
            return {}
    finally:
        db.close()


def topics_to_import(history_path: Path, topics: list[CherryTopic],
                     history: History | None = None) -> tuple[list[CherryTopic], int]:
    """(topics not imported yet, how many were). A topic whose conversation the user
    deleted since counts as not imported. Nothing is written."""
    marks = _marks(history_path, write=False)
    new, done = [], 0
    for topic in topics:
        cid = marks.get(topic.id)
        if cid is not None and (history is None or history.get(cid, messages=False)):
            done += 1
        else:
            new.append(topic)
    return new, done


def import_topics(history: History, topics: list[CherryTopic], model_ids: dict[str, str]
                  ) -> int:
    """Copy ``topics`` (already filtered by :func:`topics_to_import`) into ``history``;
    ``model_ids`` maps Cherry provider ids to cherry-tui ids. Returns how many."""
    _marks(history.path, write=True)
    for topic in topics:
        first = next((m for m in topic.messages if m.role != "system"), None)
        conv = history.create(title=topic.title, system_prompt=topic.system_prompt,
                              model=_model_ref(first, model_ids) if first else None)
        for msg in topic.messages:
            history.add(conv.id, Message(role=msg.role, content=msg.content,
                                         reasoning=msg.reasoning,
                                         model=_model_ref(msg, model_ids),
                                         created=msg.created or time.time()))
        db = sqlite3.connect(str(history.path), timeout=5.0)
        try:
            with db:
                db.execute("INSERT OR REPLACE INTO cherry_imports VALUES (?, ?, ?)",
                           (topic.id, conv.id, time.time()))
        finally:
            db.close()
    return len(topics)


@dataclass(frozen=True)
class TopicsImported:
    added: int  # conversations written now
    before: int  # conversations an earlier import already wrote
    other_answers: int  # answers left out: a question keeps the answer Cherry used


def import_conversations(history_path: Path, backup: Backup) -> TopicsImported:
    """Every conversation of ``backup`` not imported yet, into the history file at
    ``history_path`` (on a connection of its own). Raises sqlite3.Error / OSError."""
    history = History(history_path)
    try:
        new, done = topics_to_import(history_path, backup.topics, history)
        added = import_topics(history, new, model_id_map(backup))
    finally:
        history.close()
    return TopicsImported(added, done, sum(t.other_answers for t in new))


def model_id_map(backup: Backup) -> dict[str, str]:
    """Cherry provider id -> cherry-tui id, for every provider in the backup."""
    return dict(zip((cp.id for cp in backup.providers), _assign_ids(backup.providers)))


def _model_ref(msg: CherryMessage, model_ids: dict[str, str]) -> str | None:
    if not msg.model:
        return None
    pid = model_ids.get(msg.provider or "", msg.provider)
    return f"{pid}/{msg.model}" if pid else msg.model
