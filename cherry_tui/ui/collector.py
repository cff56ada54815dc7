"""When Python's cyclic garbage collector runs, so that start-up and typing never wait on it.

A full collection walks every object the collector tracks. Measured on a busy 2-core
machine (issue 11): 25-40 ms for the objects of a starting app, falling in the first
frame, and 60-140 ms for the 120k objects of a chat, one every 2 s while an answer
streamed at 200 chunks a second, each a stall of the key echo.

* While the TUI starts, the collector is off (``cli.cmd_tui``): imports and the first
  screen make little cyclic garbage.
* :func:`settle`, once the first screen is drawn: one collection, then ``gc.freeze()``
  moves what is left (modules, styles, the app and its first screen, which live as long
  as the process) out of the collector's reach, and the collector is back on. What was
  frozen and dies later inside a reference cycle stays until exit: at most what existed
  at start, once.
* :func:`hold` / :func:`release`, while answers arrive (the chat's AnswerStreams, from
  the first answer's start to the last one's end), and while the chat log has the focus
  (paging back through a 1,000-message conversation met a 100-180 ms full collection
  every fifty keys or so): full collections are :data:`HELD_FACTOR` times rarer. Young
  collections still run every few hundred allocations and free the frames' short-lived
  garbage; when the last stream ends, the usual thresholds are back and a full
  collection that is due runs then.
"""

from __future__ import annotations

import gc

HELD_FACTOR = 20

_holders: set[int] = set()
_usual: tuple[int, int, int] | None = None


def settle() -> None:
    """Collect once, freeze what is left, switch the collector (back) on."""
    gc.collect()
    gc.freeze()
    gc.enable()


def hold(owner: object) -> None:
    """``owner`` is streaming: make full collections rarer until it releases."""
    global _usual
    if not _holders:
        _usual = gc.get_threshold()
        young, middle, full = _usual
        gc.set_threshold(young, middle, full * HELD_FACTOR)
    _holders.add(id(owner))


def release(owner: object) -> None:
    """``owner`` is not streaming (any more); the last one back restores the thresholds."""
    global _usual
    _holders.discard(id(owner))
    if not _holders and _usual is not None:
        gc.set_threshold(*_usual)
        _usual = None


def held() -> bool:
    return bool(_holders)
