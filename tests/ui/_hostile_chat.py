"""Hostile text and a hostile local server for the chat-side gate tests (not a test module).

``PAYLOAD`` holds every control a terminal would act on (OSC 0 title, OSC 52 clipboard,
CSI 2J, the 8-bit C1 CSI and OSC, CR, BiDi override and isolate, a tmux passthrough DCS
and a tmux window rename) plus Rich/Textual markup that would run an action or restyle
text if it were parsed. ``tagged(tag)`` puts a
field name in front, so a test can tell which field reached the screen.

``HostileServer`` is a real OpenAI-style server on 127.0.0.1 (plain HTTP, a thread):
``/v1/models`` lists hostile ids; a chat whose last message contains ``forbidden`` gets
a 403 with a hostile JSON error body; any other chat streams hostile content and
reasoning, then an ``{"error": ...}`` event in the middle of the stream.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from cherry_tui.core.history import ERROR, History, Message

PAYLOAD = ("\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07\x1b[2J\x9b7m\x9d2;c1\x9cA\rB"
           "\u202eRTL\u202c\u2066ISO\u2069[bold red]X[/][@click=app.quit]q[/][$accent]"
           "\x1bPtmux;\x1b\x1b]2;dcs\x07\x1b\\Z\x1bkwin\x1b\\Z")
# What the gate makes of PAYLOAD (core/text.py): every control visible, markup as text.
# (A letter follows each ST, ESC backslash: in an answer, Markdown takes a backslash before
# punctuation or a line end as an escape.)
SHOWN = ("^[]0;pwned^G^[]52;c;cHduZWQ=^G^[[2J<0x9b>7m<0x9d>2;c1<0x9c>A^MB"
         "<U+202E>RTL<U+202C><U+2066>ISO<U+2069>[bold red]X[/][@click=app.quit]q[/][$accent]"
         "^[Ptmux;^[^[]2;dcs^G^[\\Z^[kwin^[\\Z")
MARKUP = ("[bold red]X[/]", "[@click=app.quit]q[/]", "[$accent]")
INERT = ("^[]0;pwned^G", "^[]52;c;cHduZWQ=^G", "^[[2J", "<0x9b>7m", "<0x9d>2;c1<0x9c>",
         "A^MB", "<U+202E>RTL", "<U+2066>ISO<U+2069>", "^[Ptmux;^[^[]2;dcs^G^[\\",
         "^[kwin^[\\")
# Never in what is sent to the terminal or shown: ESC, BEL, CR, C1, BiDi controls.
RAW = ("\x1b]", "\x1bP", "\x1bk", "\x1b\\", "\x07", "\x1b[2J", "\r", "\x9b", "\x9c", "\x9d",
       "\u202e", "\u202c", "\u2066", "\u2069")


def tagged(tag: str) -> str:
    return f"{tag}:{PAYLOAD}"


def shown(tag: str) -> str:
    return f"{tag}:{SHOWN}"


def seed_history(history: History, model_ref: str) -> int:
    """A conversation whose every field is hostile; returns its id."""
    conv = history.create(title=tagged("TITLE"), model=model_ref,
                          system_prompt=tagged("SYSTEM"))
    history.add(conv.id, Message("user", tagged("ASKED") + "\n\nsecond line"))
    history.add(conv.id, Message("assistant", tagged("SAID") + "\n", model=model_ref,
                                 reasoning=tagged("THOUGHT"), status=ERROR,
                                 error=tagged("FAILED")))
    return conv.id


def _sse(obj: dict) -> bytes:
    return f"data: {json.dumps(obj)}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    models: list[str] = []  # set per server (HostileServer makes a subclass)

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list",
                             "data": [{"id": m, "object": "model"} for m in self.models]})
        else:
            self._json(404, {"error": {"message": tagged("NOTFOUND")}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        last = body["messages"][-1]["content"]
        if "forbidden" in last:
            self._json(403, {"error": {"message": tagged("DENIED"), "type": "forbidden"}})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        delta = {"id": "x", "object": "chat.completion.chunk", "model": body["model"]}
        for part in ({"reasoning_content": tagged("STREAMTHOUGHT")},
                     {"content": tagged("STREAMED") + "\n\nend of the streamed part\n"}):
            self.wfile.write(_sse({**delta, "choices": [{"index": 0, "delta": part}]}))
            self.wfile.flush()
        self.wfile.write(_sse({"error": {"message": tagged("MIDSTREAM")}}))
        self.wfile.flush()
        self.close_connection = True


class HostileServer:
    """``with HostileServer(models) as server:`` ``server.url`` is its root address."""

    def __init__(self, models: list[str] | None = None) -> None:
        handler = type("Handler", (_Handler,), {"models": list(models or [])})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
