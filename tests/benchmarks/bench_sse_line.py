"""SSE parsing speed: our parser beside the openai SDK's decoder on the same bytes.

Run: ``python tests/benchmarks/bench_sse_line.py`` (prints a table of seconds).

Workloads, each fed in 64 KB reads as a socket delivers them:
  * one ``data:`` line of 10 MB and of 20 MB (the case that was quadratic: 64 s for 20 MB);
  * many small events (200,000 chunks of a normal streamed answer).

The comparison column is the ``openai`` SDK's ``SSEDecoder`` when ``openai`` is
importable, else ``httpx-sse`` (through an ``httpx.Response``), else it is left out.
Figures are wall-clock seconds of one run each; nothing here is asserted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from cherry_tui.core.client import SSEParser

READ = 64 * 1024


def big_line(mb: int) -> bytes:
    text = "x" * (mb * 1024 * 1024)
    obj = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return b"data: " + json.dumps(obj).encode() + b"\n\ndata: [DONE]\n\n"


def small_events(n: int) -> bytes:
    one = json.dumps({"choices": [{"index": 0, "delta": {"content": "word "},
                                   "finish_reason": None}]}).encode()
    return (b"data: " + one + b"\n\n") * n + b"data: [DONE]\n\n"


def reads(data: bytes) -> Iterator[bytes]:
    for i in range(0, len(data), READ):
        yield data[i:i + READ]


def ours(data: bytes) -> int:
    parser = SSEParser()
    n = 0
    for chunk in reads(data):
        n += len(parser.feed(chunk))
    return n + len(parser.close())


def _openai() -> Callable[[bytes], int] | None:
    try:
        from openai._streaming import SSEDecoder
    except ImportError:
        return None

    def run(data: bytes) -> int:
        return sum(1 for _ in SSEDecoder().iter_bytes(reads(data)))
    return run


def _httpx_sse() -> Callable[[bytes], int] | None:
    try:
        import httpx
        from httpx_sse import EventSource
    except ImportError:
        return None

    def run(data: bytes) -> int:
        response = httpx.Response(200, headers={"content-type": "text/event-stream"},
                                  content=reads(data))
        return sum(1 for _ in EventSource(response).iter_sse())
    return run


def timed(fn: Callable[[bytes], int], data: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    n = fn(data)
    return time.perf_counter() - started, n


def main() -> None:
    other, name = _openai(), "openai SDK"
    if other is None:
        other, name = _httpx_sse(), "httpx-sse"
    workloads = [("one 10 MB data line", big_line(10)), ("one 20 MB data line", big_line(20)),
                 ("200,000 small events", small_events(200_000))]
    head = f"{'workload':<24}{'bytes':>12}{'cherry-tui':>12}"
    if other is not None:
        head += f"{name:>14}"
    print(head)
    for label, data in workloads:
        ours_s, ours_n = timed(ours, data)
        row = f"{label:<24}{len(data):>12,}{ours_s:>11.3f}s"
        if other is not None:
            other_s, other_n = timed(other, data)
            row += f"{other_s:>13.3f}s"
            if other_n != ours_n:
                row += f"  (events: ours {ours_n}, theirs {other_n})"
        print(row)
    if other is None:
        print("(install openai or httpx-sse for a comparison column)")


if __name__ == "__main__":
    main()
