"""First start: what is already there to use, found without sending anything away.

* A built-in provider whose usual environment variable is set ("key found in
  $DEEPSEEK_API_KEY"). Only the variable's presence is looked at.
* Ollama and LM Studio answering on their usual ports on this machine (127.0.0.1), with
  the models they list. These are the only requests made, and only to loopback: nothing
  is sent to a remote host during discovery.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .catalog import catalog

# Local servers: provider id -> (port, path that lists models).
LOCAL_SERVERS: dict[str, tuple[int, str]] = {
    "ollama": (11434, "/api/tags"),
    "lmstudio": (1234, "/v1/models"),
}
PROBE_TIMEOUT = 0.5  # seconds: a local server answers at once, or is not there


@dataclass(frozen=True)
class Found:
    id: str  # the built-in provider's id
    name: str
    reason: str  # "key found in $VAR", "answering on 127.0.0.1:11434 (3 models)"
    address: str | None = None  # for a local server: where it answered
    models: tuple[str, ...] = ()


def from_env(env: Mapping[str, str] | None = None) -> list[Found]:
    """Built-ins whose usual variable is set (non-empty)."""
    env = os.environ if env is None else env
    return [Found(e.id, e.name, f"key found in ${e.env}") for e in catalog().values()
            if e.env and env.get(e.env, "").strip()]


def _model_ids(body: Any) -> tuple[str, ...]:
    """Model names from Ollama's ``{"models": [{"name"}]}`` or OpenAI's ``{"data": [{"id"}]}``."""
    if not isinstance(body, dict):
        return ()
    items = body.get("models") if isinstance(body.get("models"), list) else body.get("data")
    ids = []
    for item in items if isinstance(items, list) else []:
        name = item.get("name") or item.get("id") if isinstance(item, dict) else None
        if isinstance(name, str) and name.strip() and name not in ids:
            ids.append(name)
    return tuple(ids)


def probe_local(servers: Mapping[str, tuple[int, str]] | None = None,
                timeout: float = PROBE_TIMEOUT) -> list[Found]:
    """Local servers that answer on 127.0.0.1 with a model list."""
    import httpx  # here, in the discovery's thread: not on the TUI's start path

    servers = LOCAL_SERVERS if servers is None else servers
    found = []
    with httpx.Client(timeout=timeout, trust_env=False) as client:  # no proxy: loopback only
        for pid, (port, path) in servers.items():
            entry = catalog().get(pid)
            if entry is None:
                continue
            try:
                response = client.get(f"http://127.0.0.1:{port}{path}")
                body = response.json() if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                continue
            if body is None:
                continue
            models = _model_ids(body)
            count = f"{len(models)} model{'s' if len(models) != 1 else ''}"
            found.append(Found(pid, entry.name, f"answering on 127.0.0.1:{port} ({count})",
                               address=f"http://localhost:{port}", models=models))
    return found


def discover(env: Mapping[str, str] | None = None,
             servers: Mapping[str, tuple[int, str]] | None = None) -> list[Found]:
    return from_env(env) + probe_local(servers)
