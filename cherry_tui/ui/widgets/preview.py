"""The live preview under an address: the URLs it resolves to, or why it cannot work.

It renders what :func:`cherry_tui.core.addresses.resolve` returns (the same function
the requests and ``cherry-tui url`` use). Long URLs fold onto the next line rather
than being cut, so the whole URL is always visible. A warning from ``resolve`` (the
endpoint would be in the chat URL twice) is shown under the rule as it is typed.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ...core import addresses
from ...core.text import inert, inert_line


class AddressPreview(Static):
    DEFAULT_CSS = """
    AddressPreview {
        height: auto;
        width: 1fr;
        padding: 0 0 0 2;
    }
    AddressPreview.-error {
        color: $error;
    }
    AddressPreview.-warning {
        color: $warning;
    }
    """

    def __init__(self, address: str = "", provider_type: str = "openai", **kwargs) -> None:
        super().__init__("", **kwargs)
        self.address = address
        self.provider_type = provider_type
        self.resolved: addresses.Resolved | None = None
        self.error: str | None = None
        self.model: str | None = None  # fills a URL that holds the model (Gemini, Azure)
        self.api_version: str | None = None  # Azure OpenAI's api-version

    def on_mount(self) -> None:
        self.show(self.address, self.provider_type)

    def show(self, address: str, provider_type: str | None = None) -> None:
        self.address = address
        if provider_type:
            self.provider_type = provider_type
        try:
            self.resolved = addresses.resolve(address, self.provider_type, model=self.model,
                                              api_version=self.api_version)
            self.error = None
        except addresses.AddressError as exc:
            self.resolved, self.error = None, str(exc)
        self.set_class(self.error is not None, "-error")
        self.set_class(bool(self.resolved and self.resolved.warnings), "-warning")
        self.update(self._render_preview())

    def _render_preview(self):
        if self.error is not None:
            return Text.assemble(("✗ ", "bold"), (inert(self.error), ""), overflow="fold")
        res = self.resolved
        assert res is not None
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True, style="bold")
        table.add_column(overflow="fold")
        table.add_row("chat", Text(inert_line(res.chat), overflow="fold"))
        if res.once:
            table.add_row("whole", Text(inert_line(res.once), overflow="fold"))
        models = (res.models if res.models
                  else "(none: this exact address does not end with the chat endpoint; "
                       "add model ids by hand)")
        table.add_row("models", Text(inert_line(models), overflow="fold"))
        table.add_row("rule", Text(res.rule_text, overflow="fold"))
        for warning in res.warnings:
            table.add_row("warn", Text(inert_line(warning), overflow="fold"))
        return table
