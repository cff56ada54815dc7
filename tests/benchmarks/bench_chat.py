"""Chat speed: a long streamed Markdown answer, keystroke echo, a long history.

A real local server in a separate process (asyncio, stdlib only) streams an OpenAI-style
answer of N word-sized chunks (headings, paragraphs, lists, code, tables, quotes) as
fast as it can, and records when it sent the first and the last byte. The app runs
headless (``App.run_test``, 80x24: Textual composes every frame; only the terminal
write is skipped) and measures, on the same monotonic clock:

* time until the whole answer is on screen (its last line painted), after the
  server's last byte, and the server's own send time;
* CPU seconds of the app process, and CPU per chunk (2,000 vs 20,000: must not grow);
* how long a typed key takes to reach the input while the stream runs;
* the same stream through a bare Textual app with the stock ``Markdown`` widget fed by
  ``MarkdownStream`` (capped: 2,000 chunks and --stock-timeout seconds);
* opening a saved conversation of 1,000 messages: bottom on screen, everything
  rendered, paging to the top, and memory (RSS).

    .venv/bin/python tests/benchmarks/bench_chat.py            # all
    .venv/bin/python tests/benchmarks/bench_chat.py --no-stock # skip the slow stock run

Figures, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

END_MARK = "END-OF-ANSWER-4711"  # a last paragraph to look for on a real screen
WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while",
         "streaming", "render", "block", "cache", "terminal", "widget", "markdown", "answer",
         "token", "model", "latency"]


# ============================================================================ content
def markdown_answer(n_chunks: int, seed: int = 1) -> list[str]:
    """About ``n_chunks`` word-sized pieces of Markdown (the way models stream)."""
    rnd = random.Random(seed)
    pieces: list[str] = []

    def words(k: int) -> None:
        for _ in range(k):
            pieces.append(rnd.choice(WORDS) + " ")

    sec = 0
    while len(pieces) < n_chunks:
        sec += 1
        kind = sec % 5
        if kind == 1:
            pieces += ["## ", "Section ", f"{sec}\n\n"]
            words(40)
            pieces += ["**bold** ", "and ", "`code`.\n\n"]
        elif kind == 2:
            for i in range(6):
                pieces += ["- ", f"item {i}: "]
                words(8)
                pieces.append("\n")
            pieces.append("\n")
        elif kind == 3:
            pieces.append("```python\n")
            for i in range(8):
                pieces += [f"def f{i}(x):\n", "    return ", f"x * {i} ",
                           f"+ {rnd.randint(0, 99)}  # {rnd.choice(WORDS)}\n"]
            pieces.append("```\n\n")
        elif kind == 4:
            pieces += ["| name ", "| value ", "| note |\n", "|---|---:|---|\n"]
            for _ in range(5):
                pieces += [f"| {rnd.choice(WORDS)} ", f"| {rnd.randint(0, 999)} ",
                           f"| {rnd.choice(WORDS)} {rnd.choice(WORDS)} |\n"]
            pieces.append("\n")
        else:
            pieces.append("> ")
            words(60)
            pieces.append("\n\n")
    return pieces[:n_chunks]


def last_line(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1]


# ============================================================================ server
def sse_chunks(pieces: list[str]) -> list[bytes]:
    def chunk(delta: dict, finish=None, usage=None) -> bytes:
        obj = {"id": "bench", "object": "chat.completion.chunk", "created": 0, "model": "bench",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if usage is None
               else [], **({"usage": usage} if usage else {})}
        return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": p}) for p in pieces]
    out.append(chunk({}, "stop"))
    out.append(chunk({}, usage={"prompt_tokens": 12, "completion_tokens": len(pieces),
                                "total_tokens": 12 + len(pieces)}))
    out.append(b"data: [DONE]\n\n")
    return out


async def serve(port_file: str) -> None:
    """POST /v1/chat/completions with model "md-N": N chunks. GET /timing: last send."""
    cache: dict[int, list[bytes]] = {}
    timing: dict[str, float] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                _method, path, _ = lines[0].split(" ", 2)
                headers = {k.lower(): v.strip() for k, _, v in
                           (line.partition(":") for line in lines[1:] if line)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if path == "/timing":
                    data = json.dumps(timing).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                                 b"content-length: %d\r\n\r\n" % len(data) + data)
                    await writer.drain()
                    continue
                req = json.loads(body or b"{}")
                # md-N, md-N-pMS (a pause between chunks), md-N-e (ends with END_MARK)
                parts = str(req.get("model", "md-10")).split("-")
                n = int(parts[1])
                flags = parts[2:]
                pause = next((int(f[1:]) / 1000 for f in flags if f.startswith("p")), 0.0)
                key = (n, "e" in flags)
                if key not in cache:
                    pieces = markdown_answer(n)
                    if "e" in flags:
                        pieces += ["\n\n", END_MARK, "\n"]
                    cache[key] = sse_chunks(pieces)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                             b"cache-control: no-cache\r\nconnection: close\r\n\r\n")
                timing.clear()
                timing["first"] = time.monotonic()
                for data in cache[key]:
                    writer.write(data)
                    await writer.drain()
                    if pause:
                        await asyncio.sleep(pause)
                timing["last"] = time.monotonic()
                timing["chunks"] = n
                break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    Path(port_file).write_text(str(port))
    async with server:
        await server.serve_forever()


class Server:
    def __enter__(self) -> Server:
        fd, self.port_file = tempfile.mkstemp()
        os.close(fd)
        os.unlink(self.port_file)
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", self.port_file])
        deadline = time.monotonic() + 10
        while not os.path.exists(self.port_file) or not Path(self.port_file).read_text():
            if time.monotonic() > deadline:
                raise RuntimeError("bench server did not start")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{Path(self.port_file).read_text()}"
        return self

    def timing(self) -> dict:
        import httpx

        return httpx.get(self.url + "/timing").json()

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(5)
        os.unlink(self.port_file)


# ============================================================================ helpers
def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def setup_env(tmp: Path, url: str, chunk_counts: list[int]) -> Path:
    cfg = tmp / "config.toml"
    models = ", ".join(f'"md-{n}"' for n in chunk_counts)
    cfg.write_text(f'[providers.bench]\nname = "Bench"\ntype = "openai"\naddress = "{url}"\n'
                   f'key = "env:BENCH_KEY"\nmodels = [{models}]\nenabled = true\n')
    os.environ.update(CHERRY_TUI_CONFIG=str(cfg), CHERRY_TUI_DATA=str(tmp / "data"),
                      BENCH_KEY="sk-bench-0123456789",
                      PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return cfg


def visible_text(log) -> str:
    return "\n".join(log.render_line(y).text for y in range(log.scrollable_content_region.height))


def last_rendered_line(entry) -> str:
    """The last non-blank line of an answer's rendered Markdown."""
    lines = entry.body.done + entry.body.open
    return next(s.text.strip() for s in reversed(lines) if s.text.strip())


class PaintProbe:
    """Records when the compositor last painted a widget (its render_lines ran)."""

    def __init__(self, widget):
        self.last = 0.0
        original = widget.render_lines

        def render_lines(crop):
            lines = original(crop)
            self.last = time.perf_counter()
            return lines

        widget.render_lines = render_lines


async def until(condition, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"benchmark: timed out waiting for {what}")
        await asyncio.sleep(0.001)


# ============================================================================ cherry-tui run
async def run_cherry(cfg: Path, server: Server, n: int, echo: bool, pace_ms: int = 0) -> dict:
    from textual import events

    from cherry_tui.ui.app import CherryApp
    from cherry_tui.ui.screens.chat import ChatScreen
    from cherry_tui.ui.widgets.chatlog import ChatLog

    pieces = markdown_answer(n)
    app = CherryApp(cfg)
    result: dict = {"chunks": n}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await pilot.pause()
        screen: ChatScreen = app.screen
        screen.set_model(f"bench/md-{n}" + (f"-p{pace_ms}" if pace_ms else ""))
        log = screen.query_one(ChatLog)
        app.post_message(events.Paste("Write a long answer."))
        await pilot.pause()
        echoes: list[float] = []

        box = screen.chat_input
        box_paint, log_paint = PaintProbe(box), PaintProbe(log)

        async def typist() -> None:
            """Type a key every 30 ms; time until it is in the input and painted."""
            while screen.streaming is not None:
                before = len(box.text)
                t0 = time.perf_counter()
                app.post_message(events.Key("x", "x"))
                await until(lambda before=before, t0=t0: len(box.text) > before
                            and box_paint.last > t0,
                            what="key echo")
                echoes.append(time.perf_counter() - t0)
                await asyncio.sleep(0.03)

        finished = {}
        original_finish = screen._finish_answer

        def finish_answer(*a, **k):
            original_finish(*a, **k)
            finished["at"] = time.perf_counter()  # the answer is complete in the log

        screen._finish_answer = finish_answer
        cpu0, t0 = time.process_time(), time.monotonic()
        await pilot.press("enter")
        task = asyncio.create_task(typist()) if echo else None
        await until(lambda: screen.streaming is None, what="the stream to end")
        # the answer is complete in the log: wait for its last line to be painted
        result["stream_end"] = time.monotonic() - (time.perf_counter() - finished["at"])
        entry = screen.log_view.entries[-1]
        await until(lambda: not entry.dirty, what="the backlog rendered")
        final = last_rendered_line(entry)
        await until(lambda: log_paint.last > log.flushed_at and final in visible_text(log),
                    what="the last line painted")
        done, cpu = time.monotonic(), time.process_time() - cpu0
        if task:
            await task
        timing = server.timing()
        entry = screen.log_view.entries[-1]
        result.update(
            server_send=timing["last"] - timing["first"],
            first_byte_after_enter=timing["first"] - t0,
            on_screen_after_last_byte=done - timing["last"],
            stream_end_after_last_byte=result["stream_end"] - timing["last"],
            total=done - t0,
            cpu=cpu,
            flushes=log.render_count,
            lines=log._total,
            content_ok=entry.content == "".join(pieces),
            echoes=echoes,
        )
    return result


# ============================================================================ stock run
async def run_stock(server: Server, n: int, timeout: float, pace_ms: int = 0) -> dict:
    from textual.app import App, ComposeResult
    from textual.containers import VerticalScroll
    from textual.widgets import Markdown

    from cherry_tui.core.client import Client, ContentDelta
    from cherry_tui.core.config import Provider

    class Stock(App):
        def compose(self) -> ComposeResult:
            with VerticalScroll():
                yield Markdown()

    provider = Provider(id="bench", name="Bench", type="openai", address=server.url,
                        enabled=True)
    app = Stock()
    result: dict = {"chunks": n}
    async with app.run_test(size=(80, 24)) as pilot:
        md = app.query_one(Markdown)
        scroller = app.query_one(VerticalScroll)
        stream = Markdown.get_stream(md)
        client = Client()
        cpu0, t0 = time.process_time(), time.monotonic()
        timed_out = False

        async def consume() -> None:
            model = f"md-{n}" + (f"-p{pace_ms}" if pace_ms else "")
            async for event in client.stream_chat(provider, ["sk-bench"], model,
                                                  [{"role": "user", "content": "go"}]):
                if isinstance(event, ContentDelta):
                    await stream.write(event.text)
                    scroller.scroll_end(animate=False, immediate=True)

        try:
            await asyncio.wait_for(consume(), timeout)
            await asyncio.wait_for(stream.stop(), max(1.0, timeout - (time.monotonic() - t0)))
            scroller.scroll_end(animate=False, immediate=True)
            await pilot.pause()
        except TimeoutError:
            timed_out = True
        done, cpu = time.monotonic(), time.process_time() - cpu0
        await client.aclose()
        timing = server.timing()
        result.update(server_send=timing["last"] - timing["first"],
                      on_screen_after_last_byte=done - timing["last"],
                      total=done - t0, cpu=cpu, timed_out=timed_out)
    return result


# ============================================================================ history run
async def run_history(cfg: Path, n_messages: int) -> dict:
    from cherry_tui.core.history import History
    from cherry_tui.ui.app import CherryApp
    from cherry_tui.ui.widgets.chatlog import ChatLog

    db = History()
    conv = db.create(title="a long one", model="bench/md-2000")
    rows = []
    for i in range(n_messages // 2):
        rows.append(("user", f"Question {i}: " + " ".join(random.Random(i).choices(WORDS, k=12))))
        rows.append(("assistant", "".join(markdown_answer(60, seed=i))))
    t = time.perf_counter()
    with db._tx():
        parent = None  # each message follows the one before (one version per turn)
        for role, text in rows:
            parent = db.db.execute(
                "INSERT INTO messages(conversation_id, role, content, model, status, "
                "created, parent_id) VALUES (?, ?, ?, ?, 'done', ?, ?)",
                (conv.id, role, text, "bench/md-2000", time.time(), parent)).lastrowid
    write_time = time.perf_counter() - t
    db.close()
    result: dict = {"messages": len(rows), "write": write_time}
    app = CherryApp(cfg)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await pilot.pause()
        screen = app.screen
        log = screen.query_one(ChatLog)
        rss0 = rss_mb()
        probe = PaintProbe(log)
        t0 = time.perf_counter()
        screen.open_conversation(conv.id)
        t_loaded = time.perf_counter() - t0
        last = last_rendered_line(log.entries[-1])
        await until(lambda: probe.last > t0 + t_loaded and last in visible_text(log),
                    what="the bottom on screen")
        t_bottom = time.perf_counter() - t0
        await until(lambda: all(e.rendered for e in log.entries), 300, "background rendering")
        t_all = time.perf_counter() - t0
        rss1 = rss_mb()
        # page up to the top, a key press at a time (what a user does): each time until
        # the log is painted at its new place
        from textual import events

        log.focus()
        await pilot.pause()

        async def press(key: str) -> float:
            y, t = log.scroll_y, time.perf_counter()
            app.post_message(events.Key(key, None))
            await until(lambda: log.scroll_y != y and probe.last > t, what=key)
            return time.perf_counter() - t

        pages = []
        start = time.perf_counter()
        while log.scroll_y > 0:
            pages.append(await press("pageup"))
        t_top = time.perf_counter() - start
        t_end = await press("end")
        # memory held by the open conversation, measured on a second load (tracemalloc)
        import gc
        import tracemalloc

        screen.action_new_conversation()
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        screen.open_conversation(conv.id)
        await until(lambda: all(e.rendered for e in log.entries), 300, "background rendering")
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        result.update(load=t_loaded, bottom=t_bottom, all_rendered=t_all, lines=log._total,
                      held_mb=held / 2**20,
                      rss_before=rss0, rss_after=rss1, pages=pages, to_top=t_top,
                      end_jump=t_end)
    return result


# ============================================================================ main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--chunks", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--stock-chunks", type=int, default=2000)
    ap.add_argument("--stock-timeout", type=float, default=90.0)
    ap.add_argument("--no-stock", action="store_true")
    ap.add_argument("--history", type=int, default=1000, help="messages (0: skip)")
    ap.add_argument("--pace", type=int, default=2,
                    help="ms between chunks for the paced comparison (0: skip)")
    args = ap.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve))
        return

    print(f"cherry-tui chat benchmark · python {sys.version.split()[0]} · "
          f"{os.cpu_count()} CPUs · headless 80x24")
    with tempfile.TemporaryDirectory() as tmp, Server() as server:
        cfg = setup_env(Path(tmp), server.url, sorted({*args.chunks, args.stock_chunks}))
        asyncio.run(run_cherry(cfg, server, 50, echo=False))  # warm up imports, Pygments
        print("\n== streamed answer, cherry-tui chat screen ==")
        print(f"{'chunks':>7} {'chars':>8} {'server send':>12} {'on screen after last byte':>26} "
              f"{'total':>9} {'CPU':>9} {'CPU/chunk':>10} {'renders':>8}")
        per_chunk = {}
        for n in args.chunks:
            r = asyncio.run(run_cherry(cfg, server, n, echo=True))
            chars = len("".join(markdown_answer(n)))
            per_chunk[n] = r["cpu"] / n
            print(f"{n:>7,} {chars:>8,} {ms(r['server_send']):>12} "
                  f"{ms(r['on_screen_after_last_byte']):>26} {ms(r['total']):>9} "
                  f"{r['cpu']:>8.2f}s {r['cpu'] / n * 1e6:>8.0f}µs {r['flushes']:>8}"
                  + ("" if r["content_ok"] else "  CONTENT MISMATCH"))
            if os.environ.get("BENCH_DEBUG"):
                print("   stream end after last byte", ms(r["stream_end_after_last_byte"]))
            e = sorted(r["echoes"])
            if e:
                print(f"{'':>7} key echo while streaming: {len(e)} keys, median "
                      f"{ms(statistics.median(e))}, p90 {ms(e[int(len(e) * 0.9) - 1])}, "
                      f"max {ms(e[-1])}")
        if len(per_chunk) > 1:
            small, big = min(per_chunk), max(per_chunk)
            print(f"CPU per chunk, {big:,} vs {small:,} chunks: "
                  f"{per_chunk[big] / per_chunk[small]:.2f}x")

        if not args.no_stock:
            print(f"\n== same stream, bare Textual app: stock Markdown + MarkdownStream "
                  f"(cap {args.stock_timeout:g} s) ==")
            r = asyncio.run(run_stock(server, args.stock_chunks, args.stock_timeout))
            note = "  (TIMED OUT: not all on screen)" if r["timed_out"] else ""
            print(f"{r['chunks']:>7,} chunks: server send {ms(r['server_send'])}, on screen "
                  f"{ms(r['on_screen_after_last_byte'])} after the last byte, total "
                  f"{ms(r['total'])}, CPU {r['cpu']:.2f}s{note}")

        if args.pace:
            n = args.stock_chunks
            print(f"\n== paced: {n:,} chunks, one every {args.pace} ms (a fast model), "
                  f"cherry-tui vs stock Markdown ==")
            rows = [("cherry-tui", asyncio.run(run_cherry(cfg, server, n, echo=True,
                                                          pace_ms=args.pace)))]
            if not args.no_stock:
                rows.append(("stock", asyncio.run(run_stock(server, n, args.stock_timeout,
                                                            pace_ms=args.pace))))
            for name, r in rows:
                extra = ""
                if r.get("echoes"):
                    e = sorted(r["echoes"])
                    extra = (f", key echo median {ms(statistics.median(e))} max {ms(e[-1])}"
                             f" ({len(e)} keys)")
                if r.get("timed_out"):
                    extra += "  (TIMED OUT)"
                print(f"{name:>11}: server send {ms(r['server_send'])}, on screen "
                      f"{ms(r['on_screen_after_last_byte'])} after the last byte, CPU "
                      f"{r['cpu']:.2f}s ({r['cpu'] / n * 1e3:.2f} ms/chunk){extra}")

        if args.history:
            print(f"\n== opening a saved conversation of {args.history:,} messages ==")
            r = asyncio.run(run_history(cfg, args.history))
            pages = sorted(r["pages"])
            print(f"load {ms(r['load'])}, bottom on screen {ms(r['bottom'])}, all "
                  f"{r['lines']:,} lines rendered {ms(r['all_rendered'])} (in the "
                  f"background)")
            print(f"page up to the top: {len(pages)} key presses in {ms(r['to_top'])}, "
                  f"median {ms(statistics.median(pages))}, max {ms(pages[-1])}; end: "
                  f"{ms(r['end_jump'])}")
            print(f"memory: {r['held_mb']:.1f} MB held by the open conversation (tracemalloc); "
                  f"process RSS {r['rss_after']:.0f} MB")


if __name__ == "__main__":
    main()
