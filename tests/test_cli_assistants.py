"""``cherry-tui ask -a NAME`` as a real subprocess against llmock, and top_p on the wire of
every protocol (llmock for OpenAI and Anthropic, tests/servers/wire.py for the others)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from servers.wire import KEY as WIRE_KEY
from servers.wire import MODEL, Serving

from cherry_tui.core.client import Client
from cherry_tui.core.config import Provider

KEY = "sk-mock-0123456789abcdefSECRET"
HI = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


def ask(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MOCK_KEY": KEY}
    return subprocess.run([sys.executable, "-m", "cherry_tui", "ask", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=60,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


@pytest.fixture
def setup(config_file, llmock):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f"""\
default_model = "mock/gpt-4o"

[providers.mock]
name = "Mock"
type = "openai"
address = "{llmock.url}"
key = "env:MOCK_KEY"
models = ["gpt-4o", "gpt-4o-mini"]
enabled = true

[assistants.review]          # the built-in review, on the small model
model = "mock/gpt-4o-mini"
max_tokens = 500

[assistants.terse]
prompt = "Answer in one word."
temperature = 0.1
top_p = 0.5
max_tokens = 20
context = 0

[assistants.gone]
hidden = true
prompt = "x"

[assistants.broken]
temperature = 7
""")
    return llmock


def sent(llmock) -> dict:
    return llmock.last_request.body


def test_ask_with_an_assistant_sends_its_prompt_model_and_settings(setup):
    setup.reply("Paris")
    r = ask("-a", "terse", "Capital", "of", "France?")
    assert (r.returncode, r.stdout, r.stderr) == (0, "Paris\n", "")
    body = sent(setup)
    assert body["messages"] == [{"role": "system", "content": "Answer in one word."},
                                {"role": "user", "content": "Capital of France?"}]
    assert (body["model"], body["temperature"], body["top_p"], body["max_tokens"]) == \
        ("gpt-4o", 0.1, 0.5, 20)


def test_piped_diff_goes_to_the_review_assistant(setup):
    diff = "diff --git a/x.py b/x.py\n-    return a\n+    return b\n"
    setup.reply("Looks wrong: b is undefined.")
    r = ask("-a", "review", stdin=diff)
    assert r.returncode == 0, r.stderr
    body = sent(setup)
    system, user = body["messages"]
    assert system["role"] == "system" and "diff" in system["content"]
    assert user == {"role": "user", "content": diff.strip()}
    assert body["model"] == "gpt-4o-mini" and body["max_tokens"] == 500
    assert body["temperature"] == 0.2  # the built-in's own


def test_command_line_values_override_the_assistant(setup):
    setup.reply("ok")
    r = ask("-a", "terse", "-m", "mock/gpt-4o-mini", "-s", "Be French.", "-t", "0.9",
            "--top-p", "0.7", "--max-tokens", "5", "Hi")
    assert r.returncode == 0, r.stderr
    body = sent(setup)
    assert body["messages"][0] == {"role": "system", "content": "Be French."}
    assert (body["model"], body["temperature"], body["top_p"], body["max_tokens"]) == \
        ("gpt-4o-mini", 0.9, 0.7, 5)


@pytest.mark.parametrize(("name", "says"), [
    ("nobody", "no assistant 'nobody': cherry-tui assistants lists them"),
    ("gone", "assistant 'gone' is hidden: remove hidden = true from [assistants.gone]"),
    ("broken", "[assistants.broken] temperature must be a number from 0 to 2, not 7"),
])
def test_unusable_assistant_is_one_line_and_nothing_is_sent(setup, name, says):
    r = ask("-a", name, "Hi")
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], r.stderr
    assert setup.requests == []


def test_top_p_out_of_range_is_a_usage_error(setup):
    r = ask("--top-p", "2", "Hi")
    assert r.returncode == 2 and "--top-p 2 is out of range: use 0 to 1" in r.stderr


# ------------------------------------------------------------------ top_p, each protocol
async def test_top_p_reaches_anthropic(llmock):
    p = Provider(id="c", name="C", type="anthropic", address=llmock.base_url("anthropic"),
                 enabled=True)
    llmock.reply("ok")
    async with Client() as client:
        [e async for e in client.stream_chat(p, [KEY], "claude-x", HI, top_p=0.4)]
    assert llmock.last_request.body["top_p"] == 0.4


@pytest.mark.parametrize(("kind", "type_", "where"), [
    ("responses", "openai-responses", lambda b: b["top_p"]),
    ("gemini", "gemini", lambda b: b["generationConfig"]["topP"]),
])
async def test_top_p_reaches_responses_and_gemini(kind, type_, where):
    with Serving(kind) as w:
        p = Provider(id="p", name="P", type=type_, address=w.root, models=(MODEL,))
        async with Client(max_retries=0) as client:
            [e async for e in client.stream_chat(p, [WIRE_KEY], MODEL, HI, top_p=0.3)]
            await client.complete(p, [WIRE_KEY], MODEL, HI, top_p=0.6)
    stream, whole = [s for s in w.seen if s.method == "POST"]
    assert (where(stream.body), where(whole.body)) == (0.3, 0.6)
