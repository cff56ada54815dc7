"""Carry providers to another machine: ``export providers`` writes them as TOML with
where each key comes from (``keyring``, ``env:VAR``, ``file``) and never a key;
``import providers`` reads such a file back as :class:`provider_merge.Incoming` rows.

The file has the config file's own ``[providers.ID]`` shape, so it is read by the same
:class:`Config` code (same checks, same messages) and can be edited by hand.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import tomlkit

from .catalog import catalog
from .config import Config, Provider
from .provider_merge import Incoming

_ID = re.compile(r"[A-Za-z0-9_-]+")
HEADER = """cherry-tui providers, exported {when}. No API key is in this file: "key" says
where each provider's key comes from on the machine that wrote it. On the new machine:
  cherry-tui import providers FILE --dry-run     (then without --dry-run)
  cherry-tui key set ID                          (for key = "keyring" or "file")
and set the variables named by key = "env:VAR"."""


class TransferProblem(Exception):
    """The providers file cannot be read; the message says which and what to do."""


def export_text(cfg: Config, key_sources: dict[str, str]) -> str:
    """The user's providers (those with a table in the config) as TOML.

    ``key_sources`` gives, per provider id, where its key was found when the config does
    not say (e.g. "keyring"); only the source's name is written.
    """
    doc = tomlkit.document()
    for line in HEADER.format(when=time.strftime("%Y-%m-%d %H:%M %Z")).splitlines():
        doc.add(tomlkit.comment(line))
    table = tomlkit.table(is_super_table=True)
    for pid in cfg.section("providers"):
        provider = cfg.provider(pid)
        table[pid] = _provider_table(provider, key_sources.get(pid))
    doc["providers"] = table
    return tomlkit.dumps(doc)


def _provider_table(p: Provider, found: str | None) -> tomlkit.items.Table:
    out = tomlkit.table()
    builtin = catalog().get(p.id)
    if builtin is None:
        out["name"] = p.name
        out["type"] = p.type
    if builtin is None or p.address != builtin.address:
        out["address"] = p.address
    if builtin is None or tuple(p.models) != tuple(builtin.models):
        models = tomlkit.array()
        models.extend(p.models)
        out["models"] = models
    out["enabled"] = p.enabled
    if api_version := getattr(p, "api_version", None):  # azure-openai, where supported
        out["api_version"] = api_version
    key = p.key or found
    if key:
        out["key"] = key
    return out


def read_file(path: Path) -> list[Incoming]:
    """The providers in an exported file; a provider with a problem comes with ``error``."""
    cfg = Config.load(path)
    if cfg.error:
        raise TransferProblem(str(cfg.error))
    if cfg.raw_text == "":
        raise TransferProblem(f"{path}: no such file or it is empty; give the file written "
                              "by cherry-tui export providers")
    user = cfg.section("providers")
    if not user:
        raise TransferProblem(f"{path}: no [providers.ID] tables in it; give the file "
                              "written by cherry-tui export providers")
    items = []
    for pid in user:
        p = cfg.provider(pid)
        problems = list(p.problems)
        if not _ID.fullmatch(pid):
            problems.insert(0, f"the id {pid!r} cannot be used (a model is named ID/MODEL): "
                            "rename the table to letters, digits, '-' and '_'")
        items.append(Incoming(
            id=pid, name=p.name, type=p.type, address=p.address, models=tuple(p.models),
            enabled=p.enabled, key_source=p.key, api_version=getattr(p, "api_version", None),
            error="; ".join(problems) if problems else None))
    return items
