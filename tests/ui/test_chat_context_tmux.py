"""The new-context marker and the context bar in a real terminal (tmux, 80x24)."""

from __future__ import annotations

import pytest

from test_chat_tmux import tmux_app  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_the_marker_and_the_bar_at_80x24(tmux_app, llmock):  # noqa: F811
    t = tmux_app
    llmock.reply("First answer.")
    t.start()
    t.wait("providers, ")  # the provider list is up: keys reach the app now
    t.keys("C-n")
    screen = t.wait("context: 0 messages · ~0 tokens / 128k")
    t.keys("Question", "Enter")
    screen = t.wait("First answer.")
    screen = t.wait("context: 2 messages")
    t.keys("C-g")
    screen = t.wait("──── new context ────")
    screen = t.wait("context: 0 messages · ~0 tokens / 128k · new context")
    print(screen)
    lines = screen.splitlines()
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    # the bar sits just above the input: the marker line is above it, in the log
    bar = next(i for i, line in enumerate(lines) if "context: 0 messages" in line)
    marker = next(i for i, line in enumerate(lines) if "──── new context ────" in line)
    assert marker < bar
    llmock.reply("Second answer.")
    t.keys("Another", "Enter")
    t.wait("Second answer.")
    assert [(m["role"], m["content"]) for m in llmock.last_request.body["messages"]] == [
        ("user", "Another")]
    t.keys("C-g")
    t.wait("──── new context ────  the messages above are not sent")
    t.keys("C-g")  # taken back at once
    t.wait("context: 2 messages")
