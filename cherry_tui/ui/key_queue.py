"""One queue for keys typed ahead of the screen they are meant for.

Over a laggy SSH link one read can carry several keys: ``ctrl+l seed enter hello enter``
opens the model picker, chooses, and types into the chat input. Textual hands each key to
the focused widget's own message queue, so the keys behind one that opens or closes a
screen could reach the wrong screen, or come back to the app after keys read later
(``hello`` arrived as ``lohel`` once, on a loaded machine). The app's :class:`KeyQueue`
keeps them in the order typed:

* a key or paste read while no screen can take it is held: before the first screen is
  up, while a pushed screen is not mounted and focused yet, and while a closed screen is
  still being removed (its widgets may still hold keys typed after the one that closed it);
* a key a widget read after its screen closed, another opened, or the focus moved on
  (earlier in the same burst) is handed back (:meth:`hand_back`), ahead of the keys held
  since; input waits until that widget has read every key queued for it before then;
* once the current screen takes input, all of it is replayed in order, directly (not
  through the app's message queue, where keys read meanwhile would overtake it); a
  replayed key that opens or closes a screen holds the rest again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from weakref import WeakSet

from textual import events
from textual.app import App, ScreenStackError
from textual.await_complete import AwaitComplete
from textual.message_pump import MessagePump
from textual.screen import Screen

Input = events.Key | events.Paste

READY_TRIES = 10  # a screen with nothing to focus counts as ready after this many checks
RETRY = 0.02  # seconds between checks


def _fresh(event: Input) -> Input:
    """A new event with the same key or text (the old one may have been handled)."""
    if isinstance(event, events.Key):
        return events.Key(event.key, event.character)
    return events.Paste(event.text)


class KeyQueue:
    def __init__(self, app: App, dispatch: Callable[[Input], Awaitable[None]]):
        self.app = app
        self._dispatch = dispatch  # the app's own handling, without holding
        self.started = False  # the first screen is up
        self._returned: list[Input] = []  # handed back by a closed screen's widgets
        self._held: list[Input] = []  # read while no screen could take them
        self._closing = 0  # screens popped and not removed yet
        self._draining: set[MessagePump] = set()  # handing back keys queued for them
        self._replaying = False
        self._scheduled = False
        self._ready: WeakSet[Screen] = WeakSet()

    def ready(self) -> bool:
        """The current screen is mounted and has its focus (or nothing to focus)."""
        if not self.started or self._closing or self._draining:
            return False
        try:
            screen = self.app.screen
        except ScreenStackError:  # the app is ending
            return False
        if not screen.is_mounted:
            return False
        if screen not in self._ready and (screen.focused is not None or not screen.focus_chain):
            self._ready.add(screen)
        return screen in self._ready

    def hold(self, event: Input) -> bool:
        """Hold ``event`` when it cannot be handled now, or input is waiting before it."""
        if not (self._returned or self._held or self._replaying or not self.ready()):
            return False
        self._held.append(event)
        self.schedule()
        return True

    def hand_back(self, event: Input, reader: MessagePump) -> None:
        """A key (or paste) ``reader`` read after its screen closed, another opened or the focus
        moved on: it goes to the focused widget of the screen now current, in the order
        typed, with the other keys queued for ``reader`` (a callback queued behind them
        says when they are all handed back)."""
        self._returned.append(_fresh(event))
        if reader not in self._draining:
            self._draining.add(reader)
            if not reader.call_later(self._drained, reader):
                self._draining.discard(reader)  # closing: its screen's removal is the wait
        self.schedule()

    def _drained(self, reader: MessagePump) -> None:
        self._draining.discard(reader)
        self.schedule()

    def closing(self, removal: AwaitComplete) -> AwaitComplete:
        """Hold input until a popped screen is removed (its widgets have read, and handed
        back, every key queued for them); returns what awaits the removal."""
        self._closing += 1

        async def removed() -> None:
            try:
                await removal
            finally:
                self._closing -= 1
                self.schedule()

        return AwaitComplete(removed())

    def schedule(self) -> None:
        """Replay what waits once the screen can take it (a replay under way takes what
        is added meanwhile)."""
        if self.started and not (self._scheduled or self._replaying) \
                and (self._returned or self._held):
            self._scheduled = True
            # after the next refresh (a new screen gets its focus), in the app's own task,
            # where keys are handled
            self.app.call_after_refresh(self.app.call_next, self._release)

    async def _release(self, tries: int = 0) -> None:
        self._scheduled = False
        if not self.ready():
            if self._closing or self._draining or not self.started:
                return  # the end of the removal or of the draining schedules it again
            try:
                screen = self.app.screen
            except ScreenStackError:
                return
            if tries < READY_TRIES or not screen.is_mounted:
                self._scheduled = True
                self.app.set_timer(RETRY, partial(self._release, tries + 1))
                return
            self._ready.add(screen)  # nothing took focus: it takes the keys as it is
        self._replaying = True
        try:
            while self._returned or self._held:
                if not self.ready():  # a replayed key opened or closed a screen
                    break
                event = (self._returned or self._held).pop(0)
                await self._dispatch(_fresh(event))
        finally:
            self._replaying = False
        self.schedule()
