"""Model mentions (``@provider/model``): which configured models a message asks, and the
text the models are sent."""

from __future__ import annotations

from cherry_tui.core.mentions import model_mentions, without_model_mentions

REFS = ["openai/gpt-4o", "anthropic/claude-sonnet-4", "local/qwen2.5:7b"]


def test_configured_models_are_found_in_the_order_written_once_each():
    text = "@anthropic/claude-sonnet-4 @openai/gpt-4o which? @openai/gpt-4o"
    assert model_mentions(text, REFS) == ["anthropic/claude-sonnet-4", "openai/gpt-4o"]
    assert without_model_mentions(text, REFS) == "which?"


def test_other_at_words_stay_text():
    text = "mail me@openai/gpt-4o, ask @someone, read @notes.txt or @openai/gpt-5"
    assert model_mentions(text, REFS) == []
    assert without_model_mentions(text, REFS) == text


def test_punctuation_after_a_mention_is_not_part_of_it():
    text = "compare @openai/gpt-4o, @local/qwen2.5:7b."
    assert model_mentions(text, REFS) == ["openai/gpt-4o", "local/qwen2.5:7b"]
    assert "@" not in without_model_mentions(text, REFS)


def test_the_rest_of_the_text_is_left_as_typed():
    text = "@openai/gpt-4o fix this:\n    indented  code\n\ttab"
    assert without_model_mentions(text, REFS) == "fix this:\n    indented  code\n\ttab"


def test_hostile_text_is_read_whole():
    # a run of @ and many short words: a backtracking pattern would take minutes here
    text = "@" * 200_000 + " x" + " @a" * 100_000 + " @openai/gpt-4o"
    assert model_mentions(text, REFS) == ["openai/gpt-4o"]
    assert without_model_mentions(text, REFS) == text[:-len(" @openai/gpt-4o")]
