"""Provider protocols, one module per wire format behind :mod:`.base`'s interface.

``PROTOCOLS[type]`` is the one place a provider type picks its protocol; the shared
parts are ``client`` (HTTP session, keys, retries), ``sse``, ``think``, ``errors`` and
``events``.
"""

from __future__ import annotations

from .anthropic import Anthropic
from .azure_openai import AzureOpenAI
from .base import WireProtocol
from .gemini import Gemini
from .openai import OpenAI
from .openai_responses import OpenAIResponses

PROTOCOLS: dict[str, WireProtocol] = {
    "openai": OpenAI(),
    "anthropic": Anthropic(),
    "openai-responses": OpenAIResponses(),
    "gemini": Gemini(),
    "azure-openai": AzureOpenAI(),
}
