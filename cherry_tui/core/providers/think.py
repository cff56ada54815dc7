"""Inline ``<think>...</think>`` reasoning at the start of an answer, split off as it streams."""

from __future__ import annotations

from .events import ContentDelta, Event, ReasoningDelta


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper start of ``tag``."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0


class ThinkSplitter:
    """Splits inline ``<think>...</think>`` at the start of an answer into reasoning.

    Tags may be split across chunks. Only a ``<think>`` that opens the answer
    (after white space) counts, so an answer that talks about the tag is left alone.
    """

    OPEN, CLOSE = "<think>", "</think>"

    def __init__(self) -> None:
        self._state = "start"  # start | think | after | content
        self._buf = ""

    def feed(self, text: str) -> list[Event]:
        out: list[Event] = []
        self._buf += text
        while self._buf:
            if self._state == "start":
                stripped = self._buf.lstrip()
                if not stripped:
                    break
                if stripped.startswith(self.OPEN):
                    self._state, self._buf = "think", stripped[len(self.OPEN):]
                    continue
                if self.OPEN.startswith(stripped):
                    break  # maybe the start of the tag: wait for more
                self._state = "content"
            elif self._state == "think":
                i = self._buf.find(self.CLOSE)
                if i >= 0:
                    if i:
                        out.append(ReasoningDelta(self._buf[:i]))
                    self._state, self._buf = "after", self._buf[i + len(self.CLOSE):]
                    continue
                keep = _partial_suffix(self._buf, self.CLOSE)
                emit = self._buf[: len(self._buf) - keep]
                if emit:
                    out.append(ReasoningDelta(emit))
                self._buf = self._buf[len(emit):]
                break
            elif self._state == "after":
                stripped = self._buf.lstrip()
                if not stripped:
                    self._buf = ""
                    break
                self._state, self._buf = "content", stripped
            else:
                out.append(ContentDelta(self._buf))
                self._buf = ""
        return out

    def flush(self) -> list[Event]:
        buf, self._buf = self._buf, ""
        if not buf:
            return []
        if self._state == "think":
            return [ReasoningDelta(buf)]
        if self._state == "after":
            return []
        return [ContentDelta(buf)]
