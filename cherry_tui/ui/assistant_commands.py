"""The command palette's "Assistants" (the picker is imported on use)."""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .access import cherry_app

TITLE = "Assistants"
HELP = "F2: start a chat with an assistant; edit, clone, delete, new"


class AssistantCommands(Provider):
    def _open(self) -> None:
        cherry_app(self).action_assistants()

    async def discover(self) -> Hits:
        yield DiscoveryHit(TITLE, self._open, help=HELP)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        score = matcher.match(TITLE)
        if score > 0:
            yield Hit(score, matcher.highlight(TITLE), self._open, help=HELP)
