"""The command palette's "Import from Cherry Studio" (the screen is imported on use)."""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .access import cherry_app

TITLE = "Import from Cherry Studio"
HELP = "Read a Cherry Studio backup, see what would change, import"


class ImportCommands(Provider):
    def _open(self) -> None:
        from .screens.import_screen import ImportScreen

        cherry_app(self).push_screen(ImportScreen())

    async def discover(self) -> Hits:
        yield DiscoveryHit(TITLE, self._open, help=HELP)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        score = matcher.match(TITLE)
        if score > 0:
            yield Hit(score, matcher.highlight(TITLE), self._open, help=HELP)
