"""The provider client, by its old import path: everything lives in :mod:`.providers`.

Kept so code that imports ``cherry_tui.core.client`` (screens, the CLI, tests, branches
merged later) keeps working; new code imports from ``cherry_tui.core.providers.*``.
"""

from __future__ import annotations

from .providers.anthropic import AnthropicStreamDecoder, parse_anthropic_message
from .providers.base import parse_model_list
from .providers.client import MAX_ANSWER_BYTES, Client, answer_limit
from .providers.errors import ProviderError, StreamProblem
from .providers.proxy import proxy_for, socks_missing
from .providers.events import (
    CheckResult, Completion, ContentDelta, Event, Finish, KeySkipped, ReasoningDelta, Usage,
    Waiting,
)
from .providers.openai import OpenAIStreamDecoder, parse_openai_completion
from .providers.sse import SSEEvent, SSEParser
from .providers.think import ThinkSplitter
_StreamProblem = StreamProblem  # the tests' old name for it


__all__ = [
    "MAX_ANSWER_BYTES", "AnthropicStreamDecoder", "CheckResult", "Client", "Completion",
    "ContentDelta", "Event", "Finish", "KeySkipped", "OpenAIStreamDecoder", "ProviderError",
    "ReasoningDelta", "SSEEvent", "SSEParser", "StreamProblem", "ThinkSplitter", "Usage",
    "Waiting", "_StreamProblem", "answer_limit", "parse_anthropic_message",
    "parse_model_list", "parse_openai_completion", "proxy_for", "socks_missing",
]
