"""``cherry-tui ask -f FILE`` as the real console script against llmock: the files, then
piped stdin, then the prompt, in the body the server received; and each refusal as one
line with its exit status (2: a missing file; 1: too big, binary, a model without vision).
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = str(Path(sys.executable).parent / "cherry-tui")
KEY = "sk-mock-0123456789abcdefSECRET"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(60))


@pytest.fixture
def mock(config_file, llmock):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[providers.mock]\nname = "Mock"\ntype = "openai"\naddress = "{llmock.url}"\n'
        'key = "env:MOCK_KEY"\nmodels = ["gpt-4o", "deepseek-chat"]\nenabled = true\n')
    return llmock


def run(*args: str, stdin: str | None = None, cwd: Path | None = None):
    env = {**os.environ, "MOCK_KEY": KEY}
    return subprocess.run([BIN, "ask", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120, cwd=cwd,
                          stdin=subprocess.DEVNULL if stdin is None else None)


def one_line(r, status: int) -> str:
    assert r.returncode == status, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cherry-tui: "), r.stderr
    assert "Traceback" not in r.stderr and KEY not in r.stderr
    return lines[0]


def test_files_then_stdin_then_the_prompt(mock, tmp_path):
    (tmp_path / "notes.txt").write_text("keep it short\n")
    (tmp_path / "shot.png").write_bytes(PNG)
    mock.reply("Looks fine.")
    r = run("-m", "mock/gpt-4o", "-f", "notes.txt", "-f", "shot.png", "review this",
            stdin="diff --git a/x b/x\n+new line\n", cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, "Looks fine.\n", "")
    assert mock.last_request.body["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "File: notes.txt\n```\nkeep it short\n```\n\n"
                                 "diff --git a/x b/x\n+new line\n\nreview this"},
        {"type": "image_url",
         "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode()}}]}]


def test_a_file_alone_is_a_prompt(mock, tmp_path):
    (tmp_path / "q.txt").write_text("What is 2+2?")
    mock.reply("4")
    r = run("-m", "mock/deepseek-chat", "-f", str(tmp_path / "q.txt"), "--no-stream",
            stdin="")
    assert (r.returncode, r.stdout) == (0, "4\n"), r.stderr
    assert mock.last_request.body["messages"] == [
        {"role": "user", "content": "File: q.txt\n```\nWhat is 2+2?\n```"}]


def test_missing_file_is_a_usage_error(mock, tmp_path):
    line = one_line(run("-m", "mock/gpt-4o", "-f", "gone.txt", "hi", cwd=tmp_path), 2)
    assert line == (f"cherry-tui: gone.txt: no such file (check the path; a relative path "
                    f"starts in {tmp_path})")
    assert mock.requests == []


def test_too_big_and_binary_fail_with_one_line(mock, tmp_path):
    big = tmp_path / "big.log"
    big.write_text("x" * 3000)
    line = one_line(run("-m", "mock/gpt-4o", "--file-limit", "2", "-f", str(big), "hi"), 1)
    assert "big.log is 2.9 KB, over the 2 KB limit for a text file" in line
    assert line.endswith("or raise the limit with --file-limit KB")
    (tmp_path / "a.out").write_bytes(b"\x7fELF\x00\x00")
    line = one_line(run("-m", "mock/gpt-4o", "-f", str(tmp_path / "a.out"), "hi"), 1)
    assert "a.out looks like a binary file" in line
    assert mock.requests == []
    mock.reply("ok")  # raised: the same file goes
    r = run("-m", "mock/gpt-4o", "--file-limit", "3", "-f", str(big), "hi")
    assert r.returncode == 0, r.stderr


def test_image_to_a_model_without_vision_is_refused(mock, tmp_path):
    (tmp_path / "shot.png").write_bytes(PNG)
    line = one_line(run("-m", "mock/deepseek-chat", "-f", str(tmp_path / "shot.png"),
                        "what is it?"), 1)
    assert line.startswith("cherry-tui: deepseek-chat of Mock (mock) does not take images")
    assert 'model_kinds = { "deepseek-chat" = "vision" }' in line
    assert mock.requests == []
