"""Assistants: a saved system prompt with its model and settings.

Built-ins ship in ``cherry_tui/data/assistants.toml``; the user's live in config.toml::

    [assistants.review]              # a built-in's name: overrides only what it sets
    model = "deepseek/deepseek-chat"

    [assistants.translate]
    hidden = true                    # a built-in the user does not want listed

    [assistants.sql]                 # the user's own
    prompt = "You write PostgreSQL."
    model = "openai/gpt-4o-mini"     # PROVIDER/MODEL (unset: the chat's or -m's model)
    temperature = 0.2                # 0 to 2
    top_p = 0.9                      # 0 to 1
    max_tokens = 2000                # the answer's length limit
    context = 6                      # earlier messages sent with each question; "all"

Every field is optional. A field with a bad value is a one-line problem naming the table
and the field; the assistant still loads without it (``config check`` lists them all).
Edits go through :class:`~.config.Config` (comments kept, atomic save).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from .config import Config, split_model_ref
from .files import kind

SECTION = "assistants"
FIELDS = ("prompt", "model", "temperature", "top_p", "max_tokens", "context", "hidden")
BUILTIN, YOURS, CHANGED = "built-in", "yours", "built-in, changed"
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
NAME_HELP = "letters, digits, - and _ (e.g. review-go)"


@dataclass(frozen=True)
class Assistant:
    name: str
    prompt: str = ""
    model: str | None = None  # PROVIDER/MODEL; None: the chat's (or -m's, the default) model
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    context: int | None = None  # earlier messages sent; None: all of them
    hidden: bool = False
    source: str = YOURS  # BUILTIN, YOURS or CHANGED
    problems: tuple[str, ...] = ()

    @property
    def builtin(self) -> bool:
        return self.source != YOURS

    def values(self) -> dict[str, Any]:
        """The fields as config values (None: unset; context None is "all")."""
        return {"prompt": self.prompt or None, "model": self.model,
                "temperature": self.temperature, "top_p": self.top_p,
                "max_tokens": self.max_tokens, "context": self.context,
                "hidden": self.hidden or None}


@cache
def _builtin_tables() -> dict[str, dict[str, Any]]:
    text = resources.files("cherry_tui.data").joinpath("assistants.toml").read_text("utf-8")
    tables: dict[str, dict[str, Any]] = tomllib.loads(text)[SECTION]
    return tables


def builtin_names() -> tuple[str, ...]:
    return tuple(_builtin_tables())


def _number(name: str, field: str, value: Any, low: float, high: float) -> tuple[float | None,
                                                                                  str | None]:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high:
        return float(value), None
    return None, (f"[assistants.{name}] {field} must be a number from {low:g} to {high:g}, "
                  f"not {value!r}")


def parse_fields(name: str, table: dict[str, Any], base: Assistant,
                 cfg: Config | None = None) -> Assistant:
    """``base`` with the fields of ``table`` applied; bad values become problems."""
    values: dict[str, Any] = {}
    problems = list(base.problems)
    where = f"[assistants.{name}]"
    if "prompt" in table:
        if isinstance(table["prompt"], str):
            values["prompt"] = str(table["prompt"])
        else:
            problems.append(f"{where} prompt must be text in quotes, not {kind(table['prompt'])}")
    if "model" in table:
        model = table["model"]
        try:
            if not isinstance(model, str):
                raise ValueError(f"not {kind(model)}")
            pid, _ = split_model_ref(model)
        except ValueError as exc:
            problems.append(f"{where} model must be PROVIDER/MODEL, e.g. "
                            f'"deepseek/deepseek-chat" ({exc})')
        else:
            if cfg is not None and not cfg.has_provider(pid):
                problems.append(f"{where} model names provider {pid!r}, which does not exist "
                                "(cherry-tui providers lists the ids)")
            else:
                values["model"] = str(model)
    for field, high in (("temperature", 2.0), ("top_p", 1.0)):
        if field in table:
            number, problem = _number(name, field, table[field], 0.0, high)
            if problem:
                problems.append(problem)
            else:
                values[field] = number
    if "max_tokens" in table:
        n = table["max_tokens"]
        if isinstance(n, int) and not isinstance(n, bool) and n >= 1:
            values["max_tokens"] = int(n)
        else:
            problems.append(f"{where} max_tokens must be a whole number of at least 1, "
                            f"not {n!r}")
    if "context" in table:
        c = table["context"]
        if c == "all":
            values["context"] = None
        elif isinstance(c, int) and not isinstance(c, bool) and c >= 0:
            values["context"] = int(c)
        else:
            problems.append(f'{where} context must be "all" or how many earlier messages '
                            f"to send (0 or more), not {c!r}")
    if "hidden" in table:
        if isinstance(table["hidden"], bool):
            values["hidden"] = bool(table["hidden"])
        else:
            problems.append(f"{where} hidden must be true or false")
    return replace(base, problems=tuple(problems), **values)


def _user_tables(cfg: Config) -> tuple[dict[str, Any], list[str]]:
    section = cfg.get(SECTION)
    if section is None:
        return {}, []
    if not isinstance(section, dict):
        return {}, [f"assistants must be tables ([assistants.NAME] sections), not "
                    f"{kind(section)}"]
    return section, []


def load(cfg: Config) -> list[Assistant]:
    """Every assistant, hidden ones too: built-ins (with the user's changes), then the
    user's own in file order."""
    user, _ = _user_tables(cfg)
    out = []
    for name, table in _builtin_tables().items():
        a = parse_fields(name, table, Assistant(name, source=BUILTIN))
        mine = user.get(name)
        if isinstance(mine, dict):
            a = parse_fields(name, mine, replace(a, source=CHANGED), cfg)
        elif mine is not None:
            a = replace(a, problems=(f"[assistants.{name}] must be a table",))
        out.append(a)
    for name, table in user.items():
        if name in _builtin_tables():
            continue
        if isinstance(table, dict):
            out.append(parse_fields(name, table, Assistant(name), cfg))
        else:
            out.append(Assistant(name, problems=(f"[assistants.{name}] must be a table, not "
                                                 f"{kind(table)}",)))
    return out


def problems(cfg: Config) -> list[tuple[str | None, str | None, str, bool]]:
    """(assistant name, field, message, note) for everything wrong, for ``config check``;
    a note (a field this version does not know) is kept but does not fail the check."""
    user, found = _user_tables(cfg)
    out: list[tuple[str | None, str | None, str, bool]] = [(None, None, m, False)
                                                           for m in found]
    for a in load(cfg):
        for message in a.problems:
            field = next((f for f in FIELDS if message.startswith(f"[assistants.{a.name}] {f}")),
                         None)
            out.append((a.name, field, message, False))
        table = user.get(a.name)
        for key in table if isinstance(table, dict) else ():
            if key not in FIELDS:
                out.append((a.name, key, f"[assistants.{a.name}] {key} is not an assistant "
                            f"field (use {', '.join(FIELDS)}); it is kept but ignored", True))
    return out


def find(cfg: Config, name: str) -> Assistant:
    """The assistant called ``name`` (hidden ones too); KeyError when there is none."""
    for a in load(cfg):
        if a.name == name:
            return a
    raise KeyError(name)


def name_problem(cfg: Config, name: str, *, new: bool = True) -> str | None:
    """Why ``name`` cannot name a new assistant, or None."""
    if not _NAME.match(name):
        return f"an assistant's name is {NAME_HELP}, not {name!r}"
    if new and any(a.name == name for a in load(cfg)):
        return f"an assistant called {name!r} exists already: choose another name"
    return None


def save(cfg: Config, assistant: Assistant) -> None:
    """Write ``assistant`` to ``[assistants.NAME]``. For a built-in only what differs from
    the shipped one is written (the rest follows the shipped one)."""
    values = assistant.values()
    shipped = _builtin_tables().get(assistant.name)
    if shipped is not None:
        base = parse_fields(assistant.name, shipped, Assistant(assistant.name)).values()
        wanted = values
        values = {k: (None if v == base[k] else v) for k, v in wanted.items()}
        if wanted["context"] is None and base["context"] is not None:
            values["context"] = "all"
    cfg.set_named_fields(SECTION, assistant.name, values)


def clone(cfg: Config, name: str, new_name: str) -> Assistant:
    """A copy of ``name`` as the user's own ``new_name`` (shown again when it was hidden)."""
    if problem := name_problem(cfg, new_name):
        raise ValueError(problem)
    copy = replace(find(cfg, name), name=new_name, source=YOURS, hidden=False, problems=())
    save(cfg, copy)
    return copy


def delete(cfg: Config, name: str) -> str:
    """Delete the user's own assistant; a built-in is hidden instead. Says which."""
    a = find(cfg, name)
    if a.builtin:
        cfg.set_named_fields(SECTION, name, {"hidden": True})
        return f"{name} is built in: it is hidden now (hidden = true in [assistants.{name}])"
    cfg.remove_named_table(SECTION, name)
    return f"{name} is deleted"


T = TypeVar("T")


def last_earlier(items: list[T], context: int | None) -> list[T]:
    """``items`` (the new question last) with only the last ``context`` items before the
    question; None keeps them all."""
    if context is None or not items:
        return items
    earlier = items[:-1]
    return [*earlier[max(0, len(earlier) - context):], items[-1]]


def trim_context(messages: list[dict[str, Any]], context: int | None) -> list[dict[str, Any]]:
    """``messages`` (system first, the new question last) with only the last ``context``
    earlier messages before the question; None keeps them all."""
    system = [m for m in messages if m.get("role") == "system"]
    rest = [m for m in messages if m.get("role") != "system"]
    if context is None or not rest:
        return messages
    return [*system, *last_earlier(rest, context)]
