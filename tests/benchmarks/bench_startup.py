"""Startup: time from launch to a usable screen, in a real pseudo-terminal.

Runs the installed ``cherry-tui`` and a bare Textual app (one Static widget) the same
way: spawn in an 80x24 pty, read the output until the first screen's text has been
drawn, then quit. Prints the median and best of N runs, and the CLI's own start time.

    .venv/bin/python tests/benchmarks/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static
class Bare(App):
    def compose(self):
        yield Header()
        yield Static("bare textual app ready")
        yield Footer()
Bare().run()
"""


def time_to_text(argv: list[str], marker: bytes, env: dict[str, str],
                 timeout: float = 30.0) -> float:
    """Seconds from spawn until ``marker`` appears on the pty."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    seen = b""
    elapsed = None
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
                # Textual draws with cursor moves: compare without escape sequences' effect
                # by searching the raw bytes for the marker text.
                if marker in seen:
                    elapsed = time.perf_counter() - start
                    break
    finally:
        os.kill(pid, signal.SIGTERM)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        os.close(fd)
    if elapsed is None:
        raise RuntimeError(f"{argv[0]}: {marker!r} never appeared; output tail: {seen[-400:]!r}")
    return elapsed


def summary(name: str, values: list[float]) -> str:
    return (f"{name:<34} median {statistics.median(values) * 1000:7.0f} ms   "
            f"best {min(values) * 1000:7.0f} ms   ({len(values)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--marker", default="Providers", help="text on cherry-tui's first screen")
    args = parser.parse_args()
    exe = shutil.which("cherry-tui") or os.path.join(os.path.dirname(sys.executable), "cherry-tui")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TERM="xterm-256color", CHERRY_TUI_CONFIG=f"{tmp}/config.toml",
                   CHERRY_TUI_DATA=f"{tmp}/data", COLUMNS="80", LINES="24")
        env.pop("TEXTUAL", None)
        bare, ours, cli = [], [], []
        for _ in range(args.runs):
            bare.append(time_to_text([sys.executable, "-c", BARE_APP],
                                     b"bare textual app ready", env))
            ours.append(time_to_text([exe], args.marker.encode(), env))
            t0 = time.perf_counter()
            subprocess.run([exe, "url", "https://api.deepseek.com"], env=env, check=True,
                           capture_output=True)
            cli.append(time.perf_counter() - t0)
    print(f"startup on {os.cpu_count()} cores, 80x24 pty, python {sys.version.split()[0]}")
    print(summary("bare Textual app (first paint)", bare))
    print(summary("cherry-tui (provider list drawn)", ours))
    print(summary("cherry-tui url (CLI, whole run)", cli))
    print(f"cherry-tui / bare: {statistics.median(ours) / statistics.median(bare):.2f}x")


if __name__ == "__main__":
    main()
