"""Issue 11's table: cherry-tui next to the bare Textual reference, in one run, in tmux.

Uses the stdlib-only tools of ../shared/bench (``--bench-dir``): ``fake_openai.py`` serves
the workloads, ``tui_drive.py`` runs each program alone in a private 120x40 tmux server and
reads the screen every 20 ms, ``bare_textual_chat.py`` is the reference (an Input and
Textual's stock ``Markdown`` fed by ``MarkdownStream``).

Workloads (see ../shared/bench/README.md):
  a200    A: 7.4 KB markdown in 2,000 token chunks at 200 chunks/s (a 10 s stream): CPU
  a       A unlimited: submit to the end on screen
  b2k     B: 90 KB in 2,000 block chunks, unlimited: end on screen after the server's last byte
  b20k    B: 900 KB in 20,000 block chunks (the bare app only with --bare-b: it takes minutes)
  echo    key echo (one key every 0.25 s) while A streams at 200/s: median / 90th pct / max
  launch  launch to the provider list drawn vs the bare app's first screen (--launch-runs each)
  a200x2  issue 14: A at 200/s from two models at once (one question, two answers streaming
          side by side, a text file attached): CPU submit to end (cherry-tui only)

    .venv/bin/python tests/benchmarks/bench_issue11.py [--only a200 b2k ...] [--bare-b]

cherry-tui runs as ``python -m cherry_tui`` from this checkout (PYTHONPATH = the repo), or
``--program CMD``. Figures, not a test: nothing is asserted. The machine's speed varies from
run to run: compare the two columns (same run), not seconds across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORKLOADS = ("a200", "a", "b2k", "b20k", "echo", "launch", "a200x2")
CONFIG = """default_model = "bench/bench"
[providers.bench]
name = "Bench"
type = "openai"
address = "http://127.0.0.1:{port}/v1"
key = "env:BENCH_KEY"
models = ["bench", "bench2"]
enabled = true
"""
ATTACHED = "".join(f"2026-11-29 12:00:{i % 60:02d} INFO worker {i}: request served\n"
                   for i in range(1000))  # a 50 KB log file


def default_bench_dir() -> Path:
    """../shared/bench next to the checkout (or next to a parent, for a git worktree)."""
    for parent in REPO.parents:
        if (parent / "shared" / "bench" / "tui_drive.py").exists():
            return parent / "shared" / "bench"
    return REPO.parent / "shared" / "bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeServer:
    """fake_openai.py in its own process, with a --log of when each answer's last byte left."""

    def __init__(self, bench: Path, tmp: Path, *args: str):
        self.port = free_port()
        self.log = tmp / f"server-{self.port}.jsonl"
        self.proc = subprocess.Popen(
            [sys.executable, str(bench / "fake_openai.py"), "--port", str(self.port),
             "--markdown", "--log", str(self.log), *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("fake_openai.py did not start")

    def last_byte(self) -> float | None:
        """Wall-clock time the last answer's last byte was sent."""
        if not self.log.exists():
            return None
        lines = [json.loads(x) for x in self.log.read_text().splitlines() if x.strip()]
        streamed = [x for x in lines if x.get("stream")]
        return float(streamed[-1]["t"]) if streamed else None

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


def drive(bench: Path, tmp: Path, program: list[str], *, ready: str, before: list[str],
          port: int | None, prompt: bool = True, extra: list[str] = (),  # type: ignore[assignment]
          timeout: float = 120, prompt_text: str | None = None) -> dict:
    home = tmp / "home"
    (home / "config" / "cherry-tui").mkdir(parents=True, exist_ok=True)
    if port is not None:
        (home / "config" / "cherry-tui" / "config.toml").write_text(CONFIG.format(port=port))
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "BENCH_KEY": "sk-test", "COLORTERM": "truecolor",
           "PYTHONPATH": str(REPO), "BASE": f"http://127.0.0.1:{port}/v1"}
    argv = [sys.executable, str(bench / "tui_drive.py"), "--ready", ready,
            "--timeout", str(timeout)]
    for k, v in env.items():
        argv += ["--env", f"{k}={v}"]
    for step in before:
        argv += ["--before", step]
    if prompt:
        argv += ["--prompt", prompt_text or "hello", "--submit", "Enter", "--first", "Section 0",
                 "--done", "END-OF-ANSWER"]
    argv += [*extra, "--", *program]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 60)
    try:
        result: dict = json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"error": f"tui_drive: {out.stderr.strip()[-300:] or out.stdout[-300:]}"}
    return result


def run_stream(args: argparse.Namespace, tmp: Path, who: str, server_args: list[str],
               extra: list[str] = (), timeout: float = 120,  # type: ignore[assignment]
               prompt: str | None = None) -> dict:
    server = FakeServer(args.bench_dir, tmp, *server_args)
    try:
        if who == "cherry":
            r = drive(args.bench_dir, tmp / who, args.program, ready="Bench",
                      before=["key:C-n", "wait:New conversation with bench/bench"],
                      port=server.port, extra=extra, timeout=timeout, prompt_text=prompt)
        else:
            r = drive(args.bench_dir, tmp / who, [sys.executable,
                                                  str(args.bench_dir / "bare_textual_chat.py")],
                      ready="READY", before=[], port=server.port, extra=extra, timeout=timeout)
        last = server.last_byte()
        if last is not None and r.get("done_epoch"):
            r["after_last_byte_s"] = r["done_epoch"] - last
        return r
    finally:
        server.close()


def fmt(r: dict | None, key: str, unit: str = "s", scale: float = 1.0, digits: int = 2) -> str:
    if r is None:
        return "-"
    if r.get("error"):
        return "error"
    v = r.get(key)
    return "-" if v is None else f"{v * scale:.{digits}f} {unit}"


def echo_cell(r: dict | None) -> str:
    if r is None:
        return "-"
    ms = sorted(r.get("echo_ms") or [])
    if not ms:
        return "error" if r.get("error") else "-"
    p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
    lost = f", {r['echo_lost']} lost" if r.get("echo_lost") else ""
    return f"{statistics.median(ms):.0f} / {p90:.0f} / {ms[-1]:.0f} ms{lost}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench-dir", type=Path, default=default_bench_dir())
    ap.add_argument("--only", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    ap.add_argument("--program", default=f"{sys.executable} -m cherry_tui",
                    help="cherry-tui's command line (default: python -m cherry_tui)")
    ap.add_argument("--bare-b", action="store_true",
                    help="run the bare app on B too (about a minute for B 2,000)")
    ap.add_argument("--launch-runs", type=int, default=3)
    ap.add_argument("--b-settle", type=float, default=0,
                    help="sample B this long after its end shows: how long the app stays busy")
    ap.add_argument("--json", action="store_true", help="also print every raw result")
    args = ap.parse_args()
    # An installed program runs from bytecode (pip compiles it at install; an editable
    # install writes it on first run). PYTHONDONTWRITEBYTECODE (set by scripts/test.sh, and
    # often in CI shells) would make every launch compile cherry_tui from source: ~0.05 s
    # that the one-file bare reference does not pay. Measure what a user runs.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    import compileall

    compileall.compile_dir(str(REPO / "cherry_tui"), quiet=1)
    args.program = args.program.split()
    if not (args.bench_dir / "tui_drive.py").exists():
        sys.exit(f"{args.bench_dir}: no tui_drive.py there; pass --bench-dir DIR")
    rows: list[tuple[str, str, str]] = []
    raw: dict[str, dict] = {}
    a = ["--chunks", "token", "--tokens", "2000"]
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)

        def pair(name: str, server_args: list[str], extra: list[str] = (),  # type: ignore[assignment]
                 bare: bool = True, timeout: float = 120) -> tuple[dict, dict | None]:
            ours = run_stream(args, tmp, "cherry", server_args, extra, timeout)
            ref = run_stream(args, tmp, "bare", server_args, extra, timeout) if bare else None
            raw[name] = {"cherry-tui": ours, "bare": ref}
            return ours, ref

        if "a200" in args.only:
            ours, ref = pair("a200", [*a, "--rate", "200"])
            rows.append(("A: 7.4 KB, 2,000 token chunks at 200/s: CPU submit to end",
                         fmt(ours, "answer_cpu_s"), fmt(ref, "answer_cpu_s")))
            rows.append(("A at 200/s: end on screen after the last byte",
                         fmt(ours, "after_last_byte_s"), fmt(ref, "after_last_byte_s")))
        if "a" in args.only:
            ours, ref = pair("a", a)
            rows.append(("A unlimited: submit to end on screen",
                         fmt(ours, "answer_s"), fmt(ref, "answer_s")))
        for name, n in (("b2k", 2000), ("b20k", 20000)):
            if name not in args.only:
                continue
            settle = ["--settle", str(args.b_settle)] if args.b_settle else []
            ours, ref = pair(name, ["--chunks", "block", "--tokens", str(n)], settle,
                             bare=args.bare_b, timeout=600)
            per_chunk = [f" ({r['answer_cpu_s'] / n * 1000:.2f} ms CPU a chunk)"
                         if r and r.get("answer_cpu_s") else "" for r in (ours, ref)]
            rows.append((f"B: {n * 45 // 1000:,} KB, {n:,} block chunks: end after the last byte",
                         fmt(ours, "after_last_byte_s") + per_chunk[0],
                         fmt(ref, "after_last_byte_s") + per_chunk[1]))
            if args.b_settle:
                rows.append((f"B {n:,}: busy after the end showed (text above it rendering)",
                             *(f"{r['busy_s'] - r['answer_s']:.2f} s" if r and r.get("busy_s")
                               and r.get("answer_s") else "-" for r in (ours, ref))))
        if "echo" in args.only:
            ours, ref = pair("echo", [*a, "--rate", "200"],
                             ["--echo-every", "0.25", "--echo-start", "0.5"])
            rows.append(("key echo while A streams at 200/s: median / 90th / max",
                         echo_cell(ours), echo_cell(ref)))
        if "a200x2" in args.only:
            log = tmp / "service.log"
            log.write_text(ATTACHED)
            ours = run_stream(args, tmp, "cherry", [*a, "--rate", "200", "--model", "bench",
                                                    "--model", "bench2"],
                              prompt=f"@bench/bench @bench/bench2 @{log} hello")
            raw["a200x2"] = {"cherry-tui": ours}
            rows.append(("A at 200/s from 2 models at once, a 50 KB file attached: CPU",
                         fmt(ours, "answer_cpu_s"), "-"))
        if "launch" in args.only:
            ours_l: list[float] = []
            bare_l: list[float] = []
            for _ in range(args.launch_runs):
                r = drive(args.bench_dir, tmp / "launch-c", args.program, ready="Bench",
                          before=[], port=free_port(), prompt=False, timeout=30)
                if r.get("startup_s"):
                    ours_l.append(r["startup_s"])
                r = drive(args.bench_dir, tmp / "launch-b", [sys.executable, str(
                    args.bench_dir / "bare_textual_chat.py")], ready="READY", before=[],
                    port=free_port(), prompt=False, timeout=30)
                if r.get("startup_s"):
                    bare_l.append(r["startup_s"])
            raw["launch"] = {"cherry-tui": ours_l, "bare": bare_l}
            if ours_l and bare_l:
                mo, mb = statistics.median(ours_l), statistics.median(bare_l)
                rows.append((f"launch to first screen (median of {args.launch_runs})",
                             f"{mo:.2f} s ({mo / mb:.2f}x bare)", f"{mb:.2f} s (1.0)"))
    print(f"issue 11 table: tmux 120x40, {os.cpu_count()} cores, python "
          f"{sys.version.split()[0]}, cherry-tui = {' '.join(args.program)} ({REPO})")
    w = max(len(r[0]) for r in rows) if rows else 10
    print(f"| {'':<{w}} | {'cherry-tui':<34} | {'bare Textual (stock Markdown)':<34} |")
    print(f"|{'-' * (w + 2)}|{'-' * 36}|{'-' * 36}|")
    for label, ours_cell, ref_cell in rows:
        print(f"| {label:<{w}} | {ours_cell:<34} | {ref_cell:<34} |")
    errors = {k: {who: r.get("error") for who, r in v.items() if isinstance(r, dict)
                  and r.get("error")} for k, v in raw.items()}
    for k, v in errors.items():
        for who, e in v.items():
            print(f"{k} {who}: {str(e)[:200]}")
    if args.json:
        print(json.dumps(raw, indent=1, default=str))


if __name__ == "__main__":
    main()
