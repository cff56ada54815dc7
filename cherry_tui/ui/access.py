"""The one typed way from a screen, widget or command provider to the app it runs in.

``self.app`` is typed as a plain ``App``; ``cherry_app(self).config`` (and ``.client``,
``.history``, ``.themes``) is checked by mypy, with no attributes patched onto the app.
Posting does the same with ``cast("Posting", self.app)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from textual.app import App

    from .app import CherryApp


class InApp(Protocol):
    """A DOM node or a command palette provider: anything with an ``app``."""

    @property
    def app(self) -> App[Any]: ...


def cherry_app(node: InApp) -> CherryApp:
    """The running CherryApp of a screen, widget or command provider."""
    return cast("CherryApp", node.app)
