"""Markdown that grows at the end, rendered to Strips block by block (no Textual widget here).

Model output is text, never markup and never terminal control: it goes through
:func:`clean` (control characters made visible, e.g. ESC -> ``^[``) and Rich's
Markdown parser with raw HTML off; nothing is parsed as Rich/Textual markup.
"""

from __future__ import annotations

import time
from functools import lru_cache
from itertools import pairwise

from markdown_it import MarkdownIt
from pygments.lexer import Lexer  # type: ignore[import-untyped]
from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import CodeBlock, Heading, Markdown
from rich.syntax import Syntax, SyntaxTheme
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from ....core.text import inert


def clean(text: str) -> str:
    """Model/user text made safe to show: control characters visible, tabs expanded."""
    return inert(text).expandtabs(4)


def _parser(block_only: bool = False) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("strikethrough").enable("table")
    if block_only:
        md.core.ruler.disable(["inline", "text_join"])
    return md


_MD = _parser()
_BLOCKS = _parser(block_only=True)


class _Heading(Heading):
    LEVEL_ALIGN = {f"h{n}": "left" for n in range(1, 7)}


@lru_cache(maxsize=64)
def _lexer(name: str) -> Lexer | None:
    """Pygments' lexer for a code fence's language, found once (as Rich's Syntax would)."""
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=True, tabsize=4)
    except ClassNotFound:
        return None


@lru_cache(maxsize=8)
def _code_theme(name: str) -> SyntaxTheme:
    return Syntax.get_theme(name)


class _CodeBlock(CodeBlock):
    """Rich's code block, with the lexer and theme looked up once, not per block."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        code = str(self.text).rstrip()
        lexer = _lexer(self.lexer_name)
        yield Syntax(code, self.lexer_name if lexer is None else lexer,
                     theme=_code_theme(self.theme), word_wrap=True, padding=1)


class ChatMarkdown(Markdown):
    """Rich Markdown with a shared parser, raw HTML shown as text, no hyperlinks and
    left-aligned headings."""

    elements = {**Markdown.elements, "heading_open": _Heading, "fence": _CodeBlock,
                "code_block": _CodeBlock}

    def __init__(self, markup: str, code_theme: str = "monokai", style: str | Style = "none"):
        self.markup = markup
        self.parsed = _MD.parse(markup)
        self.code_theme = code_theme
        self.justify = None
        self.style = style
        self.hyperlinks = False
        self.inline_code_lexer = None
        self.inline_code_theme = code_theme


def block_starts(text: str) -> list[int]:
    """Line numbers where the top-level Markdown blocks of ``text`` start."""
    return [t.map[0] for t in _BLOCKS.parse(text)
            if t.level == 0 and t.map is not None and t.nesting >= 0]


class Renderer:
    """Renders text and Markdown to Strips at one width, with the log's styles."""

    def __init__(self, console: Console, width: int, code_theme: str,
                 styles: dict[str, Style]):
        self.console = console
        self.width = max(10, width)
        self.code_theme = code_theme
        self.styles = styles
        self.options: ConsoleOptions = console.options.update(
            width=self.width, min_width=self.width, max_width=self.width, height=None,
            highlight=False, markup=False)

    def lines(self, renderable) -> list[Strip]:
        lines = self.console.render_lines(renderable, self.options, pad=False)
        strips = [Strip(line) for line in lines]
        while strips and not strips[-1].text.strip():
            strips.pop()
        while strips and not strips[0].text.strip():
            strips.pop(0)
        return strips

    def markdown(self, src: str, style: str | Style = "none") -> list[Strip]:
        if not src.strip():
            return []
        return self.lines(ChatMarkdown(src, self.code_theme, style))

    def text(self, text: str | Text, style: str = "") -> list[Strip]:
        if isinstance(text, str):
            text = Text(text, style=self.styles.get(style, Style()) if style else "")
        return self.lines(text)


BLANK = Strip([])


LAZY_BLOCKS = 64  # a backlog of more finished blocks than this shows its end first
END_LINES = 80  # lines rendered at the end of such a backlog before the rest


class MarkdownBlocks:
    """Markdown that grows at the end, rendered block by block.

    Finished blocks are rendered once (``done``); the open block at the end (``tail``)
    is re-rendered by :meth:`update`. ``lines`` = done lines + open lines. When text
    arrives faster than it renders, finished blocks wait in a queue and each update
    renders them for at most ``budget`` seconds, so the UI stays responsive.

    Text that is all there at once (a saved answer opened, or any answer re-wrapped at a
    new width) is rendered from its end up: the end, on screen, shows at once and the
    blocks above it are prepended over the next updates (``behind`` of them are left;
    ``prepended``: lines the last update put above the lines shown before). A stream far
    ahead of the screen does the same when the reader follows its end (``skip_ahead``):
    the lines shown are dropped, the end is rendered, and the blocks above it come back
    bottom-up once no more wait at the end.
    """

    def __init__(self, style: str | Style = "none"):
        self.style = style
        self.sources: list[str] = []  # finished blocks, rendered
        self.done: list[Strip] = []  # their lines, blank line between blocks
        self.ready: list[str] = []  # finished blocks not rendered yet
        self.tail = ""  # the open block (and any text after the last complete line)
        self.open: list[Strip] = []
        self._pending: list[str] = []
        self._renderer: Renderer | None = None
        self._stale = False  # tail changed since it was rendered
        self.behind = 0  # the first ``behind`` sources are not rendered yet (done is the rest)
        self.prepended = 0
        self.skip_ahead = False  # the reader follows the end: a long backlog shows its end first

    def append(self, text: str) -> None:
        self._pending.append(text)

    @property
    def dirty(self) -> bool:
        return bool(self._pending or self.ready or self._stale or self.behind)

    @property
    def height(self) -> int:
        sep = 1 if self.done and self.open else 0
        return len(self.done) + sep + len(self.open)

    def line(self, i: int) -> Strip:
        n = len(self.done)
        if i < n:
            return self.done[i]
        if self.done and self.open:
            if i == n:
                return BLANK
            i -= 1
        return self.open[i - n]

    def _add_done(self, r: Renderer, src: str) -> None:
        lines = r.markdown(src, self.style)
        if not lines:
            return
        if self.done:
            self.done.append(BLANK)
        self.done.extend(lines)

    def _split(self) -> None:
        """Move the blocks of the tail that are finished to the ready queue."""
        cut = self.tail.rfind("\n") + 1
        if not cut:
            return
        starts = block_starts(self.tail[:cut])
        if len(starts) < 2:
            return
        offsets = [0]
        find = self.tail.find
        pos = 0
        for _ in range(starts[-1]):
            pos = find("\n", pos) + 1
            offsets.append(pos)
        for a, b in pairwise(starts):
            self.ready.append(self.tail[offsets[a]:offsets[b]])
        self.tail = self.tail[offsets[starts[-1]]:]

    def update(self, r: Renderer, budget: float | None = None) -> None:
        """Take pending text in, render finished blocks (within ``budget`` seconds, if
        given) and, once none wait, the open block."""
        self.prepended = 0
        deadline = None if budget is None else time.perf_counter() + budget
        if r is not self._renderer:  # new width or styles: re-render what is done, end first
            self._renderer = r
            self.done = []
            self.behind = len(self.sources)
            self._stale = True
        if self._pending:
            self.tail += clean("".join(self._pending))
            self._pending.clear()
            self._split()
            self._stale = True
        at_once = not self.done and self.behind == len(self.sources)  # nothing shown yet
        far_behind = self.skip_ahead and budget is not None and len(self.ready) > LAZY_BLOCKS
        if len(self.ready) > 1 and (at_once or far_behind):
            # an answer opened, or a stream far ahead of the screen of a reader at its end:
            # the end first, the blocks above it bottom-up once no more wait at the end
            self.sources += self.ready
            self.ready = []
            self.done = []
            self.behind = len(self.sources)
            self._render_behind(r, deadline, END_LINES if far_behind else None)
        elif self.behind and (not self.ready or deadline is None):
            self._render_behind(r, deadline)
        if self.ready:
            n = 0
            for src in self.ready:
                self.sources.append(src)
                self._add_done(r, src)
                n += 1
                if deadline is not None and time.perf_counter() > deadline:
                    break
            del self.ready[:n]
            if self.ready:
                self.open = []  # shown once the queue is empty
                return
        if self._stale:
            self.open = r.markdown(self.tail, self.style)
            self._stale = False

    def _render_behind(self, r: Renderer, deadline: float | None,
                       enough: int | None = None) -> None:
        """Render the blocks above ``done``, last first, until ``deadline`` (or once
        ``enough`` lines are rendered)."""
        blocks: list[list[Strip]] = []
        n = 0
        while self.behind:
            self.behind -= 1
            lines = r.markdown(self.sources[self.behind], self.style)
            if lines:
                blocks.append(lines)
                n += len(lines) + 1
            if deadline is not None and time.perf_counter() > deadline:
                break
            if enough is not None and n >= enough:
                break
        above: list[Strip] = []
        for lines in reversed(blocks):
            if above:
                above.append(BLANK)
            above.extend(lines)
        if above and self.done:
            above.append(BLANK)
        self.prepended = len(above)
        self.done = above + self.done  # a new list: the lines shown before moved down

    def finish(self) -> None:
        """The stream ended: the tail is a finished block too (rendered by update)."""
        if self._pending:
            self.tail += clean("".join(self._pending))
            self._pending.clear()
            self._split()
        if self.tail.strip():
            self.ready.append(self.tail)
        self.tail, self.open, self._stale = "", [], False
