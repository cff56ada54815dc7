"""An Input that reads a burst of keys in order: bindings act where they were typed.

Over a laggy SSH link one read can carry ``ctrl+l seed enter hello enter``. Textual
resolves a key binding only once the key has bubbled up to the app, and by then the
input may have read the keys queued behind it: enter would choose with ``seedhello``
in the filter, backspace would delete a letter typed after it, esc would close the
dialog after ``hello`` went into it. This input runs its own bindings, then its screen's,
as it reads each key; and a key read after its screen has closed (typed ahead of the
dialog going away) is handed back to the app, which gives it to the screen the user is
now on, in the order typed (``cherry_tui.ui.key_queue``).

(It reads ``_bindings``, Textual's binding maps after the user's ``[keymap]``: no public
API gives them.)
"""

from __future__ import annotations

from textual import events
from textual.app import ScreenStackError
from textual.dom import DOMNode, NoScreen
from textual.widgets import Input

from ..access import cherry_app


class TypeAheadInput(Input):
    async def _on_key(self, event: events.Key) -> None:
        # Textual then calls Input._on_key too, unless this one used the key.
        await self.read_key(event)

    async def read_key(self, event: events.Key) -> bool:
        """Act on one key now, in the order keys were typed. True when it was used.

        Its screen also calls this for a key the app gave the screen itself (read before
        this input had focus)."""
        if not self._screen_is_current():
            cherry_app(self).keys.hand_back(event, self)
        elif not await self._run_binding(event.key):
            if not (event.is_printable and event.character):
                return False  # no binding here for it: the app's may act
            self.replace(event.character, *self.selection)
        event.stop()
        event.prevent_default()
        return True

    async def _run_binding(self, key: str) -> bool:
        """This input's binding for ``key``, else its screen's; False if none acted
        (a binding may decline, as scrolling does in a one-line input)."""
        node: DOMNode
        for node in (self, self.screen):
            for binding in node._bindings.key_to_bindings.get(key, ()):
                if await self.app.run_action(binding.action, node):
                    return True
        return False

    def _screen_is_current(self) -> bool:
        try:
            return self.screen is self.app.screen
        except (NoScreen, ScreenStackError):  # removed with its screen, or the app is ending
            return False
