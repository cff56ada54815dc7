"""The installed cherry-tui in tmux at 80x24 against llmock: ``@no``, tab and more letters
typed in one burst complete to ``@notes.txt`` (each key is read in the order typed), the
message goes with the file, and the log shows the attachment line (without colour, in
a 16-colour terminal: the line is text, nothing in it is told by colour alone)."""

from __future__ import annotations

import shlex

import pytest
from conftest import need
from test_tmux import _cherry_tui, _env, tmux  # noqa: F401

pytestmark = pytest.mark.slow

KEY = "sk-mock-0123456789abcdefSECRET"


def test_at_path_completes_in_a_burst_and_the_log_shows_the_file(tmux, tmp_path,  # noqa: F811
                                                                   config_file, llmock):
    exe = _cherry_tui()
    need(exe is not None, "the cherry-tui command is not installed")
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("remember the milk\n")
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[providers.mock]\nname = "Mock"\ntype = "openai"\naddress = "{llmock.url}"\n'
        'key = "env:MOCK_KEY"\nmodels = ["gpt-4o"]\nenabled = true\n')
    llmock.reply("Milk, it says.")
    tmux.start(["sh", "-c", f"cd {shlex.quote(str(work))} && exec {shlex.quote(exe)}"],
               _env(tmp_path, config_file, MOCK_KEY=KEY, NO_COLOR="1", TERM="xterm"))
    tmux.wait_for("Providers")
    tmux.keys("C-n")
    tmux.wait_for("New conversation with mock/gpt-4o")
    # one burst (one write): letters, tab, letters; each read where it was typed
    tmux.run("send-keys", "what does @no", "Tab", "say?")
    tmux.wait_for("what does @notes.txt say?")
    tmux.keys("Enter")
    screen = tmux.wait_for("Milk, it says.", "📎 notes.txt · 18 B")
    lines = screen.splitlines()
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    assert "what does @notes.txt say?" in screen
    [request] = llmock.requests
    assert request.body["messages"] == [{"role": "user", "content":
                                         "File: notes.txt\n```\nremember the milk\n```\n\n"
                                         "what does @notes.txt say?"}]
