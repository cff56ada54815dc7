"""The items of the chat log: a user message, an answer (streamed or saved), a notice.

Each renders to lines (``Strip``) at a width and keeps them until invalidated."""

from __future__ import annotations

import time

from rich.text import Text
from textual.strip import Strip

from ....core.attachments import human_size
from ....core.history import ERROR, INTERRUPTED, STOPPED, STREAMING, Message, StoredAttachment
from ....core.text import inert_line
from .markdown import BLANK, MarkdownBlocks, Renderer, clean


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
        self.follow_end = False  # the log shows the end: text far behind may skip ahead
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
        self.parts.append([BLANK])  # space between entries
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
        return BLANK

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


def attachment_line(a: StoredAttachment) -> str:
    """``📎 notes.txt · 2.1 KB`` (an image: ``📎 shot.png · image · 68 KB``)."""
    kind = " · image" if a.kind == "image" else ""
    return f"📎 {inert_line(a.name)}{kind} · {human_size(a.size)}"


class UserEntry(Entry):
    gutter_style = "chatlog--user-gutter"

    def __init__(self, message: Message):
        super().__init__()
        self.message = message

    def build(self, r: Renderer, budget: float | None = None) -> list[list[Strip]]:
        header = r.text("You" + self.version_mark(), "chatlog--user")
        parts = [header, r.text(clean(self.message.content) or " ")]
        if self.message.attachments:  # one line each: name and size (read at send)
            parts.append(r.text("\n".join(attachment_line(a)
                                          for a in self.message.attachments),
                                "chatlog--meta"))
        return parts

    def estimate(self, width: int) -> int:
        return _estimate_text(self.message.content, width) + 2 + len(self.message.attachments)

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
        self.kept = False  # the one kept of several answers to a question (compare)
        self._head: tuple[Renderer | None, str, list[Strip]] = (None, "", [])
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
        head = inert_line(msg.model or "assistant") + self.version_mark() + (
            "  ✓ kept" if self.kept else "")
        if self._head[0] is not r or self._head[1] != head:
            self._head = (r, head, r.text(head, "chatlog--assistant"))
        parts = [self._head[2]]
        if self._reasoning:
            parts.append(self._reasoning_lines(r, budget))
        self.body.skip_ahead = self.follow_end
        self.body.update(r, budget)
        self.inserted = (sum(len(p) for p in parts), self.body.prepended)
        parts += [self.body.done, [BLANK] if self.body.done and self.body.open else [],
                  self.body.open]
        if self.streaming and not self._content and not self._reasoning:
            parts.append(r.text("…", "chatlog--meta"))
        status = self._status_lines(r)
        if status:
            parts.append(status)
        meta = self.meta_text()
        if meta and not self.streaming:
            parts.append(r.text(meta, "chatlog--meta"))
        if self.note:  # while streaming too: a rate-limit wait counts down here
            parts.append(r.text(clean(self.note), "chatlog--meta"))
        return parts

    def _reasoning_lines(self, r: Renderer, budget: float | None) -> list[Strip]:
        words = f"{self.reasoning_words:,} word{'s' if self.reasoning_words != 1 else ''}"
        if self.show_reasoning:
            self.thinking.update(r, budget)
            head = r.text(f"▾ Reasoning · {words}  (t: hide)", "chatlog--reasoning-head")
            body = self.thinking.done + ([BLANK] if self.thinking.done and self.thinking.open
                                         else []) + self.thinking.open
            return head + body + [BLANK]
        label = f"▸ Reasoning · {words}  (tab, t: show)"
        if self.streaming and not self._content:
            last = self.reasoning.rstrip().rsplit("\n", 1)[-1].strip()
            if last:
                label += " " + last
            line = Text(clean(label), style=r.styles.get("chatlog--reasoning-head", ""),
                        no_wrap=True, overflow="ellipsis")
            return [*r.lines(line)[:1], BLANK]
        return [*r.text(label, "chatlog--reasoning-head"), BLANK]

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
            bits.append(inert_line(msg.model.split("/", 1)[-1]))
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
