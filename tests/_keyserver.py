"""A chat server that answers each API key its own way, and a small HTTP proxy (not a
test module).

``KeyServer``: OpenAI-compatible chat at ``/v1/chat/completions`` and models at
``/v1/models`` over a real socket on 127.0.0.1. ``answers`` maps a key to
``(status, extra headers, error body)``; a key not in it, or with status 200, gets the
answer ``REPLY`` (streamed when the request asks for a stream). Every request is
journaled with its path, key and all of its headers.

``Proxy``: a plain-HTTP forward proxy (absolute-URI requests, no CONNECT), as
``HTTP_PROXY`` points at: it forwards each request to its target and relays the answer,
and journals the URLs it carried.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from servers.local import LocalServer, QuietHandler

REPLY = "Paris is the capital."
MODEL = "pool-model"


@dataclass
class Seen:
    path: str
    key: str | None
    headers: dict[str, str]


@dataclass
class KeyServer:
    answers: dict[str, tuple[int, dict[str, str], object]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def keys_seen(self) -> list[str | None]:
        return [s.key for s in self.seen]

    def __enter__(self) -> KeyServer:
        self._local = LocalServer(_handler(self)).start()
        self.port = self._local.port
        return self

    def __exit__(self, *exc: object) -> None:
        self._local.stop()


def _handler(server: KeyServer) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):

        def _key(self) -> str | None:
            auth = self.headers.get("Authorization") or ""
            return auth[7:] if auth.startswith("Bearer ") else None

        def _journal(self) -> str | None:
            key = self._key()
            server.seen.append(Seen(self.path, key, dict(self.headers.items())))
            return key

        def _refused(self, key: str | None) -> bool:
            status, headers, body = server.answers.get(key or "", (200, {}, None))
            if status == 200:
                return False
            self._send(status, json.dumps(body).encode(), "application/json", headers)
            return True

        def do_GET(self) -> None:
            key = self._journal()
            if self._refused(key):
                return
            body = json.dumps({"object": "list", "data": [{"id": MODEL}]}).encode()
            self._send(200, body, "application/json")

        def do_POST(self) -> None:
            key = self._journal()
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            if self._refused(key):
                return
            if request.get("stream"):
                chunks = [{"choices": [{"index": 0, "delta": {"content": part}}]}
                          for part in (REPLY[:5], REPLY[5:])]
                chunks.append({"choices": [{"index": 0, "delta": {},
                                            "finish_reason": "stop"}]})
                body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + \
                    "data: [DONE]\n\n"
                self._send(200, body.encode(), "text/event-stream")
                return
            body = json.dumps({"choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": REPLY}}]}).encode()
            self._send(200, body, "application/json")

    return Handler


@dataclass
class Proxy:
    carried: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Proxy:
        self._local = LocalServer(_proxy_handler(self)).start()
        self.port = self._local.port
        return self

    def __exit__(self, *exc: object) -> None:
        self._local.stop()


def _proxy_handler(proxy: Proxy) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def _forward(self) -> None:
            proxy.carried.append(self.path)
            target = urlsplit(self.path)  # a forward proxy gets the absolute URL
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("proxy-connection", "connection", "host")}
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
            path = target.path + (f"?{target.query}" if target.query else "")
            conn.request(self.command, path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = _forward

    return Handler
