"""``@`` in a chat message: ``@path`` attaches a file, ``@provider/model`` asks a model.

Files: find the mentions, quote a path for one, complete a path (and a model ref).

A mention is ``@`` at the start of a word (the text's start or after whitespace), then a
path: ``@notes.txt``, ``@~/logs/app.log``, ``@/etc/hosts``, or quoted when it holds a
space or a quote: ``@"my file.txt"`` (or ``@'...'``). ``@`` inside a word (``bob@host``)
is no mention.

What a mention names is decided by :func:`file_paths`: an existing file; not a model
(``@provider/model``: :func:`model_mentions`); a word such as ``@alice`` that does not
look like a path is left as text. The message keeps the user's text as typed; the model
mentions are taken out only of what is sent (:func:`without_model_mentions`).

Pure logic: reads folders, no Textual or Rich.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from .text import inert_line

_MENTION = re.compile(r"""(?<!\S)@(?:"([^"\n]+)"|'([^'\n]+)'|([^\s"']\S*))""")
# the mention the cursor is in, typed so far: an open quote, or a word
_PARTIAL = re.compile(r"""(?<!\S)@(?:(["'])([^"'\n]*)|([^\s"']*))$""")
_TRAILING = ".,;:!?)"  # "see @notes.txt, then": the comma is the sentence's


@dataclass(frozen=True)
class Mention:
    start: int  # where the ``@`` is
    end: int  # just after the mention
    value: str  # the path, unquoted
    quoted: bool = False


def find(text: str) -> list[Mention]:
    """Every mention of ``text``, in order."""
    out = []
    for m in _MENTION.finditer(text):
        quoted = m.group(3) is None
        out.append(Mention(m.start(), m.end(), m.group(1) or m.group(2) or m.group(3) or "",
                           quoted))
    return out


def quote(path: str) -> str:
    """``path`` as a mention: ``@path``, quoted when it holds a space or a quote."""
    if path and not any(c.isspace() or c in "\"'" for c in path):
        return "@" + path
    return f"@'{path}'" if '"' in path else f'@"{path}"'


def looks_like_path(value: str) -> bool:
    return "/" in value or "." in value or value.startswith("~")


def _exists(value: str) -> bool:
    return os.path.lexists(os.path.expanduser(value))


def file_paths(text: str, model_refs: Collection[str] = (),
               provider_ids: Collection[str] = ()) -> list[str]:
    """The paths of the files ``text`` mentions, each once, in order (not checked: a
    missing one is the caller's to report, as :func:`~.attachments.load` does).

    Not a file: a configured model ref; ``@provider/...`` of a configured provider that
    names nothing on disk (a model mention); a word that does not look like a path
    (no ``/``, no ``.``, no leading ``~``) and names nothing on disk. A sentence's
    punctuation after a mention (``@notes.txt,``) is left out when the path without it
    exists. A quoted mention is always a path.
    """
    out: list[str] = []
    seen: set[str] = set()
    for m in find(text):
        value = m.value
        if not m.quoted:
            if value in model_refs:
                continue
            if not _exists(value):
                trimmed = value.rstrip(_TRAILING)
                if trimmed and trimmed != value and _exists(trimmed):
                    value = trimmed
                elif value.partition("/")[0] in provider_ids or not looks_like_path(value):
                    continue
        key = os.path.abspath(os.path.expanduser(value))
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


# ---------------------------------------------------------------------------- models
MAX_MODELS = 4  # answers at once: more would not fit side by side in a terminal


def _models(text: str, refs: Collection[str]) -> list[tuple[Mention, str]]:
    """The unquoted mentions of ``text`` that name a configured model, with that model
    (a sentence's punctuation after one is not part of it)."""
    if "@" not in text:
        return []
    known = frozenset(refs)
    out = []
    for m in find(text):
        if m.quoted:
            continue
        ref = m.value if m.value in known else m.value.rstrip(_TRAILING)
        if ref in known:
            out.append((m, ref))
    return out


def model_mentions(text: str, refs: Collection[str]) -> list[str]:
    """The configured models ``text`` mentions, in the order written, each once."""
    return list(dict.fromkeys(ref for _, ref in _models(text, refs)))


def without_model_mentions(text: str, refs: Collection[str]) -> str:
    """``text`` without its model mentions (what the models are sent); a mention takes
    the space after it along, the rest of the text is left as it was."""
    found = _models(text, refs)
    if not found:
        return text
    parts, at = [], 0
    for m, ref in found:
        rest = m.value[len(ref):]  # trailing punctuation stays, with the space after it
        end = m.end + (1 if not rest and text[m.end:m.end + 1] == " " else 0)
        parts += [text[at:m.start], rest]
        at = end
    parts.append(text[at:])
    return "".join(parts).strip(" ")


# ---------------------------------------------------------------------------- completion
def complete_path(text: str) -> tuple[str, list[str]]:
    """Tab completion of a typed path: (the completed text, the names that still match).

    Completes to the longest common prefix of the matching entries; folders end in
    ``/``. ``~`` is kept as typed (``~`` alone becomes ``~/``). Hidden entries show only
    when a ``.`` is typed. Relative paths start in the current directory.
    """
    if text == "~":
        return "~/", ["~/"]
    folder, sep, stem = text.rpartition("/")
    base = Path(os.path.expanduser(folder + sep)) if sep else Path(".")
    try:
        names = sorted(e.name + ("/" if e.is_dir() else "") for e in base.iterdir()
                       if e.name.startswith(stem)
                       and (stem.startswith(".") or not e.name.startswith(".")))
    except OSError:
        return text, []
    if not names:
        return text, []
    first, last = names[0], names[-1]  # sorted: their common start is everyone's
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return folder + sep + first[:n], names


def plain(name: str) -> bool:
    """A name that holds no terminal control (escape, bidi, ...): safe to put in the
    input as it is. Another one is only ever shown through the gate."""
    return inert_line(name) == name


@dataclass(frozen=True)
class Completion:
    start: int  # where the mention being typed starts (its ``@``), in the text given
    text: str  # what replaces the text from ``start`` to the cursor
    names: list[str]  # the entries that match (several: the user picks on)
    done: bool  # one file matched: the mention is complete


def partial(before_cursor: str) -> tuple[int, str, str] | None:
    """The mention the cursor ends, as typed so far: (its start, its path, its open
    quote or ""); None when the cursor is not in a mention."""
    m = _PARTIAL.search(before_cursor)
    if m is None:
        return None
    if m.group(1):
        return m.start(), m.group(2), m.group(1)
    return m.start(), m.group(3), ""


def _common_start(names: Sequence[str]) -> str:
    first, last = min(names), max(names)  # their common start is everyone's
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def complete(before_cursor: str, model_refs: Sequence[str] = ()) -> Completion | None:
    """Complete the mention the cursor ends (see :func:`complete_path`); None when the
    cursor is not in one. ``model_refs`` (``provider/model``) complete too, before files
    of the same start. A path that needs quotes gets them: the closing quote once one
    file matched (a folder stays open, to go on typing in it). A completion that would
    put a control character into the input is not made (the names are still given)."""
    found = partial(before_cursor)
    if found is None:
        return None
    start, value, open_quote = found
    completed, names = complete_path(value)
    models = [r for r in model_refs if r.startswith(value) and plain(r)] \
        if value and not open_quote else []
    if models:  # a model mention (files of the same start are listed too)
        common = _common_start([*models, completed] if names else models)
        names = models + names
        return Completion(start, "@" + (common if len(common) > len(value) else value),
                          names, len(names) == 1)
    if not plain(completed):  # listed (made visible), never put into the input raw
        return Completion(start, before_cursor[start:], names, False)
    done = len(names) == 1 and not names[0].endswith("/")
    needs = open_quote or any(c.isspace() or c in "\"'" for c in completed)
    if needs:
        q = open_quote or ("'" if '"' in completed else '"')
        text = "@" + q + completed + (q if done else "")
    else:
        text = "@" + completed
    return Completion(start, text, names, done)


__all__ = ["MAX_MODELS", "Completion", "Mention", "complete", "complete_path", "file_paths",
           "find", "looks_like_path", "model_mentions", "partial", "plain", "quote",
           "without_model_mentions"]
