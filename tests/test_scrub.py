"""``secrets.scrub``: every recognisable part of a key is masked, nothing else is touched."""

from __future__ import annotations

import pytest

from cherry_tui.core.secrets import held_tail, mask, scrub

OPENAI = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t"
ANTHROPIC = "sk-ant-api03-Zy9xW8vU7tS6rQ5pO4nM"
GEMINI = "AIzaSyD4-kP9qLm2Xr7Tn3Vb8Wc1Ye6Zf0Gh"


@pytest.mark.parametrize("key", [OPENAI, ANTHROPIC, GEMINI])
def test_the_whole_key_is_masked(key):
    assert scrub(f"bad key {key}!", [key]) == f"bad key {mask(key)}!"


@pytest.mark.parametrize("key, prefix", [(OPENAI, "sk-proj-"), (OPENAI, "sk-"),
                                         (ANTHROPIC, "sk-ant-api03-"), (ANTHROPIC, "sk-ant-"),
                                         (GEMINI, "AIza")])
def test_the_key_without_its_prefix_is_masked(key, prefix):
    bare = key[len(prefix):]
    out = scrub(f"invalid api key: {bare}.", [key])
    assert bare not in out and out == f"invalid api key: {mask(key)}."


def test_a_run_of_twelve_characters_is_masked_and_eleven_is_not():
    key = OPENAI
    assert scrub(f"key ...{key[10:22]}...", [key]) == f"key ...{mask(key)}..."
    assert scrub(f"key ...{key[10:21]}...", [key]) == f"key ...{key[10:21]}..."
    # every 12-character window of the key, wherever it sits
    for i in range(len(key) - 11):
        assert key[i:i + 12] not in scrub(f"x {key[i:i + 12]} y", [key]), i


def test_short_key_without_prefix_and_ordinary_text_stay():
    key = "sk-abc123"  # 6 characters after the prefix: too short to be recognisable alone
    assert scrub("abc123 and sk-abc123", [key]) == f"abc123 and {mask(key)}"
    text = "The quick brown fox jumps over the lazy dog. " * 20
    assert scrub(text, [OPENAI, ANTHROPIC, GEMINI]) == text


def test_several_keys_several_times_and_scrub_is_idempotent():
    text = f"{OPENAI} / {GEMINI[4:]} / {OPENAI[3:]} / {ANTHROPIC[13:27]}"
    once = scrub(text, [OPENAI, GEMINI, ANTHROPIC, ""])
    assert once == f"{mask(OPENAI)} / {mask(GEMINI)} / {mask(OPENAI)} / {mask(ANTHROPIC)}"
    assert scrub(once, [OPENAI, GEMINI, ANTHROPIC]) == once


def test_held_tail_keeps_back_what_could_begin_a_key():
    assert held_tail("hello " + OPENAI[:10], [OPENAI]) == 10
    assert held_tail("hello " + OPENAI[12:15], [OPENAI]) == 0  # 3 characters: let through
    assert held_tail("hello world", [OPENAI]) == 0
