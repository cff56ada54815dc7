"""A huge answer, sent as fast as a local server can, never freezes the chat (issue 11).

The server is real (an http.server on a real socket) and streams markdown blocks without
pause until the client goes away, so the app always has a backlog to render. Nothing
here is timed: the tests check that keys are acted on while the backlog is rendered.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cherry_tui.core import history as h
from cherry_tui.core.history import History
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.chat import ChatScreen
from cherry_tui.ui.widgets.chatlog import AnswerEntry, ChatLog

from _chat_helpers import ask, log_text, open_chat, wait_answer, wait_for

BLOCKS = [
    "## Section {i}\n\n",
    "Paragraph {i} with **bold**, `code` and a [link](https://example.com/{i}).\n\n",
    "- item {i}.1\n- item {i}.2\n\n",
    "```python\ndef f_{i}(x):\n    return x * {i}\n```\n\n",
    "> a quote, number {i}\n\n",
]


class EndlessMarkdown(BaseHTTPRequestHandler):
    """/chat/completions: SSE markdown blocks until the client closes (or 200,000 blocks)."""

    sent = 0
    closed = threading.Event()

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            for i in range(200_000):
                text = BLOCKS[i % len(BLOCKS)].format(i=i)
                chunk = {"choices": [{"index": 0, "delta": {"content": text}}]}
                self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                type(self).sent = i + 1
            self.wfile.write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            type(self).closed.set()


@pytest.fixture
def endless() -> Iterator[str]:
    EndlessMarkdown.sent = 0
    EndlessMarkdown.closed = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), EndlessMarkdown)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def bulk_app(config_file, url: str, monkeypatch) -> CherryApp:
    monkeypatch.setenv("BULK_KEY", "sk-test-0123456789abcdef")
    app = CherryApp(config_file)
    pid = app.config.add_provider("Bulk", "openai", url)
    app.config.set_provider_field(pid, "key", "env:BULK_KEY")
    app.config.set_models(pid, ["huge"])
    app.config.save()
    return app


async def test_escape_stops_a_huge_stream_while_it_renders(config_file, endless, monkeypatch):
    app = bulk_app(config_file, endless, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(pilot)
        entry = await ask(pilot, "Write a lot", wait=False)
        log = screen.query_one(ChatLog)
        # far more text has arrived than is rendered yet: a backlog
        await wait_for(pilot, lambda: EndlessMarkdown.sent > 5_000 and entry.body.dirty,
                       timeout=30, what="a backlog")
        await pilot.press("escape")
        await wait_answer(pilot, timeout=10)
        assert entry.message.status == h.STOPPED
        await wait_for(pilot, EndlessMarkdown.closed.is_set, what="the server to see the close")
        assert EndlessMarkdown.sent < 200_000  # stopped, not finished
        await wait_for(pilot, lambda: not log._dirty, timeout=30, what="the backlog rendered")
        await pilot.pause()
        text = log_text(screen)
        assert "■ stopped" in text
        assert "Section 0" in text


async def test_keys_echo_while_a_huge_stream_renders(config_file, endless, monkeypatch):
    app = bulk_app(config_file, endless, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(pilot)
        entry = await ask(pilot, "Write a lot", wait=False)
        await wait_for(pilot, lambda: EndlessMarkdown.sent > 2_000 and entry.body.dirty,
                       timeout=30, what="a backlog")
        for key in "abc":
            await pilot.press(key)
            await wait_for(pilot, lambda k=key: screen.chat_input.text.endswith(k),
                           timeout=30, what=f"{key!r} in the input")
        assert screen.chat_input.text == "abc"
        assert screen.streaming is entry  # still arriving: the keys were not queued behind it
        await pilot.press("escape")
        await wait_answer(pilot, timeout=10)


def huge_answer(blocks: int) -> str:
    return "".join(BLOCKS[i % len(BLOCKS)].format(i=i) for i in range(blocks)) + "THE END\n"


async def test_reopening_a_huge_answer_shows_its_end_and_keys_echo(config_file, monkeypatch,
                                                                   tmp_path, endless):
    text = huge_answer(10_000)  # about 500 KB: far more than a screen
    db = History(tmp_path / "data" / "history.sqlite3")
    conv = db.create(model="bulk/huge")
    db.add(conv.id, h.Message("user", "Write a lot"))
    db.add(conv.id, h.Message("assistant", text, model="bulk/huge"))
    db.close()
    app = bulk_app(config_file, endless, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(ChatScreen(conv.id))
        await pilot.pause()
        screen = app.screen
        log = screen.query_one(ChatLog)
        entry = next(e for e in log.entries if isinstance(e, AnswerEntry))
        # the end is rendered first; the blocks above it are still being rendered
        await wait_for(pilot, lambda: entry.rendered, what="the end rendered")
        assert entry.dirty and entry.body.behind

        def end_on_screen() -> bool:  # as painted: not between a render and its layout
            if log._unpainted is not None:
                return False
            assert log.follow and log.is_vertical_scroll_end
            view = range(log.scrollable_content_region.height)
            return any("THE END" in log.render_line(y).text for y in view)

        await wait_for(pilot, end_on_screen, what="the end on screen")
        await pilot.press("x")  # a key is acted on while the rest renders
        await wait_for(pilot, lambda: screen.chat_input.text == "x", timeout=30, what="echo")
        await wait_for(pilot, lambda: not entry.dirty, timeout=120, what="all rendered")
        await pilot.pause()
        assert log.is_vertical_scroll_end
        full = AnswerEntry(h.Message("assistant", text, model="bulk/huge"))
        full.render(log.renderer)  # all at once, top down: the same lines
    assert [s.text for s in entry.body.done] == [s.text for s in full.body.done]


def test_a_stream_render_keeps_the_lines_above_the_open_block() -> None:
    """The log repaints only below ``stable``: the header and finished blocks stay."""
    from rich.console import Console

    from cherry_tui.ui.widgets.chatlog import Renderer

    r = Renderer(Console(width=80, force_terminal=True), 70, "monokai", {})
    entry = AnswerEntry(h.Message("assistant", model="bulk/huge"), streaming=True)
    entry.append(content="## Title\n\nFirst paragraph.\n\nSecond par")
    entry.render(r)
    shown = [entry.line(i).text for i in range(entry.height)]
    entry.append(content="agraph goes on")
    entry.render(r)
    # "First paragraph." is finished only once a block starts on a complete line after it:
    # until then it is part of the open block, re-rendered with it
    assert entry.stable == shown.index(next(s for s in shown if "First" in s))
    assert [entry.line(i).text for i in range(entry.stable)] == shown[:entry.stable]
    entry.render(r, 0.02)  # nothing new: every line stays
    assert entry.stable == entry.height


def test_a_backlog_far_ahead_shows_its_end_first_when_the_reader_follows() -> None:
    from rich.console import Console

    from cherry_tui.ui.widgets.chatlog import MarkdownBlocks, Renderer

    r = Renderer(Console(width=80, force_terminal=True), 70, "monokai", {})
    text = huge_answer(2_000)
    start, rest = text[:2_000], text[2_000:]

    def stream(skip_ahead: bool) -> MarkdownBlocks:
        b = MarkdownBlocks()
        b.skip_ahead = skip_ahead
        b.append(start)
        b.update(r)
        b.append(rest)  # far more than one update renders
        b.update(r, budget=0.001)
        return b

    reader_at_end = stream(skip_ahead=True)
    assert reader_at_end.behind and not reader_at_end.ready
    assert "THE END" in reader_at_end.open[-1].text  # the end is on screen
    assert "quote, number 1999" in "".join(s.text for s in reader_at_end.done[-3:])
    reading_back = stream(skip_ahead=False)  # the top stays as it is; the rest in order
    assert reading_back.ready and not reading_back.behind and reading_back.open == []
    for b in (reader_at_end, reading_back):
        b.finish()
        b.update(r)
        assert not b.dirty
    assert [s.text for s in reader_at_end.done] == [s.text for s in reading_back.done]
