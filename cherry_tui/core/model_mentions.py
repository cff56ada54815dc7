"""Model mentions: ``@provider/model`` in a message asks that model; several, each of them.

Only a configured chat model counts as a mention (``refs``): any other ``@word`` stays
text (an e-mail address, a handle, a file to attach). The message keeps the text as the
user typed it; the mentions are taken out only of what is sent to the models.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# An @ at a word's start, up to the next space: linear, whatever the text.
_TOKEN = re.compile(r"(?<!\S)@(\S+)")
_MENTION = re.compile(r"(?<!\S)@(\S+) ?")
_TRAILING = ",.;:!?)"  # "ask @a/b, @c/d." : the punctuation is not part of the id

MAX_MODELS = 4  # answers at once: more would not fit side by side in a terminal


def _ref(token: str, refs: frozenset[str]) -> str | None:
    if token in refs:
        return token
    stripped = token.rstrip(_TRAILING)
    return stripped if stripped in refs else None


def mentioned(text: str, refs: Iterable[str]) -> list[str]:
    """The configured models ``text`` mentions, in the order written, each once."""
    known = frozenset(refs)
    out: list[str] = []
    if "@" not in text:
        return out
    for m in _TOKEN.finditer(text):
        ref = _ref(m.group(1), known)
        if ref is not None and ref not in out:
            out.append(ref)
    return out


def without_mentions(text: str, refs: Iterable[str]) -> str:
    """``text`` without its model mentions (what the models are sent); a mention takes
    the space after it along, the rest of the text is left as it was."""
    known = frozenset(refs)
    if "@" not in text:
        return text
    dropped = False

    def drop(m: re.Match[str]) -> str:
        nonlocal dropped
        token = m.group(1)
        ref = _ref(token, known)
        if ref is None:
            return m.group(0)
        dropped = True
        rest = token[len(ref):]  # trailing punctuation stays, with its space
        return rest + m.group(0)[1 + len(token):] if rest else ""

    out = _MENTION.sub(drop, text)
    return out.strip(" ") if dropped else text
