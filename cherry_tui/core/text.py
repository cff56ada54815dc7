"""The one gate for outside text.

Every string that comes from outside the program (server bodies and errors, model ids,
provider and conversation names, titles, file contents) passes :func:`inert` (or
:func:`inert_line` for one-line fields) before it reaches the screen or a terminal
stream. The TUI and the CLI (stdout and stderr on a tty) both use it, so a hostile
server cannot set the window title, write the clipboard (OSC 52), move the cursor,
rewrite a line with CR or reorder text with BiDi overrides.

What it does, and why each part:

- C0 controls (ESC, BEL, BS, CR, ...) and DEL become caret notation (``^[``, ``^G``,
  ``^?``): ESC starts every CSI/OSC/DCS sequence, so with it gone the rest is plain text.
- C1 controls (U+0080-U+009F) become ``<0x9b>``: U+009B is a one-character CSI and
  U+009D a one-character OSC on terminals that honour 8-bit controls.
- BiDi embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) and the
  marks U+200E/U+200F/U+061C become ``<U+202E>``: they can make text read differently
  from what it is ("Trojan Source").
- Line and paragraph separators (U+2028/U+2029) become ``<U+2028>``: some terminals
  treat them as line breaks.
- CRLF becomes LF first, so ordinary Windows line ends do not show as ``^M``.
- :func:`inert` keeps LF and TAB (a body has lines); :func:`inert_line` also makes them
  visible, for names, ids and titles that must stay on one line.

The result is also safe as Rich/Textual *content*, not as markup: widgets that parse
markup must be given ``rich.text.Text`` (or ``markup=False``), never outside text as a
markup string. :func:`escape_markup` exists for the rare place that must build markup.
"""

from __future__ import annotations

import re

__all__ = ["count", "escape_markup", "inert", "inert_line"]

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_SEPARATORS = "\u2028\u2029"
_MULTI = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}{_SEPARATORS}]")
_SINGLE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}{_SEPARATORS}]")
_MARKUP = re.compile(r"(\\*)(\[[a-zA-Z#/@$][^[]*?])")


def _visible(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    if code <= 0x9F:
        return f"<{code:#04x}>"
    return f"<U+{code:04X}>"


def inert(text: str) -> str:
    """``text`` with every terminal control made visible; keeps LF and TAB."""
    if not isinstance(text, str):
        text = str(text)
    text = text.replace("\r\n", "\n")
    return _MULTI.sub(_visible, text)


def inert_line(text: str) -> str:
    """Like :func:`inert`, for one-line fields: LF and TAB are made visible too."""
    if not isinstance(text, str):
        text = str(text)
    return _SINGLE.sub(_visible, text)


def escape_markup(text: str) -> str:
    """Outside text made inert and safe inside a Rich markup string."""
    text = _MARKUP.sub(lambda m: f"{m.group(1)}{m.group(1)}\\{m.group(2)}", inert(text))
    return text


def count(n: int, noun: str) -> str:
    """``1 model``, ``2 models``, ``0 models``: a number with its noun in the right form."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
