"""Backup version 7 (Cherry Studio 2.x): ``Data/cherrystudio.sqlite`` inside the zip.

Tables read (schema of Cherry 2.0.8, ``migrations/sqlite-drizzle/0000_*.sql``):
``user_provider`` (``endpoint_configs`` JSON with a ``baseUrl`` per endpoint type,
``api_keys`` JSON ``[{key, isEnabled}]``), ``user_model``, and for conversations
``topic``, ``assistant`` and ``message`` (a tree by ``parent_id``; blocks inline in
``data``). Built from the schema, not checked on a backup made by Cherry itself, so
every column beyond the ones named there is optional. Keys that start with ``v1:`` are
encrypted for the source machine (Cherry after 2.0.8) and cannot be imported.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from .legacy_json import to_time
from .model import Backup, CherryMessage, CherryProvider, CherryTopic, ImportProblem

# Cherry 2.x endpoint types -> the provider types of Cherry 1.x (the mapping's input).
ENDPOINT_TYPES = {
    "openai-chat-completions": "openai",
    "openai-responses": "openai-response",
    "anthropic-messages": "anthropic",
    "google-generate-content": "gemini",
    "gemini": "gemini",
    "ollama-chat": "ollama",
    "azure-openai": "azure-openai",
}


def _json(value: Any) -> Any:
    if not isinstance(value, (str, bytes)):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return None


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def read(path: Path, db_file: Path) -> Backup:
    try:
        db = sqlite3.connect(f"{db_file.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ImportProblem(f"{path}: the database in the backup cannot be opened ({exc}); "
                            "make a new backup in Cherry Studio") from None
    try:
        db.row_factory = sqlite3.Row
        if not _columns(db, "user_provider"):
            raise ImportProblem(f"{path}: the database in this 2.x backup has no "
                                "user_provider table; make a new backup in Cherry Studio")
        backup = Backup(path=str(path), version=7)
        models = _models(db)
        for row in db.execute("SELECT * FROM user_provider"):
            provider = _provider(dict(row), models)
            if isinstance(provider, str):
                backup.broken.append(f"{row['name'] or row['provider_id']}: {provider}")
            else:
                backup.providers.append(provider)
        backup.topics = _topics(db)
        return backup
    except sqlite3.Error as exc:
        raise ImportProblem(f"{path}: the database in the backup cannot be read ({exc}); "
                            "it is damaged: make a new backup in Cherry Studio") from None
    finally:
        db.close()


def _models(db: sqlite3.Connection) -> dict[str, list[tuple[str, str]]]:
    """Provider id -> [(row id, model id)] of enabled models."""
    cols = _columns(db, "user_model")
    result: dict[str, list[tuple[str, str]]] = {}
    if not {"provider_id", "model_id"} <= cols:
        return result
    order = " ORDER BY order_key" if "order_key" in cols else ""
    for row in db.execute(f"SELECT * FROM user_model{order}"):
        if "is_enabled" in cols and row["is_enabled"] == 0:
            continue
        row_id = str(row["id"]) if "id" in cols else row["model_id"]
        result.setdefault(row["provider_id"], []).append((row_id, row["model_id"]))
    return result


def _provider(row: dict[str, Any], models: dict[str, list[tuple[str, str]]]
              ) -> CherryProvider | str:
    pid = row.get("provider_id")
    if not isinstance(pid, str) or not pid:
        return "it has no provider_id"
    endpoints = _json(row.get("endpoint_configs"))
    if not isinstance(endpoints, dict):
        endpoints = {}
    chosen = row.get("default_chat_endpoint")
    if chosen not in endpoints:
        chosen = next((k for k, v in endpoints.items()
                       if isinstance(v, dict) and v.get("baseUrl")), None)
    conf = endpoints.get(chosen) if chosen else None
    address = conf.get("baseUrl", "") if isinstance(conf, dict) else ""
    anthropic = endpoints.get("anthropic-messages")
    keys: list[str] = []
    notes: list[str] = []
    raw_keys = _json(row.get("api_keys"))
    for entry in raw_keys if isinstance(raw_keys, list) else []:
        if not isinstance(entry, dict) or entry.get("isEnabled") is False:
            continue
        key = entry.get("key")
        if not isinstance(key, str) or not key.strip():
            continue
        if key.startswith("v1:"):
            notes.append("a key is encrypted for the machine that made the backup and "
                         f"was left out: store it with cherry-tui key set {pid}")
            continue
        keys.append(key.strip())
    preset = row.get("preset_provider_id")
    return CherryProvider(
        id=preset if isinstance(preset, str) and preset else pid,
        name=str(row.get("name") or pid),
        type=ENDPOINT_TYPES.get(str(chosen), str(chosen or "openai")),
        address=str(address or "").strip(), keys=tuple(keys),
        models=tuple(dict.fromkeys(m for _, m in models.get(pid, []))),
        enabled=row.get("is_enabled") != 0, system=bool(preset),
        anthropic_address=str(anthropic.get("baseUrl", "")) if isinstance(anthropic, dict)
        else "",
        notes=tuple(dict.fromkeys(notes)),
    )


def _topics(db: sqlite3.Connection) -> list[CherryTopic]:
    tcols, mcols = _columns(db, "topic"), _columns(db, "message")
    if not {"id", "name"} <= tcols or not {"id", "topic_id", "role"} <= mcols:
        return []
    prompts: dict[str, str] = {}
    if {"id", "prompt"} <= _columns(db, "assistant"):
        prompts = {r["id"]: r["prompt"] or ""
                   for r in db.execute("SELECT id, prompt FROM assistant")}
    model_ids: dict[str, tuple[str, str]] = {}
    if {"id", "provider_id", "model_id"} <= _columns(db, "user_model"):
        model_ids = {str(r["id"]): (r["provider_id"], r["model_id"])
                     for r in db.execute("SELECT id, provider_id, model_id FROM user_model")}
    order = "created_at, rowid" if "created_at" in mcols else "rowid"
    topics = []
    for topic in db.execute("SELECT * FROM topic"):
        rows = {r["id"]: dict(r) for r in db.execute(
            f"SELECT * FROM message WHERE topic_id=? ORDER BY {order}", (topic["id"],))}
        chain = list(rows.values())
        active = topic["active_node_id"] if "active_node_id" in tcols else None
        if active in rows and "parent_id" in mcols:  # the branch the user last saw
            chain, node = [], rows.get(active)
            while node is not None and len(chain) <= len(rows):
                chain.append(node)
                node = rows.get(node.get("parent_id"))
            chain.reverse()
        messages = [m for m in (_message(r, model_ids) for r in chain) if m]
        if messages:
            assistant = str(topic["assistant_id"]) if "assistant_id" in tcols else ""
            topics.append(CherryTopic(id=str(topic["id"]), title=topic["name"] or "",
                                      system_prompt=prompts.get(assistant, ""),
                                      messages=messages))
    return topics


def _message(row: dict[str, Any], model_ids: dict[str, tuple[str, str]]) -> CherryMessage | None:
    if row.get("role") not in ("user", "assistant", "system"):
        return None
    data = _json(row.get("data"))
    blocks = data.get("blocks") if isinstance(data, dict) else None
    content, reasoning = [], []
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict) or not isinstance(block.get("content"), str):
            continue
        if block.get("type") == "main_text":
            content.append(block["content"])
        elif block.get("type") == "thinking":
            reasoning.append(block["content"])
    if not content and not reasoning:
        return None
    provider, model = model_ids.get(str(row.get("model_id")), (None, None))
    return CherryMessage(role=row["role"], content="\n\n".join(content),
                         reasoning="\n\n".join(reasoning), provider=provider, model=model,
                         created=to_time(row.get("created_at")))
