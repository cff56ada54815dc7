"""The chat log widget: a line-API ScrollView painting the entries' cached lines."""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Iterable

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from ... import collector
from .entries import AnswerEntry, Entry, UserEntry
from .markdown import BLANK, Renderer

# The fastest re-render rate of a streamed answer: every frame re-renders the open block
# and repaints the log (all of it when a new line scrolls it), so the rate is most of a
# stream's CPU; 15 a second reads as smooth text.
FRAME = 1 / 15
FLUSH_BUDGET = 0.02  # seconds of rendering a backlog per flush
BACKLOG_PAINT = 0.1  # while a backlog is rendered, repaint the screen this often
GUTTER = 2
BG_SLICE = 0.008  # seconds of background (re-)rendering per event-loop turn


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
        Binding("enter", "screen.keep", "Keep", id="chatlog.keep"),
        Binding("x", "screen.stop_selected", "Stop this", id="chatlog.stop"),
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
        self._reading = object()  # holds the collector while the log has the focus

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
        content = entry.line(local) if entry.rendered else BLANK
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

    def on_unmount(self) -> None:
        collector.release(self._reading)

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
                entry.follow_end = at_end
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
        # reading back, a key at a time: a full collection (100-160 ms with a
        # 1,000-message conversation open) would stall a page key; they wait, rarer
        collector.hold(self._reading)
        if self.selected is None:
            self.move_selection(-1)  # the last message

    def on_blur(self) -> None:
        collector.release(self._reading)
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
