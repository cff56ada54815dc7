"""Fuzzy-match highlighting for outside text (model ids, provider names, titles).

Textual's ``Matcher.highlight`` builds its result with ``Content.from_markup``: a model id
such as ``[@click=app.quit]q[/]`` would be parsed as markup, and it does not pass the
text through the gate. :func:`inert_highlight` is the same highlight over the text made
inert by :func:`cherry_tui.core.text.inert_line`, never parsed. (For fixed strings of our
own, such as palette command names, ``Matcher.highlight`` is fine.)
"""

from __future__ import annotations

from textual.content import Content
from textual.fuzzy import Matcher

from ..core.text import inert_line


def inert_highlight(matcher: Matcher, text: str) -> Content:
    """``text`` through the gate, with the letters ``matcher`` matched styled."""
    shown = inert_line(text)
    content = Content(shown)
    for offset in matcher.fuzzy_search.match(matcher.query, shown)[1]:
        if not shown[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
