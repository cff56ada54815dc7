"""Answers arriving in the chat: one worker per answer, all at once when several models
answer.

Each answer's text goes into its log entry as it arrives and into the history at every
re-render of the log (``save_partial``, the log's flush hook), so a crash loses at most
what arrived in the last frame. An answer ends done, stopped (esc, ctrl+c, ``x``), or
with an error shown under it; its final state is written first, before the screen is
touched: this also runs while the app quits. A rate-limit wait (HTTP 429 with
Retry-After) counts down under the answer it holds up. While any answer arrives, full
garbage collections wait (cherry_tui.ui.collector): one every 2 s stalled the key echo
up to 140 ms.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.css.query import NoMatches
from textual.timer import Timer
from textual.worker import Worker

from ...core import history as hist
from ...core.client import (
    ContentDelta, Finish, KeySkipped, ProviderError, ReasoningDelta, Usage, Waiting,
)
from ...core.config import split_model_ref
from ...core.history import Conversation, History, Message
from ...core.history_writer import Skipped
from .. import collector
from ..access import cherry_app
from ..widgets.chatlog import AnswerEntry

if TYPE_CHECKING:
    from .chat import ChatScreen


@dataclass(eq=False)
class Answering:
    """One answer arriving: its worker, the text not saved yet, its rate-limit countdown."""

    worker: Worker | None = None
    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    wait_timer: Timer | None = None


def row_id(msg: Message) -> int:
    """The message's row id, for a write that runs after its insert was tried."""
    if msg.id is None:
        raise Skipped("its message could not be saved")
    return msg.id


def recovery_text(conv: Conversation | None, msg: Message) -> str:
    """What a recovery file keeps of a message whose write failed."""
    title = conv.display_title if conv is not None else "a new conversation"
    who = "You" if msg.role == "user" else f"Assistant ({msg.model or '?'})"
    body = msg.content or msg.reasoning
    return f"## {who} · {title} · {time.strftime('%Y-%m-%d %H:%M')}\n\n{body}"


class AnswerStreams:
    """The answers arriving in one chat screen."""

    def __init__(self, screen: ChatScreen):
        self.screen = screen
        self.live: dict[AnswerEntry, Answering] = {}
        self.ended_at = 0.0  # time.monotonic() when the last answer ended

    def start(self, entry: AnswerEntry, api_messages: list[dict]) -> None:
        """Ask ``entry``'s model for it (``api_messages``: the request's messages)."""
        stream = self.live[entry] = Answering()
        stream.worker = self.screen.run_worker(
            self._run(entry, entry.message.model or "", api_messages, stream),
            group="chat", exit_on_error=False)
        collector.hold(self)
        self.screen.answering = len(self.live)

    def stop_all(self) -> bool:
        """Stop every answer arriving; False when none was."""
        workers = [s.worker for s in self.live.values() if s.worker is not None]
        for worker in workers:
            worker.cancel()
        return bool(workers)

    def stop(self, entry: object) -> bool:
        """Stop this answer only; False when it is not arriving."""
        stream = self.live.get(entry) if isinstance(entry, AnswerEntry) else None
        if stream is None or stream.worker is None:
            return False
        stream.worker.cancel()
        return True

    def save_partial(self) -> None:
        """After each re-render of the log: save what arrived since, answer by answer."""
        for entry, stream in self.live.items():
            if not (stream.content or stream.reasoning):
                continue
            msg = entry.message
            text, thought = "".join(stream.content), "".join(stream.reasoning)

            def append(db: History, msg: Message = msg, text: str = text,
                       thought: str = thought) -> None:
                db.append_partial(row_id(msg), text, thought)  # (else finish() keeps it)

            self.screen.write(append)
            stream.content.clear()
            stream.reasoning.clear()

    # ------------------------------------------------------------------ one answer
    async def _run(self, entry: AnswerEntry, ref: str, api_messages: list[dict],
                   stream: Answering) -> None:
        from ...core.secrets import key_info

        s = self.screen
        msg = entry.message
        entry.started = time.monotonic()
        status, error, finish = hist.DONE, None, None
        log = s.log_view
        unsaved_content, unsaved_reasoning = stream.content, stream.reasoning
        try:
            try:
                pid, model = split_model_ref(ref)
                provider = cherry_app(s).config.provider(pid)
            except (ValueError, KeyError):
                raise ProviderError("config", f"the model {ref!r} belongs to no configured "
                                    "provider: ctrl+l chooses another") from None
            info = await asyncio.to_thread(key_info, provider, cherry_app(s).config.path)
            n = 0
            async for event in cherry_app(s).client.stream_chat(
                    provider, info.keys, model, api_messages, temperature=s.temperature,
                    top_p=s.top_p, max_tokens=s.max_tokens):
                n += 1
                if not n % 32:
                    await asyncio.sleep(0)  # a fast server: let keys and frames in
                if isinstance(event, ContentDelta):
                    entry.append(content=event.text)
                    unsaved_content.append(event.text)
                    log.touch(entry)
                elif isinstance(event, ReasoningDelta):
                    entry.append(reasoning=event.text)
                    unsaved_reasoning.append(event.text)
                    log.touch(entry)
                elif isinstance(event, Usage):
                    msg.prompt_tokens = event.prompt_tokens
                    msg.completion_tokens = event.completion_tokens
                elif isinstance(event, Finish):
                    finish = event.reason
                elif isinstance(event, Waiting):
                    self._show_wait(entry, stream, event)
                elif isinstance(event, KeySkipped):  # a small line under the answer
                    said = f"skipped key {event.masked}: {event.reason}"
                    entry.note = f"{entry.note} · {said}" if entry.note else said
                    log.update_entry(entry)
        except ProviderError as exc:
            status, error = hist.ERROR, exc.message
        except asyncio.CancelledError:
            self._finish(entry, hist.STOPPED, None)
            raise
        except Exception as exc:  # noqa: BLE001 - shown, never a crash of the app
            status, error = hist.ERROR, f"{type(exc).__name__}: {exc}"
        if finish == "length" and status == hist.DONE:
            error = "the answer was cut at the length limit"
        self._finish(entry, status, error)

    def _finish(self, entry: AnswerEntry, status: str, error: str | None) -> None:
        s = self.screen
        msg = entry.message
        now = time.monotonic()
        msg.elapsed = now - entry.started
        if entry.first_token is not None and msg.completion_tokens:
            gen = now - entry.first_token
            if gen > 0.05:
                entry.rate = msg.completion_tokens / gen
        entry.finish(status, error if status == hist.ERROR else None)
        if error and status != hist.ERROR:
            entry.note = error
        if status == hist.ERROR:
            entry.note = "ctrl+r retries · ctrl+l chooses another model"
        self.live.pop(entry, None)  # (a wait's countdown sees it and clears its line)
        if not self.live:
            collector.release(self)
        conv = s.conv

        def finish_(db: History) -> None:  # first the history: this also runs at quit
            row_id(msg)
            db.finish(msg)

        s.write(finish_, recovery=lambda: recovery_text(conv, msg))
        self.ended_at = time.monotonic()
        if not s.is_attached or not s.is_mounted:
            return
        s.answering = len(self.live)
        try:
            s.log_view.update_entry(entry)
        except NoMatches:  # the screen is being torn down
            pass

    def _show_wait(self, entry: AnswerEntry, stream: Answering, event: Waiting) -> None:
        """The server asked to wait (429 Retry-After): say so under the answer and count
        down; esc stops as always."""
        if stream.wait_timer is not None:
            stream.wait_timer.stop()
        until = time.monotonic() + event.seconds
        shown = ""

        def tick() -> None:
            nonlocal shown
            left = math.ceil(until - time.monotonic())
            text: str | None
            if left > 0 and entry in self.live:
                text = f"rate limited by the server, retrying in {left} s (esc stops)"
            else:  # retrying now, or the answer ended (an error's hint then stays)
                text = None if entry.note == shown else entry.note
                if stream.wait_timer is not None:
                    stream.wait_timer.stop()
                stream.wait_timer = None
            if text != entry.note:
                entry.note = text
                shown = text or ""
                self.screen.log_view.update_entry(entry)

        tick()
        stream.wait_timer = self.screen.set_interval(0.25, tick)
