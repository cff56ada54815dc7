"""First-start discovery (core): keys in the usual variables, local servers that answer
on loopback, and nothing found where nothing is."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cherry_tui.core import discovery


class _Local(BaseHTTPRequestHandler):
    bodies: dict[str, object] = {}
    seen: list[str] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = self.bodies.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body or {"error": "not found"}).encode())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[tuple[int, type[_Local]]]:
    handler = type("Handler", (_Local,), {"bodies": {}, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], handler
    server.shutdown()
    server.server_close()


def test_env_keys_are_found_by_variable_only():
    found = discovery.from_env({"DEEPSEEK_API_KEY": "sk-x", "ARK_API_KEY": "  ",
                                "UNRELATED": "1"})
    assert [(f.id, f.reason) for f in found] == [("deepseek", "key found in $DEEPSEEK_API_KEY")]
    assert discovery.from_env({}) == []


def test_local_servers_answering_on_loopback_with_their_models(local_server):
    port, handler = local_server
    handler.bodies = {"/api/tags": {"models": [{"name": "llama3.2:3b"}, {"name": "qwen3:8b"}]},
                      "/v1/models": {"object": "list", "data": [{"id": "qwen2.5-7b-instruct"}]}}
    found = discovery.probe_local({"ollama": (port, "/api/tags"),
                                   "lmstudio": (port, "/v1/models")})
    assert [(f.id, f.models) for f in found] == [("ollama", ("llama3.2:3b", "qwen3:8b")),
                                                ("lmstudio", ("qwen2.5-7b-instruct",))]
    assert found[0].reason == f"answering on 127.0.0.1:{port} (2 models)"
    assert found[0].address == f"http://localhost:{port}"
    assert handler.seen == ["/api/tags", "/v1/models"]


def test_nothing_found_where_nothing_answers(local_server):
    port, _handler = local_server  # answers 404 on every path
    assert discovery.probe_local({"ollama": (port, "/api/tags")}) == []
    assert discovery.probe_local({"lmstudio": (1, "/v1/models")}) == []  # nothing listens
