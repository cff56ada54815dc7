"""Backup versions 1-5: ``data.json`` in a zip (3-5, and "Export as file") or a gzip ``.bak``.

Three JSON layers: the file; ``localStorage["persist:cherry-studio"]`` (a string); and
each slice in it (``llm``, ``assistants``: strings again). Providers are in
``llm.providers``; topic names and assistants' prompts in ``assistants``; messages in the
IndexedDB dump (``topics`` with ``message_blocks`` from version 4, text inline before).
Older backups lack fields newer ones have: every field is optional except what
identifies a provider.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from ..history import CONTEXT
from .model import Backup, CherryMessage, CherryProvider, CherryTopic, ImportProblem

VERSIONS = (1, 2, 3, 4, 5)
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")


def split_cherry_keys(text: str) -> list[str]:
    """Cherry's ``splitApiKeyString``: split on unescaped commas; ``\\,`` is a comma."""
    keys = (k.strip().replace("\\,", ",") for k in _UNESCAPED_COMMA.split(text or ""))
    return [k for k in keys if k]


def _shape(path: Path, where: str, what: str) -> ImportProblem:
    return ImportProblem(f"{path}: {where} {what}, so this is not a Cherry Studio backup "
                         "cherry-tui can read (made by another program, or damaged?); "
                         "make a new backup in Cherry Studio")


def _json(path: Path, where: str, raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportProblem(f"{path}: {where} is not valid JSON ({exc}); the backup is "
                            "damaged or incomplete: copy it again, or make a new one") from None


def _slice(path: Path, persist: dict[str, Any], name: str) -> dict[str, Any]:
    raw = persist.get(name)
    if raw is None:
        return {}
    value = _json(path, f"the {name} part of persist:cherry-studio", raw) \
        if isinstance(raw, str) else raw
    if not isinstance(value, dict):
        raise _shape(path, f"the {name} part of persist:cherry-studio", "is not an object")
    return value


def parse(path: Path, where: str, raw: bytes) -> Backup:
    data = _json(path, where, raw)
    if not isinstance(data, dict):
        raise _shape(path, where, "is not a JSON object")
    version = data.get("version")
    if version not in VERSIONS or isinstance(version, bool):
        if "localStorage" not in data:
            raise _shape(path, where, "has no version and no localStorage")
        raise ImportProblem(f"{path}: unknown backup version {version!r} in {where} "
                            "(cherry-tui reads versions 1-5 and 7); make the file with "
                            "Settings, Data Settings, Export to phone, Export as file")
    local = data.get("localStorage")
    if not isinstance(local, dict):
        raise _shape(path, f"{where}: localStorage", "is missing or not an object")
    persist_raw = local.get("persist:cherry-studio")
    if persist_raw is None:
        raise _shape(path, f"{where}: localStorage", "has no persist:cherry-studio")
    persist = _json(path, "persist:cherry-studio", persist_raw) \
        if isinstance(persist_raw, str) else persist_raw
    if not isinstance(persist, dict):
        raise _shape(path, "persist:cherry-studio", "is not an object")
    llm = _slice(path, persist, "llm")
    providers = llm.get("providers", [])
    if not isinstance(providers, list):
        raise _shape(path, "llm.providers", "is not a list")
    backup = Backup(path=str(path), version=int(version))
    for n, entry in enumerate(providers, 1):
        provider = _provider(entry)
        if isinstance(provider, str):
            label = entry.get("name") or entry.get("id") if isinstance(entry, dict) else None
            backup.broken.append(f"{label or f'provider {n}'}: {provider}")
        else:
            backup.providers.append(provider)
    backup.topics = _topics(_slice(path, persist, "assistants"), data.get("indexedDB"))
    return backup


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    return value if isinstance(value, str) else ""


def _provider(entry: Any) -> CherryProvider | str:
    """The provider, or why it cannot be read."""
    if not isinstance(entry, dict):
        return "the entry is not an object"
    pid = entry.get("id")
    if not isinstance(pid, str) or not pid.strip():
        return "it has no id"
    models: list[str] = []
    raw_models = entry.get("models")
    for model in raw_models if isinstance(raw_models, list) else []:
        mid = model.get("id") if isinstance(model, dict) else None
        if isinstance(mid, str) and mid.strip() and mid not in models:
            models.append(mid)
    headers = entry.get("extra_headers")
    options = entry.get("apiOptions")
    enabled = entry.get("enabled")
    return CherryProvider(
        id=pid, name=_text(entry, "name") or pid, type=_text(entry, "type") or "openai",
        address=_text(entry, "apiHost").strip(),
        keys=tuple(split_cherry_keys(_text(entry, "apiKey"))),
        # Unset: a custom provider is on (Cherry's own migration reads ``enabled ?? true``),
        # a built-in is not (every built-in is listed, used or not).
        models=tuple(models),
        enabled=enabled if isinstance(enabled, bool) else entry.get("isSystem") is not True,
        system=entry.get("isSystem") is True,
        headers=tuple(sorted(str(k) for k in headers)) if isinstance(headers, dict) else (),
        anthropic_address=_text(entry, "anthropicApiHost").strip(),
        api_version=_text(entry, "apiVersion").strip(),
        no_api_version=isinstance(options, dict) and options.get("isNotSupportAPIVersion") is True,
    )


def to_time(value: Any) -> float:
    """Seconds since the epoch from an ISO text or a number of milliseconds; 0 if neither."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) / 1000.0
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return 0.0
    return 0.0


def _topic_meta(assistants: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Topic id -> (name, the owning assistant's prompt), from every assistant."""
    owners: list[Any] = [assistants.get("defaultAssistant")]
    listed = assistants.get("assistants")
    owners += listed if isinstance(listed, list) else []
    meta: dict[str, tuple[str, str]] = {}
    for assistant in owners:
        if not isinstance(assistant, dict):
            continue
        prompt = _text(assistant, "prompt")
        topics = assistant.get("topics")
        for topic in topics if isinstance(topics, list) else []:
            if isinstance(topic, dict) and isinstance(topic.get("id"), str):
                meta.setdefault(topic["id"], (_text(topic, "name"), prompt))
    return meta


def _topic_rows(indexed: Any) -> tuple[list[Any], dict[str, dict[str, Any]]]:
    """(topic rows, blocks by id) from the IndexedDB dump of any version."""
    if isinstance(indexed, list):  # version 1: [{key: "topic:<id>", value: {...}}]
        rows = [item.get("value") for item in indexed if isinstance(item, dict)
                and str(item.get("key", "")).startswith("topic:")]
        return rows, {}
    if not isinstance(indexed, dict):
        return [], {}
    topics = indexed.get("topics")
    blocks = indexed.get("message_blocks")
    by_id = {b["id"]: b for b in blocks if isinstance(b, dict) and isinstance(b.get("id"), str)} \
        if isinstance(blocks, list) else {}
    return (topics if isinstance(topics, list) else []), by_id


_PLACEHOLDER = {"image": "[image]", "file": "[file]", "video": "[video]", "tool": "[tool call]"}


def _message(raw: Any, blocks: dict[str, dict[str, Any]]) -> CherryMessage | None:
    if not isinstance(raw, dict):
        return None
    if raw.get("type") == "clear":  # Cherry's "clear context": a new-context marker here
        return CherryMessage(role=CONTEXT, content="", created=to_time(raw.get("createdAt")))
    role = raw.get("role")
    if role not in ("user", "assistant", "system"):
        return None
    content: list[str] = []
    reasoning: list[str] = []
    block_ids = raw.get("blocks")
    for bid in block_ids if isinstance(block_ids, list) else []:
        block = blocks.get(bid) if isinstance(bid, str) else None
        if block is None:
            continue
        kind, text = block.get("type"), _text(block, "content")
        if kind == "main_text" and text:
            content.append(text)
        elif kind == "thinking" and text:
            reasoning.append(text)
        elif kind == "code" and text:
            content.append(f"```{_text(block, 'language')}\n{text}\n```")
        elif isinstance(kind, str) and kind in _PLACEHOLDER:
            content.append(_PLACEHOLDER[kind])
    if not block_ids:  # versions 1-3: the text is inline
        content.append(_text(raw, "content"))
        reasoning.append(_text(raw, "reasoning_content"))
    found = raw.get("model")
    model: dict[str, Any] = found if isinstance(found, dict) else {}
    model_id = model.get("id") if isinstance(model.get("id"), str) else raw.get("modelId")
    provider = model.get("provider")
    return CherryMessage(
        role=role, content="\n\n".join(t for t in content if t),
        reasoning="\n\n".join(t for t in reasoning if t),
        provider=provider if isinstance(provider, str) else None,
        model=model_id if isinstance(model_id, str) else None,
        created=to_time(raw.get("createdAt")))


def _one_answer_per_question(raw: list[Any]) -> list[Any]:
    """Cherry keeps several answers to one question (asked of several models at once);
    the history here is one line, and a provider such as Anthropic refuses two answers in
    a row. The answer Cherry uses as context (``useful``, else ``foldSelected``) is kept,
    else the last; the caller counts the others."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for msg in raw:
        if isinstance(msg, dict) and msg.get("role") == "assistant" \
                and isinstance(msg.get("askId"), str):
            groups.setdefault(msg["askId"], []).append(msg)
    dropped: set[int] = set()
    for answers in groups.values():
        if len(answers) > 1:
            keep = next((a for a in answers if a.get("useful") is True), None) \
                or next((a for a in answers if a.get("foldSelected") is True), None) \
                or answers[-1]
            dropped.update(id(a) for a in answers if a is not keep)
    return [msg for msg in raw if id(msg) not in dropped]


def _markers_between(messages: list[CherryMessage]) -> list[CherryMessage]:
    """Markers only where they cut something: none first, never two in a row."""
    out: list[CherryMessage] = []
    for m in messages:
        if m.role != CONTEXT or (out and out[-1].role != CONTEXT):
            out.append(m)
    return out


def _topics(assistants: dict[str, Any], indexed: Any) -> list[CherryTopic]:
    meta = _topic_meta(assistants)
    rows, blocks = _topic_rows(indexed)
    topics: list[CherryTopic] = []
    seen: set[str] = set()
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("id"), str) or row["id"] in seen:
            continue
        seen.add(row["id"])
        raw_messages = row.get("messages")
        raw = raw_messages if isinstance(raw_messages, list) else []
        kept = _one_answer_per_question(raw)
        parsed = [_message(r, blocks) for r in kept]
        messages = _markers_between([m for m in parsed if m and (
            m.content or m.reasoning or m.role == CONTEXT)])
        if not messages:
            continue
        name, prompt = meta.get(row["id"], ("", ""))
        topics.append(CherryTopic(id=row["id"], title=name, system_prompt=prompt,
                                  messages=messages, other_answers=len(raw) - len(kept)))
    return topics
