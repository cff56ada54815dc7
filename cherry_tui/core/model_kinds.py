"""What kind of model an id names: chat, reasoning, vision, embedding, rerank, image, audio.

Fetched model lists mix embedding, rerank, image and speech models with chat models; the
chat's model picker and the provider check want chat models only. The kind is guessed
from the id the way Cherry Studio guesses its model capabilities (CherryHQ/cherry-studio,
``src/renderer/src/config/models/*.ts``), and a user override always wins, as Cherry's
``isUserSelected`` capability does:

* the id is tested by its base name: the last ``/`` segment, lower-case, ``:free``
  stripped (Cherry's ``getLowerBaseModelName``);
* rerank first (``rerank.ts``: rerank, re-rank, re-ranker, re-ranking, retrieval,
  retriever), then embedding (``embedding.ts`` ``EMBEDDING_REGEX``: a ``text-`` start,
  embed, bge-, e5-, LLM2Vec, retrieval, uae-, gte-, jina-clip, jina-embeddings, voyage-;
  never for an ``anthropic`` provider): Cherry never counts these as vision or chat;
* audio: what Cherry's model fetch drops as unsupported (``/(?:^tts|whisper|speech)/``
  in ``ModelAdapter.ts``), plus the same family's transcribe and audio models;
* image: Cherry's ``TEXT_TO_IMAGE_REGEX`` (flux, diffusion, stabilityai, sd-, dall,
  cogview, janus, midjourney, mj-, imagen, gpt-image, image generation models);
* reasoning (``reasoning.ts`` ``REASONING_REGEX`` and the vendor predicates): o1/o3/o4,
  the words reasoning/reasoner/thinking/think (not ``non-reasoning``), ``-r1``-style
  suffixes, qwq, hunyuan-t1, glm-zero-preview, grok-3-mini, grok-4, Claude 3.7 and 4,
  gpt-5, Gemini 2.5 and 3, Qwen3, DeepSeek v3.1+, Doubao seed, GLM-4.5+, MiniMax M1/M2;
* vision (``vision.ts``: its allow-list minus its exclusions): llava, moondream,
  minicpm, Gemini 1.5/2.x/3, Claude 3/4, ``vision``, glm-4.xv, Qwen-VL, qvq, gpt-4o,
  gpt-4.1, gpt-5, o1/o3/o4 (not the -mini ones), grok-4, pixtral, gemma-3, llama-4,
  Doubao seed 1.6+, Kimi k2.5 and the rest;
* anything else: chat.

A model has one kind here. Where Cherry gives a model several capabilities (o3 reasons
and sees), reasoning wins: it decides how the answer is shown. Chat, reasoning and
vision models all chat (:data:`CHAT_KINDS`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

KINDS = ("chat", "reasoning", "vision", "embedding", "rerank", "image", "audio")
CHAT_KINDS = frozenset({"chat", "reasoning", "vision"})

_RERANK = re.compile(r"rerank|re-rank|re-ranker|re-ranking|retrieval|retriever")
_EMBEDDING = re.compile(r"^text-|embed|bge-|e5-|llm2vec|retrieval|uae-|gte-|jina-clip|"
                        r"jina-embeddings|voyage-")
_AUDIO = re.compile(r"^tts|-tts\b|whisper|speech|transcribe|-audio\b|^audio-|realtime")
_IMAGE = re.compile(r"flux|diffusion|stabilityai|sd-|dall|cogview|janus|midjourney|^mj-|"
                    r"imagen|gpt-image|image-generation|-image\b|^image-|seedream|seededit")
_REASONING = re.compile(
    r"^o\d+(?:-|$)|(?<!non-)\b(?:reasoning|reasoner|thinking|think)\b|-r\d+\b|\bqwq|"
    r"hunyuan-t1|glm-zero-preview|grok-3-mini|grok-4|"
    r"claude-3-7|claude-3\.7|claude-(?:opus|sonnet|haiku)-4|claude-4|"
    r"gpt-5(?!-chat)|gpt-oss|gemini-(?:2\.5|3)|^qwen3(?!.*instruct)|"
    r"deepseek-v3\.[1-9]|deepseek-v[4-9]|doubao-seed|glm-(?:4\.[5-9]|[5-9])(?!v)|"
    r"minimax-m[12]")
_VISION = re.compile(
    r"llava|moondream|minicpm|gemini-(?:1\.5|2|3|exp)|claude-3|claude-(?:opus|sonnet|haiku)-4|"
    r"claude-4|vision|glm-4(?:\.\d+)?v|qwen[\d.]*-vl|qvq|internvl|-vl\b|"
    r"gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4-turbo(?!-preview)|gpt-5|^o[134](?!-mini)|grok-4|"
    r"pixtral|gemma-?3|llama-4|deepseek-vl|doubao-seed-(?:1[.-][68]|2[.-]0)|kimi-k2\.5|"
    r"kimi-latest")


def base_name(model_id: str) -> str:
    """The part of an id its kind is read from: last ``/`` segment, lower-case, no ``:free``."""
    name = model_id.strip().rsplit("/", 1)[-1].lower()
    return name.removesuffix(":free")


def detect(model_id: str, provider_type: str = "openai") -> str:
    """The kind an id suggests (see the module docstring for the patterns)."""
    name = base_name(model_id)
    if _RERANK.search(name):
        return "rerank"
    if provider_type != "anthropic" and _EMBEDDING.search(name):
        return "embedding"
    if _AUDIO.search(name):
        return "audio"
    if _IMAGE.search(name):
        return "image"
    if _REASONING.search(name):
        return "reasoning"
    if _VISION.search(name):
        return "vision"
    return "chat"


def kind_of(model_id: str, overrides: Mapping[str, str] | None = None,
            provider_type: str = "openai") -> str:
    """The user's override for this id when there is one, else :func:`detect`."""
    if overrides and model_id in overrides:
        return overrides[model_id]
    return detect(model_id, provider_type)


def is_chat(model_id: str, overrides: Mapping[str, str] | None = None,
            provider_type: str = "openai") -> bool:
    return kind_of(model_id, overrides, provider_type) in CHAT_KINDS


def sees_images(model_id: str, overrides: Mapping[str, str] | None = None,
                provider_type: str = "openai") -> bool:
    """True when the model takes images: the user set its kind to vision, or (no
    override) its kind is guessed vision, or reasoning with an id on the vision list
    (o3, Claude 4, Gemini 2.5 reason and see)."""
    if overrides and model_id in overrides:
        return overrides[model_id] == "vision"
    kind = detect(model_id, provider_type)
    return kind == "vision" or (kind == "reasoning" and bool(_VISION.search(base_name(model_id))))


def parse_overrides(value: Any) -> tuple[dict[str, str], list[str]]:
    """A provider's ``model_kinds`` table: ({model id: kind}, problems).

    Entries with an unknown kind are reported and left out; the rest are used.
    """
    example = 'model_kinds = { "my-model" = "vision" }'
    if not isinstance(value, dict):
        return {}, [f"model_kinds must be a table of model id = kind, e.g. {example}"]
    found: dict[str, str] = {}
    problems: list[str] = []
    for model, kind in value.items():
        if isinstance(kind, str) and kind in KINDS:
            found[str(model)] = str(kind)
        else:
            problems.append(f"model_kinds: {model!r} = {kind!r} is not a kind: use one of "
                            f"{', '.join(KINDS)}")
    return found, problems


__all__ = ["CHAT_KINDS", "KINDS", "base_name", "detect", "is_chat", "kind_of", "parse_overrides",
           "sees_images"]
