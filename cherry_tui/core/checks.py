"""``cherry-tui config check``: every problem in config.toml (and secrets.toml) it can see.

Pure logic: the caller passes what this module cannot know without Textual, the theme
names (shipped and the user's) and the key binding ids. Each :class:`Problem` names the
file and, where the text shows it, the line. Notes (a key this version does not use) do
not make the check fail: unknown keys are kept on purpose, but a typo should be seen.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import assistants
from .config import Config, split_model_ref
from .files import kind
from .secrets import SecretsFile

TOP_LEVEL = ("theme", "default_model", "max_answer_bytes", "providers", "keymap",
             "assistants")
PROVIDER_FIELDS = ("name", "type", "address", "enabled", "models", "key", "api_version",
                   "headers", "proxy", "model_kinds")

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)"""
                  r"""(?:\s*\.\s*(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=""")
_PART = re.compile(r""""((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+)""")


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str
    line: int | None = None
    note: bool = False  # shown, but does not fail the check
    verbatim: bool = False  # message already names the file (from secrets.SecretsFile)

    def __str__(self) -> str:
        if self.verbatim:
            return f"{'warning: ' if self.note else ''}{self.message}"
        where = f"{self.path}, line {self.line}" if self.line else f"{self.path}"
        return f"{where}: {'note: ' if self.note else ''}{self.message}"


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(a or b or c for a, b, c in _PART.findall(text))


def find_line(text: str, table: tuple[str, ...], key: str | None = None) -> int | None:
    """The line of ``[table]`` (key None) or of ``key = ...`` inside it; best effort."""
    current: tuple[str, ...] = ()
    for n, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            current = _dotted(header.group(1))
            if key is None and current == table:
                return n
            continue
        m = _KEY.match(line) if key is not None else None
        if m and current + _dotted(m.group(1)) == (*table, key):
            return n
    return None


def check_config(cfg: Config, themes: Iterable[str], binding_ids: Iterable[str]) -> list[Problem]:
    """Every problem in a config that parsed (``cfg.error`` is reported by the caller)."""
    text = cfg.raw_text
    path = cfg.path
    out: list[Problem] = []

    def add(message: str, table: tuple[str, ...] = (), key: str | None = None,
            note: bool = False) -> None:
        line = find_line(text, table, key) if (table or key) else None
        out.append(Problem(path, message, line, note))

    doc = cfg.doc
    theme_names = sorted(set(themes))
    if "theme" in doc:
        theme = cfg.get("theme")
        if not isinstance(theme, str):
            add(f'theme must be a theme name in quotes (e.g. theme = "cherry-dark"), not '
                f"{kind(theme)}", key="theme")
        elif theme not in theme_names:
            add(f"theme {theme!r} is not a known theme: use one of {', '.join(theme_names)} "
                "(cherry-tui themes lists them)", key="theme")
    if "default_model" in doc:
        ref = cfg.get("default_model")
        if not isinstance(ref, str):
            add(f"default_model must be a string PROVIDER/MODEL, not {kind(ref)}",
                key="default_model")
        else:
            try:
                pid, _model = split_model_ref(ref)
            except ValueError as exc:
                add(f"default_model: {exc}", key="default_model")
            else:
                if not cfg.has_provider(pid):
                    add(f"default_model names provider {pid!r}, which does not exist "
                        "(cherry-tui providers lists the ids)", key="default_model")

    if "max_answer_bytes" in doc:
        from .client import answer_limit

        _limit, problem = answer_limit(cfg.get("max_answer_bytes"))
        if problem:
            add(problem, key="max_answer_bytes")

    providers = cfg.get("providers")
    if "providers" in doc and not isinstance(providers, dict):
        add(f"providers must be tables ([providers.ID] sections), not {kind(providers)}",
            key="providers")
    for p in cfg.providers():
        for problem in p.problems:
            field = next((f for f in PROVIDER_FIELDS
                          if problem.startswith((f, f"unknown {f}"))), None)
            line = find_line(text, ("providers", p.id), field) if field else None
            out.append(Problem(path, f"[providers.{p.id}] {problem}",
                               line or find_line(text, ("providers", p.id))))
    if isinstance(providers, dict):
        for pid, table in providers.items():
            if not isinstance(table, dict):
                continue
            for field in table:
                if field not in PROVIDER_FIELDS:
                    close = difflib.get_close_matches(field, PROVIDER_FIELDS, 1)
                    hint = f" (did you mean {close[0]}?)" if close else ""
                    add(f"[providers.{pid}] {field} is not a provider field this version "
                        f"uses{hint}; it is kept but ignored", ("providers", pid), field,
                        note=True)

    if "keymap" in doc:
        keymap = cfg.get("keymap")
        if not isinstance(keymap, dict):
            add(f'keymap must be a table ([keymap] then "binding.id" = "key"), not '
                f"{kind(keymap)}", key="keymap")
        else:
            known = sorted(set(binding_ids))
            for bid, value in keymap.items():
                if bid not in known:
                    close = difflib.get_close_matches(bid, known, 1)
                    hint = (f"did you mean {close[0]}?" if close
                            else "press ? in the TUI for the ids")
                    add(f"[keymap] {bid!r} is not a key binding id ({hint})", ("keymap",), bid)
                if not isinstance(value, str) or not value.strip():
                    add(f'[keymap] {bid} must be keys in quotes, e.g. "ctrl+g" or "f5,ctrl+g"',
                        ("keymap",), bid)

    for name, field, message, note in assistants.problems(cfg):
        table = ("assistants", name) if name else ()
        out.append(Problem(path, message, (find_line(text, table, field) if field else None)
                           or find_line(text, table) or find_line(text, (), "assistants"),
                           note))

    for key in doc:
        if key not in TOP_LEVEL:
            close = difflib.get_close_matches(key, TOP_LEVEL, 1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            add(f"{key} is not a setting this version uses{hint}; it is kept but ignored",
                key=key, note=True)
    return sorted(out, key=lambda p: p.line or 0)


def check_secrets(config_path: Path) -> list[Problem]:
    """secrets.toml beside the config: does it load, and can others read it."""
    store = SecretsFile.beside(config_path)
    if not store.path.exists():
        return []
    out = []
    if problem := store.problem():
        out.append(Problem(store.path, problem, verbatim=True))
    if warning := store.permission_warning():  # still used: a warning, not a failure
        out.append(Problem(store.path, warning, note=True, verbatim=True))
    return out
