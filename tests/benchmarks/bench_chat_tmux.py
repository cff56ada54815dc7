"""Chat speed in a real terminal: the installed cherry-tui and a stock-Markdown app in tmux.

bench_chat.py measures headless (Textual composes every frame but writes nothing). This
script checks the same figures where a person sees them: each program runs in its own
80x24 tmux pane, a local server (a separate process) streams an N-chunk Markdown answer
as fast as it can, and the pane is read with capture-pane until the answer's last
paragraph is on screen. CPU is the program's own (utime + stime from /proc).

    .venv/bin/python tests/benchmarks/bench_chat_tmux.py [--chunks 2000 20000] [--stock-chunks 2000]

Figures, not a test: nothing is asserted. Detection polls every 10 ms (capture-pane
itself costs a few ms), so times are upper bounds within about 15 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_chat import END_MARK, Server, ms

SOCKET = f"cherry-bench-{os.getpid()}"  # one private tmux server per run (see run_in_tmux)
TICK = os.sysconf("SC_CLK_TCK")

STOCK_APP = '''
import asyncio, sys
from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import Markdown
from cherry_tui.core.client import Client, ContentDelta
from cherry_tui.core.config import Provider

URL, MODEL = sys.argv[1], sys.argv[2]

class Stock(App):
    def compose(self):
        with VerticalScroll():
            yield Markdown("stock app ready")

    def on_key(self, event):
        if event.key == "g":
            self.run_worker(self.consume())

    async def consume(self):
        md = self.query_one(Markdown)
        scroller = self.query_one(VerticalScroll)
        stream = Markdown.get_stream(md)
        scroller.anchor()  # stay at the bottom as blocks are mounted (Textual's way to stream)
        provider = Provider(id="bench", name="Bench", type="openai", address=URL, enabled=True)
        async with Client() as client:
            async for event in client.stream_chat(provider, ["sk-bench"], MODEL,
                                                  [{"role": "user", "content": "go"}]):
                if isinstance(event, ContentDelta):
                    await stream.write(event.text)
                    scroller.scroll_end(animate=False, immediate=True)
        await stream.stop()
        scroller.scroll_end(animate=False)  # after the last blocks are laid out

Stock().run()
'''


def tmux(*args: str) -> str:
    r = subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"tmux {' '.join(args[:2])}: {r.stderr.strip()}")
    return r.stdout


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wait_for(text: str, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in tmux("capture-pane", "-p"):
            return time.monotonic()
        time.sleep(0.01)
    return None


def run_in_tmux(command: str, env: dict[str, str], ready: str, start_keys: list[list[str]],
                server: Server, timeout: float) -> dict:
    envs = [f"{k}={v}" for k, v in env.items()]
    tmux("new-session", "-d", "-x", "80", "-y", "24", "env", *envs, "sh", "-c", f"exec {command}")
    try:
        pid = int(tmux("list-panes", "-F", "#{pane_pid}").strip())
        if wait_for(ready, 30) is None:
            raise RuntimeError(f"{ready!r} never appeared:\n{tmux('capture-pane', '-p')}")
        for keys in start_keys[:-1]:
            tmux("send-keys", *keys)
            time.sleep(0.3)
        cpu0 = cpu_seconds(pid)
        t0 = time.monotonic()
        tmux("send-keys", *start_keys[-1])
        seen = wait_for(END_MARK, timeout)
        cpu = cpu_seconds(pid) - cpu0
        timing = server.timing()
        if seen is None:
            return {"timed_out": True, "cpu": cpu, "total": time.monotonic() - t0}
        return {"timed_out": False, "cpu": cpu, "total": seen - t0,
                "send": timing["last"] - timing["first"], "after": seen - timing["last"]}
    finally:
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)
        time.sleep(0.5)  # let the old server go before the next new-session


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, nargs="*", default=[2000, 20000])
    ap.add_argument("--stock-chunks", type=int, default=2000)
    ap.add_argument("--stock-timeout", type=float, default=120.0)
    ap.add_argument("--pace", type=int, default=0, help="ms between chunks (0: as fast as it can)")
    args = ap.parse_args()
    exe = shutil.which("cherry-tui") or str(Path(sys.executable).with_name("cherry-tui"))
    with tempfile.TemporaryDirectory() as tmp, Server() as server:
        tmpdir = Path(tmp)
        base = {"TERM": "xterm-256color", "PATH": os.environ["PATH"],
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                "BENCH_KEY": "sk-bench-0123456789", "HOME": os.environ.get("HOME", tmp)}
        suffix = f"-e-p{args.pace}" if args.pace else "-e"
        how = f"one chunk every {args.pace} ms" if args.pace else "as fast as it can"
        print(f"real terminal: tmux 80x24, {os.cpu_count()} cores; server sends {how}")
        print(f"{'program':<24}{'chunks':>8}{'server send':>13}{'on screen after last byte':>28}"
              f"{'CPU':>9}{'CPU/chunk':>11}")
        for n in args.chunks:
            cfg = tmpdir / f"c{n}" / "config.toml"
            cfg.parent.mkdir()
            cfg.write_text(f'default_model = "bench/md-{n}{suffix}"\n'
                           '[providers.bench]\nname = "Bench"\n'
                           f'type = "openai"\naddress = "{server.url}"\nkey = "env:BENCH_KEY"\n'
                           f'models = ["md-{n}{suffix}"]\nenabled = true\n')
            env = dict(base, CHERRY_TUI_CONFIG=str(cfg), CHERRY_TUI_DATA=str(cfg.parent / "data"))
            r = run_in_tmux(exe, env, "Providers", [["C-n"], ["go", "Enter"]], server, 120)
            print(f"{'cherry-tui':<24}{n:>8,}{ms(r.get('send', 0)):>13}"
                  f"{('timed out' if r['timed_out'] else ms(r['after'])):>28}"
                  f"{r['cpu']:>8.2f}s{r['cpu'] / n * 1e6:>9.0f}µs")
        n = args.stock_chunks
        if n:
            script = tmpdir / "stock_app.py"
            script.write_text(STOCK_APP)
            cmd = f"{sys.executable} {script} {server.url} md-{n}{suffix}"
            r = run_in_tmux(cmd, base, "stock app ready", [["g"]], server, args.stock_timeout)
            after = f"timed out after {ms(r['total'])}" if r["timed_out"] else ms(r["after"])
            print(f"{'stock Markdown+Stream':<24}{n:>8,}{ms(r.get('send', 0)):>13}"
                  f"{after:>28}"
                  f"{r['cpu']:>8.2f}s{r['cpu'] / n * 1e6:>9.0f}µs")


if __name__ == "__main__":
    main()
