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
  most 15 times a second, less when a render is slow (adaptive), so a fast server never
  makes the UI render per chunk. A re-render repaints only the lines below the first
  one that changed, and the log's virtual size grows without a layout of the screen.
* A backlog (text faster than it renders) is rendered in slices of at most
  ``FLUSH_BUDGET`` seconds, with keys handled between them, and painted a few times a
  second. Text that is all there at once (a saved answer opened, a re-wrap) is rendered
  from its end up, so a huge answer shows its end at once and never freezes the UI.
* Resizing (or a theme change) re-wraps: entries on screen are rendered at once, the
  others in time-sliced background passes from the bottom up, keeping the view steady.
  A long conversation opens the same way: the bottom is on screen at once.

Model output is text, never markup and never terminal control: it goes through
:func:`clean` (control characters made visible, e.g. ESC -> ``^[``) and Rich's
Markdown parser with raw HTML off; nothing is parsed as Rich/Textual markup.

The package: ``markdown`` renders Markdown blocks to lines (Rich only), ``entries`` is
the log's items and what they show, ``widget`` the ``ChatLog`` that paints them.
"""

from .entries import AnswerEntry, Entry, NoticeEntry, UserEntry
from .markdown import BLANK, ChatMarkdown, MarkdownBlocks, Renderer, block_starts, clean
from .widget import BACKLOG_PAINT, BG_SLICE, FLUSH_BUDGET, FRAME, GUTTER, ChatLog

__all__ = [
    "BACKLOG_PAINT", "BG_SLICE", "BLANK", "FLUSH_BUDGET", "FRAME", "GUTTER", "AnswerEntry",
    "ChatLog", "ChatMarkdown", "Entry", "MarkdownBlocks", "NoticeEntry", "Renderer",
    "UserEntry", "block_starts", "clean",
]
