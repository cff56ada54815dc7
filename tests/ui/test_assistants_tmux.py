"""The assistant list in a real terminal (tmux, 80x24) with keys in one burst, as a laggy
SSH link delivers them: F2, a filter, enter, a question, enter."""

from __future__ import annotations

import time

import pytest

from test_chat_tmux import Tmux, mock_tmux

pytestmark = pytest.mark.slow


@pytest.fixture
def tmux_app(tmp_path, llmock):
    t = mock_tmux(tmp_path, llmock, ("gpt-4o-mini", "gpt-4o"),
                  top='default_model = "mock/gpt-4o-mini"\n',
                  more='\n[assistants.terse]\nprompt = "One word."\nmodel = "mock/gpt-4o"\n')
    t.start()
    t.wait("providers, ")  # the provider list is up: keys reach the app now
    yield t
    t.kill()


def test_burst_from_the_chat_picks_the_assistant_then_sends(tmux_app, llmock):
    t = tmux_app
    t.keys("C-n")
    t.wait("New conversation")
    llmock.reply("Paris.")
    t.keys("F2", "ters", "Enter", "capital?", "Enter")  # one burst
    screen = t.wait("Paris.")
    assert "assistant: terse" in screen.splitlines()[0]
    assert "Start a chat with an assistant" not in screen
    body = llmock.last_request.body
    assert body["model"] == "gpt-4o"
    assert body["messages"] == [{"role": "system", "content": "One word."},
                                {"role": "user", "content": "capital?"}]


def test_f2_on_the_provider_list_and_the_list_keys(tmux_app, llmock):
    t = tmux_app
    t.keys("F2")
    t.wait("Start a chat with an assistant")
    t.keys("Down", "n")  # into the list, then n: the form
    t.wait("New assistant")
    t.keys("Escape")
    t.wait("Start a chat with an assistant")
    t.keys("Escape")
    gone(t, "Start a chat with an assistant")
    assert "providers, " in t.screen()

def gone(t: Tmux, text: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while text in t.screen():
        assert time.monotonic() < deadline, f"{text!r} still shown:\n{t.screen()}"
        time.sleep(0.05)
