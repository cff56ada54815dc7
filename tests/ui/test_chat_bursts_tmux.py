"""Key bursts in a real terminal (tmux, 80x24) against a real llmock server.

A laggy SSH link delivers several keys in one read; here one ``send-keys`` carries the
whole burst. The model picker must take the keys typed before it is drawn, choose what
its filter shows at enter, and hand the keys after it back to the chat input. Toasts
must leave an open dialog readable.
"""

from __future__ import annotations


import pytest

from test_chat_tmux import mock_tmux

pytestmark = pytest.mark.slow


@pytest.fixture
def tmux_chat(tmp_path, llmock):
    t = mock_tmux(tmp_path, llmock, ("gpt-4o-mini", "seed-1-6", "qwen-max"),
                  top='default_model = "mock/gpt-4o-mini"\n')
    t.start()
    t.wait("providers, ")  # the provider list is up: keys reach the app now
    t.keys("C-n")
    t.wait("New conversation")
    yield t
    t.kill()


def bar(screen: str) -> str:
    return screen.splitlines()[0]


def test_picker_burst_chooses_then_sends(tmux_chat, llmock):
    t = tmux_chat
    llmock.reply("Reply from seed.")
    t.keys("C-l", "seed", "Enter", "hello", "Enter")  # one burst
    screen = t.wait("Reply from seed.")
    assert bar(screen).lstrip().startswith("mock/seed-1-6")
    assert "hello" in screen and "Choose a model" not in screen
    assert llmock.last_request.body["model"] == "seed-1-6"
    assert llmock.last_request.body["messages"][-1] == {"role": "user", "content": "hello"}
    # the input is empty again: nothing of the burst was left behind
    llmock.reply("Second.")
    t.keys("again", "Enter")
    t.wait("Second.")
    assert llmock.last_request.body["messages"][-1]["content"] == "again"


def test_picker_burst_with_backspace_and_a_second_burst(tmux_chat, llmock):
    t = tmux_chat
    llmock.reply("From qwen.")
    t.keys("C-l", "qwx", "BSpace", "en", "Enter", "hi", "Enter")
    t.wait("From qwen.")
    assert llmock.last_request.body["model"] == "qwen-max"
    llmock.reply("Back to mini.")
    t.keys("C-l", "mini", "Enter", "more", "Enter")  # the picker again, in one burst
    screen = t.wait("Back to mini.")
    assert bar(screen).lstrip().startswith("mock/gpt-4o-mini")
    assert llmock.last_request.body["model"] == "gpt-4o-mini"
    assert llmock.last_request.body["messages"][-1]["content"] == "more"


def test_toasts_leave_the_settings_dialog_readable(tmux_chat, llmock):
    t = tmux_chat
    llmock.reply("Copy this answer, please.")
    t.keys("question", "Enter")
    t.wait("Copy this answer, please.")
    # three toasts ("Copied ..."), then the dialog opens while they are still shown
    t.keys("C-y", "C-y", "C-y", "C-s")
    screen = t.wait("Conversation settings")
    screen = t.wait("Copied")
    lines = screen.splitlines()
    top = next(i for i, line in enumerate(lines) if "╭" in line)
    bottom = next(i for i, line in enumerate(lines) if "╰" in line)
    right = lines[top].index("╮")
    for line in lines[top + 1:bottom]:  # every row of the dialog, whole, to its frame
        assert len(line) > right and line[right] == "│", screen
    body = "\n".join(lines[top:bottom + 1])
    for text in ("Title", "System prompt", "Temperature",
                 "tab moves · ctrl+s or enter saves · esc cancels"):
        assert text in body, screen
