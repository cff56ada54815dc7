"""The chat log: a line-API widget that shows a conversation, streamed answers included.

Why not Textual's ``Markdown`` widget: it re-parses and re-lays-out the whole answer as
it grows, so its cost per chunk grows with the answer. Here:

* Every entry (a user message, an answer, a notice) renders to a list of ``Strip`` lines
  at the current width, once, and keeps them. Only lines on screen are painted
  (``ScrollView`` + ``render_line``, as Textual's ``Log`` does).
* A streamed answer is split into top-level Markdown blocks (markdown-it block parse of
  the open tail only). A block that is followed by another block on a complete line is
  finished: it is rendered once (Rich ``Markdown``) and cached. Only the open block at
  the end is re-rendered as chunks arrive.
* Chunks are coalesced: appending only marks the entry dirty; a timer re-renders at
  most ~30 times a second, less when a render is slow (adaptive), so a fast server never
  makes the UI render per chunk.
* Resizing (or a theme change) re-wraps: entries on screen are rendered at once, the
  others in time-sliced background passes from the bottom up, keeping the view steady.
  A long conversation opens the same way: the bottom is on screen at once.

Model output is text, never markup and never terminal control: it goes through
:func:`clean` (control characters made visible, e.g. ESC -> ``^[``) and Rich's
Markdown parser with raw HTML off; nothing is parsed as Rich/Textual markup.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Iterable
from itertools import pairwise

from markdown_it import MarkdownIt
from rich.console import Console, ConsoleOptions
from rich.markdown import Heading, Markdown
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from ...core.client import neutralize_controls
from ...core.history import ERROR, INTERRUPTED, STOPPED, STREAMING, Message

# The fastest re-render rate of a streamed answer: every frame re-renders the open block
# and repaints the log (all of it when a new line scrolls it), so the rate is most of a
# stream's CPU; 15 a second reads as smooth text.
FRAME = 1 / 15
FLUSH_BUDGET = 0.02  # seconds of rendering a backlog per flush
BACKLOG_PAINT = 0.1  # while a backlog is rendered, repaint the screen this often
GUTTER = 2
BG_SLICE = 0.008  # seconds of background (re-)rendering per event-loop turn


def clean(text: str) -> str:
    """Model/user text made safe to show: control characters visible, tabs expanded."""
    return neutralize_controls(text).expandtabs(4)


# ------------------------------------------------------------------------------ markdown
def _parser(block_only: bool = False) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("strikethrough").enable("table")
    if block_only:
        md.core.ruler.disable(["inline", "text_join"])
    return md


_MD = _parser()
_BLOCKS = _parser(block_only=True)


class _Heading(Heading):
    LEVEL_ALIGN = {f"h{n}": "left" for n in range(1, 7)}


class ChatMarkdown(Markdown):
    """Rich Markdown with a shared parser, raw HTML shown as text, no hyperlinks and
    left-aligned headings."""

    elements = {**Markdown.elements, "heading_open": _Heading}

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


_BLANK = Strip([])


class MarkdownBlocks:
    """Markdown that grows at the end, rendered block by block.

    Finished blocks are rendered once (``done``); the open block at the end (``tail``)
    is re-rendered by :meth:`update`. ``lines`` = done lines + open lines. When text
    arrives faster than it renders, finished blocks wait in a queue and each update
    renders them for at most ``budget`` seconds, so the UI stays responsive.

    Text that is all there at once (a saved answer opened, or any answer re-wrapped at a
    new width) is rendered from its end up: the end, on screen, shows at once and the
    blocks above it are prepended over the next updates (``behind`` of them are left;
    ``prepended``: lines the last update put above the lines shown before).
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
                return _BLANK
            i -= 1
        return self.open[i - n]

    def _add_done(self, r: Renderer, src: str) -> None:
        lines = r.markdown(src, self.style)
        if not lines:
            return
        if self.done:
            self.done.append(_BLANK)
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
        if not self.done and self.behind == len(self.sources) and len(self.ready) > 1:
            # nothing shown yet and much to show (an answer opened): from the end up
            self.sources += self.ready
            self.behind = len(self.sources)
            self.ready = []
        if self.behind:
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

    def _render_behind(self, r: Renderer, deadline: float | None) -> None:
        """Render the blocks above ``done``, last first, until ``deadline``."""
        blocks: list[list[Strip]] = []
        while self.behind:
            self.behind -= 1
            lines = r.markdown(self.sources[self.behind], self.style)
            if lines:
                blocks.append(lines)
            if deadline is not None and time.perf_counter() > deadline:
                break
        above: list[Strip] = []
        for lines in reversed(blocks):
            if above:
                above.append(_BLANK)
            above.extend(lines)
        if above and self.done:
            above.append(_BLANK)
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


# ------------------------------------------------------------------------------ entries
class Entry:
    """One item of the log. Renders to lines at a width; keeps them until invalidated."""

    gutter_style = "chatlog--gutter"

    def __init__(self) -> None:
        self.renderer: Renderer | None = None
        self.parts: list[list[Strip]] = []
        self._part_lens: list[int] = []
        self.height = 1
        self.stable = 0  # lines at the top unchanged by the last render
        self.inserted = (0, 0)  # (at line, how many): lines the last render put above others
        self.versions: tuple[int, int] | None = None  # (shown, how many) when a turn has more

    def version_mark(self) -> str:
        """``‹ 2/3 ›`` on a turn with several versions (browsed with [ and ])."""
        if self.versions is None or self.versions[1] < 2:
            return ""
        return f"  ‹ {self.versions[0]}/{self.versions[1]} ›"

    @property
    def rendered(self) -> bool:
        return self.renderer is not None

    def invalidate(self) -> None:
        self.renderer = None

    def render(self, r: Renderer, budget: float | None = None) -> None:
        """Render at ``r``'s width; ``budget`` bounds the time spent on a backlog.

        Sets ``stable``: how many lines at the top are the same as before (the log
        repaints only the lines below)."""
        old, old_lens = self.parts, self._part_lens
        same = self.renderer is r
        self.renderer = r
        self.parts = self.build(r, budget)
        self.parts.append([_BLANK])  # space between entries
        self._part_lens = [len(p) for p in self.parts]
        self.height = sum(self._part_lens)
        self.stable = _stable_lines(old, old_lens, self.parts) if same else 0

    @property
    def dirty(self) -> bool:
        """Text arrived (or waits) that is not rendered yet."""
        return False

    def build(self, r: Renderer, budget: float | None = None) -> list[list[Strip]]:
        raise NotImplementedError

    def estimate(self, width: int) -> int:
        return 2

    def line(self, i: int) -> Strip:
        for part in self.parts:
            n = len(part)
            if i < n:
                return part[i]
            i -= n
        return _BLANK

    def copy_text(self) -> str:
        return ""


def _stable_lines(old: list[list[Strip]], old_lens: list[int], new: list[list[Strip]]) -> int:
    """How many leading lines ``new`` shares with ``old``. Strips are immutable, so a
    line is unchanged when it is the same object; a part that is the same list as before
    only grew at its end (finished Markdown blocks are appended, never changed)."""
    stable = 0
    for before, n, after in zip(old, old_lens, new, strict=False):
        if before is after:
            stable += min(n, len(after))
            if n != len(after):
                return stable
            continue
        for a, b in zip(before, after, strict=False):
            if a is not b:
                return stable
            stable += 1
        if len(before) != len(after):
            return stable
    return stable


def _estimate_text(text: str, width: int) -> int:
    width = max(10, width)
    return sum(len(line) // width + 1 for line in text.split("\n"))


class NoticeEntry(Entry):
    def __init__(self, text: str, style: str = "chatlog--meta"):
        super().__init__()
        self.text, self.style = text, style

    def build(self, r: Renderer, budget: float | None = None) -> list[list[Strip]]:
        return [r.text(clean(self.text), self.style)]

    def estimate(self, width: int) -> int:
        return _estimate_text(self.text, width) + 1

    def copy_text(self) -> str:
        return self.text


class UserEntry(Entry):
    gutter_style = "chatlog--user-gutter"

    def __init__(self, message: Message):
        super().__init__()
        self.message = message

    def build(self, r: Renderer, budget: float | None = None) -> list[list[Strip]]:
        header = r.text("You" + self.version_mark(), "chatlog--user")
        return [header, r.text(clean(self.message.content) or " ")]

    def estimate(self, width: int) -> int:
        return _estimate_text(self.message.content, width) + 2

    def copy_text(self) -> str:
        return self.message.content


def _count(n: int | None, approx: bool) -> str:
    if n is None:
        return "?"
    return f"~{n:,}" if approx else f"{n:,}"


class AnswerEntry(Entry):
    """An assistant message: header, reasoning (collapsible), answer, status, meta line."""

    def __init__(self, message: Message, streaming: bool = False):
        super().__init__()
        self.message = message
        self.streaming = streaming
        self.show_reasoning = False
        self.body = MarkdownBlocks()
        self.thinking = MarkdownBlocks("chatlog--reasoning")
        self._content: list[str] = [message.content] if message.content else []
        self._reasoning: list[str] = [message.reasoning] if message.reasoning else []
        self.reasoning_words = len(message.reasoning.split())
        self.chunks = 0  # content/reasoning deltas seen: an estimate of tokens
        self.started = time.monotonic()
        self.first_token: float | None = None
        self.rate: float | None = None  # tokens per second while generating, if measured
        self.note: str | None = None  # a hint under the answer, e.g. how to retry
        self._head: tuple[Renderer | None, list[Strip]] = (None, [])
        if message.content:
            self.body.append(message.content)
        if message.reasoning:
            self.thinking.append(message.reasoning)

    # -- streaming
    def append(self, content: str = "", reasoning: str = "") -> None:
        if self.first_token is None:
            self.first_token = time.monotonic()
        if content:
            self._content.append(content)
            self.body.append(content)
            self.chunks += 1
        if reasoning:
            self._reasoning.append(reasoning)
            self.thinking.append(reasoning)
            self.reasoning_words += len(reasoning.split())
            self.chunks += 1

    @property
    def dirty(self) -> bool:
        return self.body.dirty or (self.show_reasoning and self.thinking.dirty)

    @property
    def content(self) -> str:
        if len(self._content) > 1:
            self._content = ["".join(self._content)]
        return self._content[0] if self._content else ""

    @property
    def reasoning(self) -> str:
        if len(self._reasoning) > 1:
            self._reasoning = ["".join(self._reasoning)]
        return self._reasoning[0] if self._reasoning else ""

    def sync_message(self) -> Message:
        """Put the text received so far into ``message``."""
        self.message.content = self.content
        self.message.reasoning = self.reasoning
        return self.message

    def finish(self, status: str, error: str | None = None) -> None:
        self.streaming = False
        self.sync_message()
        self.message.status = status
        self.message.error = error
        self.body.finish()
        self.thinking.finish()

    # -- rendering
    def build(self, r: Renderer, budget: float | None = None) -> list[list[Strip]]:
        msg = self.message
        if self._head[0] is not r:
            self._head = (r, r.text(clean(msg.model or "assistant") + self.version_mark(),
                                    "chatlog--assistant"))
        parts = [self._head[1]]
        if self._reasoning:
            parts.append(self._reasoning_lines(r, budget))
        self.body.update(r, budget)
        self.inserted = (sum(len(p) for p in parts), self.body.prepended)
        parts += [self.body.done, [_BLANK] if self.body.done and self.body.open else [],
                  self.body.open]
        if self.streaming and not self._content and not self._reasoning:
            parts.append(r.text("…", "chatlog--meta"))
        status = self._status_lines(r)
        if status:
            parts.append(status)
        meta = self.meta_text()
        if meta and not self.streaming:
            parts.append(r.text(meta, "chatlog--meta"))
        if self.note and not self.streaming:
            parts.append(r.text(clean(self.note), "chatlog--meta"))
        return parts

    def _reasoning_lines(self, r: Renderer, budget: float | None) -> list[Strip]:
        words = f"{self.reasoning_words:,} word{'s' if self.reasoning_words != 1 else ''}"
        if self.show_reasoning:
            self.thinking.update(r, budget)
            head = r.text(f"▾ Reasoning · {words}  (t: hide)", "chatlog--reasoning-head")
            body = self.thinking.done + ([_BLANK] if self.thinking.done and self.thinking.open
                                         else []) + self.thinking.open
            return head + body + [_BLANK]
        label = f"▸ Reasoning · {words}  (tab, t: show)"
        if self.streaming and not self._content:
            last = self.reasoning.rstrip().rsplit("\n", 1)[-1].strip()
            if last:
                label += " " + last
            line = Text(clean(label), style=r.styles.get("chatlog--reasoning-head", ""),
                        no_wrap=True, overflow="ellipsis")
            return [*r.lines(line)[:1], _BLANK]
        return [*r.text(label, "chatlog--reasoning-head"), _BLANK]

    def _status_lines(self, r: Renderer) -> list[Strip]:
        msg = self.message
        if msg.status == STOPPED:
            return r.text("■ stopped", "chatlog--stopped")
        if msg.status == INTERRUPTED or (msg.status == STREAMING and not self.streaming):
            return r.text("■ interrupted (the app ended while this answer was arriving)",
                          "chatlog--stopped")
        if msg.status == ERROR:
            return r.text(f"✗ {clean(msg.error or 'error')}", "chatlog--error")
        return []

    def meta_text(self) -> str:
        msg = self.message
        if msg.status == ERROR and not msg.content:
            return ""
        bits = []
        if msg.model:
            bits.append(msg.model.split("/", 1)[-1])
        approx = msg.completion_tokens is None and self.chunks > 0
        out = msg.completion_tokens if msg.completion_tokens is not None else (
            self.chunks or None)
        if msg.prompt_tokens is not None:
            bits.append(f"{msg.prompt_tokens:,} in / {_count(out, approx)} out")
        elif out:
            bits.append(f"{_count(out, approx)} out")
        if msg.elapsed is not None:
            bits.append(f"{msg.elapsed:.1f} s")
            rate = self.rate or (
                out / msg.elapsed if out and msg.elapsed > 0 else None)
            if rate:
                bits.append(f"{rate:,.0f} tok/s")
        return " · ".join(bits)

    def estimate(self, width: int) -> int:
        return _estimate_text(self.message.content, width) + 4

    def copy_text(self) -> str:
        return self.content


# ------------------------------------------------------------------------------ widget
class ChatLog(ScrollView, can_focus=True):
    """A conversation, painted line by line."""

    DEFAULT_CSS = """
    ChatLog {
        background: $surface;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        &:focus { background-tint: $foreground 3%; }
        & > .chatlog--user { color: $primary; text-style: bold; }
        & > .chatlog--user-gutter { color: $primary 60%; }
        & > .chatlog--assistant { color: $secondary; text-style: bold; }
        & > .chatlog--meta { color: $text-muted; }
        & > .chatlog--reasoning { color: $text-muted; text-style: italic; }
        & > .chatlog--reasoning-head { color: $text-muted; }
        & > .chatlog--error { color: $text-error; text-style: bold; }
        & > .chatlog--stopped { color: $text-warning; }
        & > .chatlog--gutter { color: $surface; }
        & > .chatlog--selected { color: $accent; }
    }
    """
    # With the log focused (tab): act on the selected message. The "screen." actions are
    # the chat screen's.
    BINDINGS = [
        Binding("up,k", "select(-1)", "Prev", show=False, id="chatlog.up"),
        Binding("down,j", "select(1)", "Next", show=False, id="chatlog.down"),
        Binding("c", "screen.copy", "Copy", id="chatlog.copy"),
        Binding("t", "screen.toggle_reasoning", "Reasoning", id="chatlog.reasoning"),
        Binding("e", "screen.edit_selected", "Edit", id="chatlog.edit"),
        Binding("left_square_bracket,left", "screen.version(-1)", "Older version",
                key_display="[", id="chatlog.version_prev"),
        Binding("right_square_bracket,right", "screen.version(1)", "Newer version",
                key_display="]", id="chatlog.version_next"),
        Binding("pageup", "page(-1)", show=False, id="chatlog.page_up"),
        Binding("pagedown", "page(1)", show=False, id="chatlog.page_down"),
        Binding("home", "edge(0)", show=False, id="chatlog.home"),
        Binding("end", "edge(1)", show=False, id="chatlog.end"),
    ]
    COMPONENT_CLASSES = {
        "chatlog--user", "chatlog--user-gutter", "chatlog--assistant", "chatlog--meta",
        "chatlog--reasoning", "chatlog--reasoning-head", "chatlog--error", "chatlog--stopped",
        "chatlog--gutter", "chatlog--selected",
    }

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.entries: list[Entry] = []
        self._starts: list[int] = []
        self._total = 0
        self._renderer: Renderer | None = None
        self._dirty: set[Entry] = set()
        self._flush_timer: Timer | None = None
        self._next_flush = 0.0
        self._painted_at = 0.0  # monotonic() of the last flush that repainted
        self._unpainted: tuple[int, int] | None = None  # (entry, line) rendered, not painted
        self._shift = 0  # lines rendered above the view top since the last paint
        self._bg_scheduled = False
        self.follow = True  # keep the end in view while content arrives
        self.selected: int | None = None
        self.flush_hook: Callable[[], None] | None = None  # called after each flush
        self.render_count = 0  # flushes done (for tests and benchmarks)
        self.flushed_at = 0.0  # perf_counter() of the last flush
        self._paint_key: tuple[int, Style] = (0, Style())
        # composed lines by (id of the content strip, gutter kind); the strip is kept too,
        # so an id reused by a new strip is no false hit
        self._line_cache: LRUCache[tuple[int, str], tuple[Strip, Strip]] = LRUCache(4096)
        self._marks: dict[str, Segment] = {}
        self._painted_following = True

    # ------------------------------------------------------------------ geometry
    @property
    def content_width(self) -> int:
        return max(10, self.scrollable_content_region.width - GUTTER - 1)

    def _make_renderer(self) -> Renderer:
        styles = {name: self.get_component_rich_style(name, partial=True)
                  for name in self.COMPONENT_CLASSES}
        dark = getattr(self.app, "current_theme", None)
        code_theme = "monokai" if (dark is None or dark.dark) else "friendly"
        return Renderer(self.app.console, self.content_width, code_theme, styles)

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None or self._renderer.width != self.content_width:
            self._renderer = self._make_renderer()
        return self._renderer

    def _reflow(self, start: int = 0) -> None:
        """Recompute where entries start, from entry ``start`` on."""
        starts = self._starts
        del starts[start:]
        y = starts[-1] + self.entries[start - 1].height if start else 0
        width = self._renderer.width if self._renderer else 70
        for entry in self.entries[start:]:
            if not entry.rendered:
                entry.height = entry.estimate(width)
            starts.append(y)
            y += entry.height
        self._total = y
        self._set_virtual_size()

    def _set_virtual_size(self) -> None:
        size = Size(self.scrollable_content_region.width, self._total)
        if size != self.virtual_size:
            # Not the reactive's layout refresh: the log's own size does not depend on its
            # content, so only the scrollbar and the scroll limits change (a layout of
            # the whole screen per new line was most of a stream's CPU).
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)

    def on_resize(self) -> None:
        if self.size.width == 0:
            return
        if self._painted_following:  # a resize clamps the scroll: keep following the end
            self.follow = True
        old = self._renderer
        r = self.renderer
        if r is not old:
            self._rerender_all()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted and self._renderer is not None and self.size.width:
            fresh = self._make_renderer()  # a theme change: re-render with the new colours
            if (fresh.styles != self._renderer.styles
                    or fresh.code_theme != self._renderer.code_theme):
                self._renderer = fresh
                self._rerender_all()

    def _rerender_all(self) -> None:
        self._paint_key = (0, Style())
        for entry in self.entries:
            entry.invalidate()
        self._render_view()
        self._schedule_background()

    # ------------------------------------------------------------------ painting
    def _visible_entries(self) -> range:
        if not self.entries:
            return range(0)
        top = round(self.scroll_y)
        bottom = top + self.scrollable_content_region.height
        first = max(0, bisect_right(self._starts, top) - 1)
        last = max(first, bisect_right(self._starts, bottom) - 1)
        return range(first, min(len(self.entries), last + 1))

    def _render_view(self) -> None:
        """Render the entries on screen (and the end, when following)."""
        if not self.size.width or not self.entries:
            self._reflow(0)
            return
        r = self.renderer
        changed: int | None = None
        for _ in range(4):  # estimates may be off: a few passes settle the view
            todo = [i for i in self._visible_entries() if self.entries[i].renderer is not r]
            if self.follow:
                todo += [i for i in range(len(self.entries) - 1, -1, -1)
                         if self.entries[i].renderer is not r][:4]
            if not todo:
                break
            for i in sorted(set(todo)):
                entry = self.entries[i]
                entry.render(r, FLUSH_BUDGET)
                if entry.dirty:  # a long text: its end now, the rest over the next frames
                    self.touch(entry)
            low = min(todo)
            changed = low if changed is None else min(changed, low)
            self._reflow(changed)
            if self.follow:
                self.scroll_end(animate=False, immediate=True, x_axis=False)
        if changed is not None:
            self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        if self.entries and any(self.entries[i].renderer is not self._renderer
                                for i in self._visible_entries()):
            self._render_view()
        self._painted_following = self.follow
        base = self.rich_style
        width = self.scrollable_content_region.width
        if (width, base) != self._paint_key:  # resize or new colours: compose afresh
            self._paint_key = (width, base)
            self._line_cache.clear()
            style = self.get_component_rich_style
            self._marks = {
                "sel": Segment("▌ ", style("chatlog--selected")),
                "user": Segment("▏ ", style("chatlog--user-gutter")),
                "": Segment("  "),
            }
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, base = self._paint_key
        line_no = round(self.scroll_y) + y
        if line_no >= self._total or not self.entries:
            return Strip.blank(width, base)
        index = bisect_right(self._starts, line_no) - 1
        entry = self.entries[index]
        local = line_no - self._starts[index]
        content = entry.line(local) if entry.rendered else _BLANK
        if local >= entry.height - 1:
            kind = ""
        elif self.selected == index:
            kind = "sel"
        elif isinstance(entry, UserEntry):
            kind = "user"
        else:
            kind = ""
        # Lines are composed once and reused while their content strip is the same
        # object (strips are immutable), so a repaint costs a dict lookup per line.
        key = (id(content), kind)
        cached = self._line_cache.get(key)
        if cached is not None and cached[0] is content:
            return cached[1]
        strip = Strip([self._marks[kind], *content], None)
        strip = strip.crop_extend(0, width, None).apply_style(base)
        self._line_cache.set(key, (content, strip))
        return strip

    # ------------------------------------------------------------------ background
    def _schedule_background(self) -> None:
        if not self._bg_scheduled and any(not e.rendered for e in self.entries):
            self._bg_scheduled = True
            self.set_timer(0.001, self._background)

    def _background(self) -> None:
        """Render off-screen entries bottom-up in short slices, keeping the view steady."""
        self._bg_scheduled = False
        if not self.entries or not self.size.width:
            return
        r = self.renderer
        deadline = time.perf_counter() + BG_SLICE
        top = round(self.scroll_y)
        shift = 0
        lowest: int | None = None
        for i in range(len(self.entries) - 1, -1, -1):
            entry = self.entries[i]
            if entry.renderer is r or entry in self._dirty:
                continue
            before = entry.height
            above = self._starts[i] + before <= top if i < len(self._starts) else False
            entry.render(r, BG_SLICE)
            if entry.dirty:  # a long text: the rest in flushes, which keep the view steady
                self.touch(entry)
            if above:
                shift += entry.height - before
            lowest = i
            if time.perf_counter() > deadline:
                break
        if lowest is not None:
            self._reflow(lowest)
            if self.follow:
                self.scroll_end(animate=False, immediate=True, x_axis=False)
            elif shift:
                self.scroll_to(y=self.scroll_y + shift, animate=False, immediate=True)
            self.refresh()
        self._schedule_background()

    # ------------------------------------------------------------------ content
    def clear(self) -> None:
        self.entries.clear()
        self._starts.clear()
        self._dirty.clear()
        self._unpainted = None
        self._shift = 0
        self._total = 0
        self.selected = None
        self.follow = True
        self._set_virtual_size()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def add(self, entry: Entry) -> Entry:
        """Append an entry and show it."""
        self.entries.append(entry)
        self._starts.append(self._total)
        if self.size.width:
            entry.render(self.renderer)
        else:
            entry.height = entry.estimate(70)
        self._total += entry.height
        follow = self.follow or self.is_vertical_scroll_end
        self._set_virtual_size()
        if follow:
            self.follow = True
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()
        return entry

    def load(self, entries: Iterable[Entry]) -> None:
        """Replace the content with many entries at once: the end shows at once."""
        self.clear()
        self.entries.extend(entries)
        self.follow = True
        self._reflow(0)
        self._render_view()
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self._schedule_background()
        self.refresh()

    def remove_from(self, index: int) -> None:
        """Remove entry ``index`` and all after it."""
        del self.entries[index:]
        self._dirty = {e for e in self._dirty if e in self.entries}
        if self.selected is not None and self.selected >= index:
            self.selected = None
        if self._unpainted is not None:  # rendered above, not yet laid out
            index = min(index, self._unpainted[0])
            self._unpainted = None
        self._shift = 0
        self._reflow(min(index, len(self.entries)))
        self.follow = True
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def update_entry(self, entry: Entry) -> None:
        """Re-render one entry now (status, meta or reasoning toggle changed)."""
        if entry not in self.entries:
            return
        self._dirty.add(entry)
        self.flush()

    # ------------------------------------------------------------------ streaming
    def touch(self, entry: Entry) -> None:
        """New text arrived for ``entry``: re-render it at the next frame."""
        self._dirty.add(entry)
        if self._flush_timer is None:
            delay = max(0.002, self._next_flush - time.monotonic())
            self._flush_timer = self.set_timer(delay, self.flush)

    def flush(self) -> None:
        """Re-render the entries that changed (the open block of a stream)."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        if not self._dirty:
            return
        started = time.monotonic()
        at_end = self.follow or self.is_vertical_scroll_end
        top = round(self.scroll_y)
        first = None
        changed = 0  # the first line (of the whole log) that may have changed
        for entry in list(self._dirty):
            if entry not in self.entries:
                continue
            i = self.entries.index(entry) if entry is not self.entries[-1] \
                else len(self.entries) - 1
            if self.size.width:
                entry.render(self.renderer, FLUSH_BUDGET)
            line = self._starts[i] + (entry.stable if entry.renderer is self._renderer else 0)
            at, n = entry.inserted
            if n and self._starts[i] + at <= top:  # lines put above the view top
                self._shift += n
            changed = line if first is None else min(changed, line)
            first = i if first is None else min(first, i)
        # a backlog (text came faster than it renders) is rendered over the next flushes
        self._dirty = {e for e in self._dirty if e.dirty and e in self.entries}
        if first is not None and self._unpainted is not None:
            first, changed = min(first, self._unpainted[0]), min(changed, self._unpainted[1])
        if first is not None and self._dirty and started - self._painted_at < BACKLOG_PAINT:
            # rendering a backlog: paint (layout, scroll, repaint) a few times a second,
            # not after every slice
            self._unpainted = (first, changed)
        elif first is not None:
            self._unpainted = None
            self._painted_at = started
            self._reflow(first)
            if at_end:
                self.follow = True
                self.scroll_end(animate=False, immediate=True, x_axis=False)
            elif self._shift:  # keep the lines on screen where they are
                self.scroll_to(y=self.scroll_y + self._shift, animate=False, immediate=True)
            self._shift = 0
            self._refresh_below(changed, top)
        self.render_count += 1
        self.flushed_at = time.perf_counter()
        cost = time.monotonic() - started
        if self._dirty:  # a backlog: go on soon, after input has had its turn
            self._next_flush = time.monotonic() + 0.004
            self._flush_timer = self.set_timer(0.004, self.flush)
        else:
            self._next_flush = time.monotonic() + max(FRAME, 3 * cost)
        if self.flush_hook:
            self.flush_hook()

    def _refresh_below(self, line: int, top: int) -> None:
        """Repaint from log line ``line`` down (the lines above it did not change), or
        all of it when the view scrolled since ``top``."""
        if round(self.scroll_y) != top:
            self.refresh()  # scrolled: every line on screen moved
            return
        view = self.scrollable_content_region
        y = max(0, line - top)
        if y < view.height:
            self.refresh(Region(0, y, view.width, view.height - y))

    # ------------------------------------------------------------------ scrolling / keys
    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value < old_value - 0.5:
            # up, away from the end: the user is reading back. (Content getting shorter
            # clamps the offset to the new end: still following.)
            self.follow = new_value >= self.max_scroll_y - 0.5
        elif self.is_vertical_scroll_end:
            self.follow = True

    def select(self, index: int | None) -> None:
        if index is not None:
            index = max(0, min(index, len(self.entries) - 1)) if self.entries else None
        self.selected = index
        if index is not None:
            top, height = self._starts[index], self.entries[index].height
            view = self.scrollable_content_region.height
            if top < self.scroll_y or top + height > self.scroll_y + view:
                self.follow = False
                self.scroll_to(y=max(0, min(top, top + height - view)) if height > view
                               else top - max(0, view - height) // 2,
                               animate=False, immediate=True)
        self.refresh()
        self.refresh_bindings()  # the version keys show only on a turn with versions

    def selectable(self, index: int) -> bool:
        return isinstance(self.entries[index], (UserEntry, AnswerEntry))

    def move_selection(self, step: int) -> None:
        if not self.entries:
            return
        i = self.selected
        if i is None:
            i = len(self.entries) if step < 0 else -1
        i += step
        while 0 <= i < len(self.entries) and not self.selectable(i):
            i += step
        if 0 <= i < len(self.entries):
            self.select(i)

    @property
    def selected_entry(self) -> Entry | None:
        if self.selected is None or self.selected >= len(self.entries):
            return None
        return self.entries[self.selected]

    def on_focus(self) -> None:
        if self.selected is None:
            self.move_selection(-1)  # the last message

    def on_blur(self) -> None:
        self.select(None)

    def action_select(self, step: int) -> None:
        self.move_selection(step)

    def action_page(self, step: int) -> None:
        self.follow = False
        self.scroll_to(y=self.scroll_y + step * max(1, self.scrollable_content_region.height - 1),
                       animate=False, immediate=True)

    def action_edge(self, end: int) -> None:
        if end:
            self.follow = True
            self.scroll_end(animate=False, immediate=True)
        else:
            self.follow = False
            self.scroll_home(animate=False, immediate=True)
