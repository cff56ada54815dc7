"""Server-sent events: an incremental, linear parser fed raw bytes (WHATWG rules).

Every streaming protocol (OpenAI, Anthropic, Responses, Gemini) speaks SSE; only what
the events hold differs, and that is each protocol's decoder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SSEEvent:
    data: str
    event: str | None = None


class SSEParser:
    """Incremental server-sent-events parser (WHATWG rules), fed raw bytes.

    Lines end with LF, CRLF or CR (a CR at the end of one read and the LF at the
    start of the next count once). Comment lines (``: keep-alive``) are ignored;
    ``data:`` with or without a space; several ``data`` lines join with LF.

    Linear in the stream's length: each read is scanned once for line ends, and the
    pieces of a line that spans many reads are kept in a list and joined once when
    its end arrives (one 20 MB ``data:`` line costs what its bytes cost).
    """

    _EOL = re.compile(rb"\r\n|\r|\n")

    def __init__(self) -> None:
        self._pieces: list[bytes] = []  # the current line, not yet ended
        self._skip_lf = False
        self._data: list[str] = []
        self._event: str | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        out: list[SSEEvent] = []
        if self._skip_lf and chunk:
            if chunk.startswith(b"\n"):
                chunk = chunk[1:]
            self._skip_lf = False
        start = 0
        for m in self._EOL.finditer(chunk):
            piece = chunk[start:m.start()]
            if self._pieces:
                self._pieces.append(piece)
                piece = b"".join(self._pieces)
                self._pieces = []
            self._line(piece, out)
            start = m.end()
            if m.group() == b"\r" and m.end() == len(chunk):
                self._skip_lf = True  # a CRLF may be split across reads
        if start < len(chunk):
            self._pieces.append(chunk[start:])
        return out

    def close(self) -> list[SSEEvent]:
        """End of stream: a last line without its newline still counts."""
        out: list[SSEEvent] = []
        if self._pieces:
            line, self._pieces = b"".join(self._pieces), []
            self._line(line, out)
        self._dispatch(out)
        return out

    def _line(self, raw: bytes, out: list[SSEEvent]) -> None:
        if not raw:
            self._dispatch(out)
            return
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(":"):
            return  # comment / keep-alive
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        # id, retry and unknown fields are ignored

    def _dispatch(self, out: list[SSEEvent]) -> None:
        if self._data:
            out.append(SSEEvent("\n".join(self._data), self._event))
        self._data = []
        self._event = None
