"""Issue 14's "done when", as a new user over SSH does it, all with the keyboard, in a
real terminal (tmux, 80x24) against a real local server (llmock):

pipe ``git diff`` into ``cherry-tui ask -a review``; then in the TUI ask one question of
two models side by side with a log file attached, keep one answer, edit an earlier
question and come back to the first branch.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from llmock.scenarios import Match, Reply

from conftest import need
from test_chat_tmux import mock_tmux

pytestmark = pytest.mark.slow
BIN = str(Path(sys.executable).with_name("cherry-tui"))


@pytest.fixture
def setup(tmp_path, llmock):
    need(shutil.which("git") is not None, "git is not installed")
    t = mock_tmux(tmp_path, llmock, ("gpt-4o-mini", "gpt-4o"),
                  top='default_model = "mock/gpt-4o-mini"\n\n')
    yield tmp_path, t.env, t
    t.kill()


def reply(llmock, model: str, text: str) -> None:
    llmock.add(Reply(text=text, match=Match(model=model)))


def test_review_a_diff_then_compare_keep_edit_and_go_back(setup, llmock):
    tmp, env, t = setup
    # 1. git diff | cherry-tui ask -a review
    repo = tmp / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    (repo / "app.py").write_text("def add(a, b):\n    return a + b\n")
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "one"], cwd=repo, check=True)
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    reply(llmock, "gpt-4o-mini", "Bug: add subtracts.")
    r = subprocess.run(f"git diff | {BIN} ask -a review", shell=True, cwd=repo,
                       capture_output=True, text=True, timeout=60, env={
                           **env, "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Bug: add subtracts."
    sent = llmock.last_request.body["messages"]
    assert sent[0]["role"] == "system" and "review" in sent[0]["content"].lower()
    assert "-    return a + b" in sent[-1]["content"]
    assert "+    return a - b" in sent[-1]["content"]

    # 2. one question to two models, a log file attached
    log = tmp / "app.log"
    log.write_text("12:00 ERROR upstream timed out\n")
    reply(llmock, "gpt-4o-mini", "Mini: the upstream timed out.")
    reply(llmock, "gpt-4o", "Big: restart the upstream.")
    t.start()
    t.wait("providers, ")
    t.keys("C-n")
    t.wait("New conversation with mock/gpt-4o-mini")
    t.keys("-l", f"@mock/gpt-4o-mini @mock/gpt-4o what fails in @{log}?")
    t.keys("Enter")
    t.wait("Mini: the upstream timed out.")
    screen = t.wait("Big: restart the upstream.")
    assert "📎 app.log" in screen
    both = [r for r in llmock.requests if r.path.endswith("/chat/completions")][-2:]
    assert sorted(r.body["model"] for r in both) == ["gpt-4o", "gpt-4o-mini"]
    for req in both:
        question = req.body["messages"][-1]["content"]
        assert "12:00 ERROR upstream timed out" in question and "@mock" not in question

    # 3. keep the second answer (tab into the log: the last answer is selected)
    t.keys("Tab")
    t.keys("Enter")
    screen = t.wait("mock/gpt-4o  ‹ 2/2 ›  ✓ kept")
    assert "mock/gpt-4o-mini  ‹ 1/2 ›\n" in screen.replace(" \n", "\n")  # no longer kept
    t.keys("Escape")
    time.sleep(0.3)  # a terminal reads esc and a key right behind it as alt+key: a pause
    reply(llmock, "gpt-4o-mini", "Then check its health endpoint.")
    t.keys("-l", "and then?")
    t.keys("Enter")
    t.wait("Then check its health endpoint.")
    sent = llmock.last_request.body["messages"]
    assert [m["content"] for m in sent[-2:]] == ["Big: restart the upstream.", "and then?"]

    # 4. edit the first question (a new branch), then come back to the first branch
    t.keys("Tab")
    for _ in range(3):  # answer, question, kept answer, first question
        t.keys("Up")
    t.keys("e")
    t.wait("editing an earlier message")
    reply(llmock, "gpt-4o-mini", "Branch two, small.")
    reply(llmock, "gpt-4o", "Branch two answer.")
    t.keys("-l", " Only the first one.")  # the input holds the question: change it
    t.keys("Enter")
    screen = t.wait("Branch two answer.")
    assert "and then?" not in screen and "‹ 2/2 ›" in screen
    asked = llmock.last_request.body["messages"][-1]["content"]
    assert asked.endswith("app.log? Only the first one.") and "12:00 ERROR" in asked
    t.keys("Tab")
    for _ in range(2):  # the question (its last answer was selected first)
        t.keys("Up")
    t.keys("[")
    screen = t.wait("Then check its health endpoint.")
    assert "Branch two answer." not in screen and "‹ 1/2 ›" in screen
    print(screen)
    lines = screen.splitlines()
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
