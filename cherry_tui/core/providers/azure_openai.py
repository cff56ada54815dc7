"""Azure OpenAI, type ``azure-openai``: chat completions on a resource's deployment.

Checked against Microsoft's Azure OpenAI REST reference: the address is the resource
(``https://RESOURCE.openai.azure.com``), the key goes in the ``api-key`` header, and
the dated API puts the deployment in the path with an ``api-version`` query
(``/openai/deployments/{deployment}/chat/completions?api-version=2024-10-21``); the v1
API (``api_version = "v1"``) is ``/openai/v1/chat/completions`` with the deployment as
the body's ``model``. The wire format is OpenAI's, so only the key header differs; the
URLs come from :func:`cherry_tui.core.addresses.resolve`.
"""

from __future__ import annotations

from .openai import OpenAI


class AzureOpenAI(OpenAI):
    """``azure-openai``: OpenAI chat completions, key in ``api-key``."""

    def headers(self, key: str | None) -> dict[str, str]:
        return {"api-key": key} if key else {}
