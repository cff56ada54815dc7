"""What the context bar costs: counting the next request of a long conversation.

The bar counts again after each pause in typing and after each answer
(cherry_tui.ui.screens.chat_context); the counting is :func:`core.context.next_request`.
Texts already counted are cached, so only the first count of a conversation reads all of
its text. Printed for conversations of 100, 1,000 and 5,000 messages of about 2 KB each
(half of the answers with a server-reported ``prompt_tokens``, as calibration reads).

    .venv/bin/python tests/benchmarks/bench_context.py

Figures, not a test: nothing is asserted.
"""

from __future__ import annotations

import time

from cherry_tui.core import context
from cherry_tui.core.history import Message


def conversation(n: int) -> list[Message]:
    return [Message("user" if i % 2 == 0 else "assistant", f"word{i} " * 300,
                    prompt_tokens=1000 * i if i % 4 == 1 else None) for i in range(n)]


def main() -> None:
    print(f"{'messages':>9} {'first count':>12} {'next keys (avg of 20)':>22}")
    for n in (100, 1000, 5000):
        context.text_tokens.cache_clear()
        msgs = conversation(n)
        start = time.perf_counter()
        context.next_request(msgs, "h", "Be brief.", None)
        first = time.perf_counter() - start
        draft = "hello there, a question"
        start = time.perf_counter()
        for i in range(20):
            context.next_request(msgs, draft[: i + 1], "Be brief.", None)
        again = (time.perf_counter() - start) / 20
        print(f"{n:>9} {first * 1000:>10.1f} ms {again * 1000:>20.2f} ms")


if __name__ == "__main__":
    main()
