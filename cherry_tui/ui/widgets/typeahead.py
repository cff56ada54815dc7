"""An Input that reads a burst of keys in order: bindings act where they were typed.

Over a laggy SSH link one read can carry ``ctrl+l seed enter hello enter``. Textual
resolves a key binding only once the key has bubbled up to the app, and by then the
input may have read the keys queued behind it: enter would choose with ``seedhello``
in the filter, backspace would delete a letter typed after it. This input runs its own
bindings as it reads each key, and a key read after its screen has closed (typed ahead
of the dialog going away) is handed back to the app, which gives it to the screen the
user is now on.
"""

from __future__ import annotations

from textual import events
from textual.app import ScreenStackError
from textual.dom import NoScreen
from textual.widgets import Input


class TypeAheadInput(Input):
    async def _on_key(self, event: events.Key) -> None:
        # Textual then calls Input._on_key too, unless this one used the key.
        await self.read_key(event)

    def takes(self, event: events.Key) -> bool:
        """Whether this input may act on the key (then it does not bubble up from here,
        unless its binding declined it, as scrolling does in a one-line input)."""
        return bool(event.is_printable and event.character) or \
            event.key in self._bindings.key_to_bindings

    async def read_key(self, event: events.Key) -> bool:
        """Act on one key now, in the order keys were typed. True when it was used."""
        if not self._screen_is_current():
            self.app.post_message(events.Key(event.key, event.character))
        elif event.key in self._bindings.key_to_bindings:
            action = self._bindings.key_to_bindings[event.key][0].action
            if not await self.app.run_action(action, self):
                return False  # declined (SkipAction): the screen's binding for it may act
        elif event.is_printable and event.character:
            self.replace(event.character, *self.selection)
        else:
            return False
        event.stop()
        event.prevent_default()
        return True

    def _screen_is_current(self) -> bool:
        try:
            return self.screen is self.app.screen
        except (NoScreen, ScreenStackError):  # removed with its screen, or the app is ending
            return False
