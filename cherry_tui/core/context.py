"""What the next request sends, about how many tokens that is, and the model's window.

* :func:`carried` is the one place that decides which messages are sent (the chat's
  requests, its attachment checks, the context bar; :func:`outgoing` puts the system
  prompt first): the kept messages after the last "new context" marker (role
  :data:`~.history.CONTEXT`), cut to the assistant's ``context`` (how many earlier
  messages; :func:`~.assistants.last_earlier`), answers with no text left out. A user
  message is its text, or what ``user(message)`` builds (text and attachments).
* :func:`estimate_tokens` guesses without a tokenizer: about 4 characters a token for
  Latin text, 1 token a CJK character, a few tokens a message. :func:`calibration`
  scales the guess by what the server reported for the last request (``prompt_tokens``).
* :func:`context_window` finds the model's window: the user's ``context_windows`` entry of
  the provider, else what the server's model list reported, else :data:`KNOWN_WINDOWS`
  (well-known ids), else None (unknown: nothing is said about it).

Pure logic: no Textual import.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .assistants import last_earlier
from .history import CONTEXT, Message
from .model_kinds import base_name

PER_MESSAGE = 4  # tokens each message costs beyond its text (role, separators)
CHARS_PER_TOKEN = 4  # Latin text, code: OpenAI's rule of thumb
# Han, kana, hangul, fullwidth forms: about one token each.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
                  "\uf900-\ufaff\uff00-\uffef]")


def after_marker(messages: Sequence[Message]) -> list[Message]:
    """The messages after the last "new context" marker (all of them without one)."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == CONTEXT:
            return list(messages[i + 1:])
    return list(messages)


def carried(messages: Sequence[Message], context: int | None) -> list[Message]:
    """The messages a request carries (``messages`` end with its question): those after
    the last marker, answers with no text left out, only ``context`` earlier ones before
    the question (None: all)."""
    kept = [m for m in after_marker(messages)
            if m.role == "user" or (m.role == "assistant" and m.content.strip())]
    return last_earlier(kept, context)


def outgoing(messages: Sequence[Message], system_prompt: str, context: int | None,
             user: Callable[[Message], dict[str, Any]] | None = None
             ) -> list[dict[str, Any]]:
    """The messages of a request: the system prompt, then :func:`carried`'s. A user
    message is ``user(message)`` when given (e.g. text and attachments), else its text."""
    out: list[dict[str, Any]] = []
    if system_prompt.strip():
        out.append({"role": "system", "content": system_prompt})
    for m in carried(messages, context):
        if m.role == "user":
            out.append(user(m) if user else {"role": "user", "content": m.content})
        else:
            out.append({"role": "assistant", "content": m.content})
    return out


def count_tokens(text: str) -> int:
    """About how many tokens ``text`` is."""
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / CHARS_PER_TOKEN)


@lru_cache(maxsize=16384)
def text_tokens(text: str) -> int:
    """:func:`count_tokens`, cached: the messages of a long conversation are counted once
    (the text being typed is counted with :func:`count_tokens`, never cached)."""
    return count_tokens(text)


def _content_tokens(content: Any) -> int:
    if isinstance(content, str):
        return text_tokens(content)
    if isinstance(content, list):  # parts: text parts counted, an image about 1k
        total = 0
        for part in content:
            if isinstance(part, str):
                total += text_tokens(part)
            elif isinstance(part, dict):
                text = part.get("text")
                total += text_tokens(text) if isinstance(text, str) else IMAGE_TOKENS
        return total
    return 0


IMAGE_TOKENS = 1000  # an attached image: a rough figure (it varies with size and model)


def estimate_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """About how many prompt tokens a request of ``messages`` is."""
    return sum(PER_MESSAGE + _content_tokens(m.get("content"))
               + IMAGE_TOKENS * len(m.get("images") or ()) for m in messages)


def calibration(estimated: int, prompt_tokens: int | None) -> float:
    """The factor that turns our guess for a request into what the server counted for
    it (1.0 when it reported nothing); kept within 0.25..4 so one odd report cannot
    make the figure absurd."""
    if not prompt_tokens or prompt_tokens <= 0 or estimated <= 0:
        return 1.0
    return min(4.0, max(0.25, prompt_tokens / estimated))


def calibration_for(messages: Sequence[Message], system_prompt: str, context: int | None,
                    user: Callable[[Message], dict[str, Any]] | None = None) -> float:
    """:func:`calibration` from the last answer whose server reported ``prompt_tokens``:
    our guess for the request that answer was for, against the server's count."""
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if m.role == "assistant" and m.prompt_tokens:
            sent = outgoing(messages[:i], system_prompt, context, user)
            return calibration(estimate_tokens(sent), m.prompt_tokens)
    return 1.0


@dataclass(frozen=True)
class Outlook:
    """What the next request sends: how many messages (the system prompt not counted)
    and about how many tokens (the system prompt counted)."""

    messages: int
    tokens: int


def next_request(messages: Sequence[Message], draft: str, system_prompt: str,
                 context: int | None,
                 user: Callable[[Message], dict[str, Any]] | None = None
                 ) -> Outlook:
    """The :class:`Outlook` of sending ``draft`` (the input's text; blank: the
    conversation's context alone) after ``messages``. Which messages go is
    :func:`outgoing`'s decision; the draft is counted uncached (it changes per key)."""
    sent = outgoing([*messages, Message("user", "")], system_prompt, context, user)
    earlier = sent[:-1]  # the placeholder question is last: trim_context always keeps it
    count = sum(1 for m in earlier if m.get("role") != "system")
    tokens = estimate_tokens(earlier)
    if draft.strip():
        count += 1
        tokens += PER_MESSAGE + count_tokens(draft)
    factor = calibration_for(messages, system_prompt, context, user)
    return Outlook(count, round(tokens * factor))


# Context windows of well-known models, in tokens, from each vendor's model pages; the
# first pattern that matches the id's base name (last "/" segment, lower-case) wins.
# Only figures the vendors publish; anything else is unknown (None).
KNOWN_WINDOWS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(p), n) for p, n in (
        (r"^gpt-4\.1", 1_047_576),  # OpenAI: GPT-4.1, -mini, -nano
        (r"^(?:chatgpt-)?gpt-4o", 128_000),  # OpenAI: GPT-4o, -mini
        (r"^gpt-4-turbo", 128_000),  # OpenAI
        (r"^gpt-5", 400_000),  # OpenAI: GPT-5 family (400k total context)
        (r"^gpt-3\.5-turbo", 16_385),  # OpenAI: current gpt-3.5-turbo
        (r"^o1-mini", 128_000),  # OpenAI
        (r"^o[134](?:-|$)", 200_000),  # OpenAI: o1, o3, o3-mini, o4-mini
        (r"^claude-", 200_000),  # Anthropic: Claude 3, 3.5, 3.7, 4 (standard window)
        (r"^gemini-1\.5-pro", 2_097_152),  # Google AI: Gemini 1.5 Pro
        (r"^gemini-(?:1\.5|2)", 1_048_576),  # Google AI: 1.5 Flash, 2.0, 2.5
        (r"^deepseek-(?:chat|reasoner)$", 128_000),  # DeepSeek API (V3.1 on: 128K)
        (r"llama-?3\.[123]", 131_072),  # Meta: Llama 3.1, 3.2, 3.3 (128K)
    ))


def known_window(model_id: str) -> int | None:
    """The window :data:`KNOWN_WINDOWS` gives ``model_id``, if any."""
    name = base_name(model_id)
    return next((n for pattern, n in KNOWN_WINDOWS if pattern.search(name)), None)


def context_window(model_id: str, configured: Mapping[str, int] | None = None,
                   listed: Mapping[str, int] | None = None) -> tuple[int, str] | None:
    """(window, where it came from: "config", "server" or "built-in"), or None.

    ``configured`` is the provider's ``context_windows`` (the user's word wins),
    ``listed`` what its model list reported."""
    if configured and model_id in configured:
        return configured[model_id], "config"
    if listed and model_id in listed:
        return listed[model_id], "server"
    found = known_window(model_id)
    return (found, "built-in") if found else None


_LIST_KEYS = ("context_length", "context_window", "max_context_length", "inputTokenLimit",
              "max_model_len")


def listed_windows(obj: Any) -> dict[str, int]:
    """Windows a model list reports, {model id: tokens}: OpenRouter's ``context_length``
    (or ``top_provider.context_length``), ``context_window`` (Groq and others),
    ``max_context_length``, vLLM's ``max_model_len``, Gemini's ``inputTokenLimit``."""
    items: Any = None
    if isinstance(obj, dict):
        items = obj.get("data") if isinstance(obj.get("data"), list) else obj.get("models")
    elif isinstance(obj, list):
        items = obj
    found: dict[str, int] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        mid = item.get("id") or item.get("model") or item.get("name")
        if not isinstance(mid, str) or not mid:
            continue
        if mid.startswith("models/"):  # Gemini's names
            mid = mid.removeprefix("models/")
        top = item.get("top_provider")
        values = [item.get(k) for k in _LIST_KEYS]
        if isinstance(top, dict):
            values.append(top.get("context_length"))
        n = next((v for v in values if isinstance(v, int) and not isinstance(v, bool)
                  and v > 0), None)
        if n is not None:
            found[mid] = n
    return found


_TOKENS = re.compile(r"(\d+(?:[.,]\d+)?)\s*([kKmM]?)")


def parse_tokens(text: str) -> int | None:
    """A number of tokens as people write it: ``32768``, ``32,768``, ``128k`` (128,000),
    ``1M``, ``1.5m``, ``200 000``; None when it is not one."""
    text = re.sub(r"[ _]", "", text.strip())
    text = re.sub(r",(?=\d{3}(?!\d))", "", text)  # 32,768: a thousands separator
    m = _TOKENS.fullmatch(text)
    if m is None:
        return None
    value = float(m.group(1).replace(",", "."))
    value *= {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    return round(value) if value >= 1 else None


def short(n: float) -> str:
    """A token count for the bar: 850, 1.2k, 140k, 128k (131072), 1M, 2M (2097152)."""
    n = round(n)
    if n < 1000:
        return str(n)
    binary = n % 1000 != 0 and n % 1024 == 0  # 131072 is "128k", as vendors write it
    if n >= 1_000_000:
        value, suffix = n / (1_048_576 if binary else 1_000_000), "M"
    else:
        value, suffix = n / (1024 if binary else 1000), "k"
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return text.removesuffix(".0") + suffix
