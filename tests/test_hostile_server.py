"""A hostile local server (and a tiny SOCKS5 proxy) against the client and the CLI.

Real sockets throughout: an ``http.server`` that answers what each test scripts
(escape sequences in every field, echoed keys, huge lines, 429s), the real console
script as a subprocess (on a pty where a terminal matters), and a few dozen lines of
SOCKS5 (no auth, CONNECT) so ``ALL_PROXY=socks5://...`` is exercised for real.
"""

from __future__ import annotations

import json
import os
import pty
import select
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import free_port

from cherry_tui.core.client import (
    Client,
    ContentDelta,
    Finish,
    ProviderError,
    Waiting,
)
from cherry_tui.core.config import Config
from cherry_tui.core.secrets import mask

BIN = str(Path(sys.executable).parent / "cherry-tui")
KEY = "sk-hostile-7f3a9c2e5b8d1f4a6c0e"
BARE = KEY[len("sk-"):]  # the key as a server may echo it, without its prefix
# Every way a string can drive a terminal: OSC 0 (title), OSC 52 (clipboard), CSI
# (clear screen), the one-byte C1 CSI, CR (overwrite the line), BiDi overrides.
HOSTILE = ("\x1b]0;pwned-title\x07 \x1b]52;c;cHduZWQ=\x07 \x1b[2J \x9b31m red\rOVER "
           "\u202eevil\u202c \u2066iso\u2069")
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy",
              "https_proxy", "all_proxy", "no_proxy")


# ---------------------------------------------------------------------------- the server
class Hostile(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: Callable[[_Handler], None] = lambda h: h.send_json(404, {})
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, headers)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one response per connection; the body ends at close
    server: Hostile

    def log_message(self, *args: object) -> None:
        pass

    def _serve(self) -> None:
        n = int(self.headers.get("content-length") or 0)
        self.body = json.loads(self.rfile.read(n)) if n else None
        self.server.requests.append((self.command, self.path, dict(self.headers)))
        try:
            self.server.script(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away, as it may

    do_GET = do_POST = _serve

    def send_raw(self, status: int, ctype: str, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, obj: object, headers: dict | None = None) -> None:
        self.send_raw(status, "application/json", json.dumps(obj).encode(), headers)

    def send_sse(self, events: list[bytes], delay: float = 0.0) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for ev in events:
            self.wfile.write(ev)
            self.wfile.flush()
            if delay:
                time.sleep(delay)


def sse(obj: object) -> bytes:
    return b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n"


def delta(text: str, finish: str | None = None) -> bytes:
    return sse({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]})


def answer(*texts: str, finish: str = "stop") -> list[bytes]:
    return [*(delta(t) for t in texts), delta("", finish), sse(b"[DONE]")]


@pytest.fixture
def server(monkeypatch):
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    srv = Hostile()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


# ---------------------------------------------------------------------------- SOCKS5
class Socks5(socketserver.ThreadingTCPServer):
    """No-auth SOCKS5 with CONNECT only; records where each client asked to go."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SocksHandler)
        self.connects: list[tuple[str, int]] = []


def _exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        part = sock.recv(n - len(data))
        if not part:
            raise ConnectionError("closed")
        data += part
    return data


class _SocksHandler(socketserver.BaseRequestHandler):
    server: Socks5

    def handle(self) -> None:
        c = self.request
        _ver, nmethods = _exact(c, 2)
        _exact(c, nmethods)
        c.sendall(b"\x05\x00")  # no authentication
        _ver, _cmd, _rsv, atyp = _exact(c, 4)
        if atyp == 1:
            host = socket.inet_ntoa(_exact(c, 4))
        elif atyp == 3:
            host = _exact(c, _exact(c, 1)[0]).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, _exact(c, 16))
        port = int.from_bytes(_exact(c, 2), "big")
        self.server.connects.append((host, port))
        try:
            up = socket.create_connection((host, port), timeout=5)
        except OSError:
            c.sendall(b"\x05\x05\x00\x01" + b"\0" * 6)  # connection refused
            return
        c.sendall(b"\x05\x00\x00\x01" + b"\0" * 6)
        with up:
            socks = [c, up]
            while True:
                ready, _, _ = select.select(socks, [], [], 10)
                if not ready:
                    return
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (up if s is c else c).sendall(data)


@pytest.fixture
def socks5():
    srv = Socks5()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


# ---------------------------------------------------------------------------- helpers
def write_config(path: Path, address: str, *, key_source: str = "env:HOSTILE_KEY",
                 ptype: str = "openai", extra: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"{extra}\n[providers.evil]\nname = \"Evil\"\ntype = \"{ptype}\"\n"
        f"address = \"{address}\"\nkey = \"{key_source}\"\nmodels = [\"m\"]\nenabled = true\n")


def run(*args: str, key: str | None = KEY, env: dict | None = None, **kw):
    e = dict(os.environ)
    e.pop("HOSTILE_KEY", None)
    if key is not None:
        e["HOSTILE_KEY"] = key
    e.update(env or {})
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=e, timeout=120,
                          stdin=subprocess.DEVNULL, check=False, **kw)


def run_on_pty(*args: str, env: dict | None = None) -> tuple[int, bytes]:
    """Run with stdout and stderr on a pseudo-terminal; (status, every byte it wrote)."""
    e = {**os.environ, "HOSTILE_KEY": KEY, **(env or {})}
    master, slave = pty.openpty()
    proc = subprocess.Popen([BIN, *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                            env=e)
    os.close(slave)
    out = b""
    while True:
        try:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            part = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not part:
            break
        out += part
    os.close(master)
    return proc.wait(timeout=60), out


def assert_inert(data: bytes | str) -> None:
    """Nothing that could drive a terminal: no ESC, BEL, C1, lone CR or BiDi control."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = text.replace("\r\n", "\n")
    for ch in ("\x1b", "\x07", "\x9b", "\x9d", "\r", "\u202e", "\u202c", "\u2066", "\u2069"):
        assert ch not in text, (ch, text[-400:])


def provider(cfg_path: Path):
    return Config.load(cfg_path).provider("evil")


# ---------------------------------------------------------------------------- gate
HOSTILE_CASES = {
    "403 JSON body": lambda h: h.send_json(403, {"error": {"message": HOSTILE}}),
    "HTML 5xx page": lambda h: h.send_raw(
        502, "text/html", f"<html><title>{HOSTILE}</title><body>{HOSTILE}</body></html>".encode()),
    "mid-stream error": lambda h: h.send_sse(
        [delta("fine so far "), sse({"error": {"message": HOSTILE, "code": HOSTILE}})]),
    "answer on a tty": lambda h: h.send_sse(answer("a", HOSTILE, "z")),
}


@pytest.mark.parametrize("case", list(HOSTILE_CASES))
def test_server_text_never_drives_the_terminal(server, config_file, case):
    write_config(config_file, f"{server.url}/v1", extra='default_model = "evil/m"')
    server.script = HOSTILE_CASES[case]
    status, out = run_on_pty("ask", "hi")
    assert b"Traceback" not in out and KEY.encode() not in out
    assert_inert(out)
    assert b"pwned-title" in out  # shown, as harmless text
    assert status == (0 if case == "answer on a tty" else 1), out


def test_server_errors_on_a_piped_stderr_are_gated_too(server, config_file):
    write_config(config_file, f"{server.url}/v1", extra='default_model = "evil/m"')
    server.script = HOSTILE_CASES["403 JSON body"]
    r = run("ask", "hi")
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1
    assert_inert(r.stderr)
    assert "pwned-title" in r.stderr


def test_model_ids_are_inert_in_text_and_json(server, config_file):
    write_config(config_file, f"{server.url}/v1")
    server.script = lambda h: h.send_json(200, {"data": [{"id": f"m-{HOSTILE}"}, {"id": "ok"}]})
    status, out = run_on_pty("models", "evil")
    assert status == 0 and b"pwned-title" in out
    assert_inert(out)
    r = run("models", "evil")  # piped: ids are names, gated all the same
    assert r.returncode == 0 and r.stdout.splitlines()[-1].split() == ["ok", "chat"]
    assert_inert(r.stdout)
    r = run("models", "evil", "--json")
    assert r.returncode == 0
    assert_inert(r.stdout)
    ids = [row["id"] for row in json.loads(r.stdout)]
    assert ids == sorted([f"m-{HOSTILE}", "ok"])  # the exact ids, escaped


def test_a_provider_name_with_escapes_is_inert_in_errors(server, config_file):
    write_config(config_file, f"{server.url}/v1", extra='default_model = "evil/m"')
    text = config_file.read_text().replace('name = "Evil"', 'name = "Evil\\u001b]0;t\\u0007"')
    config_file.write_text(text)
    server.script = lambda h: h.send_json(500, {"error": "boom"})
    r = run("ask", "hi")
    assert r.returncode == 1 and "Evil^[]0;t^G" in r.stderr
    assert_inert(r.stderr)


# ---------------------------------------------------------------------------- closed stdout
def test_ask_with_stdout_closed_exits_quietly(server, config_file):
    write_config(config_file, f"{server.url}/v1", extra='default_model = "evil/m"')
    server.script = lambda h: h.send_sse(answer("hello"))
    r = subprocess.run(["sh", "-c", f'"{BIN}" ask hi >&-'], capture_output=True, text=True,
                       env={**os.environ, "HOSTILE_KEY": KEY}, timeout=60, check=False)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith("cherry-tui: stdout is closed")
    assert server.requests == []  # nothing asked that could not be shown


def test_ask_into_a_pipe_that_closes_exits_quietly(server, config_file):
    write_config(config_file, f"{server.url}/v1", extra='default_model = "evil/m"')
    server.script = lambda h: h.send_sse(answer(*[f"word{i} " for i in range(400)]), delay=0.005)
    r = subprocess.run(["bash", "-c", f'"{BIN}" ask hi | head -c 1; echo "status=${{PIPESTATUS[0]}}"'],
                       capture_output=True, text=True, env={**os.environ, "HOSTILE_KEY": KEY},
                       timeout=60, check=False)
    assert r.stdout == "wstatus=1\n", r.stdout
    assert r.stderr == ""  # no traceback, no "Exception ignored"


# ---------------------------------------------------------------------------- length limit
@pytest.mark.parametrize("ptype", ["openai", "anthropic"])
def test_ask_notes_an_answer_cut_at_the_length_limit(server, config_file, ptype):
    write_config(config_file, f"{server.url}/v1", ptype=ptype, extra='default_model = "evil/m"')
    if ptype == "openai":
        server.script = lambda h: h.send_sse(answer("The answer is", finish="length"))
    else:
        server.script = lambda h: h.send_sse([
            sse({"type": "message_start", "message": {"usage": {"input_tokens": 3}}}),
            sse({"type": "content_block_delta", "delta": {"type": "text_delta",
                                                          "text": "The answer is"}}),
            sse({"type": "message_delta", "delta": {"stop_reason": "max_tokens"}}),
            sse({"type": "message_stop"})])
    r = run("ask", "--max-tokens", "3", "hi")
    assert r.returncode == 0 and r.stdout == "The answer is\n"
    assert r.stderr.startswith("cherry-tui: note: the answer was cut at the length limit")
    assert "--max-tokens than 3" in r.stderr
    server.script = lambda h: h.send_json(200, {"choices": [{"message": {
        "content": "short"}, "finish_reason": "length"}]}) if ptype == "openai" else \
        h.send_json(200, {"content": [{"type": "text", "text": "short"}],
                          "stop_reason": "max_tokens"})
    r = run("ask", "--no-stream", "hi")
    assert r.returncode == 0 and r.stdout == "short\n" and "length limit" in r.stderr


def test_ask_gives_no_note_for_a_complete_answer(server, config_file):
    write_config(config_file, f"{server.url}/v1", extra='default_model = "evil/m"')
    server.script = lambda h: h.send_sse(answer("done"))
    r = run("ask", "hi")
    assert (r.returncode, r.stdout, r.stderr) == (0, "done\n", "")


# ---------------------------------------------------------------------------- key parts
def test_a_key_echoed_without_its_prefix_is_masked_in_errors(server, config_file):
    write_config(config_file, f"{server.url}/v1", extra='default_model = "evil/m"')
    server.script = lambda h: h.send_json(401, {"error": {"message": f"invalid key {BARE}"}})
    r = run("ask", "hi")
    assert r.returncode == 1 and BARE not in r.stderr and BARE[5:17] not in r.stderr
    assert mask(KEY) in r.stderr


async def test_key_parts_in_a_streamed_answer_are_masked_even_split_across_reads(
        server, config_file):
    write_config(config_file, f"{server.url}/v1")
    # the bare key split over two reads, then a 14-character run of it, then the key
    server.script = lambda h: h.send_sse(
        answer("echo: ", BARE[:9], BARE[9:], " and ", KEY[6:20], " and ", KEY, "."),
        delay=0.01)
    async with Client() as client:
        events = [e async for e in client.stream_chat(provider(config_file), [KEY], "m",
                                                      [{"role": "user", "content": "x"}])]
    text = "".join(e.text for e in events if isinstance(e, ContentDelta))
    assert text == f"echo: {mask(KEY)} and {mask(KEY)} and {mask(KEY)}."
    assert events[-1] == Finish("stop")


async def test_key_parts_are_masked_in_the_partial_answer_of_a_failed_stream(
        server, config_file):
    write_config(config_file, f"{server.url}/v1")
    server.script = lambda h: h.send_sse([delta("k=" + BARE[:6]), delta(BARE[6:])])
    async with Client() as client:
        got = []
        with pytest.raises(ProviderError) as info:
            async for e in client.stream_chat(provider(config_file), [KEY], "m",
                                              [{"role": "user", "content": "x"}]):
                got.append(e)
    assert info.value.kind == "stream" and info.value.partial == f"k={mask(KEY)}"
    assert "".join(e.text for e in got if isinstance(e, ContentDelta)) == f"k={mask(KEY)}"


async def test_a_key_echoed_as_a_model_id_is_masked(server, config_file):
    write_config(config_file, f"{server.url}/v1")
    server.script = lambda h: h.send_json(200, {"data": [{"id": f"model:{BARE}"}, {"id": "b"}]})
    async with Client() as client:
        ids = await client.list_models(provider(config_file), [KEY])
    assert ids == ["b", f"model:{mask(KEY)}"]


# ---------------------------------------------------------------------------- 429
async def test_rate_limit_says_it_waits_before_it_waits(server, config_file):
    write_config(config_file, f"{server.url}/v1")

    def script(h):
        if len(server.requests) == 1:
            h.send_json(429, {"error": {"message": "slow down"}}, {"Retry-After": "1"})
        else:
            h.send_sse(answer("ok"))
    server.script = script
    async with Client() as client:
        events = []
        async for e in client.stream_chat(provider(config_file), [KEY], "m",
                                          [{"role": "user", "content": "x"}]):
            if isinstance(e, Waiting):
                assert len(server.requests) == 1  # told before the pause, not after
            events.append(e)
    assert events[0] == Waiting(1.0, "Evil (evil) is rate limiting requests (HTTP 429: slow down)",
                                2)
    assert events[1:] == [ContentDelta("ok"), Finish("stop")]


@pytest.mark.parametrize("stream", [True, False])
def test_ask_prints_the_rate_limit_wait(server, config_file, stream):
    write_config(config_file, f"{server.url}/v1", extra='default_model = "evil/m"')

    def script(h):
        if len(server.requests) == 1:
            h.send_json(429, {"error": {"message": "slow \x1b]0;t\x07down"}}, {"Retry-After": "1"})
        elif stream:
            h.send_sse(answer("ok"))
        else:
            h.send_json(200, {"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]})
    server.script = script
    r = run("ask", "hi", *([] if stream else ["--no-stream"]))
    assert r.returncode == 0 and r.stdout == "ok\n"
    assert r.stderr == ("cherry-tui: Evil (evil) is rate limiting requests (HTTP 429: slow "
                        "^[]0;t^Gdown): retrying in 1 s (ctrl+c to stop)\n")


# ---------------------------------------------------------------------------- 401 hints
@pytest.mark.parametrize("source, hint", [
    ("env:HOSTILE_KEY", ("put the right one in the environment variable HOSTILE_KEY "
                         "(export HOSTILE_KEY=...)")),
    ("file", "store the right one with `cherry-tui key set evil --file`"),
    ("keyring", "store the right one with `cherry-tui key set evil`"),
])
async def test_the_401_hint_matches_the_key_source(server, config_file, source, hint):
    write_config(config_file, f"{server.url}/v1", key_source=source)
    server.script = lambda h: h.send_json(401, {"error": "bad key"})
    async with Client() as client:
        with pytest.raises(ProviderError) as info:
            await client.list_models(provider(config_file), [KEY])
    assert info.value.kind == "auth" and info.value.message.endswith(hint)


# ---------------------------------------------------------------------------- key characters
async def test_a_key_with_a_zero_width_space_is_a_clear_error(server, config_file):
    write_config(config_file, f"{server.url}/v1")
    async with Client() as client:
        with pytest.raises(ProviderError) as info:
            await client.list_models(provider(config_file), [KEY[:5] + "\u200b" + KEY[5:]])
    msg = info.value.message
    assert info.value.kind == "config" and server.requests == []
    assert "contains an invisible character (U+200B) at position 6" in msg
    assert "Evil" in msg and "HOSTILE_KEY" in msg and KEY[5:] not in msg


def test_ask_with_a_zero_width_space_in_the_key(server, config_file):
    write_config(config_file, f"{server.url}/v1", extra='default_model = "evil/m"')
    r = run("ask", "hi", key="\u200b" + KEY)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    (line,) = r.stderr.splitlines()
    assert "invisible character (U+200B) at position 1" in line


# ---------------------------------------------------------------------------- size
def test_a_huge_single_line_answer_arrives_whole(server, config_file):
    write_config(config_file, f"{server.url}/v1", extra='default_model = "evil/m"')
    big = "x" * (20 * 1024 * 1024)
    server.script = lambda h: h.send_sse([delta(big), delta("", "stop"), sse(b"[DONE]")])
    r = run("ask", "hi")
    assert r.returncode == 0 and r.stderr == ""
    assert len(r.stdout) == len(big) + 1 and r.stdout.strip("x") == "\n"


def test_an_answer_over_max_answer_bytes_is_stopped_and_kept(server, config_file):
    write_config(config_file, f"{server.url}/v1",
                 extra='default_model = "evil/m"\nmax_answer_bytes = 100000')
    server.script = lambda h: h.send_sse(
        [delta("kept part. ")] + [delta("y" * 1000) for _ in range(200)] + answer("end"))
    r = run("ask", "hi")
    assert r.returncode == 1 and r.stdout.startswith("kept part. yyy")
    (line,) = r.stderr.splitlines()
    assert "passed max_answer_bytes (100000 bytes" in line and "are kept" in line


async def test_max_answer_bytes_keeps_the_partial_text(server, config_file):
    write_config(config_file, f"{server.url}/v1")
    server.script = lambda h: h.send_sse([delta("first "), delta("z" * 5000), *answer("x")],
                                         delay=0.01)
    async with Client(max_answer_bytes=3000) as client:
        with pytest.raises(ProviderError) as info:
            async for _ in client.stream_chat(provider(config_file), [KEY], "m",
                                              [{"role": "user", "content": "x"}]):
                pass
    assert info.value.kind == "too_large" and info.value.partial == "first "
    async with Client(max_answer_bytes=3000) as client:  # a non-streamed body is bounded too
        server.script = lambda h: h.send_json(200, {"choices": [{"message": {
            "content": "w" * 5000}, "finish_reason": "stop"}]})
        with pytest.raises(ProviderError) as info:
            await client.complete(provider(config_file), [KEY], "m",
                                  [{"role": "user", "content": "x"}])
    assert info.value.kind == "too_large"


def test_a_bad_max_answer_bytes_is_named_and_the_default_used(server, config_file):
    write_config(config_file, f"{server.url}/v1",
                 extra='default_model = "evil/m"\nmax_answer_bytes = "lots"')
    server.script = lambda h: h.send_sse(answer("fine"))
    r = run("ask", "hi")
    assert r.returncode == 0 and r.stdout == "fine\n"
    assert r.stderr.startswith("cherry-tui: max_answer_bytes = 'lots' in the config file is not")


# ---------------------------------------------------------------------------- proxies
def test_requests_go_through_a_socks5_proxy(server, config_file, socks5):
    write_config(config_file, f"{server.url}/v1")
    server.script = lambda h: h.send_json(200, {"data": [{"id": "via-socks"}]})
    proxy = f"socks5://127.0.0.1:{socks5.server_address[1]}"
    r = run("models", "evil", env={"ALL_PROXY": proxy})
    assert (r.returncode, r.stdout, r.stderr) == (0, "via-socks  chat\n", "")
    assert socks5.connects == [("127.0.0.1", server.server_address[1])]


def test_a_socks5_proxy_that_cannot_reach_the_target(config_file, socks5, monkeypatch):
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    port = free_port()
    write_config(config_file, f"http://127.0.0.1:{port}/v1")
    proxy = f"socks5://127.0.0.1:{socks5.server_address[1]}"
    r = run("models", "evil", env={"ALL_PROXY": proxy})
    assert r.returncode == 1
    (line,) = r.stderr.splitlines()
    assert f"the proxy {proxy} (from ALL_PROXY) could not reach 127.0.0.1:{port}" in line


async def test_socks_without_socksio_is_one_line_naming_the_variable(
        server, config_file, monkeypatch):
    write_config(config_file, f"{server.url}/v1")
    monkeypatch.setitem(sys.modules, "socksio", None)  # as if not installed
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")
    async with Client() as client:
        with pytest.raises(ProviderError) as info:
            await client.list_models(provider(config_file), [KEY])
    assert info.value.kind == "proxy" and server.requests == []
    assert info.value.message == ("ALL_PROXY names a SOCKS proxy, but the socksio package is "
                                  "not installed: pip install 'httpx[socks]' (or unset the "
                                  "variable)")


@pytest.mark.parametrize("var, scheme, address", [
    ("HTTP_PROXY", "http", "http://127.0.0.1:{target}/v1"),
    ("HTTPS_PROXY", "http", "https://api.example.invalid/v1"),
    ("ALL_PROXY", "http", "http://127.0.0.1:{target}/v1"),
    ("ALL_PROXY", "socks5", "http://127.0.0.1:{target}/v1"),
])
def test_an_unreachable_proxy_is_named_not_the_target(server, config_file, var, scheme,
                                                      address):
    closed = free_port()
    write_config(config_file, address.format(target=server.server_address[1]),
                 extra='default_model = "evil/m"')
    server.script = lambda h: h.send_sse(answer("never"))
    r = run("ask", "hi", env={var: f"{scheme}://user:pw@127.0.0.1:{closed}"})
    assert r.returncode == 1 and server.requests == []
    (line,) = r.stderr.splitlines()
    assert f"the proxy {scheme}://127.0.0.1:{closed} (from {var}) is unreachable" in line
    assert "pw" not in line and "start the proxy, correct" in line
